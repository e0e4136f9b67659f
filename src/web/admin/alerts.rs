//! Owner alerts in the admin's settings: each chat's and address's state (last sent, last
//! failure and why) and a test alert on request.

use actix_web::{web, HttpResponse};

use super::context::{redirect, CsrfForm, PageContext};
use super::error::AdminError;
use super::notice::Done;
use super::views::local_time;
use crate::alerts::{self, Alert, Recipient};
use crate::db::models::from_db_time;
use crate::db::{JobRow, JobStatus, JobStore, StoreError};
use crate::domain;
use crate::state::AppState;
use crate::users::Action;
use crate::{with_store, write_store};

/// How many recent alert jobs the page reads to tell each channel's state.
const RECENT: i64 = 500;

pub struct ChannelView {
    pub channel: &'static str,
    pub to: String,
    pub last_sent: Option<String>,
    pub last_failure: Option<String>,
    pub reason: Option<String>,
    /// The last failure stopped its alert (a permanent refusal, or attempts ran out).
    pub stopped: bool,
}

pub struct AlertsView {
    pub telegram: bool,
    pub email: bool,
    pub channels: Vec<ChannelView>,
}

impl AlertsView {
    pub async fn load(state: &AppState) -> Result<AlertsView, AdminError> {
        let recipients = alerts::recipients(&state.settings.alerts);
        let (sent, failed) = state
            .db
            .run(move |conn| {
                with_store!(conn, |s| Ok::<_, StoreError>((
                    s.jobs_page(alerts::KIND, &[JobStatus::Done], None, RECENT)?
                        .items,
                    s.jobs_page(
                        alerts::KIND,
                        &[JobStatus::Failed, JobStatus::Queued],
                        None,
                        RECENT
                    )?
                    .items
                )))
            })
            .await?;
        let newest = |rows: &[JobRow], target: &str| -> Option<JobRow> {
            rows.iter()
                .filter(|r| {
                    r.target.as_deref() == Some(target)
                        && (r.status == "done" || r.last_error.is_some())
                })
                .max_by_key(|r| r.updated_at)
                .cloned()
        };
        let channels = recipients
            .iter()
            .map(|recipient| {
                let target = recipient.target();
                let failure = newest(&failed, &target);
                let (channel, to) = match recipient {
                    Recipient::Telegram(chat) => ("Telegram", chat.clone()),
                    Recipient::Email(address) => ("E-mail", address.clone()),
                };
                ChannelView {
                    channel,
                    to,
                    last_sent: newest(&sent, &target)
                        .map(|r| local_time(from_db_time(r.updated_at))),
                    last_failure: failure
                        .as_ref()
                        .map(|r| local_time(from_db_time(r.updated_at))),
                    stopped: failure
                        .as_ref()
                        .is_some_and(|r| r.status == JobStatus::Failed.as_str()),
                    reason: failure.and_then(|r| r.last_error),
                }
            })
            .collect();
        Ok(AlertsView {
            telegram: state.settings.alerts.telegram.is_some(),
            email: state.settings.alerts.email.is_some(),
            channels,
        })
    }
}

/// Records a test alert for every chat and address; the worker sends it like any other.
pub async fn test_alert(
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Manage)?;
    let settings = state.settings.alerts.clone();
    let alert = Alert::Test {
        link: state.settings.public_url.link("/admin/settings"),
    };
    let now = domain::now();
    write_store!(state.db, |s| alerts::record(
        s, &settings, None, &alert, None, now
    ))?;
    Ok(redirect(&format!(
        "/admin/settings?done={}#alerts",
        Done::TestAlert.code()
    )))
}
