// What every query file shares, and the `Store` sum's own methods: included once per backend
// (see `db/mod.rs`), where `Conn` is that backend's connection type.

use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::Conn;
use crate::db::backend::Backend;
use crate::db::schema::{bank_transactions, orders};
use crate::db::search::search_text;
use crate::db::{Decided, Page, Store, StoreError};
use crate::domain::OrderCode;

const WRITE_ATTEMPTS: usize = 3;
/// Rows given their search text per write transaction when filling older rows.
const FILL_BATCH: i64 = 1000;

/// `q=` as a condition on `table` (`orders` or `bank_transactions`): rows whose search text
/// contains what was typed (see `db/search`).
pub(super) fn text_search(table: &str, typed: &str) -> TextCondition {
    condition(<Conn as Backend>::text_search(table, typed))
}

/// `q=` on transfers, for a list of waiting ones: it finds at least every waiting transfer
/// that `text_search` finds (see `Backend::waiting_text_search`).
pub(super) fn waiting_text_search(typed: &str) -> TextCondition {
    condition(<Conn as Backend>::waiting_text_search(typed))
}

fn condition(search: crate::db::search::TextSearch) -> TextCondition {
    diesel::dsl::sql::<Bool>(&search.before)
        .bind::<Text, _>(search.value)
        .sql(search.after)
}

pub(super) type TextCondition = SqlLiteral<
    Bool,
    diesel::expression::UncheckedBind<SqlLiteral<Bool>, diesel::dsl::AsExprOf<String, Text>>,
>;

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

/// The stored form of a decision's candidates: their codes, space-separated.
pub(super) fn candidate_codes(decided: &Decided<'_>) -> String {
    decided
        .candidates
        .iter()
        .map(OrderCode::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The row id of the order with this code (NULL for none), read inside the statement that
/// stores it rather than in a round trip of its own.
#[diesel::dsl::auto_type]
pub(super) fn order_row_id<'a>(code: Option<&'a str>) -> _ {
    orders::table
        .filter(orders::code.nullable().eq(code))
        .select(orders::id)
        .single_value()
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
        // Inside a transaction (the writer's batch) it runs in that transaction: its error
        // makes whoever began it roll back and run again (the writer runs the batch again with
        // a savepoint per write, or the write alone). A savepoint of its own would cost two
        // statements per write.
        if crate::db::backend::in_transaction(self)? {
            return f(self);
        }
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

    fn fill_search_text(&mut self) -> Result<usize, StoreError> {
        let mut filled = 0;
        // Each table by batches of its rows without search text (a partial index finds them).
        macro_rules! fill {
            ($table:ident, $first:ident, $second:ident) => {
                loop {
                    let rows = $table::table
                        .filter($table::search_text.is_null())
                        .select(($table::id, $table::$first, $table::$second))
                        .order($table::id)
                        .limit(FILL_BATCH)
                        .load::<(i64, String, Option<String>)>(self)?;
                    if rows.is_empty() {
                        break;
                    }
                    filled += rows.len();
                    self.write(|c| {
                        for (id, first, second) in &rows {
                            diesel::update($table::table.find(id))
                                .set(
                                    $table::search_text
                                        .eq(search_text(&[Some(first), second.as_deref()])),
                                )
                                .execute(c)?;
                        }
                        Ok(())
                    })?;
                }
            };
        }
        fill!(bank_transactions, description, bank_ref);
        fill!(orders, code, reference);
        Ok(filled)
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
            .get_result::<i32>(self)?;
        Ok(())
    }
}
