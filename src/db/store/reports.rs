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

impl TransferFilter {
    /// Whether it narrows by status alone, so that waiting statuses' counts and money come
    /// from their kept tallies.
    pub fn by_status_only(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.min_amount.is_none()
            && self.max_amount.is_none()
            && self.search.is_none()
            && self.source.is_none()
            && self.account.is_none()
            && self.found.is_none()
    }
}

/// How many rows a list's tab holds: exact, or more than the most a list counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub rows: i64,
    /// The count stopped at `rows`: there are more.
    pub more: bool,
}

impl Count {
    pub fn exactly(rows: i64) -> Count {
        Count { rows, more: false }
    }

    /// `read` rows, read up to `cap + 1` of them: past `cap` the count stopped at `cap`.
    pub fn upto(read: i64, cap: i64) -> Count {
        Count {
            rows: read.min(cap),
            more: read > cap,
        }
    }

    /// Rows of several tabs together: more if any of them has more.
    pub fn sum(counts: impl IntoIterator<Item = Count>) -> Count {
        counts.into_iter().fold(Count::exactly(0), |all, c| Count {
            rows: all.rows + c.rows,
            more: all.more || c.more,
        })
    }
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
    /// The same for a list page, where reading a whole backlog would be too slow: each
    /// status's count stops past `cap` rows (waiting statuses under no other filter are exact,
    /// from their tallies).
    fn transfer_tabs(
        &mut self,
        filter: &TransferFilter,
        statuses: &[TransactionStatus],
        cap: i64,
    ) -> Result<Vec<(TransactionStatus, Count)>, StoreError>;
    fn transfer_totals(&mut self, filter: &TransferFilter) -> Result<Totals, StoreError>;
    /// The same for a list page: `None` when the filter holds more than `cap` transfers
    /// (waiting statuses under no other filter are summed from their tallies, at any size).
    fn transfer_totals_upto(
        &mut self,
        filter: &TransferFilter,
        cap: i64,
    ) -> Result<Option<Totals>, StoreError>;
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
    /// order past its expiry counts as expired); each count stops past `cap`.
    fn order_counts(
        &mut self,
        filter: &OrderFilter,
        now: DateTime<Utc>,
        cap: i64,
    ) -> Result<Vec<(OrderStatus, Count)>, StoreError>;
}
