//! Settings, admin users, their sessions and login limits.

use chrono::{DateTime, Utc};

use crate::db::{SessionRow, StoreError};

pub trait AdminStore {
    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` unless the key has one already; returns what is stored (first writer wins,
    /// also between processes).
    fn setting_or_insert(&mut self, key: &str, value: &str) -> Result<String, StoreError>;
    fn delete_setting(&mut self, key: &str) -> Result<(), StoreError>;
    /// `false` when the name is taken.
    fn insert_admin_user(
        &mut self,
        name: &str,
        hash: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The user's role, `None` when there is no such user.
    fn admin_role(&mut self, name: &str) -> Result<Option<String>, StoreError>;
    /// Every admin user: name, role, since when; by name.
    fn admin_users(&mut self) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError>;
    /// `false` when there is no such user.
    fn set_admin_role(
        &mut self,
        name: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// `false` when there is no such user.
    fn delete_admin_user(&mut self, name: &str) -> Result<bool, StoreError>;
    /// `false` when there is no such user.
    fn set_admin_password(
        &mut self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    fn admin_password_hash(&mut self, name: &str) -> Result<Option<String>, StoreError>;
    fn insert_session(&mut self, session: &SessionRow) -> Result<(), StoreError>;
    /// A session that has not expired.
    fn session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError>;
    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of a user; returns how many there were.
    fn delete_sessions_of(&mut self, user: &str) -> Result<usize, StoreError>;
    /// Deletes expired sessions and login failures from before `failures_before`.
    fn purge_logins(
        &mut self,
        now: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Returns the new row's id.
    fn record_login_failure(
        &mut self,
        user: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    fn delete_login_failure(&mut self, id: i64) -> Result<(), StoreError>;
    /// Failures since `since`: (for this account from this address, from this address).
    fn login_failures_since(
        &mut self,
        user: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError>;
}
