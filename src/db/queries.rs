// The `Store` queries, included once per backend: `Conn` is that backend's connection type.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::backend::Backend;
use crate::db::models::*;
use crate::db::schema::{
    admin_sessions, admin_users, allocations, audit_log, bank_transactions, jobs, login_failures,
    order_history, orders, reconcile_runs, rejected_items, settings, webhook_deliveries,
};
use crate::db::{
    AuditRow, Decided, DeliveryCounts, JobRow, JobStatus, NewAuditRow, NewJobRow, OrderFilter,
    Page, PageStart, ReconcileRunRow, ReconcileTotals, SessionRow, Settlement, Store, StoreError,
    TransferFilter,
};
use crate::domain::{
    Allocation, BankTransaction, HistoryEntry, IncomingTransfer, Money, Order, OrderCode,
    OrderStatus, TransactionStatus,
};

const WRITE_ATTEMPTS: usize = 3;

diesel::define_sql_function!(fn upper(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Escapes LIKE's wildcards so a search for `50%` means those characters.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

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

/// The stored form of a decision: the order's row id and the candidates, space-separated.
fn decision_columns(
    conn: &mut Conn,
    decided: &Decided<'_>,
) -> Result<(Option<i64>, String), StoreError> {
    let candidates = decided
        .candidates
        .iter()
        .map(OrderCode::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    Ok((order_row_id(conn, decided.order)?, candidates))
}

/// The row id a transaction's `order_id` refers to, for the order with this code.
fn order_row_id(conn: &mut Conn, code: Option<&OrderCode>) -> Result<Option<i64>, StoreError> {
    Ok(match code {
        Some(code) => Some(
            orders::table
                .filter(orders::code.eq(code.as_str()))
                .select(orders::id)
                .first::<i64>(conn)?,
        ),
        None => None,
    })
}

/// Fills in each transaction's allocations, oldest first, with one query for all of them.
fn with_allocations(
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

    fn delete_setting(&mut self, key: &str) -> Result<(), StoreError> {
        diesel::delete(settings::table.find(key)).execute(self)?;
        Ok(())
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

    fn open_orders_with_amount(
        &mut self,
        amount: Money,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Order>, StoreError> {
        orders::table
            .filter(orders::amount.eq(units(amount)?))
            .filter(orders::status.eq_any([
                OrderStatus::Pending.as_str(),
                OrderStatus::PartiallyPaid.as_str(),
            ]))
            .filter(orders::created_at.between(to_db_time(from), to_db_time(to)))
            .order(orders::id.desc())
            .limit(limit)
            .select(OrderRow::as_select())
            .load(self)?
            .into_iter()
            .map(OrderRow::into_order)
            .collect()
    }

    fn order_status_counts(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(orders::table
            .group_by(orders::status)
            .select((orders::status, diesel::dsl::count_star()))
            .load(self)?)
    }

    fn insert_transaction(
        &mut self,
        transfer: &IncomingTransfer,
        delivery_id: Option<i64>,
        decided: &Decided<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let (order_id, candidates) = decision_columns(self, decided)?;
        Ok(diesel::insert_into(bank_transactions::table)
            .values(NewTransactionRow::from_incoming(
                transfer,
                delivery_id,
                decided.status,
                order_id,
                candidates,
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
        decided: &Decided<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (order_id, candidates) = decision_columns(self, decided)?;
        diesel::update(bank_transactions::table.find(id))
            .set((
                bank_transactions::status.eq(decided.status.as_str()),
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
        // Those naming the orders, and those that paid them among others.
        let paid_them: Vec<i64> = allocations::table
            .inner_join(orders::table)
            .filter(orders::code.eq_any(codes.clone()))
            .select(allocations::transaction_id)
            .load(self)?;
        let transactions = bank_transactions::table
            .left_join(orders::table)
            .filter(
                orders::code
                    .eq_any(codes)
                    .or(bank_transactions::id.eq_any(paid_them)),
            )
            .order(bank_transactions::id.asc())
            .select((TransactionRow::as_select(), orders::code.nullable()))
            .load::<(TransactionRow, Option<String>)>(self)?
            .into_iter()
            .map(|(row, code)| row.into_transaction(code))
            .collect::<Result<_, _>>()?;
        with_allocations(self, transactions)
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
        let order_id = order_row_id(self, transaction.order_code.as_ref())?;
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
            let order_id = order_row_id(self, Some(&share.order_code))?.ok_or_else(|| {
                StoreError::Corrupt(format!("order {} vanished", share.order_code))
            })?;
            let amount = share
                .amount
                .to_units()
                .ok_or_else(|| StoreError::Corrupt(format!("allocation {}", share.amount)))?;
            diesel::insert_into(allocations::table)
                .values((
                    allocations::transaction_id.eq(transaction_id),
                    allocations::order_id.eq(order_id),
                    allocations::amount.eq(amount),
                ))
                .execute(self)?;
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

    fn matched_amounts_since(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Money)>, StoreError> {
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
            ))
            .load::<(chrono::NaiveDateTime, i64)>(self)?
            .into_iter()
            .map(|(at, amount)| (from_db_time(at), Money::from_units(amount)))
            .collect())
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

    fn admin_password_hash(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(admin_users::table
            .filter(admin_users::name.eq(name))
            .select(admin_users::password_hash)
            .first(self)
            .optional()?)
    }

    fn insert_session(&mut self, session: &SessionRow) -> Result<(), StoreError> {
        diesel::insert_into(admin_sessions::table)
            .values(session.clone())
            .execute(self)?;
        Ok(())
    }

    fn session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError> {
        Ok(admin_sessions::table
            .find(token_hash)
            .filter(admin_sessions::expires_at.gt(to_db_time(now)))
            .select(SessionRow::as_select())
            .first(self)
            .optional()?)
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        diesel::delete(admin_sessions::table.find(token_hash)).execute(self)?;
        Ok(())
    }

    fn delete_sessions_of(&mut self, user: &str) -> Result<usize, StoreError> {
        Ok(
            diesel::delete(admin_sessions::table.filter(admin_sessions::user_name.eq(user)))
                .execute(self)?,
        )
    }

    fn purge_logins(
        &mut self,
        now: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        diesel::delete(
            admin_sessions::table.filter(admin_sessions::expires_at.le(to_db_time(now))),
        )
        .execute(self)?;
        diesel::delete(
            login_failures::table.filter(login_failures::failed_at.lt(to_db_time(failures_before))),
        )
        .execute(self)?;
        Ok(())
    }

    fn record_login_failure(
        &mut self,
        user: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(diesel::insert_into(login_failures::table)
            .values((
                login_failures::user_name.eq(user),
                login_failures::address.eq(address),
                login_failures::failed_at.eq(to_db_time(now)),
            ))
            .returning(login_failures::id)
            .get_result(self)?)
    }

    fn delete_login_failure(&mut self, id: i64) -> Result<(), StoreError> {
        diesel::delete(login_failures::table.find(id)).execute(self)?;
        Ok(())
    }

    fn login_failures_since(
        &mut self,
        user: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError> {
        let recent = login_failures::failed_at.ge(to_db_time(since));
        let for_user = login_failures::table
            .filter(login_failures::user_name.eq(user))
            .filter(login_failures::address.eq(address))
            .filter(recent)
            .count()
            .get_result(self)?;
        let from_address = login_failures::table
            .filter(login_failures::address.eq(address))
            .filter(recent)
            .count()
            .get_result(self)?;
        Ok((for_user, from_address))
    }

    // Order history.

    fn insert_history(&mut self, code: &OrderCode, entry: &HistoryEntry) -> Result<(), StoreError> {
        let order_id = order_row_id(self, Some(code))?
            .ok_or_else(|| StoreError::Corrupt(format!("order {code} vanished")))?;
        diesel::insert_into(order_history::table)
            .values(NewHistoryRow::from_entry(order_id, entry)?)
            .execute(self)?;
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

    fn insert_audit(&mut self, entry: &NewAuditRow) -> Result<(), StoreError> {
        diesel::insert_into(audit_log::table)
            .values(entry)
            .execute(self)?;
        Ok(())
    }

    fn audit_page(
        &mut self,
        subject: Option<&str>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<AuditRow>, StoreError> {
        let mut query = audit_log::table
            .select(AuditRow::as_select())
            .order(audit_log::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(subject) = subject {
            query = query.filter(audit_log::subject.eq(subject));
        }
        if let Some(cursor) = cursor {
            query = query.filter(audit_log::id.lt(cursor));
        }
        let rows = query.load(self)?.into_iter().map(|r| (r.id, r)).collect();
        Ok(page(rows, limit))
    }

    fn enqueue_job(&mut self, job: &NewJobRow) -> Result<bool, StoreError> {
        let inserted = diesel::insert_into(jobs::table)
            .values(job)
            .on_conflict_do_nothing()
            .execute(self)?;
        Ok(inserted == 1)
    }

    fn claim_job(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        lease: fn(&str) -> chrono::Duration,
        busy: &[String],
    ) -> Result<Option<JobRow>, StoreError> {
        self.write(|c| {
            let Some(id) = c.next_job(to_db_time(now), busy)? else {
                return Ok(None);
            };
            let kind: String = jobs::table.find(id).select(jobs::kind).first(c)?;
            let lease = lease(&kind);
            diesel::update(jobs::table.find(id))
                .set((
                    jobs::status.eq(JobStatus::Running.as_str()),
                    jobs::attempts.eq(jobs::attempts + 1),
                    jobs::locked_until.eq(to_db_time(now + lease)),
                    jobs::locked_by.eq(worker),
                    jobs::updated_at.eq(to_db_time(now)),
                ))
                .execute(c)?;
            Ok(Some(
                jobs::table.find(id).select(JobRow::as_select()).first(c)?,
            ))
        })
    }

    fn settle_job(
        &mut self,
        id: i64,
        worker: &str,
        settlement: &Settlement,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let finished = !matches!(settlement.status, JobStatus::Queued | JobStatus::Running);
        let target = jobs::table
            .find(id)
            .filter(jobs::locked_by.eq(worker))
            .filter(jobs::status.eq(JobStatus::Running.as_str()));
        let run_at = to_db_time(settlement.run_at.unwrap_or(now));
        let common = (
            jobs::status.eq(settlement.status.as_str()),
            jobs::run_at.eq(run_at),
            jobs::last_error.eq(settlement.error.as_deref()),
            jobs::locked_until.eq(None::<chrono::NaiveDateTime>),
            jobs::locked_by.eq(None::<String>),
            jobs::updated_at.eq(to_db_time(now)),
        );
        let updated = if settlement.reset_attempts {
            diesel::update(target)
                .set((common, jobs::attempts.eq(0)))
                .execute(self)?
        } else {
            diesel::update(target)
                .set((
                    common,
                    jobs::finished_at.eq(finished.then(|| to_db_time(now))),
                ))
                .execute(self)?
        };
        Ok(updated == 1)
    }

    fn jobs_page(
        &mut self,
        kind: &str,
        statuses: &[JobStatus],
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<JobRow>, StoreError> {
        let mut query = jobs::table
            .filter(jobs::kind.eq(kind))
            .select(JobRow::as_select())
            .order(jobs::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if !statuses.is_empty() {
            let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
            query = query.filter(jobs::status.eq_any(statuses));
        }
        if let Some(cursor) = cursor {
            query = query.filter(jobs::id.lt(cursor));
        }
        let rows = query.load(self)?.into_iter().map(|r| (r.id, r)).collect();
        Ok(page(rows, limit))
    }

    fn replay_job(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let updated = diesel::update(
            jobs::table
                .find(id)
                .filter(jobs::status.eq(JobStatus::Failed.as_str())),
        )
        .set((
            jobs::status.eq(JobStatus::Queued.as_str()),
            jobs::attempts.eq(0),
            jobs::run_at.eq(to_db_time(now)),
            jobs::finished_at.eq(None::<chrono::NaiveDateTime>),
            jobs::updated_at.eq(to_db_time(now)),
        ))
        .execute(self)?;
        Ok(updated == 1)
    }

    fn job(&mut self, id: i64) -> Result<Option<JobRow>, StoreError> {
        Ok(jobs::table
            .find(id)
            .select(JobRow::as_select())
            .first(self)
            .optional()?)
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

    fn insert_reconcile_run(
        &mut self,
        trigger: &str,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(diesel::insert_into(reconcile_runs::table)
            .values((
                reconcile_runs::trigger_source.eq(trigger),
                reconcile_runs::from_date.eq(from),
                reconcile_runs::to_date.eq(to),
                reconcile_runs::started_at.eq(to_db_time(now)),
            ))
            .returning(reconcile_runs::id)
            .get_result(self)?)
    }

    fn finish_reconcile_run(
        &mut self,
        id: i64,
        totals: &ReconcileTotals,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        diesel::update(reconcile_runs::table.find(id))
            .set((
                reconcile_runs::finished_at.eq(to_db_time(now)),
                reconcile_runs::pages.eq(totals.pages),
                reconcile_runs::records.eq(totals.records),
                reconcile_runs::new_transactions.eq(totals.new_transactions),
                reconcile_runs::already_known.eq(totals.already_known),
                reconcile_runs::matched.eq(totals.matched),
                reconcile_runs::rejected.eq(totals.rejected),
                reconcile_runs::error.eq(error),
            ))
            .execute(self)?;
        Ok(())
    }

    fn reconcile_runs_page(
        &mut self,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<ReconcileRunRow>, StoreError> {
        let mut query = reconcile_runs::table
            .select(ReconcileRunRow::as_select())
            .order(reconcile_runs::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(cursor) = cursor {
            query = query.filter(reconcile_runs::id.lt(cursor));
        }
        let rows = query.load(self)?.into_iter().map(|r| (r.id, r)).collect();
        Ok(page(rows, limit))
    }
}
