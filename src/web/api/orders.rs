use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{ApiClient, ListQuery};
use crate::db::{OrderFilter, OrderStore, StoreError, TransactionStore};
use crate::domain::order::OrderError;
use crate::domain::{self, Cause, HistoryEntry, Order, OrderCode, OrderStatus};
use crate::ingest::resolve;
use crate::orders::{self, Created};
use crate::state::AppState;
use crate::views::{ListView, OrderStatusName, OrderView};
use crate::web::error::ApiError;
use crate::web::openapi::ErrorBody;
use crate::{with_store, write_store};

/// Longest `?wait=` a client may ask for, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 60;
/// How often a waiting request looks at the database for changes made by other processes.
const WAIT_POLL: Duration = Duration::from_secs(1);

mod body;
use body::parse_json_body;
pub use body::{AmountInput, CreateOrder, CustomerBody};

#[utoipa::path(
    post, path = "/api/v1/orders", tag = "orders", operation_id = "create_order",
    request_body = CreateOrder,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = OrderView, links(
            ("get_order" = (operation_id = "get_order", parameters(("code" = "$response.body#/code")))),
            ("cancel_order" = (operation_id = "cancel_order", parameters(("code" = "$response.body#/code")))),
        )),
        (status = 200, description = "The same code and amount again: the existing order", body = OrderView, links(
            ("get_order" = (operation_id = "get_order", parameters(("code" = "$response.body#/code")))),
            ("cancel_order" = (operation_id = "cancel_order", parameters(("code" = "$response.body#/code")))),
        )),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "No or wrong API key", body = ErrorBody),
        (status = 409, description = "The code exists with another amount", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
        (status = 503, description = "Storage unavailable", body = ErrorBody),
    )
)]
pub async fn create(
    _: ApiClient,
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    crate::web::require_json(&req)?;
    let body = crate::web::read_body(&req, payload, crate::web::API_BODY_LIMIT).await?;
    let now = domain::now();
    let new = parse_json_body(&body)?.validate(now, &state.settings.accounts)?;
    let created = write_store!(state.db, |s| orders::create(s, &new, &Cause::Api, now))?;
    match created {
        Created::New(order) => {
            let history = [HistoryEntry::created(&order, &Cause::Api)];
            Ok(HttpResponse::Created().json(
                OrderView::new(order, &[], &state.settings.public_url).with_history(&history),
            ))
        }
        Created::Existing(order) => {
            let view = order_view(&state, order.seen_at(now)).await?;
            Ok(HttpResponse::Ok().json(view))
        }
        Created::AmountConflict(existing) => Err(ApiError::conflict(
            "order_exists",
            format!(
                "order {} already exists with amount {}",
                existing.code, existing.amount
            ),
        )),
        Created::NoFreeCode => Err(ApiError::conflict(
            "code_generation_failed",
            "no free order code was found; try again",
        )),
    }
}

/// The order with its transfers and history.
async fn order_view(state: &AppState, order: Order) -> Result<OrderView, ApiError> {
    let code = order.code.clone();
    let (transactions, history) = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| Ok::<_, StoreError>((
                s.transactions_of(std::slice::from_ref(&code))?,
                s.order_history(&code)?
            )))
        })
        .await?;
    Ok(OrderView::new(order, &transactions, &state.settings.public_url).with_history(&history))
}

async fn load_order(state: &AppState, code: &OrderCode) -> Result<Order, ApiError> {
    let wanted = code.clone();
    let order = state
        .db
        .run(move |conn| with_store!(conn, |s| s.order(&wanted)))
        .await?
        .ok_or_else(|| not_found(code.as_str()))?;
    Ok(order.seen_at(domain::now()))
}

fn not_found(code: &str) -> ApiError {
    ApiError::not_found("order_not_found", format!("there is no order {code}"))
}

fn path_code(code: &str) -> Result<OrderCode, ApiError> {
    OrderCode::parse(code).map_err(|_| not_found(code))
}

