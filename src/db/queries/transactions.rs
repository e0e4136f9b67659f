// Bank transactions, webhook deliveries and the rejected elements of deliveries: the `TransactionStore` queries, included once per backend (see `db/mod.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::common::*;
use super::{insert_id, Conn};
use crate::db::backend::Backend;
use crate::db::models::*;
use crate::db::schema::{
    allocations, allocations_before_history, bank_transactions, order_history, orders,
    rejected_items, webhook_deliveries,
};
use crate::db::{cached, union};
use crate::db::{
    Decided, DeliveryCounts, DeliveryRow, Page, Received, RejectedRow, StoreError, TransactionStore,
};
use crate::domain::{
    Allocation, BankTransaction, IncomingTransfer, Money, OrderCode, TransactionStatus,
};

/// The statements of a delivery kept prepared by type (see `cached::ByType`): one type, one
/// SQL text.
struct InsertTransaction;
struct InsertAllocation;
struct InsertDelivery;
struct SetDeliveryCounts;

/// Fills in each transaction's allocations, oldest first, with one query for all of them.
pub(super) fn with_allocations(
    conn: &mut Conn,
    mut transactions: Vec<BankTransaction>,
) -> Result<Vec<BankTransaction>, StoreError> {
    let ids: Vec<i64> = transactions.iter().map(|t| t.row_id).collect();
    if ids.is_empty() {
        return Ok(transactions);
    }
    let rows = allocations::table
        .inner_join(orders::table)
        .filter(allocations::transaction_id.eq_any(ids))
        .order(allocations::id.asc())
        .select((
            allocations::transaction_id,
            orders::code,
            allocations::amount,
        ))
        .load::<(i64, String, i64)>(conn)?;
    for (transaction_id, code, amount) in rows {
        let order_code = OrderCode::parse(&code)
            .map_err(|_| StoreError::Corrupt(format!("order code {code:?}")))?;
        if let Some(t) = transactions.iter_mut().find(|t| t.row_id == transaction_id) {
            t.allocations.push(Allocation {
                order_code,
                amount: Money::from_units(amount),
            });
        }
    }
    Ok(transactions)
}

impl TransactionStore for Conn {
    fn insert_transaction(
        &mut self,
        transfer: &IncomingTransfer,
        search_text: &str,
        delivery_id: Option<i64>,
        decided: &Decided<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let row = NewTransactionRow::from_incoming(
            transfer,
            search_text,
            delivery_id,
            decided.status,
            candidate_codes(decided),
            now,
        )?;
        let order_id = order_row_id(decided.order.map(OrderCode::as_str));
        Ok(insert_id::<InsertTransaction, _, _, _, _>(
            self,
            diesel::insert_into(bank_transactions::table)
                .values((row, bank_transactions::order_id.eq(order_id)))
                .on_conflict((bank_transactions::source, bank_transactions::external_id))
                .do_nothing(),
            bank_transactions::id,
        )?)
    }

    fn record_decision(
        &mut self,
        id: i64,
        decided: &Decided<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        diesel::update(bank_transactions::table.find(id))
            .set((
                bank_transactions::status.eq(decided.status.as_str()),
                bank_transactions::order_id.eq(order_row_id(decided.order.map(OrderCode::as_str))),
                bank_transactions::candidates.eq(candidate_codes(decided)),
                bank_transactions::updated_at.eq(to_db_time(now)),
            ))
            .execute(self)?;
        Ok(())
    }

