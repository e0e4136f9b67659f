//! One transaction: its page with suggestions, the link preview, and the decisions on it
//! (link, set aside, undo), each through `ingest::resolve`, which audits it.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::accounts::{describe, Arrival};
use super::context::{non_empty, note_of, redirect, render, ConfirmForm, Nav, PageContext};
use super::error::AdminError;
use super::notice::Done;
use super::notice::Notice;
use super::views::{self, AuditView, OrderView, TxView};
use crate::db::{
    AuditStore, OrderStore, PageStart, Reports, StoreError, TransactionStore, TransferFilter,
};
use crate::domain::{self, OrderCode, Resolution, TransactionStatus};
use crate::ingest::resolve::{self, ResolveError};
use crate::ingest::suggest;
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::{with_store, write_store};

pub(super) const NO_TRANSACTION: AdminError = AdminError::NotFound("There is no such transaction.");

#[derive(Template)]
#[template(path = "admin/transaction.html")]
struct TransactionPage {
    lang: Lang,
    nav: Nav,
    tx: TxView,
    /// Each order it paid and how much (a transfer paying several orders lists them all).
    allocations: Vec<(String, String)>,
    waiting: bool,
    can_undo: bool,
    /// Ranked, best first, with why each is suggested.
    suggestions: Vec<(OrderView, &'static str)>,
    /// The first suggestion is better than every other (else they tie).
    best_is_one: bool,
    history: Vec<AuditView>,
    message: Option<&'static str>,
    /// An undo was refused: the later transfer to undo first (row id, `source:external_id`).
    later: Option<(i64, String)>,
    /// The transfer just decided, when this page opened as the next one waiting.
    prev: Option<i64>,
    /// The transfer arrived in another account than its order asked for, or not the shop's.
    arrival: Option<Arrival>,
}

#[derive(Deserialize)]
pub struct TransactionQuery {
    error: Option<String>,
    /// The later transfer that refused an undo.
    later: Option<i64>,
    /// The transfer just decided, when this is the next one waiting.
    prev: Option<i64>,
}

pub async fn transaction(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<TransactionQuery>,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let id = id.into_inner();
    let later_id = query.later;
    let later = match later_id {
        Some(later) => state
            .db
            .run(move |conn| with_store!(conn, |s| s.bank_transaction(later)))
            .await?
            .map(|t| (t.row_id, format!("{}:{}", t.source, t.external_id))),
        None => None,
    };
    let loaded = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| {
                let Some(t) = s.bank_transaction(id)? else {
                    return Ok::<_, StoreError>(None);
                };
                let suggestions = if t.status.is_waiting() {
                    Some(suggest::suggestions(s, &t, suggest::Reach::Full)?)
                } else {
                    None
                };
                let history = s.audit_page(Some(&resolve::transaction_subject(&t)), None, 100)?;
                let order = match &t.order_code {
                    Some(code) => s.order(code)?,
                    None => None,
                };
                Ok(Some((t, suggestions, history, order)))
            })
        })
        .await?;
    let Some((t, suggestions, history, order)) = loaded else {
        return Err(NO_TRANSACTION);
    };
    let suggestions = suggestions.unwrap_or_default();
    let best_is_one = matches!(suggest::best(&suggestions), suggest::Best::One(_));
    let suggestions = suggestions
        .iter()
        .map(|s| (OrderView::new(&s.order, lang), lang.t(s.why.label())))
        .collect();
    let accounts = &state.settings.accounts;
    let mut tx = TxView::new(&t, lang);
    if let Some(number) = t.account.as_deref() {
        tx.account = describe(accounts, number);
    }
    render(&TransactionPage {
        arrival: Arrival::of(accounts, t.account.as_deref(), order.as_ref()),
        nav: ctx.nav,
        waiting: t.status.is_waiting() && t.amount.is_positive(),
        can_undo: matches!(
            t.status,
            TransactionStatus::Matched | TransactionStatus::Ignored
        ) && !(t.status == TransactionStatus::Ignored && t.resolution.is_none()),
        tx,
        allocations: t
            .allocations
            .iter()
            .map(|a| {
                (
                    a.order_code.to_string(),
                    views::money(a.amount, "VND", lang),
                )
            })
            .collect(),
        suggestions,
        best_is_one,
        history: history
            .items
            .iter()
            .map(|row| AuditView::new(row, lang))
            .collect(),
        message: Notice::message_for(query.error.as_deref(), lang),
        later,
        prev: query.prev,
        lang,
    })
}

