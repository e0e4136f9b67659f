//! HTTP: routes, extractors and the mapping of errors to answers.

pub mod admin;
pub mod api;
pub mod client;
pub mod error;
pub mod i18n;
pub mod methods;
pub mod openapi;
pub mod pages;
pub mod pay;
pub mod security;
pub mod webhooks;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;

use crate::state::{secret_matches, AppState};
use error::ApiError;

use crate::with_store;

pub const API_BODY_LIMIT: usize = 64 * 1024;

/// Reads a body up to `limit` bytes, refusing a larger one as soon as it is announced or seen.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request("invalid_body", format!("the body could not be read: {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The API takes JSON only; a missing content type is accepted, as curl users forget it.
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    match req.headers().get(header::CONTENT_TYPE).map(|v| v.to_str()) {
        None => Ok(()),
        Some(Ok(ct))
            if ct
                .trim()
                .to_ascii_lowercase()
                .starts_with("application/json") =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        )),
    }
}

async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .run(|conn| with_store!(conn, |s| crate::db::Store::ping(s)))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"status": "ok"})))
}

/// The credentials of an `Authorization: <scheme> <credentials>` header. Scheme names are
/// case-insensitive (RFC 9110), so `bearer` is `Bearer`.
pub fn authorization<'r>(req: &'r HttpRequest, scheme: &str) -> Option<&'r str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (name, credentials) = value.trim().split_once([' ', '\t'])?;
    name.eq_ignore_ascii_case(scheme)
        .then(|| credentials.trim())
}

/// Prometheus text, for whoever holds the metrics token: it shows the shop's volume.
async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match authorization(&req, "Bearer") {
        Some(token) if secret_matches(token, &state.secrets.metrics_token) => {}
        Some(_) => return Err(ApiError::unauthorized("the metrics token is not valid")),
        None => return Err(ApiError::unauthorized(
            "send the metrics token in the header `Authorization: Bearer <PAYMATCH_METRICS_TOKEN>`",
        )),
    }
    let text = state.metrics.render().map_err(|e| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "metrics_unavailable",
            e.to_string(),
        )
    })?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

/// Liveness without touching the database: also the no-op baseline of the load benchmark.
async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// No route: JSON for the machine interfaces (`/api`, `/webhooks`), a page for people elsewhere.
async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if path.starts_with("/api/") || path.starts_with("/webhooks/") || path == "/metrics" {
        return Err(ApiError::not_found(
            "not_found",
            format!("no such endpoint: {} {}", req.method(), path),
        ));
    }
    let back = if path.starts_with("/admin") {
        "/admin"
    } else {
        "/"
    };
    Ok(pages::ErrorPage::not_found(
        i18n::Lang::of(&req),
        "There is no page at this address.",
        back,
    )
    .response())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| ApiError::bad_request("invalid_query", e.to_string()).into()),
    )
    .route("/", web::get().to(pages::index))
    .route("/static/{file}", web::get().to(pages::static_file))
    .route("/healthz", web::get().to(healthz))
    .route("/livez", web::get().to(livez))
    .route("/metrics", web::get().to(metrics))
    .route("/api/openapi.json", web::get().to(openapi::document))
    .service(api::resource("/webhooks/casso", "POST").route(web::post().to(webhooks::casso::casso)))
    .service(api::resource("/webhooks/sepay", "POST").route(web::post().to(webhooks::sepay::sepay)))
    .route("/pay/{code}", web::get().to(pay::page))
    .route("/pay/{code}/qr.svg", web::get().to(pay::qr_svg))
    .route("/pay/{code}/qr.png", web::get().to(pay::qr_png))
    .route("/pay/{code}/status", web::get().to(pay::status))
    .route("/lang/{lang}", web::get().to(pay::switch_language))
    .configure(api::routes)
    .configure(admin::routes)
    .default_service(web::to(not_found));
}
