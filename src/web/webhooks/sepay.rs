//! `POST /webhooks/sepay`: `Authorization: Apikey <PAYMATCH_SEPAY_WEBHOOK_KEY>`, one SePay
//! transaction per delivery, answered in SePay's shape (`{"success": true}`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{store_delivery, WEBHOOK_BODY_LIMIT};
use crate::ingest::sepay::webhook::parse_webhook;
use crate::state::{secret_matches, AppState};
use crate::web::error::ApiError;
use crate::web::openapi::{ErrorBody, SepayReply};

const CHANNEL: &str = "sepay";

#[utoipa::path(
    post, path = "/webhooks/sepay", tag = "webhooks", operation_id = "sepay_webhook",
    request_body(content = crate::web::openapi::SepayBody, description = "One SePay transaction (header `Authorization: Apikey <PAYMATCH_SEPAY_WEBHOOK_KEY>`)"),
    security(("sepay_api_key" = [])),
    responses(
        (status = 200, description = "Stored and processed (a duplicate too)", body = SepayReply),
        (status = 400, description = "Not a SePay transaction (kept for admins)", body = ErrorBody),
        (status = 401, description = "Missing or wrong key: nothing stored", body = SepayReply),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 503, description = "Storage unavailable: nothing acknowledged", body = ErrorBody),
    )
)]
pub async fn sepay(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Err(message) = check_key(&req, &state) {
        return Ok(HttpResponse::build(StatusCode::UNAUTHORIZED)
            .json(json!({"success": false, "message": message})));
    }
    let body = crate::web::read_body(&req, payload, WEBHOOK_BODY_LIMIT).await?;
    store_delivery(&state, CHANNEL, &body, parse_webhook(&body)).await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

/// The key SePay sends, compared in constant time; no key configured refuses every delivery.
fn check_key(req: &HttpRequest, state: &AppState) -> Result<(), &'static str> {
    let Some(expected) = &state.settings.sepay_webhook_key else {
        return Err("SePay webhooks are not configured here (PAYMATCH_SEPAY_WEBHOOK_KEY)");
    };
    match crate::web::authorization(req, "Apikey") {
        Some(key) if secret_matches(key, expected) => Ok(()),
        Some(_) => Err("the API key is not valid"),
        None => Err("send the key in the header `Authorization: Apikey <key>`"),
    }
}
