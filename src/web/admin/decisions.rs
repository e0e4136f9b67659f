//! An owner's decisions on an order's money, made from its page: accept a partly paid order as
//! paid, record that an overpaid excess was refunded, and undo the latest of them.

use actix_web::{web, HttpResponse};

use super::context::{redirect, ConfirmForm, PageContext};
use super::error::AdminError;
use super::notice::{Done, Notice};
use super::orders::{back_to_order, NO_ORDER};
use crate::domain::{self, Cause, Decision, OrderCode};
use crate::ingest::decide::{self, Decided};
use crate::state::AppState;
use crate::users::Action;
use crate::write_store;

pub async fn accept(
    ctx: PageContext,
    state: web::Data<AppState>,
    code: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AdminError> {
    decide_on(ctx, state, &code, form, Some(Decision::Accept)).await
}

pub async fn refund(
    ctx: PageContext,
    state: web::Data<AppState>,
    code: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AdminError> {
    decide_on(ctx, state, &code, form, Some(Decision::Refund)).await
}

pub async fn undo(
    ctx: PageContext,
    state: web::Data<AppState>,
    code: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AdminError> {
    decide_on(ctx, state, &code, form, None).await
}

/// Makes `decision` (`None`: undoes the latest) once the admin ticked the confirm box, and
/// goes back to the order's page with what came of it.
async fn decide_on(
    ctx: PageContext,
    state: web::Data<AppState>,
    code: &str,
    form: web::Form<ConfirmForm>,
    decision: Option<Decision>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let code = OrderCode::parse(code).map_err(|_| NO_ORDER)?;
    if form.confirm.is_none() {
        let notice = Notice::ConfirmFirst.code();
        return Ok(redirect(&format!(
            "/admin/orders/{code}?error={notice}#decisions"
        )));
    }
    let (wanted, cause, now, links) = (
        code.clone(),
        Cause::Admin(ctx.user()),
        domain::now(),
        state.settings.public_url.clone(),
    );
    let note = form.into_inner().note;
    let outcome: Decided = write_store!(state.db, |s| match decision {
        Some(decision) =>
            decide::decide(s, &links, &wanted, decision, note.as_deref(), &cause, now),
        None => decide::undo_decision(s, &links, &wanted, &cause, now),
    })?;
    let done = match decision {
        Some(Decision::Accept) => Done::Accepted,
        Some(Decision::Refund) => Done::Refunded,
        None => Done::DecisionUndone,
    };
    back_to_order(&state, &code, "#decisions", outcome, done)
}