#[derive(Deserialize)]
pub struct LinkQuery {
    code: Option<String>,
    /// A confirm refused because the order changed: this is the new preview.
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/link.html")]
struct LinkPreviewPage {
    lang: Lang,
    nav: Nav,
    tx: TxView,
    before: OrderView,
    after: OrderView,
    /// Linking to a cancelled or expired order opens it again.
    reopens: bool,
    /// What the transfer pays beyond the amount due (`71.000 ₫`).
    excess: Option<String>,
    /// The order as previewed, which the confirm must find unchanged.
    seen: String,
    message: Option<&'static str>,
}

/// A transfer by the provider's name for it (`casso:6785`, as the audit log names it).
pub async fn named(
    _ctx: PageContext,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let Some((source, external_id)) = name.split_once(':') else {
        return Err(NO_TRANSACTION);
    };
    let (source, external_id) = (source.to_owned(), external_id.to_owned());
    let id = state
        .db
        .run(move |conn| with_store!(conn, |s| s.transaction_row_id(&source, &external_id)))
        .await?;
    match id {
        Some(id) => Ok(redirect(&format!("/admin/transactions/{id}"))),
        None => Err(NO_TRANSACTION),
    }
}

pub(super) fn back_with_error(id: i64, notice: Notice) -> HttpResponse {
    redirect(&format!("/admin/transactions/{id}?error={}", notice.code()))
}

pub async fn link_preview(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let id = id.into_inner();
    let Some(code) = non_empty(&query.code).and_then(|c| OrderCode::parse(c).ok()) else {
        return Ok(back_with_error(id, Notice::BadOrderCode));
    };
    let wanted = code.clone();
    let (t, order) = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| Ok::<_, StoreError>((
                s.bank_transaction(id)?,
                s.order(&wanted)?
            )))
        })
        .await?;
    let Some(t) = t else {
        return Err(NO_TRANSACTION);
    };
    let Some(order) = order else {
        return Ok(back_with_error(id, Notice::NoSuchOrder));
    };
    let order = order.seen_at(domain::now());
    if !t.status.is_waiting() {
        return Ok(back_with_error(id, Notice::NotWaiting));
    }
    let after = match resolve::preview_link(&order, &t, &state.settings.matching) {
        Ok(after) => after,
        Err(e) => return Ok(back_with_error(id, Notice::from(&e))),
    };
    let excess = t.amount.saturating_sub_to_zero(order.amount_due());
    render(&LinkPreviewPage {
        nav: ctx.nav,
        reopens: order.status.is_closed(),
        excess: excess
            .is_positive()
            .then(|| views::money(excess, &order.currency, lang)),
        tx: TxView::new(&t, lang),
        seen: order.previewed_state(),
        before: OrderView::new(&order, lang),
        after: OrderView::new(&after, lang),
        message: Notice::message_for(query.error.as_deref(), lang),
        lang,
    })
}

#[derive(Deserialize)]
pub struct LinkForm {
    csrf: String,
    code: String,
    /// The order's state on the preview ([`domain::Order::previewed_state`]); a form without
    /// it matches no state, so it is refused with the preview.
    #[serde(default)]
    seen: String,
    note: Option<String>,
}

pub(super) async fn after_resolution(
    state: &AppState,
    id: i64,
    outcome: Result<resolve::Resolved, StoreError>,
    done: Done,
) -> Result<HttpResponse, AdminError> {
    match outcome? {
        Ok(changed) => {
            state.order_events.publish(changed);
            state.waiting.forget();
            let code = done.code();
            // Working the queue: a decided transfer gives way to the next one waiting.
            let to = match done {
                Done::Undone => format!("/admin/transactions/{id}?done={code}"),
                _ => match next_waiting(state).await? {
                    Some(next) => format!("/admin/transactions/{next}?done={code}&prev={id}"),
                    None => format!("/admin/queue?done={code}"),
                },
            };
            Ok(redirect(&to))
        }
        Err(ResolveError::TransactionNotFound) => Err(NO_TRANSACTION),
        Err(ResolveError::ChangedSincePreview(code)) => Ok(redirect(&format!(
            "/admin/transactions/{id}/link?code={code}&error={}",
            Notice::ChangedSincePreview.code()
        ))),
        Err(ResolveError::BuiltOn { later, .. }) => Ok(redirect(&format!(
            "/admin/transactions/{id}?error={}&later={}",
            Notice::LaterCredit.code(),
            later.row_id
        ))),
        Err(e) => Ok(back_with_error(id, Notice::from(&e))),
    }
}

/// The transfer at the top of the queue (newest by the bank's time), if any waits.
async fn next_waiting(state: &AppState) -> Result<Option<i64>, AdminError> {
    let filter = TransferFilter {
        statuses: TransactionStatus::WAITING.to_vec(),
        ..TransferFilter::default()
    };
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.transfers(&filter, PageStart::default(), 1)))
        .await?;
    Ok(page.items.first().map(|t| t.row_id))
}

pub async fn link(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let id = id.into_inner();
    let Ok(code) = OrderCode::parse(form.code.trim()) else {
        return Ok(back_with_error(id, Notice::BadOrderCode));
    };
    let note = note_of(&form.note);
    let (actor, settings, now) = (ctx.user(), state.settings.clone(), domain::now());
    let seen = form.seen.clone();
    let outcome = write_store!(state.db, |s| resolve::link(
        s,
        &settings.matching,
        &settings.public_url,
        id,
        &code,
        Some(&seen),
        &actor,
        note.as_deref(),
        now
    ));
    after_resolution(&state, id, outcome, Done::Linked).await
}

#[derive(Deserialize)]
pub struct SetAsideForm {
    csrf: String,
    resolution: String,
    note: Option<String>,
}

pub async fn set_aside(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<SetAsideForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let id = id.into_inner();
    let resolution = match Resolution::parse(&form.resolution) {
        Some(r @ (Resolution::Ignored | Resolution::Refunded)) => r,
        _ => return Ok(back_with_error(id, Notice::ChooseResolution)),
    };
    let note = note_of(&form.note);
    let (actor, now) = (ctx.user(), domain::now());
    let outcome = write_store!(state.db, |s| resolve::set_aside(
        s,
        id,
        resolution,
        &actor,
        note.as_deref(),
        now
    ));
    after_resolution(&state, id, outcome, Done::SetAside).await
}

pub async fn undo(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let id = id.into_inner();
    if form.confirm.is_none() {
        return Ok(back_with_error(id, Notice::ConfirmFirst));
    }
    let note = note_of(&form.note);
    let (actor, settings, now) = (ctx.user(), state.settings.clone(), domain::now());
    let outcome = write_store!(state.db, |s| resolve::undo(
        s,
        &settings.matching,
        &settings.public_url,
        id,
        &actor,
        note.as_deref(),
        now
    ));
    after_resolution(&state, id, outcome, Done::Undone).await
}
