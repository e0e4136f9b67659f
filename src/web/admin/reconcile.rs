//! The runs of the reconciliation with Casso's API.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::context::{render, CursorQuery, Nav, PageContext, PAGE_SIZE};
use super::error::AdminError;
use super::views;
use crate::db::Store;
use crate::web::i18n::Lang;
use crate::web::state::AppState;
use crate::with_store;

pub struct RunView {
    pub started: String,
    pub trigger: String,
    pub window: String,
    pub pages: i32,
    pub records: i32,
    pub new: i32,
    pub known: i32,
    pub matched: i32,
    pub rejected: i32,
    pub error: String,
    pub finished: bool,
}

#[derive(Template)]
#[template(path = "admin/reconcile.html")]
struct ReconcilePage {
    lang: Lang,
    nav: Nav,
    rows: Vec<RunView>,
    next_url: Option<String>,
    configured: bool,
}

pub async fn reconcile_runs(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, AdminError> {
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.reconcile_runs_page(cursor, PAGE_SIZE)))
        .await?;
    let time = |t| views::local_time(crate::db::models::from_db_time(t));
    render(&ReconcilePage {
        lang: ctx.lang,
        nav: ctx.nav,
        rows: page
            .items
            .iter()
            .map(|r| RunView {
                started: time(r.started_at),
                trigger: r.trigger_source.clone(),
                window: format!("{} – {}", r.from_date, r.to_date),
                pages: r.pages,
                records: r.records,
                new: r.new_transactions,
                known: r.already_known,
                matched: r.matched,
                rejected: r.rejected,
                error: r.error.clone().unwrap_or_default(),
                finished: r.finished_at.is_some(),
            })
            .collect(),
        next_url: page
            .next_cursor
            .map(|c| format!("/admin/reconcile?cursor={c}")),
        configured: state.settings.casso_api_key.is_some(),
    })
}
