//! Orders and their history.

use chrono::{DateTime, Utc};

use crate::db::{Page, StoreError};
use crate::domain::{HistoryEntry, Money, Order, OrderCode, OrderState, OrderStatus};

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// A code prefix or text in the reference.
    pub search: Option<String>,
    /// The search read as an amount (`279k`): orders of that amount are found too.
    pub search_amount: Option<Money>,
}

/// Open orders of exactly `amount` created from `from` to `to`: those a transfer of that
/// amount may be for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmountWindow {
    pub amount: Money,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

pub trait OrderStore {
    /// `false` when the code is taken.
    fn insert_order(&mut self, order: &Order) -> Result<bool, StoreError>;
    fn order(&mut self, code: &OrderCode) -> Result<Option<Order>, StoreError>;
    /// The orders with these codes, locked until the write transaction ends.
    fn orders_for_update(&mut self, codes: &[OrderCode]) -> Result<Vec<Order>, StoreError>;
    /// Saves status, amount received and times of an existing order, which was `before`.
    fn update_order(&mut self, order: &Order, before: &OrderState) -> Result<(), StoreError>;
    /// Gives orders stored without an account (from before accounts were kept, or made while
    /// none was configured) the account `number`; returns how many.
    fn assign_account_where_none(&mut self, number: &str) -> Result<usize, StoreError>;
    fn list_orders(
        &mut self,
        filter: &OrderFilter,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<Order>, StoreError>;
    /// Orders by code, without locking (suggestions).
    fn orders_by_codes(&mut self, codes: &[OrderCode]) -> Result<Vec<Order>, StoreError>;
    /// For each window, the newest `limit` open orders in it, newest first: one statement
    /// for a page of rows.
    fn open_orders_in(
        &mut self,
        windows: &[AmountWindow],
        limit: i64,
    ) -> Result<Vec<Vec<Order>>, StoreError>;
    /// The open orders a transfer without a code could be for, by its payer: those with a
    /// customer name (any of them may be the payer) and those made `since` then due exactly
    /// `due`.
    fn open_orders_for_payer(
        &mut self,
        due: Money,
        since: DateTime<Utc>,
    ) -> Result<Vec<Order>, StoreError>;
    /// The newest `limit` open orders with a customer name (a list's suggestions, by a partial
    /// index that holds only those).
    fn newest_open_named_orders(&mut self, limit: i64) -> Result<Vec<Order>, StoreError>;
    fn order_status_counts(&mut self) -> Result<Vec<(String, i64)>, StoreError>;
    /// Open orders past their `expires_at`, locked (PostgreSQL skips rows another worker holds).
    fn overdue_orders_for_update(
        &mut self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Order>, StoreError>;
    /// Adds one change to an order's history.
    fn insert_history(&mut self, code: &OrderCode, entry: &HistoryEntry) -> Result<(), StoreError>;
    /// Every change of an order, oldest first.
    fn order_history(&mut self, code: &OrderCode) -> Result<Vec<HistoryEntry>, StoreError>;
}
