//! The runs of the reconciliation with the providers' APIs, and running one now.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::context::{redirect, render, CsrfForm, CursorQuery, Nav, PageContext, PAGE_SIZE};
use super::error::AdminError;
use super::views;
use crate::db::AuditStore;
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::{reconcile, with_store};

pub struct RunView {
    pub started: String,
    /// The provider whose API was read.
    pub source: String,
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
                source: views::provider_name(&r.source).to_owned(),
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
        configured: reconcile::any_configured(&state.settings),
    })
}

/// "Reconcile now": the same run as the schedule's (its window, the configured API key),
/// recorded with the admin's name; its totals or error show at the top of the list. Without
/// an API key the page says why nothing runs.
pub async fn reconcile_now(
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let trigger = format!("admin:{}", ctx.user());
    let mut changed = Vec::new();
    let outcome = reconcile::run_configured(
        &state.db,
        &state.settings,
        reconcile::scheduled_window(),
        &trigger,
        &mut changed,
    )
    .await;
    state.order_events.publish(changed);
    for (source, result) in outcome {
        if let Err(e) = result {
            // Recorded with the run (or, for a bad API URL, in the log only).
            tracing::warn!(source = source.as_str(), error = %e, "reconciliation started by an admin failed");
        }
    }
    Ok(redirect("/admin/reconcile"))
}
