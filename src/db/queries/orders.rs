// Orders and their history: the `OrderStore` queries, included once per backend (see `db/mod.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::common::*;
use super::Conn;
use crate::db::backend::Backend;
use crate::db::cached;
use crate::db::models::*;
use crate::db::schema::{bank_transactions, order_history, orders};
use crate::db::{AmountWindow, OrderFilter, OrderStore, Page, PageStart, Reports, StoreError};
use crate::domain::{HistoryEntry, Money, Order, OrderCode, OrderState, OrderStatus};

/// An order's history row, kept prepared by type (see `cached::ByType`).
struct InsertHistory;

impl OrderStore for Conn {
    fn insert_order(&mut self, order: &Order) -> Result<bool, StoreError> {
        let inserted = diesel::insert_into(orders::table)
            .values(NewOrderRow::from_order(order)?)
            .on_conflict(orders::code)
            .do_nothing()
            .execute(self)?;
        Ok(inserted == 1)
    }

    fn order(&mut self, code: &OrderCode) -> Result<Option<Order>, StoreError> {
        orders::table
            .filter(orders::code.eq(code.as_str()))
            .select(OrderRow::as_select())
            .first(self)
            .optional()?
            .map(OrderRow::into_order)
            .transpose()
    }

    fn orders_for_update(&mut self, codes: &[OrderCode]) -> Result<Vec<Order>, StoreError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let codes: Vec<&str> = codes.iter().map(OrderCode::as_str).collect();
        self.lock_orders(&codes)?
            .into_iter()
            .map(OrderRow::into_order)
            .collect()
    }

    fn update_order(&mut self, order: &Order, before: &OrderState) -> Result<(), StoreError> {
        // Kept prepared by its SQL text: one statement for a credit that keeps the status,
        // one for a change of status (see `OrderChange`).
        cached::by_text(
            diesel::update(orders::table.filter(orders::code.eq(order.code.as_str())))
                .set(OrderChange::between(before, order)?),
        )
        .run(self)?;
        Ok(())
    }

    fn assign_account_where_none(&mut self, number: &str) -> Result<usize, StoreError> {
        Ok(
            diesel::update(orders::table.filter(orders::account.is_null()))
                .set(orders::account.eq(number))
                .execute(self)?,
        )
    }

    fn list_orders(
        &mut self,
        filter: &OrderFilter,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<Order>, StoreError> {
        let start = PageStart {
            after: cursor,
            skip: 0,
        };
        self.orders_page(filter, start, limit, crate::domain::now())
    }

    fn orders_by_codes(&mut self, codes: &[OrderCode]) -> Result<Vec<Order>, StoreError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let codes: Vec<&str> = codes.iter().map(OrderCode::as_str).collect();
        orders::table
            .filter(orders::code.eq_any(codes))
            .select(OrderRow::as_select())
            .load(self)?
            .into_iter()
            .map(OrderRow::into_order)
            .collect()
    }

    fn open_orders_in(
        &mut self,
        windows: &[AmountWindow],
        limit: i64,
    ) -> Result<Vec<Vec<Order>>, StoreError> {
        let windows = windows
            .iter()
            .map(|w| Ok((units(w.amount)?, to_db_time(w.from), to_db_time(w.to))))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.orders_in_windows(&windows, limit)?
            .into_iter()
            .map(|mut rows| {
                // Newest first: the order a statement's rows come in is not the query's.
                rows.sort_unstable_by_key(|row| std::cmp::Reverse((row.created_at, row.id)));
                rows.into_iter().map(OrderRow::into_order).collect()
            })
            .collect()
    }

    fn open_orders_for_payer(
        &mut self,
        due: Money,
        since: DateTime<Utc>,
    ) -> Result<Vec<Order>, StoreError> {
        orders::table
            .filter(orders::status.eq_any([
                OrderStatus::Pending.as_str(),
                OrderStatus::PartiallyPaid.as_str(),
            ]))
            .filter(
                orders::customer_name.is_not_null().or(orders::created_at
                    .ge(to_db_time(since))
                    .and((orders::amount - orders::amount_received).eq(units(due)?))),
            )
            .select(OrderRow::as_select())
            .load(self)?
            .into_iter()
            .map(OrderRow::into_order)
            .collect()
    }

    fn newest_open_named_orders(&mut self, limit: i64) -> Result<Vec<Order>, StoreError> {
        // Spelled as the partial index `orders_open_named` is: SQLite uses a partial index only
        // for a condition that says what its own does, with the same constants.
        let open_named = diesel::dsl::sql::<diesel::sql_types::Bool>(
            "orders.customer_name IS NOT NULL AND orders.status IN ('pending', 'partially_paid')",
        );
        newest_orders(self, orders::table.filter(open_named).into_boxed(), limit)
    }

    fn order_status_counts(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(orders::table
            .group_by(orders::status)
            .select((orders::status, diesel::dsl::count_star()))
            .load(self)?)
    }

    fn overdue_orders_for_update(
        &mut self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Order>, StoreError> {
        let ids = self.overdue_orders(to_db_time(now), limit)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        orders::table
            .filter(orders::id.eq_any(ids))
            .select(OrderRow::as_select())
            .load(self)?
            .into_iter()
            .map(OrderRow::into_order)
            .collect()
    }

    fn insert_history(&mut self, code: &OrderCode, entry: &HistoryEntry) -> Result<(), StoreError> {
        let order_id = order_row_id(Some(code.as_str())).assume_not_null();
        cached::by_type::<InsertHistory, _>(diesel::insert_into(order_history::table).values((
            NewHistoryRow::from_entry(entry)?,
            order_history::order_id.eq(order_id),
        )))
        .run(self)?;
        Ok(())
    }

    fn order_history(&mut self, code: &OrderCode) -> Result<Vec<HistoryEntry>, StoreError> {
        order_history::table
            .inner_join(orders::table)
            .left_join(bank_transactions::table)
            .filter(orders::code.eq(code.as_str()))
            .order(order_history::id.asc())
            .select((
                HistoryRow::as_select(),
                bank_transactions::source.nullable(),
                bank_transactions::external_id.nullable(),
            ))
            .load::<(HistoryRow, Option<String>, Option<String>)>(self)?
            .into_iter()
            .map(|(row, source, external_id)| row.into_entry(source.zip(external_id)))
            .collect()
    }
}

/// The newest `limit` of the orders `query` selects (a waiting transfer's suggestions).
fn newest_orders(
    conn: &mut Conn,
    query: orders::BoxedQuery<'_, <Conn as diesel::Connection>::Backend>,
    limit: i64,
) -> Result<Vec<Order>, StoreError> {
    query
        .order(orders::id.desc())
        .limit(limit)
        .select(OrderRow::as_select())
        .load(conn)?
        .into_iter()
        .map(OrderRow::into_order)
        .collect()
}
