//! The rejected webhook elements (the queue itself is a transfer list: `transfer_list`).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::context::{
    note_of, redirect, render, CursorQuery, Nav, NoteForm, PageContext, PAGE_SIZE,
};
use super::error::AdminError;
use super::notice::Done;
use super::views::RejectedView;
use crate::db::{Store, TransactionStore};
use crate::domain;
use crate::ingest::resolve::{self, Audit};
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::{with_store, write_store};

// ---------- rejected elements ----------

#[derive(Template)]
#[template(path = "admin/rejected.html")]
struct RejectedPage {
    lang: Lang,
    nav: Nav,
    rows: Vec<RejectedView>,
    next_url: Option<String>,
    show_all: bool,
}

pub async fn rejected(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, AdminError> {
    let show_all = query.all.is_some();
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.rejected_page(!show_all, cursor, PAGE_SIZE)))
        .await?;
    let all = if show_all { "all=1&" } else { "" };
    render(&RejectedPage {
        lang: ctx.lang,
        nav: ctx.nav,
        rows: page
            .items
            .iter()
            .map(|row| RejectedView::new(row, ctx.lang))
            .collect(),
        next_url: page
            .next_cursor
            .map(|c| format!("/admin/rejected?{all}cursor={c}")),
        show_all,
    })
}

pub async fn dismiss_rejected(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let id = id.into_inner();
    let note = note_of(&form.note).unwrap_or_default();
    let actor = ctx.user();
    let now = domain::now();
    let found = write_store!(state.db, |s| s.write(|s| {
        let Some(item) = s.rejected_item(id)? else {
            return Ok(false);
        };
        if s.resolve_rejected_item(id, &note, &actor, now)? {
            let subject = format!("rejected:{}:{}", item.delivery_id, item.position);
            resolve::audit(
                s,
                &Audit {
                    actor: &actor,
                    action: "rejected.dismiss",
                    subject: &subject,
                    before: Some(&item.reason),
                    after: None,
                    note: Some(&note),
                },
                now,
            )?;
        }
        Ok(true)
    }))?;
    if !found {
        return Err(AdminError::NO_PAGE);
    }
    Ok(redirect(&format!(
        "/admin/rejected?done={}",
        Done::Dismissed.code()
    )))
}
