//! Admin users' passwords: Argon2id, a fresh salt each time.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::db::{Store, StoreError};
use crate::domain::{self, WeakPassword};
const MAX_NAME_LEN: usize = 64;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        // Hashing fails only for parameters or salts out of range, which are fixed here.
        .unwrap_or_else(|e| unreachable!("argon2 with default parameters failed: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[derive(Debug, thiserror::Error)]
pub enum AdminUserError {
    #[error("a user name is 1 to {MAX_NAME_LEN} letters, digits, dots, hyphens or underscores")]
    BadName,
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    #[error("user {0} already exists (use `paymatch admin set-password`)")]
    Exists(String),
    #[error("there is no user {0} (use `paymatch admin create-user`)")]
    Missing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn check(name: &str, password: &str) -> Result<(), AdminUserError> {
    let name_ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !name_ok {
        return Err(AdminUserError::BadName);
    }
    domain::check_password(password)?;
    Ok(())
}

pub fn create_user<S: Store>(
    store: &mut S,
    name: &str,
    password: &str,
    role: crate::users::Role,
) -> Result<(), AdminUserError> {
    check(name, password)?;
    if store.insert_admin_user(name, &hash_password(password), role.as_str(), domain::now())? {
        Ok(())
    } else {
        Err(AdminUserError::Exists(name.to_owned()))
    }
}

pub fn set_password<S: Store>(
    store: &mut S,
    name: &str,
    password: &str,
) -> Result<(), AdminUserError> {
    check(name, password)?;
    if change_password(store, name, &hash_password(password))? {
        Ok(())
    } else {
        Err(AdminUserError::Missing(name.to_owned()))
    }
}

/// Stores a new password hash and ends every session of the user, at once: whoever held the
/// old password (or a session opened with it) is out. `false` when there is no such user.
pub fn change_password<S: Store>(
    store: &mut S,
    name: &str,
    hash: &str,
) -> Result<bool, StoreError> {
    let now = domain::now();
    let ended = store.write(|s| {
        if !s.set_admin_password(name, hash, now)? {
            return Ok(None);
        }
        s.delete_sessions_of(name).map(Some)
    })?;
    if let Some(ended) = ended {
        tracing::info!(
            user = name,
            sessions_ended = ended,
            "admin password changed"
        );
    }
    Ok(ended.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse");
        let b = hash_password("correct horse");
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong horse", &a));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check("alice", "0123456789").is_ok());
        assert!(matches!(
            check("", "0123456789"),
            Err(AdminUserError::BadName)
        ));
        assert!(matches!(
            check("a b", "0123456789"),
            Err(AdminUserError::BadName)
        ));
        assert!(matches!(
            check("alice", "short"),
            Err(AdminUserError::WeakPassword(_))
        ));
        for blank in [
            "          ",
            " \t \t \t \t \t",
            "\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}",
        ] {
            assert!(
                matches!(check("alice", blank), Err(AdminUserError::WeakPassword(_))),
                "{blank:?}"
            );
        }
        assert!(check("alice", "  a       ").is_ok());
    }
}
