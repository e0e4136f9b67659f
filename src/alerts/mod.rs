//! Owner alerts: what paymatch tells the shop's owner by Telegram and e-mail. An alert is
//! written (as one job per chat and per address) in the same database transaction as the change
//! it tells of, and sent by the worker, never on a webhook's path: a Telegram or SMTP outage
//! delays nothing else, and nothing is lost when the process stops.

mod daily;
mod message;
pub mod send;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use daily::{next_run, summary, yesterday};
pub use message::{kind_of, Alert, Writer, Written};

use crate::config::{AlertKind, AlertSettings};
use crate::db::{NewJobRow, Store, StoreError};

pub const KIND: &str = "alert";
/// The recurring job that writes the daily summary.
pub const DAILY_KIND: &str = "alert_daily";
/// Attempts before an alert is given up: about a day of retries (`send::retry_delay`).
pub const MAX_ATTEMPTS: i32 = 60;

/// Where one copy of an alert goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", content = "to", rename_all = "lowercase")]
pub enum Recipient {
    Telegram(String),
    Email(String),
}

impl Recipient {
    /// The job's target: one chat's or one address's alerts never wait on another's.
    pub fn target(&self) -> String {
        match self {
            Recipient::Telegram(chat) => format!("telegram:{chat}"),
            Recipient::Email(address) => format!("email:{address}"),
        }
    }
}

pub fn recipients(settings: &AlertSettings) -> Vec<Recipient> {
    let chats = settings
        .telegram
        .iter()
        .flat_map(|t| t.chats.iter().cloned().map(Recipient::Telegram));
    let addresses = settings
        .email
        .iter()
        .flat_map(|e| e.to.iter().cloned().map(Recipient::Email));
    chats.chain(addresses).collect()
}

/// One copy of an alert, fixed when recorded: every retry sends the same text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub recipient: Recipient,
    /// `paid` … `daily`, or `test`.
    pub kind: String,
    pub written: Written,
}

/// Records `alert` for every chat and address, inside the caller's transaction, when
/// `kind` is among the alerts sent. `once`, when given, makes the alert one of its name:
/// recorded again (by another process, after a restart) it is not sent twice.
pub fn record<S: Store>(
    store: &mut S,
    settings: &AlertSettings,
    kind: Option<AlertKind>,
    alert: &Alert,
    once: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(kind) = kind {
        if !settings.sends(kind) {
            return Ok(());
        }
    }
    let written = Writer::new(settings.language).write(alert);
    for recipient in recipients(settings) {
        let target = recipient.target();
        let delivery = Delivery {
            recipient,
            kind: kind.map_or("test", AlertKind::as_str).to_owned(),
            written: written.clone(),
        };
        let payload = serde_json::to_string(&delivery)
            .map_err(|e| StoreError::Corrupt(format!("alert: {e}")))?;
        let unique = once.map(|name| format!("{name}:{target}"));
        store.enqueue_job(&NewJobRow {
            unique_key: unique.as_deref(),
            target: Some(&target),
            ..NewJobRow::queued(KIND, &payload, MAX_ATTEMPTS, now, now)
        })?;
    }
    Ok(())
}

/// The alerts a newly stored transfer calls for: one per order it paid (money came), or one
/// saying it waits for an admin. Inside the transaction that stored it.
#[allow(clippy::too_many_arguments)]
pub fn on_transfer<S: Store>(
    store: &mut S,
    settings: &AlertSettings,
    links: &crate::config::PublicUrl,
    transfer: &crate::domain::IncomingTransfer,
    allocations: &[crate::domain::Allocation],
    status: crate::domain::TransactionStatus,
    transaction_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if status.is_waiting() {
        let alert = Alert::Waiting {
            amount: transfer.amount,
            currency: crate::config::DEFAULT_CURRENCY.to_owned(),
            description: transfer.description.clone(),
            reason: status,
            link: links.link(&format!("/admin/transactions/{transaction_id}")),
        };
        return record(store, settings, Some(AlertKind::Waiting), &alert, None, now);
    }
    let kinds = [
        AlertKind::Paid,
        AlertKind::PartiallyPaid,
        AlertKind::Overpaid,
    ];
    if allocations.is_empty() || !kinds.iter().any(|k| settings.sends(*k)) {
        return Ok(());
    }
    let codes: Vec<_> = allocations.iter().map(|a| a.order_code.clone()).collect();
    for order in store.orders_by_codes(&codes)? {
        let Some(kind) = kind_of(order.status) else {
            continue;
        };
        let share = allocations
            .iter()
            .filter(|a| a.order_code == order.code)
            .map(|a| a.amount)
            .fold(crate::domain::Money::ZERO, crate::domain::Money::plus);
        let alert = Alert::Payment {
            status: order.status,
            link: links.link(&format!("/admin/orders/{}", order.code)),
            code: order.code.to_string(),
            currency: order.currency.clone(),
            transfer: share,
            received: order.amount_received,
            amount: order.amount,
            customer: order.customer.name.clone(),
            payer: transfer.payer.name.clone(),
        };
        record(store, settings, Some(kind), &alert, None, now)?;
    }
    Ok(())
}
