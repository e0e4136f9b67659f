//! `POST /webhooks/casso`: authenticate, keep the raw body, parse, then hand every element to
//! the pipeline. A 200 is sent only after all of it is committed.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::error::ApiError;
use super::state::{secret_matches, AppState};
use crate::domain;
use crate::ingest::casso;
use crate::ingest::pipeline::{ingest_delivery, record_unreadable_delivery};
use crate::with_store;

/// Casso's payloads are small; anything over this is refused before it is read.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;
const CHANNEL_V1: &str = "casso_v1";

pub async fn casso(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = req
        .headers()
        .get("Secure-Token")
        .and_then(|v| v.to_str().ok());
    match token {
        Some(token) if secret_matches(token, &state.secrets.casso_secure_token) => {}
        Some(_) => {
            return Err(ApiError::unauthorized(
                "the Secure-Token header is not valid",
            ))
        }
        None => return Err(ApiError::unauthorized("the Secure-Token header is missing")),
    }
    let body = super::read_body(&req, payload, WEBHOOK_BODY_LIMIT).await?;
    let raw = String::from_utf8_lossy(&body).into_owned();
    let now = domain::now();

    let elements = match casso::parse_v1(&body) {
        Ok(elements) => elements,
        Err(error) => {
            let reason = error.to_string();
            tracing::warn!(%reason, "unreadable webhook delivery");
            state
                .db
                .run(move |conn| {
                    with_store!(conn, |s| record_unreadable_delivery(
                        s, CHANNEL_V1, &raw, &reason, now
                    ))
                })
                .await?;
            return Err(ApiError::bad_request("invalid_envelope", error.to_string()));
        }
    };
    let matching = state.settings.matching.clone();
    let report = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| ingest_delivery(
                s, &matching, CHANNEL_V1, &raw, &elements, now
            ))
        })
        .await?;
    state.order_events.publish(report.changed_orders);
    Ok(HttpResponse::Ok().json(json!({
        "error": 0,
        "message": "ok",
        "accepted": report.counts.accepted,
        "duplicates": report.counts.duplicates,
        "rejected": report.counts.rejected,
    })))
}
