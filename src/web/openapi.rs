//! `GET /api/openapi.json`: the OpenAPI 3 document of `/api/v1` and `/webhooks`, generated from
//! the handlers' annotations and the response types themselves.

use std::borrow::Cow;

use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Ref, Schema, SchemaType};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use super::api::{orders, transactions};
use super::webhooks;
use crate::views;

/// Every error: `{"error": {"code", "message"}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A snake_case reason, e.g. `invalid_amount`.
    #[schema(pattern = "^[a-z][a-z0-9_]*$", example = "invalid_amount")]
    pub code: String,
    /// Text for a person.
    pub message: String,
}

/// The answer to Casso after every element was stored.
#[derive(Serialize, ToSchema)]
pub struct WebhookReply {
    /// Always 0.
    #[schema(minimum = 0, maximum = 0)]
    pub error: i32,
    #[schema(example = "ok")]
    pub message: String,
    /// Elements stored as new transactions.
    pub accepted: u32,
    /// Elements whose `id` was already stored: nothing changed.
    pub duplicates: u32,
    /// Elements that are not transactions (no id, amount not a number…): kept for admins.
    pub rejected: u32,
}

/// Casso webhook v1: `{"error": 0, "data": [ … ]}`. (Webhook v2, signed with
/// `X-Casso-Signature`, sends one transaction object as `data`, with `id`, `reference`,
/// `description`, `amount`, `runningBalance`, `transactionDateTime`, `accountNumber`, ….)
/// Unknown fields are ignored.
#[derive(ToSchema)]
#[schema(example = json!({
    "error": 0,
    "data": [{
        "id": 1001,
        "tid": "TF80307914",
        "description": "DH1234 thanh toan don hang",
        "amount": 150000,
        "cusum_balance": 15900500,
        "when": "2026-01-31 10:15:00",
        "bank_sub_acc_id": "123456789",
        "subAccId": "123456789"
    }]
}))]
#[allow(dead_code)] // a description of what Casso sends, never built
pub struct CassoWebhook {
    /// 0 (Casso's "no error"); may be left out.
    #[schema(minimum = 0, maximum = 0, required = false)]
    error: i32,
    /// The transactions.
    #[schema(value_type = Vec<CassoElement>)]
    data: Vec<()>,
}

/// One transaction of a webhook v1 delivery.
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)] // a description of what Casso sends, never built
pub struct CassoTransaction {
    /// Casso's unique id: the dedupe key (a number, or a string of digits).
    #[schema(example = 1001)]
    id: u64,
    /// The bank's reference.
    #[schema(required = false, example = "TF80307914")]
    tid: String,
    /// What the customer typed; the order code is looked for here.
    #[schema(required = false, example = "DH1234 thanh toan don hang")]
    description: String,
    /// Exact decimal (a number or a string); negative for money going out.
    #[schema(example = 150000)]
    amount: f64,
    /// The account balance after the transaction.
    #[schema(required = false, example = 15900500)]
    cusum_balance: f64,
    /// `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD` or ISO 8601; Vietnam time (UTC+7) without an
    /// offset.
    #[schema(required = false, example = "2026-01-31 10:15:00")]
    when: String,
    /// The receiving account.
    #[schema(required = false, example = "123456789")]
    bank_sub_acc_id: String,
    /// The receiving account (the twin of `bank_sub_acc_id`).
    #[schema(required = false, example = "123456789")]
    subAccId: String,
}

/// An element of `data`: a transaction, or anything else, which is kept for admins with its
/// reason and counted as `rejected` (the delivery still gets a 200).
pub struct CassoElement;

impl PartialSchema for CassoElement {
    fn schema() -> RefOr<Schema> {
        transaction_or_kept(
            &CassoTransaction::name(),
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some(
                    "Anything else: stored for admins and counted as `rejected`",
                )),
        )
    }
}

/// A provider's transaction, or something else that paymatch keeps for admins with its reason
/// (and still answers 200, since sending it again would not change it).
fn transaction_or_kept(transaction: &str, kept: ObjectBuilder) -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(Ref::from_schema_name(transaction))
        .item(kept)
        .into()
}

impl ToSchema for CassoElement {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CassoElement")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            CassoTransaction::name().into_owned(),
            CassoTransaction::schema(),
        ));
    }
}

/// The answer to SePay: `{"success": true}` once stored and processed; `{"success": false,
/// "message"}` for a missing or wrong key.
#[derive(Serialize, ToSchema)]
pub struct SepayReply {
    pub success: bool,
    /// Why the delivery was refused (401 only).
    #[schema(required = false)]
    pub message: Option<String>,
}

