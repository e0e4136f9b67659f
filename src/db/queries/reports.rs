// The `Reports` queries (the admin's lists, tabs, totals and exports), included once per backend
// (see `db/mod.rs`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::common::*;
use super::Conn;
use crate::db::models::*;
use crate::db::schema::{bank_transactions, orders};
use crate::db::{OrderFilter, Page, PageStart, Reports, StoreError, Totals, TransferFilter};
use crate::domain::{BankTransaction, Money, Order, OrderStatus, TransactionStatus};

/// Narrows a boxed query on `bank_transactions` to a filter's times, amounts and text (its
/// statuses are left to the caller, which walks the `(status, …)` indexes one status at a time).
macro_rules! filter_transfers {
    ($query:expr, $filter:expr) => {{
        let filter: &TransferFilter = $filter;
        let mut query = $query;
        let bank_time = coalesce(
            bank_transactions::occurred_at,
            bank_transactions::received_at,
        );
        if let Some(from) = filter.from {
            query = query.filter(bank_time.ge(to_db_time(from)));
        }
        if let Some(to) = filter.to {
            query = query.filter(bank_time.lt(to_db_time(to)));
        }
        if let Some(min) = filter.min_amount {
            query = query.filter(bank_transactions::amount.ge(units(min)?));
        }
        if let Some(max) = filter.max_amount {
            query = query.filter(bank_transactions::amount.le(units(max)?));
        }
        if let Some(source) = filter.source {
            query = query.filter(bank_transactions::source.eq(source.as_str()));
        }
        if let Some(account) = &filter.account {
            query = query.filter(bank_transactions::account.eq(account.as_str()));
        }
        match (&filter.found, &filter.search, filter.search_amount) {
            (Some(found), _, _) => {
                query = query.filter(bank_transactions::id.eq_any(found.clone()))
            }
            (None, Some(search), Some(amount)) => {
                query = query.filter(
                    text_search("bank_transactions", search)
                        .or(bank_transactions::amount.eq(units(amount)?)),
                )
            }
            (None, Some(search), None) => {
                query = query.filter(text_search("bank_transactions", search))
            }
            (None, None, _) => {}
        }
        query
    }};
}

/// The most rows a search may find to be read once for a page (see `pin_search`).
const PINNED_SEARCH: i64 = 500;

/// Narrows a boxed query on `orders` to a filter's search text.
macro_rules! search_orders {
    ($query:expr, $filter:expr) => {{
        let filter: &OrderFilter = $filter;
        let mut query = $query;
        match (&filter.search, filter.search_amount) {
            (Some(search), Some(amount)) => {
                query = query
                    .filter(text_search("orders", search).or(orders::amount.eq(units(amount)?)))
            }
            (Some(search), None) => query = query.filter(text_search("orders", search)),
            (None, _) => {}
        }
        query
    }};
}

/// Narrows a boxed query on `orders` to a filter's status as readers see it at `expiry`: an
/// open order past its expiry is expired.
macro_rules! filter_orders {
    ($query:expr, $filter:expr, $expiry:expr) => {{
        let filter: &OrderFilter = $filter;
        let expiry: chrono::NaiveDateTime = $expiry;
        let mut query = search_orders!($query, filter);
        match filter.status {
            Some(OrderStatus::Expired) => {
                let open = [OrderStatus::Pending, OrderStatus::PartiallyPaid].map(|s| s.as_str());
                query = query.filter(
                    orders::status
                        .eq(OrderStatus::Expired.as_str())
                        .or(orders::status
                            .eq_any(open)
                            .and(orders::expires_at.le(expiry))),
                );
            }
            Some(status) if status.is_open() => {
                query = query.filter(
                    orders::status.eq(status.as_str()).and(
                        orders::expires_at
                            .is_null()
                            .or(orders::expires_at.gt(expiry)),
                    ),
                );
            }
            Some(status) => query = query.filter(orders::status.eq(status.as_str())),
            None => {}
        }
        query
    }};
}

