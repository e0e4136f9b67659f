// The `Store` queries, included once per backend: `Conn` is that backend's connection type.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::backend::Backend;
use crate::db::models::*;
use crate::db::schema::{
    admin_users, bank_transactions, orders, rejected_items, settings, webhook_deliveries,
};
use crate::db::{DeliveryCounts, Page, Store, StoreError};
use crate::domain::{
    BankTransaction, IncomingTransfer, Order, OrderCode, OrderStatus, TransactionStatus,
};

const WRITE_ATTEMPTS: usize = 3;

fn page<T>(mut rows: Vec<(i64, T)>, limit: i64) -> Page<T> {
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

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(settings::table
            .find(key)
            .select(settings::value)
            .first(self)
            .optional()?)
    }

    fn setting_or_insert(&mut self, key: &str, value: &str) -> Result<String, StoreError> {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .on_conflict_do_nothing()
            .execute(self)?;
        Ok(settings::table
            .find(key)
            .select(settings::value)
            .first(self)?)
    }

    fn insert_admin_user(
        &mut self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = diesel::insert_into(admin_users::table)
            .values(NewAdminRow {
                name,
                password_hash: hash,
                created_at: to_db_time(now),
                updated_at: to_db_time(now),
            })
            .on_conflict_do_nothing()
            .execute(self)?;
        Ok(inserted == 1)
    }

    fn set_admin_password(
        &mut self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = diesel::update(admin_users::table.filter(admin_users::name.eq(name)))
            .set((
                admin_users::password_hash.eq(hash),
                admin_users::updated_at.eq(to_db_time(now)),
            ))
            .execute(self)?;
        Ok(updated == 1)
    }

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

    fn update_order(&mut self, order: &Order) -> Result<(), StoreError> {
        diesel::update(orders::table.filter(orders::code.eq(order.code.as_str())))
            .set((
                orders::status.eq(order.status.as_str()),
                orders::amount_received.eq(units(order.amount_received)?),
                orders::updated_at.eq(to_db_time(order.updated_at)),
                orders::paid_at.eq(order.paid_at.map(to_db_time)),
            ))
            .execute(self)?;
        Ok(())
    }

    fn list_orders(
        &mut self,
        status: Option<OrderStatus>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<Order>, StoreError> {
        let mut query = orders::table
            .select(OrderRow::as_select())
            .order(orders::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(status) = status {
            query = query.filter(orders::status.eq(status.as_str()));
        }
        if let Some(cursor) = cursor {
            query = query.filter(orders::id.lt(cursor));
        }
        let rows = query
            .load(self)?
            .into_iter()
            .map(|row| Ok((row.id, row.into_order()?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(page(rows, limit))
    }

    fn insert_transaction(
        &mut self,
        transfer: &IncomingTransfer,
        delivery_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(diesel::insert_into(bank_transactions::table)
            .values(NewTransactionRow::from_incoming(
                transfer,
                delivery_id,
                now,
            )?)
            .on_conflict((bank_transactions::source, bank_transactions::external_id))
            .do_nothing()
            .returning(bank_transactions::id)
            .get_result(self)
            .optional()?)
    }

    fn record_decision(
        &mut self,
        id: i64,
        status: TransactionStatus,
        order: Option<&OrderCode>,
        candidates: &[OrderCode],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let candidates = candidates
            .iter()
            .map(OrderCode::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        let order_id = match order {
            Some(code) => Some(
                orders::table
                    .filter(orders::code.eq(code.as_str()))
                    .select(orders::id)
                    .first::<i64>(self)?,
            ),
            None => None,
        };
        diesel::update(bank_transactions::table.find(id))
            .set((
                bank_transactions::status.eq(status.as_str()),
                bank_transactions::order_id.eq(order_id),
                bank_transactions::candidates.eq(candidates),
                bank_transactions::updated_at.eq(to_db_time(now)),
            ))
            .execute(self)?;
        Ok(())
    }

    fn transactions_of(&mut self, codes: &[OrderCode]) -> Result<Vec<BankTransaction>, StoreError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let codes: Vec<&str> = codes.iter().map(OrderCode::as_str).collect();
        bank_transactions::table
            .inner_join(orders::table)
            .filter(orders::code.eq_any(codes))
            .order(bank_transactions::id.asc())
            .select((TransactionRow::as_select(), orders::code))
            .load::<(TransactionRow, String)>(self)?
            .into_iter()
            .map(|(row, code)| row.into_transaction(Some(code)))
            .collect()
    }

    fn list_transactions(
        &mut self,
        status: Option<TransactionStatus>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<BankTransaction>, StoreError> {
        let mut query = bank_transactions::table
            .left_join(orders::table)
            .select((TransactionRow::as_select(), orders::code.nullable()))
            .order(bank_transactions::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(status) = status {
            query = query.filter(bank_transactions::status.eq(status.as_str()));
        }
        if let Some(cursor) = cursor {
            query = query.filter(bank_transactions::id.lt(cursor));
        }
        let rows = query
            .load::<(TransactionRow, Option<String>)>(self)?
            .into_iter()
            .map(|(row, code)| Ok((row.id, row.into_transaction(code)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(page(rows, limit))
    }

    fn insert_delivery(
        &mut self,
        channel: &str,
        body: &str,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(diesel::insert_into(webhook_deliveries::table)
            .values(NewDeliveryRow {
                channel,
                received_at: to_db_time(now),
                body: storable_text(body),
                outcome,
            })
            .returning(webhook_deliveries::id)
            .get_result(self)?)
    }

    fn finish_delivery(
        &mut self,
        id: i64,
        outcome: &str,
        counts: DeliveryCounts,
    ) -> Result<(), StoreError> {
        diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::outcome.eq(outcome),
                webhook_deliveries::accepted.eq(counts.accepted),
                webhook_deliveries::duplicates.eq(counts.duplicates),
                webhook_deliveries::rejected.eq(counts.rejected),
            ))
            .execute(self)?;
        Ok(())
    }

    fn insert_rejected_item(
        &mut self,
        delivery_id: i64,
        position: i32,
        payload: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        diesel::insert_into(rejected_items::table)
            .values(NewRejectedRow {
                delivery_id,
                position,
                payload: storable_text(payload),
                reason,
                received_at: to_db_time(now),
            })
            .execute(self)?;
        Ok(())
    }

    fn recent_deliveries(&mut self, limit: i64) -> Result<Vec<DeliveryRow>, StoreError> {
        Ok(webhook_deliveries::table
            .order(webhook_deliveries::id.desc())
            .limit(limit)
            .select(DeliveryRow::as_select())
            .load(self)?)
    }

    fn rejected_items(&mut self, delivery_id: i64) -> Result<Vec<RejectedRow>, StoreError> {
        Ok(rejected_items::table
            .filter(rejected_items::delivery_id.eq(delivery_id))
            .order(rejected_items::position.asc())
            .select(RejectedRow::as_select())
            .load(self)?)
    }
}
