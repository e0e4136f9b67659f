use actix_web::{web, HttpResponse};

use super::views::{ListView, TransactionStatusName, TransactionView};
use super::{ApiClient, ListQuery};
use crate::db::TransactionStore;
use crate::domain::TransactionStatus;
use crate::web::error::ApiError;
use crate::web::openapi::ErrorBody;
use crate::web::state::AppState;
use crate::with_store;

#[utoipa::path(
    get, path = "/api/v1/transactions", tag = "transactions", operation_id = "list_transactions",
    params(
        ("status" = Option<TransactionStatusName>, Query, description = "Only transactions with this status"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "1 to 200, default 50"),
        ("cursor" = Option<String>, Query, pattern = "^[1-9][0-9]{0,17}$", description = "`next_cursor` of the previous page"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ListView<TransactionView>),
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
    let status = query.status(
        TransactionStatus::parse,
        TransactionStatus::ALL.map(|s| s.as_str()),
    )?;
    let paging = query.paging()?;
    let page = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| s.list_transactions(
                status,
                paging.cursor,
                paging.limit
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListView {
        data: page.items.iter().map(TransactionView::new).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}
