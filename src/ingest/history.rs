//! Writes an order's history, always in the write transaction of the change it records, and
//! undoes a credit from it.

use chrono::{DateTime, Utc};

use super::resolve::ResolveError;
use crate::config::MatchingSettings;
use crate::db::{Store, StoreError};
use crate::domain::history::{plan_undo, UndoPlan};
use crate::domain::{
    BankTransaction, Cause, HistoryEntry, HistoryEvent, Money, Order, OrderCode, OrderState,
    TransferRef,
};

/// Records that `order` (already saved) came to its state now from `before`.
pub fn record<S: Store>(
    store: &mut S,
    order: &Order,
    before: Option<OrderState>,
    event: HistoryEvent,
    cause: &Cause,
    transfer: Option<&TransferRef>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry = HistoryEntry {
        transfer: transfer.cloned(),
        ..HistoryEntry::change(order, before, event, cause, now)
    };
    store.insert_history(&order.code, &entry)
}

/// Stores the expiry of a locked order that is due, with its history: `true` when it changed.
pub fn expire_if_due<S: Store>(
    store: &mut S,
    order: &mut Order,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let before = OrderState::of(order);
    if !order.expire_if_due(now) {
        return Ok(false);
    }
    store.update_order(order, &before)?;
    record(
        store,
        order,
        Some(before),
        HistoryEvent::Expired,
        &Cause::Expiry,
        None,
        now,
    )?;
    Ok(true)
}

/// A later credit built on this one, or an owner's decision stands on it.
fn built_on(later: &HistoryEntry) -> ResolveError {
    match &later.transfer {
        Some(transfer) => ResolveError::BuiltOn {
            later: transfer.clone(),
            at: later.at,
        },
        None => ResolveError::DecidedLater {
            event: later.event.as_str(),
            at: later.at,
        },
    }
}

/// Whether the transfer's credit can be taken back from the order: refused when a later credit
/// built on it. Lets an undo that touches several orders check them all before changing any.
pub fn check_undo<S: Store>(
    store: &mut S,
    order: &Order,
    transaction: &BankTransaction,
) -> Result<Result<(), ResolveError>, StoreError> {
    let history = store.order_history(&order.code)?;
    Ok(match plan_undo(&history, transaction.row_id) {
        UndoPlan::BuiltOn(later) => Err(built_on(later)),
        UndoPlan::Restore(_) | UndoPlan::Untracked => Ok(()),
    })
}

/// Takes a transfer's credit of `amount` back from a locked order: the order returns to its
/// state before that credit (see [`plan_undo`]), or the undo is refused when a later credit
/// built on it.
#[allow(clippy::too_many_arguments)]
pub fn undo_credit<S: Store>(
    store: &mut S,
    order: &mut Order,
    transaction: &BankTransaction,
    amount: Money,
    matching: &MatchingSettings,
    cause: &Cause,
    now: DateTime<Utc>,
    changed: &mut Vec<OrderCode>,
) -> Result<Result<(), ResolveError>, StoreError> {
    let transfer = &transfer_ref(transaction);
    let before = OrderState::of(order);
    let history = store.order_history(&order.code)?;
    match plan_undo(&history, transfer.row_id) {
        UndoPlan::Restore(state) => state.restore(order, now),
        UndoPlan::BuiltOn(later) => return Ok(Err(built_on(later))),
        // Credited before history was kept: the amount comes off, the status follows it.
        UndoPlan::Untracked => order.reverse_transfer(amount, matching.amount_tolerance, now),
    }
    store.update_order(order, &before)?;
    record(
        store,
        order,
        Some(before.clone()),
        HistoryEvent::Undone,
        cause,
        Some(transfer),
        now,
    )?;
    expire_if_due(store, order, now)?;
    if order.status != before.status {
        changed.push(order.code.clone());
    }
    Ok(Ok(()))
}

pub fn transfer_ref(t: &BankTransaction) -> TransferRef {
    TransferRef {
        row_id: t.row_id,
        name: format!("{}:{}", t.source, t.external_id),
    }
}
