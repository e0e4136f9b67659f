//! Bank transactions, webhook deliveries and the rejected elements of deliveries.

use chrono::{DateTime, Utc};

use crate::db::{DeliveryRow, Page, RejectedRow, StoreError};
use crate::domain::{
    Allocation, BankTransaction, IncomingTransfer, Money, OrderCode, TransactionStatus,
};

/// What the pipeline decided about a transaction, stored with it.
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    pub status: TransactionStatus,
    pub order: Option<&'a OrderCode>,
    pub candidates: &'a [OrderCode],
}

/// Money that a matched transfer brought: when the bank dated it, and into which account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub at: DateTime<Utc>,
    pub amount: Money,
    pub account: Option<String>,
}

/// Counts of one webhook delivery, as answered to the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
}

pub trait TransactionStore {
    /// Stores a transfer with its decision and search text (`db::search_text`); `None` when
    /// (source, external id) is already stored: the transfer is a duplicate, and nothing was
    /// written.
    fn insert_transaction(
        &mut self,
        transfer: &IncomingTransfer,
        search_text: &str,
        delivery_id: Option<i64>,
        decided: &Decided<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;
    fn record_decision(
        &mut self,
        id: i64,
        decided: &Decided<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Every transaction naming these orders or paying them (alone or with others), oldest
    /// first, with its allocations.
    fn transactions_of(&mut self, codes: &[OrderCode]) -> Result<Vec<BankTransaction>, StoreError>;
    fn list_transactions(
        &mut self,
        status: Option<TransactionStatus>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<BankTransaction>, StoreError>;
    fn bank_transaction(&mut self, row_id: i64) -> Result<Option<BankTransaction>, StoreError>;
    /// For each payer account, the customer names of the orders that transfers from it paid
    /// (at most 20 an account), for the admin's suggestions: one statement for a page of rows.
    fn customers_paid_from(&mut self, accounts: &[&str]) -> Result<Vec<Vec<String>>, StoreError>;
    /// The row id of the transaction a provider names `external_id`.
    fn transaction_row_id(
        &mut self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<i64>, StoreError>;
    /// The transaction, locked until the write transaction ends.
    fn bank_transaction_for_update(
        &mut self,
        row_id: i64,
    ) -> Result<Option<BankTransaction>, StoreError>;
    /// Saves an admin's decision: status, order, waiting reason and resolution fields.
    fn save_resolution(
        &mut self,
        transaction: &BankTransaction,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records what each order received of an applied transaction.
    fn insert_allocations(
        &mut self,
        transaction_id: i64,
        shares: &[Allocation],
    ) -> Result<(), StoreError>;
    /// The transaction is no longer applied (an undo): its orders received nothing of it.
    fn delete_allocations(&mut self, transaction_id: i64) -> Result<(), StoreError>;
    /// (status, resolution, count) over all transactions.
    fn transaction_status_counts(
        &mut self,
    ) -> Result<Vec<(String, Option<String>, i64)>, StoreError>;
    /// Matched transactions the bank dated since `since` (paymatch's receive time where the
    /// bank gave none).
    fn matched_amounts_since(&mut self, since: DateTime<Utc>) -> Result<Vec<Received>, StoreError>;
    fn insert_delivery(
        &mut self,
        channel: &str,
        body: &str,
        outcome: &str,
        counts: DeliveryCounts,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    fn set_delivery_counts(&mut self, id: i64, counts: DeliveryCounts) -> Result<(), StoreError>;
    fn insert_rejected_item(
        &mut self,
        delivery_id: i64,
        position: i32,
        payload: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    fn recent_deliveries(&mut self, limit: i64) -> Result<Vec<DeliveryRow>, StoreError>;
    fn rejected_items(&mut self, delivery_id: i64) -> Result<Vec<RejectedRow>, StoreError>;
    /// Rejected elements, newest first; only those nobody resolved when `open_only`.
    fn rejected_page(
        &mut self,
        open_only: bool,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<RejectedRow>, StoreError>;
    fn rejected_item(&mut self, id: i64) -> Result<Option<RejectedRow>, StoreError>;
    fn resolve_rejected_item(
        &mut self,
        id: i64,
        note: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