/// One SePay transaction, as SePay's webhook sends it. Unknown fields are ignored.
#[derive(ToSchema)]
#[schema(example = json!({
    "id": 92704,
    "gateway": "Vietcombank",
    "transactionDate": "2026-01-31 10:15:00",
    "accountNumber": "0123499999",
    "subAccount": null,
    "code": null,
    "content": "DH1234 thanh toan don hang",
    "transferType": "in",
    "transferAmount": 150000,
    "accumulated": 19077000,
    "referenceCode": "MBVCB.3278907687",
    "description": "BankAPINotify DH1234 thanh toan don hang"
}))]
#[allow(dead_code, non_snake_case)] // a description of what SePay sends, never built
pub struct SepayWebhook {
    /// SePay's transaction id: the dedupe key (`sepay:<id>`).
    #[schema(example = 92704)]
    id: u64,
    /// The bank's name.
    #[schema(required = false)]
    gateway: String,
    /// `YYYY-MM-DD HH:MM:SS`, Vietnam time.
    #[schema(required = false)]
    transactionDate: String,
    /// The bank account; the transfer's account unless `subAccount` is set.
    #[schema(required = false)]
    accountNumber: String,
    /// The virtual account the money was sent to, if any: then the transfer's account.
    #[schema(required = false)]
    subAccount: Option<String>,
    /// SePay's own guess at a payment code: not used (the patterns read `content`).
    #[schema(required = false)]
    code: Option<String>,
    /// The transfer content: the order code is looked for here.
    #[schema(required = false)]
    content: String,
    /// `in`, or `out` for money going out (recorded as `outgoing`).
    #[schema(pattern = "^(in|out)$")]
    transferType: String,
    /// Exact decimal, more than 0.
    transferAmount: f64,
    /// The account balance after the transaction.
    #[schema(required = false)]
    accumulated: f64,
    /// The bank's reference.
    #[schema(required = false)]
    referenceCode: String,
    /// The bank's whole message: read only when `content` is empty.
    #[schema(required = false)]
    description: String,
}

/// The body of a SePay delivery: a transaction, or an object with SePay's `id`,
/// `transferType` and `transferAmount` whose values do not read (kept for admins with the
/// reason; SePay still gets `{"success": true}`). Anything else is a 400.
pub struct SepayBody;

impl PartialSchema for SepayBody {
    fn schema() -> RefOr<Schema> {
        let any = || ObjectBuilder::new().schema_type(SchemaType::AnyValue);
        transaction_or_kept(
            &SepayWebhook::name(),
            ObjectBuilder::new()
                .property("id", any())
                .property("transferType", any())
                .property("transferAmount", any())
                .required("id")
                .required("transferType")
                .required("transferAmount")
                .description(Some(
                    "A transaction whose fields do not read: stored for admins with its reason",
                )),
        )
    }
}

impl ToSchema for SepayBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SepayBody")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((SepayWebhook::name().into_owned(), SepayWebhook::schema()));
    }
}

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The storefront API key (`PAYMATCH_API_KEY`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "casso_secure_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Secure-Token",
                "Webhook v1: the configured secure token (`PAYMATCH_CASSO_SECURE_TOKEN`)",
            ))),
        );
        components.add_security_scheme(
            "casso_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                webhooks::V2_HEADER,
                "Webhook v2: `t=<unix ms>,v1=<hex HMAC-SHA512>` keyed with \
                 `PAYMATCH_CASSO_WEBHOOK_KEY`, over `t`, a dot and the body re-serialised with \
                 object keys sorted and no spaces",
            ))),
        );
        components.add_security_scheme(
            "sepay_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "SePay: `Apikey <PAYMATCH_SEPAY_WEBHOOK_KEY>` (scheme name in any case)",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "paymatch", description = "Bank transfers matched to shop orders"),
    paths(orders::create, orders::list, orders::get, orders::cancel, transactions::list, webhooks::casso::casso, webhooks::sepay::sepay),
    components(schemas(
        views::OrderView, views::CustomerView, views::TransactionView, views::PayerView, views::AllocationView, views::HistoryView, views::OrderStatusName,
        views::TransactionStatusName, views::ResolutionName, views::AmountText,
        orders::CreateOrder, orders::CustomerBody, orders::AmountInput, ErrorBody, ErrorDetail, WebhookReply,
        CassoWebhook, CassoElement, CassoTransaction, SepayReply, SepayBody,
    )),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// The document as served.
pub fn document_json() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|e| {
        unreachable!("the OpenAPI document is plain data and always serialises: {e}")
    });
    camel_case_links(&mut doc);
    doc
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(document_json())
}

/// utoipa 5 writes the fields of a Link object in snake_case (`operation_id`); OpenAPI names
/// them in camelCase (`operationId`), and clients ignore the others.
fn camel_case_links(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let responses = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses"))
        .filter_map(Value::as_object_mut)
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(Value::as_object_mut) else {
            continue;
        };
        for link in links.values_mut().filter_map(Value::as_object_mut) {
            for (snake, camel) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn operations(doc: &Value) -> Vec<&serde_json::Map<String, Value>> {
        doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|item| item.as_object().expect("a path item").values())
            .map(|operation| operation.as_object().expect("an operation"))
            .collect()
    }

    #[test]
    fn operation_ids_are_unique_and_links_resolve() {
        let doc = document_json();
        let ids: Vec<&str> = operations(&doc)
            .iter()
            .map(|op| op["operationId"].as_str().expect("an operationId"))
            .collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        let mut links = 0;
        for op in operations(&doc) {
            for response in op["responses"].as_object().expect("responses").values() {
                for link in response["links"]
                    .as_object()
                    .into_iter()
                    .flat_map(|l| l.values())
                {
                    let target = link["operationId"].as_str().expect("operationId");
                    assert!(unique.contains(target), "{target}");
                    assert!(link.get("operation_id").is_none());
                    links += 1;
                }
            }
        }
        assert!(links > 0);
    }

    #[test]
    fn every_reference_names_a_component() {
        let doc = document_json();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().expect("a name");
            assert!(schemas.contains_key(name), "{name}");
        }
    }
}
