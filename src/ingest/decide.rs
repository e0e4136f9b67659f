//! An owner's decisions on an order's money (accept a partly paid order as paid, record a
//! refunded excess) and their undo: each in one write, with its history, audit and, when the
//! status changes, the shop's notification.

use chrono::{DateTime, Utc};

use super::history;
use super::resolve::{audit, order_state, order_subject, Audit, ResolveError};
use crate::config::PublicUrl;
use crate::db::{Store, StoreError};
use crate::domain::decision::plan_undo_decision;
use crate::domain::{Cause, Decision, HistoryEntry, HistoryEvent, Order, OrderCode, OrderState};

/// What a decision or its undo came to: `None` when there is no such order, else the order
/// after it and whether its status changed, or why nothing was done.
pub type Decided = Option<Result<(Order, bool), ResolveError>>;

/// Makes `decision` on the order, with the admin's `note` (an accept's reason).
pub fn decide<S: Store>(
    store: &mut S,
    links: &PublicUrl,
    code: &OrderCode,
    decision: Decision,
    note: Option<&str>,
    cause: &Cause,
    now: DateTime<Utc>,
) -> Result<Decided, StoreError> {
    let action = match decision {
        Decision::Accept => "order.accept",
        Decision::Refund => "order.refund",
    };
    change(
        store,
        links,
        code,
        cause,
        now,
        action,
        note,
        |order, history| {
            decision.apply(order, history, note, now)?;
            Ok(decision.event())
        },
    )
}

/// Takes back the latest decision still standing: the order returns exactly to its state
/// before it, or nothing changes when the order moved on since.
pub fn undo_decision<S: Store>(
    store: &mut S,
    links: &PublicUrl,
    code: &OrderCode,
    cause: &Cause,
    now: DateTime<Utc>,
) -> Result<Decided, StoreError> {
    change(
        store,
        links,
        code,
        cause,
        now,
        "order.undo_decision",
        None,
        |order, history| {
            let (_, before) = plan_undo_decision(history, &OrderState::of(order))?;
            before.restore(order, now);
            Ok(HistoryEvent::Undone)
        },
    )
}

/// Locks the order, lets `apply` change it and name the event, then stores the order, its
/// history entry and the audit, and tells the shop when the status changed.
#[allow(clippy::too_many_arguments)]
fn change<S: Store>(
    store: &mut S,
    links: &PublicUrl,
    code: &OrderCode,
    cause: &Cause,
    now: DateTime<Utc>,
    action: &str,
    note: Option<&str>,
    apply: impl Fn(&mut Order, &[HistoryEntry]) -> Result<HistoryEvent, ResolveError>,
) -> Result<Decided, StoreError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    store.write(|store| {
        let Some(mut order) = store.orders_for_update(std::slice::from_ref(code))?.pop() else {
            return Ok(None);
        };
        // What readers see already: an overdue order is expired before anything else.
        history::expire_if_due(store, &mut order, now)?;
        let history = store.order_history(code)?;
        let (state_before, audit_before) = (OrderState::of(&order), order_state(&order));
        let event = match apply(&mut order, &history) {
            Ok(event) => event,
            Err(e) => return Ok(Some(Err(e))),
        };
        store.update_order(&order, &state_before)?;
        let entry = HistoryEntry {
            note: note.map(str::to_owned),
            ..HistoryEntry::change(&order, Some(state_before.clone()), event, cause, now)
        };
        store.insert_history(code, &entry)?;
        audit(
            store,
            &Audit {
                actor: &cause.actor(),
                action,
                subject: &order_subject(code),
                before: Some(&audit_before),
                after: Some(&order_state(&order)),
                note,
            },
            now,
        )?;
        let changed = order.status != state_before.status;
        if changed {
            crate::notify::outbox::record_changes(store, std::slice::from_ref(code), links, now)?;
        }
        Ok(Some(Ok((order, changed))))
    })
}
