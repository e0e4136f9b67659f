//! `POST /webhooks/casso`: authenticate (v1 token or v2 signature), then store the delivery and
//! answer in Casso's shape.

use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde_json::json;

use super::{store_delivery, WEBHOOK_BODY_LIMIT};
use crate::ingest::casso::{v1, v2 as casso_v2};
use crate::ingest::distinct_keys;
use crate::ingest::{Element, EnvelopeError};
use crate::state::{secret_matches, AppState};
use crate::web::error::ApiError;
use crate::web::openapi::{ErrorBody, WebhookReply};

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
    let body = crate::web::read_body(&req, payload, WEBHOOK_BODY_LIMIT).await?;
    reply(&state, CHANNEL_V1, &body, v1::parse_v1(&body)).await
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
    let body = crate::web::read_body(req, payload, WEBHOOK_BODY_LIMIT).await?;
    if let Some(reason) = distinct_keys::repeated_key(&body) {
        return Err(ApiError::bad_request("duplicate_key", reason));
    }
    casso_v2::verify_body(&header, &body, key.expose_secret().as_bytes()).map_err(unauthorized)?;
    reply(state, CHANNEL_V2, &body, casso_v2::parse_v2(&body)).await
}

/// Stores the delivery, then answers in Casso's shape with what became of its elements.
async fn reply(
    state: &AppState,
    channel: &'static str,
    body: &[u8],
    parsed: Result<Vec<Element>, EnvelopeError>,
) -> Result<HttpResponse, ApiError> {
    let report = store_delivery(state, channel, body, parsed).await?;
    Ok(HttpResponse::Ok().json(json!({
        "error": 0,
        "message": "ok",
        "accepted": report.counts.accepted,
        "duplicates": report.counts.duplicates,
        "rejected": report.counts.rejected,
    })))
}
