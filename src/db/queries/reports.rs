// The `Reports` queries (the admin's lists, tabs, totals and exports), included once per backend
// (see `db/mod.rs`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::common::*;
use super::{tallies, Conn};
use crate::db::models::*;
use crate::db::schema::{bank_transactions, orders};
use crate::db::{Count, OrderFilter, Page, PageStart, Reports, StoreError, Totals, TransferFilter};
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

/// The sums of transfers' money in and out, each as its high and low 32 bits: SUM of BIGINTs
/// overflows on SQLite past i64 (two transfers of the largest amount do), and is NUMERIC on
/// PostgreSQL, while no realistic count of rows overflows these.
type Sums = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);

type SumsSql = diesel::sql_types::Nullable<diesel::sql_types::BigInt>;

fn sums() -> diesel::expression::SqlLiteral<(SumsSql, SumsSql, SumsSql, SumsSql)> {
    diesel::dsl::sql(
        "CAST(SUM(CASE WHEN amount > 0 THEN amount >> 32 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN amount > 0 THEN amount & 4294967295 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN amount < 0 THEN amount >> 32 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN amount < 0 THEN amount & 4294967295 ELSE 0 END) AS BIGINT)",
    )
}

fn sums_to_totals((in_high, in_low, out_high, out_low): Sums) -> Totals {
    let total = |high: Option<i64>, low: Option<i64>| {
        Money::from_total_units(tallies::joined(high.unwrap_or(0), low.unwrap_or(0)))
    };
    Totals {
        money_in: total(in_high, in_low),
        money_out: total(out_high, out_low),
    }
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
        // The page's keys first, off the `(status, bank time)` index alone: a deep page skips
        // index entries, not whole rows with their orders.
        // A pinned search's few rows are read by id, all statuses at once: walking each status's
        // index for them would pass every row of the status. Otherwise one status a query, by
        // `=` (PostgreSQL walks an index in order for `=`, not for `= ANY`).
        let groups: Vec<Vec<&str>> = match filter.found {
            Some(_) => vec![statuses.iter().map(|s| s.as_str()).collect()],
            None => statuses.iter().map(|s| vec![s.as_str()]).collect(),
        };
        let mut keys = Vec::new();
        for group in groups {
            let mut query = bank_transactions::table
                .select((bank_time(), bank_transactions::id))
                .order((bank_time().desc(), bank_transactions::id.desc()))
                .limit(start.skip + limit + 1)
                .into_boxed();
            query = match group.as_slice() {
                [status] => query.filter(bank_transactions::status.eq(*status)),
                _ => query.filter(bank_transactions::status.eq_any(group)),
            };
            if let Some((at, id)) = after {
                // `<= at` bounds the index range; the rest only breaks ties within `at`.
                query = query.filter(
                    bank_time()
                        .le(at)
                        .and(bank_time().lt(at).or(bank_transactions::id.lt(id))),
                );
            }
            keys.extend(filter_transfers!(query, filter).load::<(NaiveDateTime, i64)>(self)?);
        }
        let keys = merged_page(
            keys.into_iter().map(|key| (key, key.1)).collect(),
            start,
            limit,
        );
        let ids = keys.items;
        let mut rows = bank_transactions::table
            .left_join(orders::table)
            .filter(bank_transactions::id.eq_any(&ids))
            .select((TransactionRow::as_select(), orders::code.nullable()))
            .load::<(TransactionRow, Option<String>)>(self)?;
        rows.sort_by_key(|(row, _)| ids.iter().position(|id| *id == row.id));
        let mut page = Page {
            items: rows
                .into_iter()
                .map(|(row, code)| row.into_transaction(code))
                .collect::<Result<Vec<_>, StoreError>>()?,
            next_cursor: keys.next_cursor,
        };
        // Each order a transfer paid, for the page's rows only.
        page.items = super::transactions::with_allocations(self, page.items)?;
        Ok(page)
    }

    fn transfer_counts(
        &mut self,
        filter: &TransferFilter,
        statuses: &[TransactionStatus],
    ) -> Result<Vec<(TransactionStatus, i64)>, StoreError> {
        if filter.by_status_only() {
            if let Some(kept) = tallies::tallies(self, statuses)? {
                return Ok(kept.iter().map(|t| (t.status, t.transfers)).collect());
            }
        }
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
        // The text and the amount apart: each has its own index, while `text OR amount` in
        // one query reads the whole table on both backends.
        let waiting = !filter.statuses.is_empty() && filter.statuses.iter().all(|s| s.is_waiting());
        let text = match waiting {
            true => waiting_text_search(search),
            false => text_search("bank_transactions", search),
        };
        let mut found: Vec<i64> = bank_transactions::table
            .filter(text)
            .select(bank_transactions::id)
            .limit(PINNED_SEARCH + 1)
            .load(self)?;
        if let Some(amount) = filter.search_amount {
            // Through `(status, amount)`: one index range a status.
            let statuses = TransactionStatus::ALL.map(|s| s.as_str());
            found.extend(
                bank_transactions::table
                    .filter(bank_transactions::status.eq_any(statuses))
                    .filter(bank_transactions::amount.eq(units(amount)?))
                    .select(bank_transactions::id)
                    .limit(PINNED_SEARCH + 1)
                    .load::<i64>(self)?,
            );
            found.sort_unstable();
            found.dedup();
        }
        if found.len() as i64 <= PINNED_SEARCH {
            filter.found = Some(found);
        }
        Ok(filter)
    }

    fn transfer_tabs(
        &mut self,
        filter: &TransferFilter,
        statuses: &[TransactionStatus],
        cap: i64,
    ) -> Result<Vec<(TransactionStatus, Count)>, StoreError> {
        let waiting: Vec<TransactionStatus> = statuses
            .iter()
            .copied()
            .filter(|s| s.is_waiting())
            .collect();
        let kept = match filter.by_status_only() {
            true => tallies::tallies(self, &waiting)?.unwrap_or_default(),
            false => Vec::new(),
        };
        if let Some(found) = &filter.found {
            // A pinned search: its few rows, read by id and counted here.
            let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
            let query = bank_transactions::table
                .filter(bank_transactions::id.eq_any(found))
                .filter(bank_transactions::status.eq_any(names))
                .select(bank_transactions::status)
                .into_boxed();
            let found = filter_transfers!(query, filter).load::<String>(self)?;
            return Ok(statuses
                .iter()
                .map(|&status| {
                    let rows = found.iter().filter(|s| *s == status.as_str()).count() as i64;
                    (status, Count::exactly(rows))
                })
                .collect());
        }
        let mut tabs = Vec::with_capacity(statuses.len());
        for &status in statuses {
            if let Some(tally) = kept.iter().find(|t| t.status == status) {
                let rows = tally.transfers;
                tabs.push((status, Count { rows, more: false }));
                continue;
            }
            // At most `cap + 1` ids, read off the index: a count that stops.
            let ids = bank_transactions::table
                .filter(bank_transactions::status.eq(status.as_str()))
                .select(bank_transactions::id)
                .limit(cap + 1)
                .into_boxed();
            let rows = filter_transfers!(ids, filter).load::<i64>(self)?.len() as i64;
            tabs.push((status, Count::upto(rows, cap)));
        }
        Ok(tabs)
    }

    fn transfer_totals(&mut self, filter: &TransferFilter) -> Result<Totals, StoreError> {
        if filter.by_status_only() {
            if let Some(kept) = tallies::tallies(self, &filter.statuses)? {
                return Ok(tallies::totals(&kept));
            }
        }
        let mut query = bank_transactions::table
            .filter(bank_transactions::status.ne(TransactionStatus::Test.as_str()))
            .select(sums())
            .into_boxed();
        if !filter.statuses.is_empty() {
            let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
            query = query.filter(bank_transactions::status.eq_any(statuses));
        }
        Ok(sums_to_totals(
            filter_transfers!(query, filter).first::<Sums>(self)?,
        ))
    }

    fn transfer_totals_upto(
        &mut self,
        filter: &TransferFilter,
        cap: i64,
    ) -> Result<Option<Totals>, StoreError> {
        if filter.by_status_only() {
            if let Some(kept) = tallies::tallies(self, &filter.statuses)? {
                return Ok(Some(tallies::totals(&kept)));
            }
        }
        let counted = |status: &str| {
            status != TransactionStatus::Test.as_str()
                && (filter.statuses.is_empty()
                    || filter.statuses.iter().any(|s| s.as_str() == status))
        };
        let amounts: Vec<i64> = match &filter.found {
            // A pinned search's few rows, by id: their statuses are sorted out here, as a
            // status condition would lead SQLite through a status index past every row.
            Some(found) => {
                let rows = bank_transactions::table
                    .filter(bank_transactions::id.eq_any(found))
                    .select((bank_transactions::status, bank_transactions::amount))
                    .into_boxed();
                filter_transfers!(rows, filter)
                    .load::<(String, i64)>(self)?
                    .into_iter()
                    .filter(|(status, _)| counted(status))
                    .map(|(_, amount)| amount)
                    .collect()
            }
            // At most `cap + 1` amounts, summed here exactly.
            None => {
                let mut amounts = bank_transactions::table
                    .filter(bank_transactions::status.ne(TransactionStatus::Test.as_str()))
                    .select(bank_transactions::amount)
                    .limit(cap + 1)
                    .into_boxed();
                if !filter.statuses.is_empty() {
                    let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
                    amounts = amounts.filter(bank_transactions::status.eq_any(statuses));
                }
                filter_transfers!(amounts, filter).load::<i64>(self)?
            }
        };
        if amounts.len() as i64 > cap {
            return Ok(None);
        }
        let sum = |keep: fn(&i64) -> bool| -> i128 {
            amounts
                .iter()
                .filter(|a| keep(a))
                .map(|&a| i128::from(a))
                .sum()
        };
        Ok(Some(Totals {
            money_in: Money::from_total_units(sum(|a| *a > 0)),
            money_out: Money::from_total_units(sum(|a| *a < 0)),
        }))
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
        cap: i64,
    ) -> Result<Vec<(OrderStatus, Count)>, StoreError> {
        let mut tabs = Vec::with_capacity(OrderStatus::ALL.len());
        for status in OrderStatus::ALL {
            let tab = OrderFilter {
                status: Some(status),
                ..filter.clone()
            };
            // At most `cap + 1` ids of the status as readers see it: a count that stops.
            let ids = orders::table.select(orders::id).limit(cap + 1).into_boxed();
            let rows = filter_orders!(ids, &tab, to_db_time(now))
                .load::<i64>(self)?
                .len() as i64;
            tabs.push((status, Count::upto(rows, cap)));
        }
        Ok(tabs)
    }
}
