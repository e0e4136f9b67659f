// What every query file shares, and the `Store` sum's own methods: included once per backend
// (see `db/mod.rs`), where `Conn` is that backend's connection type.

use diesel::prelude::*;

use super::Conn;
use crate::db::backend::Backend;
use crate::db::schema::orders;
use crate::db::{Decided, Page, Store, StoreError};
use crate::domain::OrderCode;

const WRITE_ATTEMPTS: usize = 3;

diesel::define_sql_function!(fn upper(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Escapes LIKE's wildcards so a search for `50%` means those characters.
pub(super) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub(super) fn page<T>(mut rows: Vec<(i64, T)>, limit: i64) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|(id, _)| *id)
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
    }
}

/// The stored form of a decision: the order's row id and the candidates, space-separated.
pub(super) fn decision_columns(
    conn: &mut Conn,
    decided: &Decided<'_>,
) -> Result<(Option<i64>, String), StoreError> {
    let candidates = decided
        .candidates
        .iter()
        .map(OrderCode::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    Ok((order_row_id(conn, decided.order)?, candidates))
}

/// The row id a transaction's `order_id` refers to, for the order with this code.
pub(super) fn order_row_id(
    conn: &mut Conn,
    code: Option<&OrderCode>,
) -> Result<Option<i64>, StoreError> {
    Ok(match code {
        Some(code) => Some(
            orders::table
                .filter(orders::code.eq(code.as_str()))
                .select(orders::id)
                .first::<i64>(conn)?,
        ),
        None => None,
    })
}

diesel::define_sql_function!(
    /// The bank's time of a transfer, or paymatch's where the bank gave none. Written exactly
    /// as the index `bank_transactions_status_bank_time` is, so that filters use it.
    fn coalesce(
        x: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
        y: diesel::sql_types::Timestamp,
    ) -> diesel::sql_types::Timestamp
);

impl Store for Conn {
    fn write<T, F>(&mut self, mut f: F) -> Result<T, StoreError>
    where
        F: FnMut(&mut Self) -> Result<T, StoreError>,
    {
        let mut attempt = 1;
        loop {
            let mut failure = None;
            let result = self.write_transaction(|c| {
                f(c).map_err(|e| {
                    failure = Some(e);
                    diesel::result::Error::RollbackTransaction
                })
            });
            let error = match (result, failure) {
                (Ok(value), _) => return Ok(value),
                (Err(_), Some(StoreError::Query(e))) | (Err(e), None) => e,
                (Err(_), Some(other)) => return Err(other),
            };
            if attempt >= WRITE_ATTEMPTS || !<Conn as Backend>::is_transient(&error) {
                return Err(StoreError::Query(error));
            }
            attempt += 1;
        }
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
            .get_result::<i32>(self)?;
        Ok(())
    }
}
