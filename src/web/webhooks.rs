//! `POST /webhooks/casso`: authenticate, keep the raw body, parse, then hand every element to
//! the pipeline. A 200 is sent only after all of it is committed.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::error::ApiError;
use super::openapi::{ErrorBody, WebhookReply};
use crate::state::{secret_matches, AppState};
use crate::domain;
use secrecy::ExposeSecret;

use crate::ingest::pipeline::{ingest_delivery, record_unreadable_delivery};
use crate::ingest::{casso, casso_v2, distinct_keys};
use crate::write_store;

/// Casso's payloads are small; anything over this is refused before it is read.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;
const CHANNEL_V1: &str = "casso_v1";
const CHANNEL_V2: &str = "casso_v2";
pub const V2_HEADER: &str = "X-Casso-Signature";

#[utoipa::path(
    post, path = "/webhooks/casso", tag = "webhooks", operation_id = "casso_webhook",
    request_body(content = crate::web::openapi::CassoWebhook, description = "Casso webhook v1 `{\"error\": 0, \"data\": [...]}` (header `Secure-Token`) or v2 `{\"error\": 0, \"data\": {...}}` (header `X-Casso-Signature`)"),
    security(("casso_secure_token" = []), ("casso_signature" = [])),
    responses(
        (status = 200, description = "Every element stored and processed", body = WebhookReply),
        (status = 400, description = "Not a Casso envelope (kept for admins)", body = ErrorBody),
        (status = 401, description = "Wrong or missing token or signature: nothing stored", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 503, description = "Storage unavailable: nothing acknowledged", body = ErrorBody),
    )
)]
pub async fn casso(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(signature) = req.headers().get(V2_HEADER) {
        let signature = signature.to_str().unwrap_or("").to_owned();
        return casso_v2(&req, payload, &state, &signature).await;
    }
    if !state.settings.casso_webhook_v1 {
        return Err(ApiError::unauthorized(
            "Casso webhook v1 is switched off here (PAYMATCH_CASSO_WEBHOOK_V1=false): use webhook v2",
        ));
    }
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
    ingest(&state, CHANNEL_V1, &body, casso::parse_v1(&body)).await
}

/// Webhook v2: the header's form and time are checked first; then the body is read (within the
/// limit), refused if any object repeats a key, and its signature checked.
async fn casso_v2(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    signature: &str,
) -> Result<HttpResponse, ApiError> {
    let Some(key) = &state.settings.casso_webhook_key else {
        return Err(ApiError::unauthorized(
            "webhook v2 is not configured (PAYMATCH_CASSO_WEBHOOK_KEY)",
        ));
    };
    let unauthorized = |e: casso_v2::SignatureError| ApiError::unauthorized(e.to_string());
    let header = casso_v2::check_header(signature, chrono::Utc::now().timestamp_millis())
        .map_err(unauthorized)?;
    let body = super::read_body(req, payload, WEBHOOK_BODY_LIMIT).await?;
    if let Some(reason) = distinct_keys::repeated_key(&body) {
        return Err(ApiError::bad_request("duplicate_key", reason));
    }
    casso_v2::verify_body(&header, &body, key.expose_secret().as_bytes()).map_err(unauthorized)?;
    ingest(state, CHANNEL_V2, &body, casso_v2::parse_v2(&body)).await
}

/// Keeps the raw body and hands the elements to the pipeline; answers only after the commit.
async fn ingest(
    state: &AppState,
    channel: &'static str,
    body: &[u8],
    parsed: Result<Vec<casso::Element>, casso::EnvelopeError>,
) -> Result<HttpResponse, ApiError> {
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
    let report = write_store!(state.db, |s| ingest_delivery(
        s,
        &settings.matching,
        channel,
        &raw,
        &elements,
        now
    ))?;
    state.metrics.count_delivery(channel, &report);
    state.order_events.publish(report.changed_orders);
    Ok(HttpResponse::Ok().json(json!({
        "error": 0,
        "message": "ok",
        "accepted": report.counts.accepted,
        "duplicates": report.counts.duplicates,
        "rejected": report.counts.rejected,
    })))
}
