//! Shop notifications are written as jobs in the same database transaction that changes the
//! order, so a status change and its notification commit (or vanish) together.

use chrono::{DateTime, Utc};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::PublicUrl;
use crate::db::{NewJobRow, Store, StoreError};
use crate::domain::{OrderCode, OrderStatus};
use crate::notify::target::fairness_key;
use crate::views::{rfc3339, OrderView};

pub const KIND: &str = "notify";
/// Attempts before a notification is marked failed (Casso's own schedule).
pub const MAX_ATTEMPTS: i32 = 17;

/// One event for a shop, fixed when it is recorded: every retry sends the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// `webhook-id`, the same on every retry.
    pub event_id: String,
    pub order_code: String,
    pub event_type: String,
    pub body: String,
}

/// Records a notification for each order whose status changed (once per order, with its
/// status now) and that has somewhere to send it: its own `notify_url`, else
/// `PAYMATCH_NOTIFY_URL` (see `PublicUrl::notifies`). A return to `pending` (an admin's undo)
/// has no event type in the contract.
pub fn record_changes<S: Store>(
    store: &mut S,
    changed: &[OrderCode],
    links: &PublicUrl,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut codes = changed.to_vec();
    codes.sort();
    codes.dedup();
    if codes.is_empty() {
        return Ok(());
    }
    let mut orders = store.orders_by_codes(&codes)?;
    // A return to `pending` has no event; an order with nowhere to send it gets no job (a
    // delivery that could only be skipped, written on the hot path).
    orders.retain(|o| o.status != OrderStatus::Pending && links.notifies(o.notify_url.as_deref()));
    if orders.is_empty() {
        return Ok(());
    }
    let codes: Vec<OrderCode> = orders.iter().map(|o| o.code.clone()).collect();
    let transactions = store.transactions_of(&codes)?;
    for order in orders {
        let event_type = format!("order.{}", order.status.as_str());
        let target = fairness_key(order.notify_url.as_deref());
        let notification = Notification {
            event_id: format!("msg_{}", Alphanumeric.sample_string(&mut rand::rng(), 27)),
            order_code: order.code.to_string(),
            body: json!({
                "type": event_type,
                "timestamp": rfc3339(now),
                "data": OrderView::new(order, &transactions, links),
            })
            .to_string(),
            event_type,
        };
        let payload = serde_json::to_string(&notification)
            .map_err(|e| StoreError::Corrupt(format!("notification: {e}")))?;
        store.enqueue_job(&NewJobRow {
            target: Some(&target),
            ..NewJobRow::queued(KIND, &payload, MAX_ATTEMPTS, now, now)
        })?;
    }
    Ok(())
}