/// Rows `skip..skip + limit` (and one more, to tell whether a next page exists) of transfers
/// merged from several lists, each newest first by the bank's time, then by id.
fn merged_page<T>(
    mut rows: Vec<((NaiveDateTime, i64), T)>,
    start: PageStart,
    limit: i64,
) -> Page<T> {
    rows.sort_unstable_by_key(|(key, _)| std::cmp::Reverse(*key));
    let skip = usize::try_from(start.skip).unwrap_or(0);
    let rows = rows
        .into_iter()
        .skip(skip)
        .take(usize::try_from(limit + 1).unwrap_or(0))
        .map(|((_, id), t)| (id, t))
        .collect();
    page(rows, limit)
}

impl Reports for Conn {
    fn transfers(
        &mut self,
        filter: &TransferFilter,
        start: PageStart,
        limit: i64,
    ) -> Result<Page<BankTransaction>, StoreError> {
        let statuses = if filter.statuses.is_empty() {
            TransactionStatus::ALL.to_vec()
        } else {
            filter.statuses.clone()
        };
        // Newest first by the bank's time, the time the lists show (a transfer pulled late by
        // reconciliation sits where the bank put it), then by id. One query per status, merged
        // here: each walks the `(status, bank time)` index and stops at the page's end, where
        // one `status IN (…)` query makes SQLite sort the whole backlog (bench/README.md).
        let bank_time = || {
            coalesce(
                bank_transactions::occurred_at,
                bank_transactions::received_at,
            )
        };
        // The cursor is the id of the last row shown; the next page starts after its time.
        let after = match start.after {
            Some(id) => bank_transactions::table
                .find(id)
                .select(bank_time())
                .first::<NaiveDateTime>(self)
                .optional()?
                .map(|at| (at, id)),
            None => None,
        };
        let mut rows = Vec::new();
        for status in statuses {
            let mut query = bank_transactions::table
                .left_join(orders::table)
                .filter(bank_transactions::status.eq(status.as_str()))
                .select((TransactionRow::as_select(), orders::code.nullable()))
                .order((bank_time().desc(), bank_transactions::id.desc()))
                .limit(start.skip + limit + 1)
                .into_boxed();
            if let Some((at, id)) = after {
                query = query.filter(
                    bank_time()
                        .lt(at)
                        .or(bank_time().eq(at).and(bank_transactions::id.lt(id))),
                );
            }
            let query = filter_transfers!(query, filter);
            for (row, code) in query.load::<(TransactionRow, Option<String>)>(self)? {
                let key = (row.occurred_at.unwrap_or(row.received_at), row.id);
                rows.push((key, row.into_transaction(code)?));
            }
        }
        // Each order a transfer paid, for the page's rows only.
        let mut page = merged_page(rows, start, limit);
        page.items = super::transactions::with_allocations(self, page.items)?;
        Ok(page)
    }

    fn transfer_counts(
        &mut self,
        filter: &TransferFilter,
        statuses: &[TransactionStatus],
    ) -> Result<Vec<(TransactionStatus, i64)>, StoreError> {
        let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        let query = bank_transactions::table
            .filter(bank_transactions::status.eq_any(statuses))
            .group_by(bank_transactions::status)
            .select((bank_transactions::status, diesel::dsl::count_star()))
            .into_boxed();
        filter_transfers!(query, filter)
            .load::<(String, i64)>(self)?
            .into_iter()
            .map(|(status, n)| {
                TransactionStatus::parse(&status)
                    .map(|s| (s, n))
                    .ok_or_else(|| StoreError::Corrupt(format!("transaction status {status:?}")))
            })
            .collect()
    }

    fn pin_search(&mut self, mut filter: TransferFilter) -> Result<TransferFilter, StoreError> {
        let Some(search) = &filter.search else {
            return Ok(filter);
        };
        let matches = text_search("bank_transactions", search);
        let found: Vec<i64> = match filter.search_amount {
            Some(amount) => bank_transactions::table
                .filter(matches.or(bank_transactions::amount.eq(units(amount)?)))
                .select(bank_transactions::id)
                .limit(PINNED_SEARCH + 1)
                .load(self)?,
            None => bank_transactions::table
                .filter(matches)
                .select(bank_transactions::id)
                .limit(PINNED_SEARCH + 1)
                .load(self)?,
        };
        if found.len() as i64 <= PINNED_SEARCH {
            filter.found = Some(found);
        }
        Ok(filter)
    }

