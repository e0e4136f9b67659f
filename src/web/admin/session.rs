//! Admin sessions: a random token in an HttpOnly cookie, its SHA-256 in the database, a CSRF
//! token per session for every form, and login attempts limited per (account, client address)
//! and per client address (an IPv6 client's /64), so that nobody can lock the owner out from
//! elsewhere.

use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use chrono::Duration;
use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;

use crate::db::{AdminStore, SessionRow, Store, StoreError};
use crate::state::{secret_digest_hex, AppState};
use crate::users::Role;
use crate::web::client;
use crate::web::error::ApiError;
use crate::{auth, domain, with_store, write_store};

pub const SESSION_COOKIE: &str = "paymatch_session";
/// Double-submit token of the login form, which has no session yet.
pub const LOGIN_CSRF_COOKIE: &str = "paymatch_login_csrf";
const SESSION_HOURS: i64 = 12;
const FAILURE_WINDOW_MINUTES: i64 = 15;
/// Per (account, client address): guesses at one account from one place.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Per client address, whatever the account.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// What login failures from `client` count against: an IPv4 address, or an IPv6 address's /64,
/// since whoever has one address of a /64 (one subscriber's network) can use all of them.
fn failure_address(client: IpAddr) -> String {
    match client.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64));
            format!("{network}/64")
        }
    }
}

pub fn random_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 43)
}

/// Secure cookies when the request came over HTTPS (directly or through a trusted proxy).
pub fn cookie<'c>(req: &HttpRequest, name: &'c str, value: String) -> Cookie<'c> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(client::is_https(req))
        .finish()
}

fn removal(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new());
    c.make_removal();
    c
}

/// A logged-in admin.
#[derive(Clone, Debug)]
pub struct AdminSession {
    pub user: String,
    /// Read with the session at each request: a change of role holds at once.
    pub role: Role,
    pub csrf_token: String,
    token_hash: String,
}

/// Not logged in: go to the login page, and come back afterwards.
#[derive(Debug)]
pub struct LoginRequired {
    next: String,
}

impl std::fmt::Display for LoginRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("login required")
    }
}

impl ResponseError for LoginRequired {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        let next: String = url_encode(&self.next);
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/admin/login?next={next}")))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
    }
}

pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequest for AdminSession {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        // Only a page (GET) is worth coming back to after the login.
        let next = if req.method() == actix_web::http::Method::GET {
            req.uri()
                .path_and_query()
                .map_or("/admin", |p| p.as_str())
                .to_owned()
        } else {
            "/admin".to_owned()
        };
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(LoginRequired { next }.into());
            };
            let hash = secret_digest_hex(&token);
            let now = domain::now();
            let lookup = hash.clone();
            let found = state
                .db
                .run(move |conn| {
                    with_store!(conn, |s| {
                        let Some(row) = s.session(&lookup, now)? else {
                            return Ok::<_, crate::db::StoreError>(None);
                        };
                        let role = s.admin_role(&row.user_name)?;
                        Ok(role.map(|role| (row, role)))
                    })
                })
                .await
                .map_err(crate::web::error::ApiError::from)?;
            match found {
                // A user removed meanwhile, or a role this version does not know: logged out.
                Some((row, role)) => match Role::parse(&role) {
                    Some(role) => Ok(AdminSession {
                        user: row.user_name,
                        role,
                        csrf_token: row.csrf_token,
                        token_hash: hash,
                    }),
                    None => Err(LoginRequired { next }.into()),
                },
                None => Err(LoginRequired { next }.into()),
            }
        })
    }
}

impl AdminSession {
    /// Every form carries the session's CSRF token; a post without it changes nothing.
    pub fn check_csrf(&self, presented: &str) -> Result<(), CsrfRefused> {
        if constant_time_eq::constant_time_eq(presented.as_bytes(), self.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(CsrfRefused)
        }
    }
}

#[derive(Debug)]
pub struct CsrfRefused;

impl std::fmt::Display for CsrfRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("The form has expired. Reload the page and try again.")
    }
}

impl ResponseError for CsrfRefused {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::FORBIDDEN
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    LoggedIn { token: String },
    WrongCredentials,
    TooManyAttempts,
}

