//! What every admin page starts with (the reader's language, the session, the layout's
//! navigation), taken from the request by `PageContext`, and the small pieces the sections share.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use crate::db::{Reports, TransferFilter};
use crate::domain::TransactionStatus;
use crate::state::AppState;
use crate::users::Action;
use crate::with_store;
use serde::{Deserialize, Deserializer};

use super::error::AdminError;
use super::notice::Done;
use super::session::AdminSession;
use crate::web::i18n::Lang;

pub const PAGE_SIZE: i64 = 50;
/// The most rows a list page counts in a tab or sums (beyond it: "10.000+"), so that a page
/// costs the same at any size. Waiting transfers under no other filter are kept counts.
pub const COUNT_CAP: i64 = 10_000;

/// What every admin page's layout needs.
pub struct Nav {
    pub user: String,
    /// What the user's role allows, so pages offer only that.
    pub may_work: bool,
    pub may_manage: bool,
    pub csrf: String,
    pub section: &'static str,
    pub path: String,
    /// What the last action did (`?done=<code>`), shown as a status banner.
    pub done: Option<&'static str>,
    /// How many transfers wait, on the menu's queue link; `None` when none (or not counted).
    pub waiting: Option<i64>,
}

/// The menu's count of waiting transfers (see [`crate::state::WaitingCount`]). A page still
/// shows when it cannot be counted: the badge is a hint, the queue itself is the truth.
async fn waiting_count(state: Option<web::Data<AppState>>) -> Option<i64> {
    let state = state?;
    if let Some(n) = state.waiting.cached() {
        return (n > 0).then_some(n);
    }
    let filter = TransferFilter::default();
    let counted = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| s
                .transfer_counts(&filter, &TransactionStatus::WAITING))
        })
        .await;
    match counted {
        Ok(counts) => {
            let n = counts.iter().map(|(_, n)| n).sum();
            state.waiting.store(n);
            (n > 0).then_some(n)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the waiting transfers could not be counted for the menu");
            None
        }
    }
}

/// The `done` code of a query string (codes are plain `[a-z_]`, nothing to decode).
pub fn done_code(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| pair.strip_prefix("done="))
}

/// The section of the navigation a path belongs to (a transaction is opened from the queue).
fn section_of(path: &str) -> &'static str {
    let rest = path.strip_prefix("/admin").unwrap_or(path);
    match rest.trim_start_matches('/').split('/').next().unwrap_or("") {
        "transactions" | "transactions.csv" if !rest.trim_matches('/').contains('/') => {
            "transactions"
        }
        "queue" | "transactions" => "queue",
        "rejected" => "rejected",
        "orders" => "orders",
        "notifications" => "notifications",
        "reconcile" => "reconcile",
        "audit" => "audit",
        "settings" => "settings",
        "users" | "account" => "users",
        _ => "dashboard",
    }
}

/// A logged-in admin's request: language, session and navigation.
pub struct PageContext {
    pub lang: Lang,
    pub session: AdminSession,
    pub nav: Nav,
}

impl PageContext {
    /// Every form carries the session's CSRF token; a post without it changes nothing.
    pub fn check_csrf(&self, presented: &str) -> Result<(), AdminError> {
        Ok(self.session.check_csrf(presented)?)
    }

    pub fn user(&self) -> String {
        self.session.user.clone()
    }

    /// A form that changes something: this session's CSRF token, and a role that may.
    pub fn check_form(&self, csrf: &str, action: Action) -> Result<(), AdminError> {
        self.check_csrf(csrf)?;
        self.require(action)
    }

    /// A role that may not do this gets a 403 page, and nothing changes.
    pub fn require(&self, action: Action) -> Result<(), AdminError> {
        if self.session.role.may(action) {
            Ok(())
        } else {
            Err(AdminError::Forbidden)
        }
    }
}

impl FromRequest for PageContext {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let lang = Lang::of(req);
        let path = req
            .uri()
            .path_and_query()
            .map_or("/admin", |p| p.as_str())
            .to_owned();
        let section = section_of(req.path());
        let done = Done::message_for(done_code(req.query_string()), lang);
        let session = AdminSession::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let session = session.await?;
            let waiting = waiting_count(state).await;
            Ok(PageContext {
                lang,
                nav: Nav {
                    user: session.user.clone(),
                    may_work: session.role.may(Action::Work),
                    may_manage: session.role.may(Action::Manage),
                    csrf: session.csrf_token.clone(),
                    section,
                    path,
                    done,
                    waiting,
                },
                session,
            })
        })
    }
}

pub fn render(page: &impl Template) -> Result<HttpResponse, AdminError> {
    Ok(crate::web::pages::render(page)?)
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

pub fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A search box's `q`, read once where the request comes in, so the search, the links and the
/// box itself all hold the same text: at most 100 characters, without control characters (a
/// NUL is refused by PostgreSQL and means nothing to a person); `None` when nothing is left.
pub fn search_query<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let Some(typed) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let visible: String = typed.chars().filter(|c| !c.is_control()).collect();
    let visible = visible.trim();
    Ok((!visible.is_empty()).then(|| visible.chars().take(100).collect()))
}

pub fn note_of(note: &Option<String>) -> Option<String> {
    non_empty(note).map(|n| n.chars().take(1000).collect())
}

pub use crate::domain::vietnam;

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

#[derive(Deserialize)]
pub struct NoteForm {
    pub csrf: String,
    pub note: Option<String>,
}

/// An action that cannot be taken back lightly (cancel, undo): without `confirm` (a checkbox
/// the form asks to tick), nothing changes.
#[derive(Deserialize)]
pub struct ConfirmForm {
    pub csrf: String,
    pub note: Option<String>,
    pub confirm: Option<String>,
}

#[derive(Deserialize)]
pub struct CursorQuery {
    pub cursor: Option<i64>,
    pub all: Option<String>,
}

/// `?error=<code>` after a refused action (`notice::Notice`).
#[derive(Deserialize)]
pub struct MessageQuery {
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_of_paths() {
        assert_eq!(section_of("/admin"), "dashboard");
        assert_eq!(section_of("/admin/"), "dashboard");
        assert_eq!(section_of("/admin/transactions/4/link"), "queue");
        assert_eq!(section_of("/admin/transactions"), "transactions");
        assert_eq!(section_of("/admin/orders/DH1"), "orders");
        assert_eq!(section_of("/admin/settings"), "settings");
    }
}
