//! Rows as the databases hold them, and their conversion to domain types.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{
    admin_sessions, admin_users, audit_log, bank_transactions, jobs, orders, reconcile_runs,
    rejected_items, webhook_deliveries,
};
use super::search::search_text;

mod history;
#[cfg(test)]
mod tests;
mod time;
use super::StoreError;
use crate::domain::{
    BankTransaction, Customer, IncomingTransfer, Money, Order, OrderCode, OrderState, OrderStatus,
    Payer, Resolution, TransactionStatus,
};
pub use history::{HistoryRow, NewHistoryRow};
pub use time::StoredTime;

pub fn to_db_time(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

/// A time as a row written by the write path holds it (see [`StoredTime`]).
pub fn stored_time(t: DateTime<Utc>) -> StoredTime {
    StoredTime(t.naive_utc())
}

pub fn from_db_time(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Storage units of an amount that the domain already checked to fit.
pub fn units(m: Money) -> Result<i64, StoreError> {
    m.to_units()
        .ok_or_else(|| StoreError::Corrupt(format!("amount {m} does not fit storage")))
}

/// PostgreSQL refuses NUL in text; a bank description must never make a delivery fail.
pub fn storable_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub code: String,
    pub reference: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub amount_received: i64,
    pub notify_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub account: Option<String>,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub customer_email: Option<String>,
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
}

impl OrderRow {
    pub fn into_order(self) -> Result<Order, StoreError> {
        Ok(Order {
            code: OrderCode::parse(&self.code)
                .map_err(|_| StoreError::Corrupt(format!("order code {:?}", self.code)))?,
            reference: self.reference,
            amount: Money::from_units(self.amount),
            currency: self.currency,
            status: OrderStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("order status {:?}", self.status)))?,
            amount_received: Money::from_units(self.amount_received),
            notify_url: self.notify_url,
            account: self.account,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
            paid_at: self.paid_at.map(from_db_time),
            expires_at: self.expires_at.map(from_db_time),
            customer: Customer {
                name: self.customer_name,
                phone: self.customer_phone,
                email: self.customer_email,
            },
            return_url: self.return_url,
            cancel_url: self.cancel_url,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrderRow<'a> {
    pub code: &'a str,
    pub reference: Option<&'a str>,
    pub amount: i64,
    pub currency: &'a str,
    pub status: &'a str,
    pub amount_received: i64,
    pub notify_url: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub account: Option<&'a str>,
    pub search_text: String,
    pub customer_name: Option<&'a str>,
    pub customer_phone: Option<&'a str>,
    pub customer_email: Option<&'a str>,
    pub return_url: Option<&'a str>,
    pub cancel_url: Option<&'a str>,
}

/// What a change writes to an order: its total and time always; its status and `paid_at` only
/// when they changed (`None` leaves the column out of the `UPDATE`: SQLite rewrites every index
/// on a column an `UPDATE` sets, whether or not the value changed).
#[derive(AsChangeset)]
#[diesel(table_name = orders)]
pub struct OrderChange<'a> {
    pub status: Option<&'a str>,
    pub amount_received: i64,
    pub updated_at: StoredTime,
    pub paid_at: Option<Option<StoredTime>>,
}

impl<'a> OrderChange<'a> {
    pub fn between(before: &OrderState, order: &'a Order) -> Result<Self, StoreError> {
        Ok(OrderChange {
            status: (order.status != before.status).then(|| order.status.as_str()),
            amount_received: units(order.amount_received)?,
            updated_at: stored_time(order.updated_at),
            paid_at: (order.paid_at != before.paid_at).then(|| order.paid_at.map(stored_time)),
        })
    }
}

impl<'a> NewOrderRow<'a> {
    pub fn from_order(o: &'a Order) -> Result<Self, StoreError> {
        Ok(NewOrderRow {
            code: o.code.as_str(),
            reference: o.reference.as_deref(),
            amount: units(o.amount)?,
            currency: &o.currency,
            status: o.status.as_str(),
            amount_received: units(o.amount_received)?,
            notify_url: o.notify_url.as_deref(),
            created_at: to_db_time(o.created_at),
            updated_at: to_db_time(o.updated_at),
            paid_at: o.paid_at.map(to_db_time),
            expires_at: o.expires_at.map(to_db_time),
            account: o.account.as_deref(),
            // The admin finds an order by its code, reference, customer's name or phone.
            search_text: search_text(&[
                Some(o.code.as_str()),
                o.reference.as_deref(),
                o.customer.name.as_deref(),
                o.customer.phone.as_deref(),
            ]),
            customer_name: o.customer.name.as_deref(),
            customer_phone: o.customer.phone.as_deref(),
            customer_email: o.customer.email.as_deref(),
            return_url: o.return_url.as_deref(),
            cancel_url: o.cancel_url.as_deref(),
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = bank_transactions)]
pub struct TransactionRow {
    pub id: i64,
    pub source: String,
    pub external_id: String,
    pub bank_ref: Option<String>,
    pub description: String,
    pub amount: i64,
    pub running_balance: Option<i64>,
    pub occurred_at: Option<NaiveDateTime>,
    pub account: Option<String>,
    pub status: String,
    pub candidates: String,
    pub received_at: NaiveDateTime,
    pub waiting_reason: Option<String>,
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub payer_name: Option<String>,
    pub payer_account: Option<String>,
    pub payer_bank: Option<String>,
}

impl TransactionRow {
    pub fn into_transaction(
        self,
        order_code: Option<String>,
    ) -> Result<BankTransaction, StoreError> {
        let code = |c: &str| {
            OrderCode::parse(c).map_err(|_| StoreError::Corrupt(format!("order code {c:?}")))
        };
        let status = |s: &str| {
            TransactionStatus::parse(s)
                .ok_or_else(|| StoreError::Corrupt(format!("transaction status {s:?}")))
        };
        Ok(BankTransaction {
            row_id: self.id,
            source: self.source,
            external_id: self.external_id,
            bank_ref: self.bank_ref,
            description: self.description,
            amount: Money::from_units(self.amount),
            running_balance: self.running_balance.map(Money::from_units),
            when: self.occurred_at.map(from_db_time),
            account: self.account,
            status: TransactionStatus::parse(&self.status).ok_or_else(|| {
                StoreError::Corrupt(format!("transaction status {:?}", self.status))
            })?,
            order_code: order_code.as_deref().map(code).transpose()?,
            candidates: self
                .candidates
                .split_whitespace()
                .map(code)
                .collect::<Result<_, _>>()?,
            // Read from their own table by the query that loads the transaction.
            allocations: Vec::new(),
            received_at: from_db_time(self.received_at),
            waiting_reason: self.waiting_reason.as_deref().map(status).transpose()?,
            resolution: self
                .resolution
                .as_deref()
                .map(|r| {
                    Resolution::parse(r)
                        .ok_or_else(|| StoreError::Corrupt(format!("resolution {r:?}")))
                })
                .transpose()?,
            resolution_note: self.resolution_note,
            resolved_by: self.resolved_by,
            resolved_at: self.resolved_at.map(from_db_time),
            payer: Payer {
                name: self.payer_name,
                account: self.payer_account,
                bank: self.payer_bank,
            },
        })
    }
}

#[derive(Insertable)]
// A `None` binds NULL (the column's default) instead of leaving the column out, so that the
// insert's SQL never varies (see `cached::ByType`).
#[diesel(table_name = bank_transactions, treat_none_as_default_value = false)]
pub struct NewTransactionRow<'a> {
    pub source: &'a str,
    pub external_id: &'a str,
    pub bank_ref: Option<std::borrow::Cow<'a, str>>,
    pub description: std::borrow::Cow<'a, str>,
    pub amount: i64,
    pub running_balance: Option<i64>,
    pub occurred_at: Option<StoredTime>,
    pub account: Option<std::borrow::Cow<'a, str>>,
    pub status: &'a str,
    pub candidates: String,
    pub delivery_id: Option<i64>,
    pub received_at: StoredTime,
    pub updated_at: StoredTime,
    pub search_text: &'a str,
    pub payer_name: Option<std::borrow::Cow<'a, str>>,
    pub payer_account: Option<std::borrow::Cow<'a, str>>,
    pub payer_bank: Option<std::borrow::Cow<'a, str>>,
}

impl<'a> NewTransactionRow<'a> {
    /// `search_text`: the transfer's, made before the write (`ingest::reading`).
    pub fn from_incoming(
        t: &'a IncomingTransfer,
        search_text: &'a str,
        delivery_id: Option<i64>,
        status: TransactionStatus,
        candidates: String,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        Ok(NewTransactionRow {
            source: t.source.as_str(),
            external_id: &t.external_id,
            bank_ref: t.bank_ref.as_deref().map(storable_text),
            description: storable_text(&t.description),
            amount: units(t.amount)?,
            running_balance: t.running_balance.map(units).transpose()?,
            occurred_at: t.when.map(stored_time),
            account: t.account.as_deref().map(storable_text),
            status: status.as_str(),
            candidates,
            delivery_id,
            received_at: stored_time(now),
            updated_at: stored_time(now),
            search_text,
            payer_name: t.payer.name.as_deref().map(storable_text),
            payer_account: t.payer.account.as_deref().map(storable_text),
            payer_bank: t.payer.bank.as_deref().map(storable_text),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDeliveryRow<'a> {
    pub channel: &'a str,
    pub received_at: StoredTime,
    pub body: std::borrow::Cow<'a, str>,
    pub outcome: &'a str,
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
}

/// A delivery as kept for admins.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub channel: String,
    pub received_at: NaiveDateTime,
    pub body: String,
    pub outcome: String,
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
}

#[derive(Insertable)]
#[diesel(table_name = rejected_items)]
pub struct NewRejectedRow<'a> {
    pub delivery_id: i64,
    pub position: i32,
    pub payload: std::borrow::Cow<'a, str>,
    pub reason: &'a str,
    pub received_at: NaiveDateTime,
}

/// An element of a delivery that could not be taken as a transaction, kept for admins.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = rejected_items)]
pub struct RejectedRow {
    pub id: i64,
    pub delivery_id: i64,
    pub position: i32,
    pub payload: String,
    pub reason: String,
    pub received_at: NaiveDateTime,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = admin_users)]
pub struct NewAdminRow<'a> {
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = admin_sessions)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_name: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditRow<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub before_state: Option<&'a str>,
    pub after_state: Option<&'a str>,
    pub note: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

/// One admin action, as the audit log shows it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = jobs)]
pub struct NewJobRow<'a> {
    pub kind: &'a str,
    pub unique_key: Option<&'a str>,
    pub payload: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Where a notification goes, for fair sharing of delivery slots.
    pub target: Option<&'a str>,
}

/// A background job as stored.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub unique_key: Option<String>,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub target: Option<String>,
}

/// One reconciliation, as admins see it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = reconcile_runs)]
pub struct ReconcileRunRow {
    pub id: i64,
    pub trigger_source: String,
    pub from_date: String,
    pub to_date: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub pages: i32,
    pub records: i32,
    pub new_transactions: i32,
    pub already_known: i32,
    pub matched: i32,
    pub rejected: i32,
    pub error: Option<String>,
    /// The provider whose API was read: `casso`, `sepay`.
    pub source: String,
}
