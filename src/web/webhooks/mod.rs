//! `POST /webhooks/…`: each provider's handler authenticates its deliveries and shapes its own
//! reply; what they share is here: keep the raw body, hand every element to the pipeline, and
//! return only after all of it is committed.

pub mod casso;
pub mod sepay;

pub use casso::V2_HEADER;

use super::error::ApiError;
use crate::db::Writers;
use crate::domain;
use crate::ingest::pipeline::{ingest_delivery, record_unreadable_delivery};
use crate::ingest::{lane_key, read_delivery, DeliveryReport, Element, EnvelopeError};
use crate::state::AppState;
use crate::write_store;

/// Providers' payloads are small; anything over this is refused before it is read.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Keeps the raw body and hands the elements to the pipeline; returns once committed. A body
/// that is not the provider's delivery at all is kept for admins and answered 400.
async fn store_delivery(
    state: &AppState,
    channel: &'static str,
    body: &[u8],
    parsed: Result<Vec<Element>, EnvelopeError>,
) -> Result<DeliveryReport, ApiError> {
    let raw = String::from_utf8_lossy(body).into_owned();
    let now = domain::now();
    let elements = match parsed {
        Ok(elements) => elements,
        Err(error) => {
            let reason = error.to_string();
            tracing::warn!(%reason, "unreadable webhook delivery");
            write_store!(state.db, |s| record_unreadable_delivery(
                s, channel, &raw, &reason, now
            ))?;
            return Err(ApiError::bad_request("invalid_envelope", error.to_string()));
        }
    };
    let settings = state.settings.clone();
    let elements = read_delivery(elements, &settings.matching);
    // Only PostgreSQL has several writers to choose from; SQLite's one needs no key.
    let lane = match state.db.writer() {
        Some(Writers::Postgres(writer)) if writer.has_lanes() => lane_key(&elements),
        _ => None,
    };
    let mut report = write_store!(state.db, lane = lane, |s| ingest_delivery(
        s,
        &settings.matching,
        &settings.public_url,
        &settings.alerts,
        channel,
        &raw,
        &elements,
        now
    ))?;
    state.metrics.count_delivery(channel, &report);
    state
        .order_events
        .publish(std::mem::take(&mut report.changed_orders));
    Ok(report)
}