#[derive(Deserialize)]
pub struct GetQuery {
    wait: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/orders/{code}", tag = "orders", operation_id = "get_order",
    params(
        ("code" = String, Path, description = "Order code (case-insensitive); anything else is an unknown order (404)", example = "DH1234"),
        ("wait" = Option<u32>, Query, minimum = 0, maximum = 60, description = "Hold the answer until the status changes, up to this many seconds (0-60)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderView),
        (status = 400, description = "Malformed query (e.g. `wait` twice)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Bad `wait`", body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn get(
    _: ApiClient,
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<GetQuery>,
) -> Result<HttpResponse, ApiError> {
    let order = load_order(&state, &path_code(&code)?).await?;
    let order = wait_for_change(&state, order, query.wait.as_deref()).await?;
    Ok(HttpResponse::Ok().json(order_view(&state, order).await?))
}

/// `?wait=S`: holds the answer until the order's status differs from `order`'s or S seconds
/// (at most 60) pass.
pub async fn wait_for_change(
    state: &AppState,
    order: Order,
    wait: Option<&str>,
) -> Result<Order, ApiError> {
    let initial = order.status;
    wait_until(state, order, wait, move |o| o.status != initial).await
}

/// `?wait=S`: holds the answer until `changed` holds for the order or S seconds (at most 60)
/// pass. Changes in this process wake it at once; others are seen by polling.
pub async fn wait_until(
    state: &AppState,
    mut order: Order,
    wait: Option<&str>,
    changed: impl Fn(&Order) -> bool,
) -> Result<Order, ApiError> {
    let wait = match wait {
        None => 0,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|w| *w <= MAX_WAIT_SECONDS)
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "invalid_wait",
                    format!("`wait` is a whole number of seconds from 0 to {MAX_WAIT_SECONDS}"),
                )
            })?,
    };
    if wait == 0 {
        return Ok(order);
    }
    let mut events = state.order_events.subscribe();
    // Read again after subscribing, so a change between the caller's read and now is seen.
    let code = order.code.clone();
    order = load_order(state, &code).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    while !changed(&order) && tokio::time::Instant::now() < deadline {
        let poll = tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + WAIT_POLL));
        tokio::select! {
            event = events.recv() => {
                if matches!(&event, Ok(other) if *other != code) {
                    continue;
                }
            }
            _ = poll => {}
        }
        order = load_order(state, &code).await?;
    }
    Ok(order)
}

#[utoipa::path(
    post, path = "/api/v1/orders/{code}/cancel", tag = "orders", operation_id = "cancel_order",
    params(("code" = String, Path, description = "Order code (case-insensitive); anything else is an unknown order (404)", example = "DH1234")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Paid or overpaid", body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn cancel(
    _: ApiClient,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = path_code(&code)?;
    let wanted = code.clone();
    let (now, links) = (domain::now(), state.settings.public_url.clone());
    let outcome = write_store!(state.db, |s| resolve::cancel_order(
        s,
        &links,
        &wanted,
        &Cause::Api,
        now
    ))?;
    match outcome {
        None => Err(not_found(code.as_str())),
        Some(Err(OrderError::CannotCancel(status))) => Err(ApiError::conflict(
            "order_paid",
            format!("order {code} is {status}: its money has arrived, so it cannot be cancelled"),
        )),
        Some(Err(e)) => Err(ApiError::conflict("order_conflict", e.to_string())),
        Some(Ok((order, changed))) => {
            if changed {
                tracing::info!(order_code = %order.code, "order cancelled");
                state.order_events.publish([order.code.clone()]);
            }
            Ok(HttpResponse::Ok().json(order_view(&state, order).await?))
        }
    }
}

#[utoipa::path(
    get, path = "/api/v1/orders", tag = "orders", operation_id = "list_orders",
    params(
        ("status" = Option<OrderStatusName>, Query, description = "Only orders with this status"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "1 to 200, default 50"),
        ("cursor" = Option<String>, Query, pattern = "^[1-9][0-9]{0,17}$", description = "`next_cursor` of the previous page"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ListView<OrderView>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn list(
    _: ApiClient,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = query.status(OrderStatus::parse, OrderStatus::ALL.map(|s| s.as_str()))?;
    let paging = query.paging()?;
    let (page, transactions) = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| {
                let filter = OrderFilter {
                    status,
                    ..OrderFilter::default()
                };
                let page = s.list_orders(&filter, paging.cursor, paging.limit)?;
                let codes: Vec<OrderCode> = page.items.iter().map(|o| o.code.clone()).collect();
                let transactions = s.transactions_of(&codes)?;
                Ok::<_, StoreError>((page, transactions))
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListView {
        data: page
            .items
            .into_iter()
            .map(|o| OrderView::new(o, &transactions, &state.settings.public_url))
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}
