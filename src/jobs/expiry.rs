//! The expiry sweep: its own task on its own interval, so that deliveries waiting on slow
//! shops never delay it. Reads show an overdue order as expired before the sweep stores it;
//! the sweep makes the change durable and records its notifications.

use std::time::Duration;

use tokio::sync::watch;

use crate::config::PublicUrl;
use crate::db::{Database, OrderStore, Store, StoreError};
use crate::domain::{self, OrderCode};
use crate::ingest::history;
use crate::notify::outbox;
use crate::state::OrderEvents;
use crate::write_store;

const SWEEP: Duration = Duration::from_secs(5);
const BATCH: i64 = 500;

pub async fn run(
    db: Database,
    events: OrderEvents,
    links: PublicUrl,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(SWEEP);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !*stopped.borrow() {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(error) = expire_overdue(&db, &events, &links).await {
                    tracing::warn!(%error, "expiry sweep failed");
                }
            }
            _ = stopped.changed() => {}
        }
    }
}

/// Closes open orders past `expires_at`, with their notifications, in one transaction.
async fn expire_overdue(
    db: &Database,
    events: &OrderEvents,
    links: &PublicUrl,
) -> Result<(), StoreError> {
    let (now, links) = (domain::now(), links.clone());
    let expired = write_store!(db, |s| s.write(|s| {
        let mut expired: Vec<OrderCode> = Vec::new();
        for mut order in s.overdue_orders_for_update(now, BATCH)? {
            if history::expire_if_due(s, &mut order, now)? {
                expired.push(order.code);
            }
        }
        outbox::record_changes(s, &expired, &links, now)?;
        Ok(expired)
    }))?;
    if !expired.is_empty() {
        tracing::info!(count = expired.len(), "orders expired");
        events.publish(expired);
    }
    Ok(())
}
