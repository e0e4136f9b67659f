//! An order's history rows: every change with the state before and after.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{from_db_time, stored_time, units, StoredTime};
use crate::db::schema::order_history;
use crate::db::StoreError;
use crate::domain::{HistoryEntry, HistoryEvent, Money, OrderState, OrderStatus, TransferRef};

#[derive(Insertable)]
// A `None` binds NULL (the column's default) instead of leaving the column out, so that the
// insert's SQL never varies (see `cached::ByType`).
#[diesel(table_name = order_history, treat_none_as_default_value = false)]
pub struct NewHistoryRow<'a> {
    pub at: StoredTime,
    pub event: &'a str,
    pub actor: &'a str,
    pub status_before: Option<&'a str>,
    pub status_after: &'a str,
    pub amount_received_before: Option<i64>,
    pub amount_received_after: i64,
    pub paid_at_before: Option<StoredTime>,
    pub paid_at_after: Option<StoredTime>,
    pub transaction_id: Option<i64>,
    pub note: Option<&'a str>,
}

impl<'a> NewHistoryRow<'a> {
    pub fn from_entry(e: &'a HistoryEntry) -> Result<Self, StoreError> {
        Ok(NewHistoryRow {
            at: stored_time(e.at),
            event: e.event.as_str(),
            actor: &e.by,
            status_before: e.before.as_ref().map(|b| b.status.as_str()),
            status_after: e.after.status.as_str(),
            amount_received_before: e
                .before
                .as_ref()
                .map(|b| units(b.amount_received))
                .transpose()?,
            amount_received_after: units(e.after.amount_received)?,
            paid_at_before: e.before.as_ref().and_then(|b| b.paid_at).map(stored_time),
            paid_at_after: e.after.paid_at.map(stored_time),
            transaction_id: e.transfer.as_ref().map(|t| t.row_id),
            note: e.note.as_deref(),
        })
    }
}

/// One history row, with the `source` and `external_id` of its transfer.
#[derive(Queryable, Selectable)]
#[diesel(table_name = order_history)]
pub struct HistoryRow {
    pub at: NaiveDateTime,
    pub event: String,
    pub actor: String,
    pub status_before: Option<String>,
    pub status_after: String,
    pub amount_received_before: Option<i64>,
    pub amount_received_after: i64,
    pub paid_at_before: Option<NaiveDateTime>,
    pub paid_at_after: Option<NaiveDateTime>,
    pub transaction_id: Option<i64>,
    pub note: Option<String>,
}

fn stored_status(text: &str) -> Result<OrderStatus, StoreError> {
    OrderStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("order status {text:?}")))
}

impl HistoryRow {
    pub fn into_entry(
        self,
        transfer: Option<(String, String)>,
    ) -> Result<HistoryEntry, StoreError> {
        let before = match (self.status_before, self.amount_received_before) {
            (Some(status), Some(received)) => Some(OrderState {
                status: stored_status(&status)?,
                amount_received: Money::from_units(received),
                paid_at: self.paid_at_before.map(from_db_time),
            }),
            _ => None,
        };
        Ok(HistoryEntry {
            at: from_db_time(self.at),
            event: HistoryEvent::parse(&self.event)
                .ok_or_else(|| StoreError::Corrupt(format!("history event {:?}", self.event)))?,
            by: self.actor,
            before,
            after: OrderState {
                status: stored_status(&self.status_after)?,
                amount_received: Money::from_units(self.amount_received_after),
                paid_at: self.paid_at_after.map(from_db_time),
            },
            transfer: self
                .transaction_id
                .zip(transfer)
                .map(|(row_id, (source, external_id))| TransferRef {
                    row_id,
                    name: format!("{source}:{external_id}"),
                }),
            note: self.note,
        })
    }
}
