//! The storefront API, `/api/v1`, behind a bearer token.

pub mod orders;
pub mod transactions;

use std::future::{ready, Ready};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, Resource, ResponseError};

use super::error::ApiError;
use crate::state::{digest_matches, AppState};

/// A request that carried the storefront API key.
pub struct ApiClient;

impl FromRequest for ApiClient {
    type Error = ApiError;
    type Future = Ready<Result<ApiClient, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(ApiError::unauthorized("no API key is configured")));
        };
        ready(match super::authorization(req, "Bearer") {
            Some(key) if digest_matches(key, &state.secrets.api_key_digest) => Ok(ApiClient),
            Some(_) => Err(ApiError::unauthorized("the API key is not valid")),
            None => Err(ApiError::unauthorized(
                "send the API key in the header `Authorization: Bearer <key>`",
            )),
        })
    }
}

/// The query of a listing: `status`, `limit`, `cursor`.
#[derive(serde::Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    /// The status filter; `known` names the valid values in the error.
    pub fn status<T, const N: usize>(
        &self,
        parse: fn(&str) -> Option<T>,
        known: [&str; N],
    ) -> Result<Option<T>, ApiError> {
        self.status
            .as_deref()
            .map(|s| {
                parse(s).ok_or_else(|| {
                    ApiError::unprocessable(
                        "invalid_status",
                        format!("`status` must be one of {}", known.join(", ")),
                    )
                })
            })
            .transpose()
    }

    pub fn paging(&self) -> Result<Paging, ApiError> {
        Paging::parse(self.limit.as_deref(), self.cursor.as_deref())
    }
}

/// `limit` and `cursor` of a listing.
pub struct Paging {
    pub limit: i64,
    pub cursor: Option<i64>,
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

impl Paging {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Paging, ApiError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "invalid_limit",
                        format!("`limit` must be a whole number from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
        let cursor = cursor
            .map(|text| {
                text.parse::<i64>().ok().filter(|c| *c > 0).ok_or_else(|| {
                    ApiError::unprocessable(
                        "invalid_cursor",
                        "`cursor` must be a `next_cursor` from an earlier page",
                    )
                })
            })
            .transpose()?;
        Ok(Paging { limit, cursor })
    }
}

/// A known path asked with a method it does not serve: `405` with `Allow`, in the error shape.
fn method_not_allowed(req: &HttpRequest, allow: &'static str) -> HttpResponse {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} {} is not served; use {allow}", req.method(), req.path()),
    )
    .error_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// A resource whose other methods are answered with `405` and `Allow: allow` (a JSON error).
pub(crate) fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        method_not_allowed(&req, allow)
    }))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(
                resource("/orders", "GET, POST")
                    .route(web::post().to(orders::create))
                    .route(web::get().to(orders::list)),
            )
            .service(resource("/orders/{code}", "GET").route(web::get().to(orders::get)))
            .service(
                resource("/orders/{code}/cancel", "POST").route(web::post().to(orders::cancel)),
            )
            .service(resource("/transactions", "GET").route(web::get().to(transactions::list))),
    );
}
