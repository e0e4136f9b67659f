//! `GET /api/openapi.json`: the OpenAPI 3 document of `/api/v1` and `/webhooks`, generated from
//! the handlers' annotations and the response types themselves.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::api::{orders, transactions, views};
use super::webhooks;

/// Every error: `{"error": {"code", "message"}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A snake_case reason, e.g. `invalid_amount`.
    pub code: String,
    /// Text for a person.
    pub message: String,
}

/// The answer to Casso after every element was stored.
#[derive(Serialize, ToSchema)]
pub struct WebhookReply {
    pub error: i32,
    pub message: String,
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "paymatch", description = "Bank transfers matched to shop orders"),
    paths(orders::create, orders::list, orders::get, orders::cancel, transactions::list, webhooks::casso),
    components(schemas(views::OrderView, views::TransactionView, orders::CreateOrder, ErrorBody, ErrorDetail, WebhookReply)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
