//! One order with its transfers and history, and cancelling an order (the list of orders is
//! `order_list`).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::context::{redirect, render, ConfirmForm, MessageQuery, Nav, PageContext};
use super::error::AdminError;
use super::notice::{Done, Notice};
use super::share::ShareView;
use super::views::{self, money, status_label, OrderView, TxView};
use crate::db::{OrderStore, StoreError, TransactionStore};
use crate::domain::decision::{excess_refunded, plan_undo_decision};
use crate::domain::{
    self, Cause, Decision, HistoryEntry, HistoryEvent, Order, OrderCode, OrderState, OrderStatus,
};
use crate::ingest::resolve;
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::{with_store, write_store};

pub(super) const NO_ORDER: AdminError = AdminError::NotFound("There is no order with this code.");

#[derive(Template)]
#[template(path = "admin/order.html")]
struct OrderPage {
    lang: Lang,
    nav: Nav,
    order: OrderView,
    transactions: Vec<TxView>,
    history: Vec<HistoryRowView>,
    can_cancel: bool,
    /// Cancelling keeps what was received: the form says how much.
    has_money: bool,
    decisions: DecisionsView,
    share: ShareView,
    message: Option<&'static str>,
}

pub async fn order(
    ctx: PageContext,
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<MessageQuery>,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let code = OrderCode::parse(&code).map_err(|_| NO_ORDER)?;
    let loaded = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| {
                let Some(order) = s.order(&code)? else {
                    return Ok::<_, StoreError>(None);
                };
                let transactions = s.transactions_of(std::slice::from_ref(&code))?;
                let history = s.order_history(&code)?;
                Ok(Some((order, transactions, history)))
            })
        })
        .await?;
    let Some((order, transactions, history)) = loaded else {
        return Err(NO_ORDER);
    };
    // Past `expires_at` it reads as expired before the sweep stores it, as everywhere.
    let order = order.seen_at(domain::now());
    render(&OrderPage {
        decisions: DecisionsView::new(&order, &history, lang),
        nav: ctx.nav,
        can_cancel: !order.status.is_paid() && order.status != OrderStatus::Cancelled,
        has_money: order.amount_received.is_positive(),
        share: ShareView::new(&order, &state.settings),
        order: OrderView::new(&order, lang),
        transactions: transactions
            .iter()
            .map(|t| TxView::share_of(t, &order.code, lang))
            .collect(),
        history: history
            .iter()
            .map(|e| HistoryRowView::new(e, &order.currency, lang))
            .collect(),
        message: Notice::message_for(query.error.as_deref(), lang),
        lang,
    })
}

/// What an owner may decide on the order now, and the decision an undo would take back.
struct DecisionsView {
    may_accept: bool,
    may_refund: bool,
    /// The excess is recorded as refunded.
    refunded: bool,
    /// The latest decision still standing, as a person reads it, when it can be undone.
    standing: Option<String>,
}

impl DecisionsView {
    fn new(order: &Order, history: &[HistoryEntry], lang: Lang) -> DecisionsView {
        let standing = plan_undo_decision(history, &OrderState::of(order))
            .ok()
            .map(|(e, _)| {
                let row = HistoryRowView::new(e, &order.currency, lang);
                format!("{} ({}, {})", row.event, row.by, row.at)
            });
        DecisionsView {
            may_accept: Decision::Accept.check(order, history).is_ok(),
            may_refund: Decision::Refund.check(order, history).is_ok(),
            refunded: excess_refunded(history).is_some(),
            standing,
        }
    }

    fn any(&self) -> bool {
        self.may_accept || self.may_refund || self.standing.is_some()
    }
}

pub async fn cancel_order(
    ctx: PageContext,
    state: web::Data<AppState>,
    code: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let code = OrderCode::parse(&code).map_err(|_| NO_ORDER)?;
    if form.confirm.is_none() {
        return Ok(redirect(&format!(
            "/admin/orders/{code}?error={}",
            Notice::ConfirmFirst.code()
        )));
    }
    let (wanted, cause, now) = (code.clone(), Cause::Admin(ctx.user()), domain::now());
    let links = state.settings.public_url.clone();
    let outcome = write_store!(state.db, |s| resolve::cancel_order(
        s, &links, &wanted, &cause, now
    ))?;
    back_to_order(&state, &code, "", outcome, Done::Cancelled)
}

/// Where an action on an order leads: back to its page with the refusal (at `anchor`, the
/// form that was refused) or with `done`; a status change reaches whoever waits on the order.
pub(super) fn back_to_order<E>(
    state: &AppState,
    code: &OrderCode,
    anchor: &str,
    outcome: Option<Result<(Order, bool), E>>,
    done: Done,
) -> Result<HttpResponse, AdminError>
where
    for<'e> Notice: From<&'e E>,
{
    let page = format!("/admin/orders/{code}");
    match outcome {
        None => Err(NO_ORDER),
        Some(Err(e)) => Ok(redirect(&format!(
            "{page}?error={}{anchor}",
            Notice::from(&e).code()
        ))),
        Some(Ok((order, changed))) => {
            if changed {
                state.order_events.publish([order.code]);
            }
            Ok(redirect(&format!("{page}?done={}", done.code())))
        }
    }
}

/// One change of the order, as its page shows it.
struct HistoryRowView {
    at: String,
    /// The stored event (`credited`), for machines; `event` is for people.
    event_key: &'static str,
    /// The event as a person reads it, with the admin's note.
    event: String,
    by: String,
    /// The transfer's name and its admin page.
    transfer: Option<(String, String)>,
    status: String,
    received: String,
}

impl HistoryRowView {
    fn new(e: &HistoryEntry, currency: &str, lang: Lang) -> HistoryRowView {
        let status = |s: &OrderState| status_label(s.status.as_str(), lang).unwrap_or_default();
        let received = |s: &OrderState| money(s.amount_received, currency, lang);
        let (status, received) = match &e.before {
            Some(before) if before.status == e.after.status => (
                status(&e.after).to_owned(),
                format!("{} → {}", received(before), received(&e.after)),
            ),
            Some(before) => (
                format!("{} → {}", status(before), status(&e.after)),
                format!("{} → {}", received(before), received(&e.after)),
            ),
            None => (status(&e.after).to_owned(), received(&e.after)),
        };
        HistoryRowView {
            at: views::local_time(e.at),
            event_key: e.event.as_str(),
            event: {
                let event = lang.t(match e.event {
                    HistoryEvent::Created => "Order created",
                    HistoryEvent::Credited => "Transfer credited",
                    HistoryEvent::Cancelled => "Order cancelled",
                    HistoryEvent::Expired => "Order expired",
                    HistoryEvent::Undone if e.transfer.is_none() => "Decision undone",
                    HistoryEvent::Undone => "Credit undone",
                    HistoryEvent::Imported => "State when history began",
                    HistoryEvent::Accepted => "Accepted as paid",
                    HistoryEvent::Refunded => "Excess refunded",
                });
                match &e.note {
                    Some(note) => format!("{event}: {note}"),
                    None => event.to_owned(),
                }
            },
            by: views::who(&e.by, lang),
            transfer: e
                .transfer
                .as_ref()
                .map(|t| (t.name.clone(), format!("/admin/transactions/{}", t.row_id))),
            status,
            received,
        }
    }
}
