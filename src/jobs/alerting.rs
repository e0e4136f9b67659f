//! The worker's part of owner alerts: sending each copy, the daily summary, and telling the
//! owner when a shop notification or a reconciliation fails.

use super::{Context, Outcome};
use crate::alerts::{self, Alert, Delivery};
use crate::config::AlertKind;
use crate::db::{JobRow, JobStatus, JobStore, NewJobRow, Settlement, StoreError};
use crate::domain;
use crate::notify::outbox::{self, Notification};
use crate::{with_store, write_store};

pub(super) async fn send(context: &Context, job: &JobRow) -> Outcome {
    let delivery: Delivery = match serde_json::from_str(&job.payload) {
        Ok(delivery) => delivery,
        Err(e) => return Outcome::Fail(format!("unreadable alert: {e}")),
    };
    match alerts::send::send(&context.alert_http, &context.settings.alerts, &delivery).await {
        alerts::send::Sent::Done => {
            tracing::info!(kind = %delivery.kind, to = %job.target.as_deref().unwrap_or(""), "alert sent");
            Outcome::Done
        }
        alerts::send::Sent::Retry(error, Some(after)) => Outcome::RetryAfter(after, error),
        alerts::send::Sent::Retry(error, None) => Outcome::Retry(error),
        alerts::send::Sent::Refused(error) => Outcome::Fail(error),
    }
}

/// One recurring row per database, due at the next `PAYMATCH_ALERT_DAILY_AT`.
pub(super) async fn schedule_daily(context: &Context) -> Result<(), StoreError> {
    if !context.settings.alerts.sends(AlertKind::Daily) {
        return Ok(());
    }
    let now = domain::now();
    let at = alerts::next_run(now, context.settings.alerts.daily_at);
    write_store!(context.db, |s| s.enqueue_job(&NewJobRow {
        unique_key: Some(alerts::DAILY_KIND),
        ..NewJobRow::queued(alerts::DAILY_KIND, "{}", 3, at, now)
    }))
    .map(|_| ())
}

/// Writes yesterday's summary for every chat and address (once per day, whichever process
/// runs it), then waits for the next day.
pub(super) async fn daily(context: &Context) -> Outcome {
    let settings = context.settings.clone();
    let now = domain::now();
    let next = alerts::next_run(now, settings.alerts.daily_at);
    if !settings.alerts.sends(AlertKind::Daily) {
        return Outcome::Rearm(next, Some("daily alerts are off".to_owned()));
    }
    let day = alerts::yesterday(now);
    let accounts: Vec<String> = settings
        .accounts
        .all()
        .iter()
        .map(|a| a.number.clone())
        .collect();
    let written = context
        .db
        .run(move |conn| {
            with_store!(conn, |s| {
                let summary = alerts::summary(s, &accounts, day, &settings.public_url)?;
                crate::db::Store::write(s, |s| {
                    alerts::record(
                        s,
                        &settings.alerts,
                        Some(AlertKind::Daily),
                        &summary,
                        Some(&format!("daily:{day}")),
                        now,
                    )
                })
            })
        })
        .await;
    match written {
        Ok(()) => Outcome::Rearm(next, None),
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

/// The alert for a shop notification that this settlement gives up, if it does.
pub(super) fn gave_up_alert(
    context: &Context,
    job: &JobRow,
    settlement: &Settlement,
) -> Option<Alert> {
    if job.kind != outbox::KIND || settlement.status != JobStatus::Failed {
        return None;
    }
    let notification: Notification = serde_json::from_str(&job.payload).ok()?;
    Some(Alert::NotificationFailed {
        code: notification.order_code,
        error: settlement.error.clone().unwrap_or_default(),
        link: context.settings.public_url.link("/admin/notifications"),
    })
}

pub(super) async fn reconcile_failed(context: &Context, error: &str) {
    let alert = Alert::ReconcileFailed {
        error: error.to_owned(),
        link: context.settings.public_url.link("/admin/reconcile"),
    };
    let (settings, now) = (context.settings.alerts.clone(), domain::now());
    let recorded = write_store!(context.db, |s| alerts::record(
        s,
        &settings,
        Some(AlertKind::Failing),
        &alert,
        None,
        now
    ));
    if let Err(error) = recorded {
        tracing::error!(%error, "the reconciliation's failure could not be told to the owner");
    }
}
