//! What differs between the two backends: how a write transaction takes its locks.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::models::OrderRow;
use super::schema::{bank_transactions, orders};

pub trait Backend: Sized {
    /// A transaction that holds its write locks until it ends.
    fn write_transaction<T, F>(&mut self, f: F) -> Result<T, DieselError>
    where
        F: FnOnce(&mut Self) -> Result<T, DieselError>;

    /// Orders by code, locked for the rest of the write transaction.
    fn lock_orders(&mut self, codes: &[&str]) -> QueryResult<Vec<OrderRow>>;

    /// Locks a transaction row for the rest of the write transaction; `false` if there is none.
    fn lock_transaction(&mut self, id: i64) -> QueryResult<bool>;

    /// Whether running the whole transaction again may succeed.
    fn is_transient(error: &DieselError) -> bool;
}

impl Backend for SqliteConnection {
    /// `BEGIN IMMEDIATE` takes SQLite's single write lock up front, so two writers never both
    /// read an order's sum and then race to write it.
    fn write_transaction<T, F>(&mut self, f: F) -> Result<T, DieselError>
    where
        F: FnOnce(&mut Self) -> Result<T, DieselError>,
    {
        self.immediate_transaction(f)
    }

    fn lock_orders(&mut self, codes: &[&str]) -> QueryResult<Vec<OrderRow>> {
        orders::table
            .filter(orders::code.eq_any(codes))
            .select(OrderRow::as_select())
            .load(self)
    }

    fn lock_transaction(&mut self, id: i64) -> QueryResult<bool> {
        bank_transactions::table
            .find(id)
            .select(bank_transactions::id)
            .first::<i64>(self)
            .optional()
            .map(|found| found.is_some())
    }

    /// busy_timeout already waited for the lock; waiting longer would pass Casso's 5 s.
    fn is_transient(_: &DieselError) -> bool {
        false
    }
}

impl Backend for PgConnection {
    fn write_transaction<T, F>(&mut self, f: F) -> Result<T, DieselError>
    where
        F: FnOnce(&mut Self) -> Result<T, DieselError>,
    {
        self.transaction(f)
    }

    /// Rows are locked in code order so that two deliveries naming the same orders wait for
    /// each other instead of deadlocking.
    fn lock_orders(&mut self, codes: &[&str]) -> QueryResult<Vec<OrderRow>> {
        orders::table
            .filter(orders::code.eq_any(codes))
            .order(orders::code)
            .select(OrderRow::as_select())
            .for_update()
            .load(self)
    }

    fn lock_transaction(&mut self, id: i64) -> QueryResult<bool> {
        bank_transactions::table
            .find(id)
            .select(bank_transactions::id)
            .for_update()
            .first::<i64>(self)
            .optional()
            .map(|found| found.is_some())
    }

    fn is_transient(error: &DieselError) -> bool {
        match error {
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
            DieselError::DatabaseError(_, info) => info.message().contains("deadlock detected"),
            _ => false,
        }
    }
}