    fn transfer_totals(&mut self, filter: &TransferFilter) -> Result<Totals, StoreError> {
        use diesel::sql_types::{BigInt, Nullable};
        type Sum = Nullable<BigInt>;
        // SUM of BIGINTs overflows on SQLite past i64 (two transfers of the largest amount do),
        // and is NUMERIC on PostgreSQL. So each amount is summed as its high and low 32 bits,
        // which no realistic count of rows overflows, and the two are put together in Rust.
        let sums = diesel::dsl::sql::<(Sum, Sum, Sum, Sum)>(
            "CAST(SUM(CASE WHEN amount > 0 THEN amount >> 32 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN amount > 0 THEN amount & 4294967295 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN amount < 0 THEN amount >> 32 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN amount < 0 THEN amount & 4294967295 ELSE 0 END) AS BIGINT)",
        );
        let mut query = bank_transactions::table
            .filter(bank_transactions::status.ne(TransactionStatus::Test.as_str()))
            .select(sums)
            .into_boxed();
        if !filter.statuses.is_empty() {
            let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
            query = query.filter(bank_transactions::status.eq_any(statuses));
        }
        let (in_high, in_low, out_high, out_low) =
            filter_transfers!(query, filter)
                .first::<(Option<i64>, Option<i64>, Option<i64>, Option<i64>)>(self)?;
        let total = |high: Option<i64>, low: Option<i64>| {
            let units = (i128::from(high.unwrap_or(0)) << 32) + i128::from(low.unwrap_or(0));
            Money::from_total_units(units)
        };
        Ok(Totals {
            money_in: total(in_high, in_low),
            money_out: total(out_high, out_low),
        })
    }

    fn orders_page(
        &mut self,
        filter: &OrderFilter,
        start: PageStart,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Page<Order>, StoreError> {
        let mut query = orders::table
            .select(OrderRow::as_select())
            .order(orders::id.desc())
            .offset(start.skip)
            .limit(limit + 1)
            .into_boxed();
        if let Some(after) = start.after {
            query = query.filter(orders::id.lt(after));
        }
        let rows = filter_orders!(query, filter, to_db_time(now))
            .load(self)?
            .into_iter()
            .map(|row| Ok((row.id, row.into_order()?.seen_at(now))))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(page(rows, limit))
    }

    fn order_counts(
        &mut self,
        filter: &OrderFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<(OrderStatus, i64)>, StoreError> {
        let stored = search_orders!(
            orders::table
                .group_by(orders::status)
                .select((orders::status, diesel::dsl::count_star()))
                .into_boxed(),
            filter
        )
        .load::<(String, i64)>(self)?;
        let open = [OrderStatus::Pending, OrderStatus::PartiallyPaid].map(|s| s.as_str());
        let overdue = search_orders!(
            orders::table
                .filter(orders::status.eq_any(open))
                .filter(orders::expires_at.le(to_db_time(now)))
                .group_by(orders::status)
                .select((orders::status, diesel::dsl::count_star()))
                .into_boxed(),
            filter
        )
        .load::<(String, i64)>(self)?;
        let count = |rows: &[(String, i64)], status: OrderStatus| {
            rows.iter()
                .filter(|(s, _)| s == status.as_str())
                .map(|(_, n)| *n)
                .sum::<i64>()
        };
        let all_overdue: i64 = overdue.iter().map(|(_, n)| n).sum();
        Ok(OrderStatus::ALL
            .iter()
            .map(|&status| {
                let n = count(&stored, status);
                let n = match status {
                    OrderStatus::Expired => n + all_overdue,
                    _ => n - count(&overdue, status),
                };
                (status, n)
            })
            .collect())
    }
}
