//! The audit log: every change an admin made, newest first.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::context::{render, CursorQuery, Nav, PageContext, PAGE_SIZE};
use super::error::AdminError;
use super::views::AuditView;
use crate::db::AuditStore;
use crate::web::i18n::Lang;
use crate::web::state::AppState;
use crate::with_store;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    lang: Lang,
    nav: Nav,
    rows: Vec<AuditView>,
    next_url: Option<String>,
}

pub async fn audit(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, AdminError> {
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.audit_page(None, cursor, PAGE_SIZE)))
        .await?;
    render(&AuditPage {
        lang: ctx.lang,
        nav: ctx.nav,
        rows: page
            .items
            .iter()
            .map(|row| AuditView::new(row, ctx.lang))
            .collect(),
        next_url: page.next_cursor.map(|c| format!("/admin/audit?cursor={c}")),
    })
}
