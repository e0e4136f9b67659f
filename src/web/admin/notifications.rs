//! Outgoing notifications to the shop: the failed ones (or all), and sending one again.

use actix_web::{web, HttpResponse};
use askama::Template;

use serde::Deserialize;

use super::context::{redirect, render, CsrfForm, Nav, PageContext, PAGE_SIZE};
use super::error::AdminError;
use super::notice::Done;
use super::views;
use crate::db::{JobStatus, JobStore, Store};
use crate::domain;
use crate::ingest::resolve::{self, Audit};
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::{with_store, write_store};

pub struct NotificationView {
    pub id: i64,
    pub created: String,
    pub order_code: String,
    pub event_type: String,
    pub status: String,
    pub status_label: &'static str,
    pub attempts: i32,
    pub next_run: String,
    pub last_error: String,
    pub failed: bool,
}

impl NotificationView {
    fn new(job: &crate::db::JobRow, lang: Lang) -> NotificationView {
        let notification: Option<crate::notify::outbox::Notification> =
            serde_json::from_str(&job.payload).ok();
        let time = |t| views::local_time(crate::db::models::from_db_time(t));
        NotificationView {
            id: job.id,
            created: time(job.created_at),
            order_code: notification
                .as_ref()
                .map(|n| n.order_code.clone())
                .unwrap_or_default(),
            event_type: notification.map(|n| n.event_type).unwrap_or_default(),
            status: job.status.clone(),
            status_label: views::status_label(&job.status, lang).unwrap_or("–"),
            attempts: job.attempts,
            next_run: if job.status == JobStatus::Queued.as_str() {
                time(job.run_at)
            } else {
                String::new()
            },
            last_error: job
                .last_error
                .as_deref()
                .map(|e| views::delivery_error(e, lang))
                .unwrap_or_default(),
            failed: job.status == JobStatus::Failed.as_str(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/notifications.html")]
struct NotificationsPage {
    lang: Lang,
    nav: Nav,
    rows: Vec<NotificationView>,
    next_url: Option<String>,
    show_all: bool,
    show_skipped: bool,
}

#[derive(Deserialize)]
pub struct NotificationsQuery {
    cursor: Option<i64>,
    /// Every notification, not only the failed ones.
    all: Option<String>,
    /// With every notification, also those skipped for want of a URL (hidden otherwise: a
    /// shop without a notification URL has one per order change).
    skipped: Option<String>,
}

pub async fn notifications(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<NotificationsQuery>,
) -> Result<HttpResponse, AdminError> {
    let show_all = query.all.is_some();
    let show_skipped = show_all && query.skipped.is_some();
    let statuses: &'static [JobStatus] = match (show_all, show_skipped) {
        (false, _) => &[JobStatus::Failed],
        (true, false) => &[
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Failed,
        ],
        (true, true) => &[],
    };
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| s.jobs_page(
                crate::notify::outbox::KIND,
                statuses,
                cursor,
                PAGE_SIZE
            ))
        })
        .await?;
    let view = match (show_all, show_skipped) {
        (false, _) => "",
        (true, false) => "all=1&",
        (true, true) => "all=1&skipped=1&",
    };
    render(&NotificationsPage {
        lang: ctx.lang,
        nav: ctx.nav,
        rows: page
            .items
            .iter()
            .map(|job| NotificationView::new(job, ctx.lang))
            .collect(),
        next_url: page
            .next_cursor
            .map(|c| format!("/admin/notifications?{view}cursor={c}")),
        show_all,
        show_skipped,
    })
}

/// A failed notification is sent again, from its first attempt, with the same event id.
pub async fn replay_notification(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let id = id.into_inner();
    let (actor, now) = (ctx.user(), domain::now());
    write_store!(state.db, |s| s.write(|s| {
        if s.replay_job(id, now)? {
            let subject = format!("notification:{id}");
            resolve::audit(
                s,
                &Audit {
                    actor: &actor,
                    action: "notification.replay",
                    subject: &subject,
                    before: Some("failed"),
                    after: Some("queued"),
                    note: None,
                },
                now,
            )?;
        }
        Ok(())
    }))?;
    Ok(redirect(&format!(
        "/admin/notifications?all=1&done={}",
        Done::Replayed.code()
    )))
}
