//! Admin users' roles: `owner` (everything), `staff` (works the queue and orders, not
//! settings, secrets or users) and `viewer` (reads and exports). The shop always keeps an
//! owner: the last one can be neither removed nor demoted.

use chrono::{DateTime, Utc};

use crate::auth::{self, AdminUserError};
use crate::db::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Staff,
    Viewer,
}

/// What a request would do, as roles allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Link, split, undo, set aside, create, import, cancel, replay, reconcile.
    Work,
    /// Settings, secrets, alerts, users.
    Manage,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Staff, Role::Viewer];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn may(self, action: Action) -> bool {
        match (self, action) {
            (Role::Owner, _) => true,
            (Role::Staff, Action::Work) => true,
            (Role::Staff, Action::Manage) | (Role::Viewer, _) => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("the shop's last owner can be neither removed nor given another role")]
    LastOwner,
    #[error("there is no user {0}")]
    Missing(String),
    #[error("the current password is not right")]
    WrongPassword,
    #[error(transparent)]
    User(#[from] AdminUserError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether taking `name`'s owner role away leaves the shop without one.
fn is_last_owner<S: Store>(store: &mut S, name: &str) -> Result<bool, StoreError> {
    let users = store.admin_users()?;
    let owners: Vec<&String> = users
        .iter()
        .filter(|(_, role, _)| role == Role::Owner.as_str())
        .map(|(n, _, _)| n)
        .collect();
    Ok(owners.len() == 1 && owners[0] == name)
}

/// Gives `name` another role; its sessions end, so the new role holds at once.
pub fn set_role<S: Store>(
    store: &mut S,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), UserError> {
    store.write(|s| {
        if role != Role::Owner && is_last_owner(s, name)? {
            return Ok(Err(UserError::LastOwner));
        }
        if !s.set_admin_role(name, role.as_str(), now)? {
            return Ok(Err(UserError::Missing(name.to_owned())));
        }
        s.delete_sessions_of(name)?;
        Ok(Ok(()))
    })?
}

/// Removes `name` and ends its sessions.
pub fn remove<S: Store>(store: &mut S, name: &str) -> Result<(), UserError> {
    store.write(|s| {
        if is_last_owner(s, name)? {
            return Ok(Err(UserError::LastOwner));
        }
        if !s.delete_admin_user(name)? {
            return Ok(Err(UserError::Missing(name.to_owned())));
        }
        s.delete_sessions_of(name)?;
        Ok(Ok(()))
    })?
}

/// A user's own change of password: the current one first. Every session of the user ends,
/// this one too.
pub fn change_own_password<S: Store>(
    store: &mut S,
    name: &str,
    current: &str,
    new: &str,
) -> Result<(), UserError> {
    let hash = store
        .admin_password_hash(name)?
        .ok_or_else(|| UserError::Missing(name.to_owned()))?;
    if !auth::verify_password(current, &hash) {
        return Err(UserError::WrongPassword);
    }
    Ok(auth::set_password(store, name, new)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_what_the_contract_says() {
        assert!(Role::Owner.may(Action::Manage) && Role::Owner.may(Action::Work));
        assert!(Role::Staff.may(Action::Work) && !Role::Staff.may(Action::Manage));
        assert!(!Role::Viewer.may(Action::Work) && !Role::Viewer.may(Action::Manage));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