/// Checks the password (unless this account from this address, or this address, failed too
/// often lately) and opens a session with a fresh token. Argon2 runs on a blocking thread, never
/// on the SQLite writer; the attempt is counted as a failure before it is checked (and forgotten
/// if right), so concurrent guesses cannot overrun the limit while hashes are computed.
pub async fn log_in(
    state: &AppState,
    user: String,
    password: String,
    address: IpAddr,
) -> Result<LoginOutcome, ApiError> {
    let now = domain::now();
    let since = now - Duration::minutes(FAILURE_WINDOW_MINUTES);
    let (u, a) = (user.clone(), failure_address(address));
    let attempt = write_store!(state.db, |s| s.write(|s| {
        let (for_user, from_address) = s.login_failures_since(&u, &a, since)?;
        if for_user >= MAX_FAILURES_PER_ACCOUNT || from_address >= MAX_FAILURES_PER_ADDRESS {
            return Ok(None);
        }
        s.purge_logins(now, since)?;
        s.record_login_failure(&u, &a, now).map(Some)
    }))?;
    let u = user.clone();
    let hash = state
        .db
        .run(move |conn| with_store!(conn, |s| s.admin_password_hash(&u)))
        .await?;
    // Only the name of an existing account is logged: a typed name is often a password.
    let shown = if hash.is_some() {
        user.as_str()
    } else {
        "(unknown)"
    };
    let Some(attempt) = attempt else {
        tracing::warn!(user = shown, %address, "login refused: too many failures");
        return Ok(LoginOutcome::TooManyAttempts);
    };
    // Hash something even for an unknown user, so timing does not tell which names exist.
    let valid = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => auth::verify_password(&password, &hash),
        None => {
            auth::verify_password(&password, DUMMY_HASH);
            false
        }
    })
    .await
    .map_err(|e| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("password check failed: {e}"),
        )
    })?;
    if !valid {
        tracing::warn!(user = shown, %address, "login failed");
        return Ok(LoginOutcome::WrongCredentials);
    }
    let token = random_token();
    let session = SessionRow {
        token_hash: secret_digest_hex(&token),
        user_name: user.clone(),
        csrf_token: random_token(),
        created_at: crate::db::models::to_db_time(now),
        expires_at: crate::db::models::to_db_time(now + Duration::hours(SESSION_HOURS)),
    };
    write_store!(state.db, |s| s.write(|s| {
        s.delete_login_failure(attempt)?;
        s.insert_session(&session)
    }))?;
    tracing::info!(user, %address, "admin logged in");
    Ok(LoginOutcome::LoggedIn { token })
}

/// An Argon2id hash of a random string, to spend the same time on unknown users.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0aLnCn9yQfl9rbKqBnL2GVTsWnUs2eC7wAqKFhcTz3A";

#[derive(Deserialize)]
pub struct LoginForm {
    pub user: String,
    pub password: String,
    pub csrf: String,
    pub next: Option<String>,
}

/// Where a login goes afterwards: the admin by default, a path on this site if asked for
/// (`security::safe_path`), else `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next.filter(|n| !n.is_empty()) {
        None => "/admin".to_owned(),
        Some(n) => crate::web::security::safe_path(n).unwrap_or_else(|| "/".to_owned()),
    }
}

pub fn login_cookies(req: &HttpRequest, token: String) -> (Cookie<'static>, Cookie<'static>) {
    (
        cookie(req, SESSION_COOKIE, token),
        removal(req, LOGIN_CSRF_COOKIE),
    )
}

pub async fn log_out(state: &AppState, session: &AdminSession) -> Result<(), StoreError> {
    let hash = session.token_hash.clone();
    write_store!(state.db, |s| s.delete_session(&hash))
}

/// "Log out everywhere": ends every session of the user, this one included, audited.
pub async fn end_all_sessions(state: &AppState, session: &AdminSession) -> Result<(), StoreError> {
    let user = session.user.clone();
    let now = domain::now();
    write_store!(state.db, |s| s.write(|s| {
        let ended = s.delete_sessions_of(&user)?.to_string();
        crate::ingest::resolve::audit(
            s,
            &crate::ingest::resolve::Audit {
                actor: &user,
                action: "sessions.end_all",
                subject: &format!("user:{user}"),
                before: Some(&ended),
                after: Some("0"),
                note: None,
            },
            now,
        )
    }))
}

pub fn logout_cookie(req: &HttpRequest) -> Cookie<'static> {
    removal(req, SESSION_COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_per_64_and_ipv4_per_address() {
        let counted = |text: &str| failure_address(text.parse().unwrap());
        assert_eq!(counted("203.0.113.5"), "203.0.113.5");
        assert_eq!(counted("::ffff:203.0.113.5"), "203.0.113.5");
        assert_eq!(counted("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            counted("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(counted("2001:db8:1:3::1"), "2001:db8:1:3::/64");
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/admin/queue?x=1")), "/admin/queue?x=1");
        assert_eq!(safe_next(Some("/pay/x")), "/pay/x");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\t/evil.example",
            "/admin\\..\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/admin");
        assert_eq!(safe_next(Some("")), "/admin");
    }

    #[test]
    fn dummy_hash_is_a_valid_hash() {
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
