//! The queue of transfers waiting for a decision, and the rejected webhook elements.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, TimeZone};
use serde::Deserialize;

use super::context::{
    non_empty, note_of, redirect, render, vietnam, CursorQuery, Nav, NoteForm, PageContext,
    PAGE_SIZE,
};
use super::error::AdminError;
use super::session;
use super::views::{RejectedView, TxView};
use crate::db::{QueueFilter, Store};
use crate::domain::{self, Money, TransactionStatus};
use crate::ingest::resolve::{self, Audit};
use crate::web::i18n::Lang;
use crate::web::state::AppState;
use crate::{with_store, write_store};

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    reason: Option<String>,
    from: Option<String>,
    to: Option<String>,
    min: Option<String>,
    max: Option<String>,
    q: Option<String>,
    cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/queue.html")]
struct QueuePage {
    lang: Lang,
    nav: Nav,
    reasons: Vec<(&'static str, &'static str)>,
    reason: String,
    from: String,
    to: String,
    min: String,
    max: String,
    q: String,
    rows: Vec<TxView>,
    next_url: Option<String>,
    error: Option<String>,
}

fn day_start(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    vietnam()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}

impl QueueQuery {
    fn filter(&self) -> Result<QueueFilter, String> {
        let date = |v: &Option<String>, name: &str| {
            non_empty(v)
                .map(|d| day_start(d).ok_or(format!("{name}: expected YYYY-MM-DD")))
                .transpose()
        };
        let money = |v: &Option<String>, name: &str| {
            non_empty(v)
                .map(|m| Money::parse(m).map_err(|e| format!("{name}: {e}")))
                .transpose()
        };
        Ok(QueueFilter {
            reason: non_empty(&self.reason)
                .and_then(TransactionStatus::parse)
                .filter(|s| s.is_waiting()),
            received_from: date(&self.from, "from")?,
            // The `to` day is included: up to the start of the next day.
            received_to: date(&self.to, "to")?.map(|t| t + Duration::days(1)),
            min_amount: money(&self.min, "min")?,
            max_amount: money(&self.max, "max")?,
            search: non_empty(&self.q).map(|q| q.chars().take(100).collect()),
        })
    }

    fn url_with_cursor(&self, base: &str, cursor: i64) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("reason", &self.reason),
            ("from", &self.from),
            ("to", &self.to),
            ("min", &self.min),
            ("max", &self.max),
            ("q", &self.q),
        ] {
            if let Some(v) = non_empty(value) {
                parts.push(format!("{name}={}", session::url_encode(v)));
            }
        }
        parts.push(format!("cursor={cursor}"));
        format!("{base}?{}", parts.join("&"))
    }
}

pub async fn queue(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let (filter, error) = match query.filter() {
        Ok(f) => (f, None),
        Err(e) => (QueueFilter::default(), Some(e)),
    };
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.queue(&filter, cursor, PAGE_SIZE)))
        .await?;
    render(&QueuePage {
        nav: ctx.nav,
        reasons: TransactionStatus::WAITING
            .iter()
            .map(|s| (s.as_str(), lang.t(s.as_str())))
            .collect(),
        reason: query.reason.clone().unwrap_or_default(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        min: query.min.clone().unwrap_or_default(),
        max: query.max.clone().unwrap_or_default(),
        q: query.q.clone().unwrap_or_default(),
        rows: page.items.iter().map(|t| TxView::new(t, lang)).collect(),
        next_url: page
            .next_cursor
            .map(|c| query.url_with_cursor("/admin/queue", c)),
        error,
        lang,
    })
}

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
        rows: page.items.iter().map(RejectedView::new).collect(),
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
    ctx.check_csrf(&form.csrf)?;
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
    Ok(redirect("/admin/rejected"))
}
