// Settings, admin users, their sessions and login limits: the `AdminStore` queries, included once per backend (see `db/mod.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::Conn;
use crate::db::models::*;
use crate::db::schema::{admin_sessions, admin_users, login_failures, settings};
use crate::db::{AdminStore, SessionRow, StoreError};

impl AdminStore for Conn {
    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(settings::table
            .find(key)
            .select(settings::value)
            .first(self)
            .optional()?)
    }

    fn setting_or_insert(&mut self, key: &str, value: &str) -> Result<String, StoreError> {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .on_conflict_do_nothing()
            .execute(self)?;
        Ok(settings::table
            .find(key)
            .select(settings::value)
            .first(self)?)
    }

    fn delete_setting(&mut self, key: &str) -> Result<(), StoreError> {
        diesel::delete(settings::table.find(key)).execute(self)?;
        Ok(())
    }

    fn insert_admin_user(
        &mut self,
        name: &str,
        hash: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = diesel::insert_into(admin_users::table)
            .values(NewAdminRow {
                name,
                password_hash: hash,
                role,
                created_at: to_db_time(now),
                updated_at: to_db_time(now),
            })
            .on_conflict_do_nothing()
            .execute(self)?;
        Ok(inserted == 1)
    }

    fn set_admin_password(
        &mut self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = diesel::update(admin_users::table.filter(admin_users::name.eq(name)))
            .set((
                admin_users::password_hash.eq(hash),
                admin_users::updated_at.eq(to_db_time(now)),
            ))
            .execute(self)?;
        Ok(updated == 1)
    }

    fn admin_password_hash(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(admin_users::table
            .filter(admin_users::name.eq(name))
            .select(admin_users::password_hash)
            .first(self)
            .optional()?)
    }

    fn insert_session(&mut self, session: &SessionRow) -> Result<(), StoreError> {
        diesel::insert_into(admin_sessions::table)
            .values(session.clone())
            .execute(self)?;
        Ok(())
    }

    fn admin_role(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(admin_users::table
            .filter(admin_users::name.eq(name))
            .select(admin_users::role)
            .first(self)
            .optional()?)
    }

    fn admin_users(&mut self) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError> {
        Ok(admin_users::table
            .select((
                admin_users::name,
                admin_users::role,
                admin_users::created_at,
            ))
            .order(admin_users::name.asc())
            .load::<(String, String, chrono::NaiveDateTime)>(self)?
            .into_iter()
            .map(|(name, role, at)| (name, role, from_db_time(at)))
            .collect())
    }

    fn set_admin_role(
        &mut self,
        name: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = diesel::update(admin_users::table.filter(admin_users::name.eq(name)))
            .set((
                admin_users::role.eq(role),
                admin_users::updated_at.eq(to_db_time(now)),
            ))
            .execute(self)?;
        Ok(updated == 1)
    }

    fn delete_admin_user(&mut self, name: &str) -> Result<bool, StoreError> {
        let deleted =
            diesel::delete(admin_users::table.filter(admin_users::name.eq(name))).execute(self)?;
        Ok(deleted == 1)
    }

    fn session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError> {
        Ok(admin_sessions::table
            .find(token_hash)
            .filter(admin_sessions::expires_at.gt(to_db_time(now)))
            .select(SessionRow::as_select())
            .first(self)
            .optional()?)
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        diesel::delete(admin_sessions::table.find(token_hash)).execute(self)?;
        Ok(())
    }

    fn delete_sessions_of(&mut self, user: &str) -> Result<usize, StoreError> {
        Ok(
            diesel::delete(admin_sessions::table.filter(admin_sessions::user_name.eq(user)))
                .execute(self)?,
        )
    }

    fn purge_logins(
        &mut self,
        now: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        diesel::delete(
            admin_sessions::table.filter(admin_sessions::expires_at.le(to_db_time(now))),
        )
        .execute(self)?;
        diesel::delete(
            login_failures::table.filter(login_failures::failed_at.lt(to_db_time(failures_before))),
        )
        .execute(self)?;
        Ok(())
    }

    fn record_login_failure(
        &mut self,
        user: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(diesel::insert_into(login_failures::table)
            .values((
                login_failures::user_name.eq(user),
                login_failures::address.eq(address),
                login_failures::failed_at.eq(to_db_time(now)),
            ))
            .returning(login_failures::id)
            .get_result(self)?)
    }

    fn delete_login_failure(&mut self, id: i64) -> Result<(), StoreError> {
        diesel::delete(login_failures::table.find(id)).execute(self)?;
        Ok(())
    }

    fn login_failures_since(
        &mut self,
        user: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError> {
        let recent = login_failures::failed_at.ge(to_db_time(since));
        let for_user = login_failures::table
            .filter(login_failures::user_name.eq(user))
            .filter(login_failures::address.eq(address))
            .filter(recent)
            .count()
            .get_result(self)?;
        let from_address = login_failures::table
            .filter(login_failures::address.eq(address))
            .filter(recent)
            .count()
            .get_result(self)?;
        Ok((for_user, from_address))
    }
}
