//! The list of orders: status tabs with their counts, search, numbered pages and the CSV
//! download of every matching order.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::context::{non_empty, render, search_query, Nav, PageContext, COUNT_CAP, PAGE_SIZE};
use super::error::AdminError;
use super::export::{self, CHUNK_ROWS};
use super::filters::{link, pager, At, PageLink, Tab};
use super::views::OrderView;
use super::workbook;
use crate::db::{Count, OrderFilter, PageStart, Reports, StoreError};
use crate::domain::{self, Order, OrderStatus};
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::with_store;

#[derive(Deserialize)]
pub struct OrdersQuery {
    #[serde(default, deserialize_with = "search_query")]
    q: Option<String>,
    status: Option<String>,
    page: Option<u32>,
    cursor: Option<i64>,
}

impl OrdersQuery {
    fn filter(&self) -> OrderFilter {
        OrderFilter {
            status: self.status(),
            search: self.q.clone(),
            search_amount: super::filters::search_amount(&self.q),
        }
    }

    fn status(&self) -> Option<OrderStatus> {
        non_empty(&self.status).and_then(OrderStatus::parse)
    }

    fn link(&self, base: &str, status: Option<OrderStatus>, at: At) -> String {
        let params = [
            ("status", status.map(OrderStatus::as_str)),
            ("q", non_empty(&self.q)),
        ];
        link(base, &params, at)
    }
}

#[derive(Template)]
#[template(path = "admin/orders.html")]
struct OrdersPage {
    lang: Lang,
    nav: Nav,
    tabs: Vec<Tab>,
    q: String,
    status: String,
    rows: Vec<OrderView>,
    /// The shop has several accounts: each order names its own.
    show_account: bool,
    pages: Vec<PageLink>,
    next_url: Option<String>,
    csv_url: String,
    xlsx_url: String,
}

pub async fn orders(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let filter = query.filter();
    let current = query.page.unwrap_or(1).max(1);
    let start = PageStart {
        after: query.cursor,
        skip: i64::from(current - 1) * PAGE_SIZE,
    };
    let now = domain::now();
    let (page, counts) = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| Ok::<_, StoreError>((
                s.orders_page(&filter, start, PAGE_SIZE, now)?,
                s.order_counts(&filter, now, COUNT_CAP)?,
            )))
        })
        .await?;
    let chosen = query.status();
    let base = "/admin/orders";
    let mut tabs = vec![Tab::new(
        lang.t("All"),
        Count::sum(counts.iter().map(|(_, n)| *n)),
        query.link(base, None, At::Page(1)),
        chosen.is_none(),
        lang,
    )];
    tabs.extend(counts.iter().map(|&(status, count)| {
        Tab::new(
            lang.t(status.as_str()),
            count,
            query.link(base, Some(status), At::Page(1)),
            chosen == Some(status),
            lang,
        )
    }));
    let (pages, next_url) = pager(&tabs, current, query.cursor, page.next_cursor, |at| {
        query.link(base, chosen, at)
    });
    render(&OrdersPage {
        nav: ctx.nav,
        tabs,
        q: query.q.clone().unwrap_or_default(),
        status: chosen
            .map(OrderStatus::as_str)
            .unwrap_or_default()
            .to_owned(),
        rows: page.items.iter().map(|o| OrderView::new(o, lang)).collect(),
        show_account: state.settings.accounts.several(),
        pages,
        next_url,
        csv_url: query.link("/admin/orders.csv", chosen, At::Page(1)),
        xlsx_url: query.link("/admin/orders.xlsx", chosen, At::Page(1)),
        lang,
    })
}

/// Reads every order of the filter, a page at a time, as readers see them now.
fn fetch(query: &OrdersQuery) -> export::Fetch<Order> {
    let filter = Arc::new(query.filter());
    let now = domain::now();
    Arc::new(move |conn, after| {
        let start = PageStart { after, skip: 0 };
        with_store!(conn, |s| s.orders_page(&filter, start, CHUNK_ROWS, now))
    })
}

pub async fn orders_xlsx(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, AdminError> {
    workbook::download(state.db.clone(), "orders", fetch(&query), ctx.lang).await
}

pub async fn orders_csv(
    _ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<OrdersQuery>,
) -> HttpResponse {
    export::download(state.db.clone(), "orders", fetch(&query))
}
