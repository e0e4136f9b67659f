//! What the admin's lists, tabs, totals and exports read: transfers filtered by the bank's
//! time, counts per status, and sums of money in and out.

use chrono::{DateTime, Utc};

use crate::db::{OrderFilter, Page, PageStart, StoreError};
use crate::domain::{BankTransaction, Money, Order, OrderStatus, Source, TransactionStatus};

/// Which transfers an admin lists or exports. Times are the bank's (`when`), or the time
/// paymatch received the transfer where the bank gave none.
#[derive(Debug, Clone, Default)]
pub struct TransferFilter {
    /// Every status when empty.
    pub statuses: Vec<TransactionStatus>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub min_amount: Option<Money>,
    pub max_amount: Option<Money>,
    /// Case-insensitive text in the description.
    pub search: Option<String>,
    /// The search read as an amount (`279.000`, `1,5tr`): transfers of that amount are found
    /// too.
    pub search_amount: Option<Money>,
    /// One provider's transfers only.
    pub source: Option<Source>,
    /// The account the transfers arrived in.
    pub account: Option<String>,
    /// The rows `search` finds, read once for a page ([`Reports::pin_search`]); when set, it
    /// stands for `search`.
    pub found: Option<Vec<i64>>,
}

/// Money in and out over the transfers of a filter (Casso's test calls are not money).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub money_in: Money,
    pub money_out: Money,
}

pub trait Reports {
    /// Transfers of the filter, newest first.
    fn transfers(
        &mut self,
        filter: &TransferFilter,
        start: PageStart,
        limit: i64,
    ) -> Result<Page<BankTransaction>, StoreError>;
    /// How many transfers of the filter (its statuses aside) have each of `statuses`: the
    /// tabs of a list, counted over their statuses only (an index range each), not the table.
    fn transfer_counts(
        &mut self,
        filter: &TransferFilter,
        statuses: &[TransactionStatus],
    ) -> Result<Vec<(TransactionStatus, i64)>, StoreError>;
    fn transfer_totals(&mut self, filter: &TransferFilter) -> Result<Totals, StoreError>;
    /// Reads the rows a filter's search finds, once, when they are few: a page's counts,
    /// totals and one query per status then look them up by id instead of each searching the
    /// trigram index again. A search that finds many rows stays a search.
    fn pin_search(&mut self, filter: TransferFilter) -> Result<TransferFilter, StoreError>;
    /// Orders of the filter, newest first, as readers see them at `now`.
    fn orders_page(
        &mut self,
        filter: &OrderFilter,
        start: PageStart,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Page<Order>, StoreError>;
    /// How many orders of the filter (its status aside) have each status at `now` (an open
    /// order past its expiry counts as expired).
    fn order_counts(
        &mut self,
        filter: &OrderFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<(OrderStatus, i64)>, StoreError>;
}