    fn transactions_of(&mut self, codes: &[OrderCode]) -> Result<Vec<BankTransaction>, StoreError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let texts: Vec<&str> = codes.iter().map(OrderCode::as_str).collect();
        // Those naming the orders without having paid them, spelled as the partial index
        // `bank_transactions_order_named` is (migration 000018): SQLite uses a partial index
        // only for a condition that says what its own does.
        let named_unpaid = diesel::dsl::sql::<diesel::sql_types::Bool>(
            "bank_transactions.order_id IS NOT NULL AND bank_transactions.status <> 'matched'",
        );
        let mut ids: Vec<i64> = bank_transactions::table
            .inner_join(orders::table)
            .filter(orders::code.eq_any(texts.clone()))
            .filter(named_unpaid)
            .select(bank_transactions::id)
            .load(self)?;
        // Those that paid them, alone or among others: every credit's history row names its
        // transfer (and the allocations from before history, their own list). A transfer whose
        // credit was taken back (and that no longer names them) is dropped below.
        ids.extend(
            order_history::table
                .inner_join(orders::table)
                .filter(orders::code.eq_any(texts.clone()))
                .filter(order_history::transaction_id.is_not_null())
                .select(order_history::transaction_id.assume_not_null())
                .load::<i64>(self)?,
        );
        ids.extend(
            allocations_before_history::table
                .inner_join(orders::table)
                .filter(orders::code.eq_any(texts))
                .select(allocations_before_history::transaction_id)
                .load::<i64>(self)?,
        );
        ids.sort_unstable();
        ids.dedup();
        let transactions: Vec<BankTransaction> = bank_transactions::table
            .left_join(orders::table)
            .filter(bank_transactions::id.eq_any(ids))
            .order(bank_transactions::id.asc())
            .select((TransactionRow::as_select(), orders::code.nullable()))
            .load::<(TransactionRow, Option<String>)>(self)?
            .into_iter()
            .map(|(row, code)| row.into_transaction(code))
            .collect::<Result<_, _>>()?;
        let mut transactions = with_allocations(self, transactions)?;
        transactions.retain(|t| codes.iter().any(|code| t.concerns(code)));
        Ok(transactions)
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
        let transactions = query
            .load::<(TransactionRow, Option<String>)>(self)?
            .into_iter()
            .map(|(row, code)| row.into_transaction(code))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let rows = with_allocations(self, transactions)?
            .into_iter()
            .map(|t| (t.row_id, t))
            .collect();
        Ok(page(rows, limit))
    }

    fn bank_transaction(&mut self, row_id: i64) -> Result<Option<BankTransaction>, StoreError> {
        let transaction = bank_transactions::table
            .left_join(orders::table)
            .filter(bank_transactions::id.eq(row_id))
            .select((TransactionRow::as_select(), orders::code.nullable()))
            .first::<(TransactionRow, Option<String>)>(self)
            .optional()?
            .map(|(row, code)| row.into_transaction(code))
            .transpose()?;
        Ok(with_allocations(self, transaction.into_iter().collect())?.pop())
    }

    fn customers_paid_from(&mut self, accounts: &[&str]) -> Result<Vec<Vec<String>>, StoreError> {
        union::answers(self, accounts, |arm, account| {
            Ok(allocations::table
                .inner_join(bank_transactions::table)
                .inner_join(orders::table)
                .filter(bank_transactions::payer_account.eq(*account))
                .filter(orders::customer_name.is_not_null())
                .select((
                    union::arm_number(arm),
                    orders::customer_name.assume_not_null(),
                ))
                .distinct()
                .limit(20)
                .into_boxed())
        })
    }

    fn transaction_row_id(
        &mut self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(bank_transactions::table
            .filter(bank_transactions::source.eq(source))
            .filter(bank_transactions::external_id.eq(external_id))
            .select(bank_transactions::id)
            .first::<i64>(self)
            .optional()?)
    }

    fn bank_transaction_for_update(
        &mut self,
        row_id: i64,
    ) -> Result<Option<BankTransaction>, StoreError> {
        if !self.lock_transaction(row_id)? {
            return Ok(None);
        }
        self.bank_transaction(row_id)
    }

    fn save_resolution(
        &mut self,
        transaction: &BankTransaction,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let order_id = order_row_id(transaction.order_code.as_ref().map(OrderCode::as_str));
        diesel::update(bank_transactions::table.find(transaction.row_id))
            .set((
                bank_transactions::status.eq(transaction.status.as_str()),
                bank_transactions::order_id.eq(order_id),
                bank_transactions::waiting_reason
                    .eq(transaction.waiting_reason.map(|r| r.as_str())),
                bank_transactions::resolution.eq(transaction.resolution.map(|r| r.as_str())),
                bank_transactions::resolution_note.eq(transaction.resolution_note.as_deref()),
                bank_transactions::resolved_by.eq(transaction.resolved_by.as_deref()),
                bank_transactions::resolved_at.eq(transaction.resolved_at.map(to_db_time)),
                bank_transactions::updated_at.eq(to_db_time(now)),
            ))
            .execute(self)?;
        Ok(())
    }

    fn insert_allocations(
        &mut self,
        transaction_id: i64,
        shares: &[Allocation],
    ) -> Result<(), StoreError> {
        for share in shares {
            // The order's row id is read inside the insert (no round trip of its own).
            let order_id = order_row_id(Some(share.order_code.as_str())).assume_not_null();
            let amount = share
                .amount
                .to_units()
                .ok_or_else(|| StoreError::Corrupt(format!("allocation {}", share.amount)))?;
            cached::by_type::<InsertAllocation, _>(diesel::insert_into(allocations::table).values(
                (
                    allocations::transaction_id.eq(transaction_id),
                    allocations::order_id.eq(order_id),
                    allocations::amount.eq(amount),
                ),
            ))
            .run(self)?;
        }
        Ok(())
    }

    fn delete_allocations(&mut self, transaction_id: i64) -> Result<(), StoreError> {
        diesel::delete(allocations::table.filter(allocations::transaction_id.eq(transaction_id)))
            .execute(self)?;
        Ok(())
    }

    fn transaction_status_counts(
        &mut self,
    ) -> Result<Vec<(String, Option<String>, i64)>, StoreError> {
        Ok(bank_transactions::table
            .group_by((bank_transactions::status, bank_transactions::resolution))
            .select((
                bank_transactions::status,
                bank_transactions::resolution,
                diesel::dsl::count_star(),
            ))
            .load(self)?)
    }

    fn matched_amounts_since(&mut self, since: DateTime<Utc>) -> Result<Vec<Received>, StoreError> {
        Ok(bank_transactions::table
            .filter(bank_transactions::status.eq(TransactionStatus::Matched.as_str()))
            .filter(
                coalesce(
                    bank_transactions::occurred_at,
                    bank_transactions::received_at,
                )
                .ge(to_db_time(since)),
            )
            .select((
                coalesce(
                    bank_transactions::occurred_at,
                    bank_transactions::received_at,
                ),
                bank_transactions::amount,
                bank_transactions::account,
            ))
            .load::<(chrono::NaiveDateTime, i64, Option<String>)>(self)?
            .into_iter()
            .map(|(at, amount, account)| Received {
                at: from_db_time(at),
                amount: Money::from_units(amount),
                account,
            })
            .collect())
    }

    fn insert_delivery(
        &mut self,
        channel: &str,
        body: &str,
        outcome: &str,
        counts: DeliveryCounts,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        insert_id::<InsertDelivery, _, _, _, _>(
            self,
            diesel::insert_into(webhook_deliveries::table).values(NewDeliveryRow {
                channel,
                received_at: stored_time(now),
                body: storable_text(body),
                outcome,
                accepted: counts.accepted,
                duplicates: counts.duplicates,
                rejected: counts.rejected,
            }),
            webhook_deliveries::id,
        )?
        .ok_or_else(|| StoreError::Corrupt("a delivery was not stored".to_owned()))
    }

    fn set_delivery_counts(&mut self, id: i64, counts: DeliveryCounts) -> Result<(), StoreError> {
        cached::by_type::<SetDeliveryCounts, _>(
            diesel::update(webhook_deliveries::table.find(id)).set((
                webhook_deliveries::accepted.eq(counts.accepted),
                webhook_deliveries::duplicates.eq(counts.duplicates),
                webhook_deliveries::rejected.eq(counts.rejected),
            )),
        )
        .run(self)?;
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

    fn rejected_page(
        &mut self,
        open_only: bool,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<RejectedRow>, StoreError> {
        let mut query = rejected_items::table
            .select(RejectedRow::as_select())
            .order(rejected_items::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if open_only {
            query = query.filter(rejected_items::resolved_at.is_null());
        }
        if let Some(cursor) = cursor {
            query = query.filter(rejected_items::id.lt(cursor));
        }
        let rows = query.load(self)?.into_iter().map(|r| (r.id, r)).collect();
        Ok(page(rows, limit))
    }

    fn rejected_item(&mut self, id: i64) -> Result<Option<RejectedRow>, StoreError> {
        Ok(rejected_items::table
            .find(id)
            .select(RejectedRow::as_select())
            .first(self)
            .optional()?)
    }

    fn resolve_rejected_item(
        &mut self,
        id: i64,
        note: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = diesel::update(
            rejected_items::table
                .find(id)
                .filter(rejected_items::resolved_at.is_null()),
        )
        .set((
            rejected_items::resolution_note.eq(note),
            rejected_items::resolved_by.eq(by),
            rejected_items::resolved_at.eq(to_db_time(now)),
        ))
        .execute(self)?;
        Ok(updated == 1)
    }
}
