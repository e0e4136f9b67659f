//! An owner's decisions on an order's money, made from its page: accept a partly paid order as
//! paid, record that an overpaid excess was refunded, and undo the latest of them.

use actix_web::{web, HttpResponse};

use super::context::{redirect, ConfirmForm, PageContext};
use super::error::AdminError;
use super::notice::{Done, Notice};
use crate::domain::{self, Cause, Decision, OrderCode};
use crate::ingest::decide::{self, Decided};
use crate::state::AppState;
use crate::users::Action;
use crate::write_store;

const NO_ORDER: AdminError = AdminError::NotFound("There is no order with this code.");

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
    let page = format!("/admin/orders/{code}");
    if form.confirm.is_none() {
        let notice = Notice::ConfirmFirst.code();
        return Ok(redirect(&format!("{page}?error={notice}#decisions")));
    }
    let (cause, now, links) = (
        Cause::Admin(ctx.user()),
        domain::now(),
        state.settings.public_url.clone(),
    );
    let note = form.into_inner().note;
    let outcome: Decided = write_store!(state.db, |s| match decision {
        Some(decision) => decide::decide(s, &links, &code, decision, note.as_deref(), &cause, now),
        None => decide::undo_decision(s, &links, &code, &cause, now),
    })?;
    match outcome {
        None => Err(NO_ORDER),
        Some(Err(e)) => Ok(redirect(&format!(
            "{page}?error={}#decisions",
            Notice::from(&e).code()
        ))),
        Some(Ok((order, changed))) => {
            if changed {
                state.order_events.publish([order.code]);
            }
            let done = match decision {
                Some(Decision::Accept) => Done::Accepted,
                Some(Decision::Refund) => Done::Refunded,
                None => Done::DecisionUndone,
            };
            Ok(redirect(&format!("{page}?done={}", done.code())))
        }
    }
}
