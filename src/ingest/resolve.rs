//! What admins decide about transactions that waited. Linking goes through the same
//! `credit_order` as automatic matching, so sums and statuses come out the same.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::history;
use super::pipeline::{credit_allocations, Payment};
use crate::config::{MatchingSettings, PublicUrl};
use crate::db::{NewAuditRow, Store, StoreError};
use crate::domain::order::OrderError;
use crate::domain::{
    Allocation, BankTransaction, Cause, HistoryEvent, Order, OrderCode, OrderState, Resolution,
    TransactionStatus, TransferRef,
};
use crate::domain::{DecisionError, SplitError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("there is no such transaction")]
    TransactionNotFound,
    #[error("there is no order {0}")]
    OrderNotFound(String),
    #[error("this transaction is {0}: only waiting transactions can be resolved")]
    NotWaiting(&'static str),
    #[error("this transaction is not linked to an order")]
    NotLinked,
    #[error("this transaction was not set aside by an admin")]
    NotSetAside,
    #[error("transfer {} credited this order later, at {at}: undo that one first", later.name)]
    BuiltOn {
        later: TransferRef,
        at: DateTime<Utc>,
    },
    #[error("the order was {event} later, at {at}: undo that decision first")]
    DecidedLater {
        event: &'static str,
        at: DateTime<Utc>,
    },
    #[error("order {0} changed since the preview: nothing was applied")]
    ChangedSincePreview(OrderCode),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error(transparent)]
    Decision(#[from] DecisionError),
}

/// An order as the admin saw it on the preview they confirm ([`Order::previewed_state`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previewed {
    pub code: OrderCode,
    pub state: String,
}

/// A confirm applies only what its preview showed: another transfer credited meanwhile, or an
/// expiry, and the admin must look again (they would otherwise overpay without a warning).
pub(super) fn unchanged_since_preview(
    orders: &[Order],
    previewed: &[Previewed],
) -> Result<(), ResolveError> {
    for seen in previewed {
        let same = orders
            .iter()
            .find(|o| o.code == seen.code)
            .is_some_and(|o| o.previewed_state() == seen.state);
        if !same {
            return Err(ResolveError::ChangedSincePreview(seen.code.clone()));
        }
    }
    Ok(())
}

/// Every resolution answers this: the refusal, or the orders whose status changed.
pub type Resolved = Result<Vec<OrderCode>, ResolveError>;

pub fn transaction_subject(t: &BankTransaction) -> String {
    subject_of(&t.source, &t.external_id)
}

/// The audit log's name for a provider's transaction (`transaction:casso:6785`).
pub fn subject_of(source: &str, external_id: &str) -> String {
    format!("transaction:{source}:{external_id}")
}

pub fn order_subject(code: &OrderCode) -> String {
    format!("order:{code}")
}

pub(super) fn transaction_state(t: &BankTransaction) -> String {
    json!({
        "status": t.status.as_str(),
        "order_code": t.order_code.as_ref().map(OrderCode::as_str),
        "resolution": t.resolution.map(Resolution::as_str),
    })
    .to_string()
}

pub fn order_state(o: &Order) -> String {
    json!({"status": o.status.as_str(), "amount_received": o.amount_received.to_string()})
        .to_string()
}

/// One admin action: who did what to which subject, and its state before and after (JSON).
pub struct Audit<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub note: Option<&'a str>,
}

pub fn audit<S: Store>(store: &mut S, entry: &Audit, now: DateTime<Utc>) -> Result<(), StoreError> {
    store.insert_audit(&NewAuditRow {
        actor: entry.actor,
        action: entry.action,
        subject: entry.subject,
        before_state: entry.before,
        after_state: entry.after,
        note: entry.note,
        created_at: crate::db::models::to_db_time(now),
    })
}

/// How an order would change if this transaction were linked to it, without changing it.
pub fn preview_link(
    order: &Order,
    transaction: &BankTransaction,
    matching: &MatchingSettings,
) -> Result<Order, OrderError> {
    let mut after = order.clone();
    after.apply_transfer(
        transaction.amount,
        matching.amount_tolerance,
        crate::domain::now(),
    )?;
    Ok(after)
}

pub(super) fn waiting<S: Store>(
    store: &mut S,
    row_id: i64,
) -> Result<Result<BankTransaction, ResolveError>, StoreError> {
    Ok(match store.bank_transaction_for_update(row_id)? {
        None => Err(ResolveError::TransactionNotFound),
        Some(t) if t.status.is_waiting() && t.amount.is_positive() => Ok(t),
        Some(t) => Err(ResolveError::NotWaiting(t.status.as_str())),
    })
}

/// Applies a waiting transaction to the order an admin chose, if it still reads as `previewed`
/// (`None`: no preview to hold it to).
#[allow(clippy::too_many_arguments)]
pub fn link<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    links: &PublicUrl,
    row_id: i64,
    code: &OrderCode,
    previewed: Option<&str>,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Resolved, StoreError> {
    store.write(|store| {
        let mut transaction = match waiting(store, row_id)? {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let Some(mut order) = store.orders_for_update(std::slice::from_ref(code))?.pop() else {
            return Ok(Err(ResolveError::OrderNotFound(code.to_string())));
        };
        let mut changed = Vec::new();
        if history::expire_if_due(store, &mut order, now)? {
            changed.push(order.code.clone());
        }
        let seen = previewed.map(|state| Previewed {
            code: order.code.clone(),
            state: state.to_owned(),
        });
        if let Err(e) = unchanged_since_preview(std::slice::from_ref(&order), seen.as_slice()) {
            crate::notify::outbox::record_changes(store, &changed, links, now)?;
            return Ok(Err(e));
        }
        let share = [Allocation {
            order_code: order.code.clone(),
            amount: transaction.amount,
        }];
        let act = AdminAct {
            actor,
            note,
            action: "transaction.link",
        };
        let applied = apply_shares(
            store,
            &mut transaction,
            std::slice::from_mut(&mut order),
            &share,
            &act,
            matching,
            now,
            &mut changed,
        )?;
        crate::notify::outbox::record_changes(store, &changed, links, now)?;
        Ok(applied.map(|()| changed))
    })
}

/// Who acted on a waiting transaction, why, and under which audit action.
pub(super) struct AdminAct<'a> {
    pub actor: &'a str,
    pub note: Option<&'a str>,
    pub action: &'static str,
}

/// Credits each order (locked, expiry already applied) its share of a waiting transaction,
/// marks the transaction matched (to its one order, or to none when it paid several) and
/// audits the transaction and every order: what a link and a split have in common.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply_shares<S: Store>(
    store: &mut S,
    transaction: &mut BankTransaction,
    orders: &mut [Order],
    shares: &[Allocation],
    act: &AdminAct,
    matching: &MatchingSettings,
    now: DateTime<Utc>,
    changed: &mut Vec<OrderCode>,
) -> Result<Result<(), ResolveError>, StoreError> {
    let orders_before: Vec<String> = orders.iter().map(order_state).collect();
    let transaction_before = transaction_state(transaction);
    let payment = Payment {
        cause: &Cause::Admin(act.actor.to_owned()),
        transfer: &history::transfer_ref(transaction),
    };
    if let Err(e) = credit_allocations(store, orders, shares, &payment, matching, now, changed)? {
        return Ok(Err(e.into()));
    }
    transaction.waiting_reason = Some(transaction.status);
    transaction.status = TransactionStatus::Matched;
    transaction.order_code = match shares {
        [one] => Some(one.order_code.clone()),
        _ => None,
    };
    set_resolution(
        transaction,
        Some(Resolution::Linked),
        act.note,
        act.actor,
        now,
    );
    store.save_resolution(transaction, now)?;
    let subject = transaction_subject(transaction);
    audit(
        store,
        &Audit {
            actor: act.actor,
            action: act.action,
            subject: &subject,
            before: Some(&transaction_before),
            after: Some(&transaction_state(transaction)),
            note: act.note,
        },
        now,
    )?;
    for (order, before) in orders.iter().zip(&orders_before) {
        audit(
            store,
            &Audit {
                actor: act.actor,
                action: "order.credit",
                subject: &order_subject(&order.code),
                before: Some(before),
                after: Some(&order_state(order)),
                note: Some(&subject),
            },
            now,
        )?;
    }
    Ok(Ok(()))
}

pub(super) fn set_resolution(
    t: &mut BankTransaction,
    resolution: Option<Resolution>,
    note: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) {
    t.resolution = resolution;
    t.resolution_note = note.map(str::to_owned);
    t.resolved_by = resolution.map(|_| actor.to_owned());
    t.resolved_at = resolution.map(|_| now);
}

/// Sets a waiting transaction aside: not a payment for any order, or sent back.
pub fn set_aside<S: Store>(
    store: &mut S,
    row_id: i64,
    resolution: Resolution,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Resolved, StoreError> {
    store.write(|store| {
        let mut transaction = match waiting(store, row_id)? {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let before = transaction_state(&transaction);
        transaction.waiting_reason = Some(transaction.status);
        transaction.status = TransactionStatus::Ignored;
        set_resolution(&mut transaction, Some(resolution), note, actor, now);
        store.save_resolution(&transaction, now)?;
        let action = format!("transaction.{}", resolution.as_str());
        audit(
            store,
            &Audit {
                actor,
                action: &action,
                subject: &transaction_subject(&transaction),
                before: Some(&before),
                after: Some(&transaction_state(&transaction)),
                note,
            },
            now,
        )?;
        Ok(Ok(Vec::new()))
    })
}

/// Undoes a link (automatic or by an admin) or a set-aside: the transaction waits again with
/// the reason it had, and a linked amount is taken back from the order.
pub fn undo<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    links: &PublicUrl,
    row_id: i64,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Resolved, StoreError> {
    store.write(|store| {
        let Some(mut transaction) = store.bank_transaction_for_update(row_id)? else {
            return Ok(Err(ResolveError::TransactionNotFound));
        };
        let before = transaction_state(&transaction);
        let mut changed = Vec::new();
        let action = match transaction.status {
            TransactionStatus::Matched => {
                if transaction.allocations.is_empty() {
                    return Ok(Err(ResolveError::NotLinked));
                }
                if let Err(e) = take_back(store, matching, &transaction, actor, now, &mut changed)?
                {
                    return Ok(Err(e));
                }
                transaction.order_code = None;
                "transaction.unlink"
            }
            TransactionStatus::Ignored => "transaction.reopen",
            _ => return Ok(Err(ResolveError::NotSetAside)),
        };
        // An automatic match had no waiting reason: it waits as if no code had been read, or,
        // when it paid several orders, as a transfer naming several.
        let automatic = match transaction.allocations.len() {
            0 | 1 => TransactionStatus::Unmatched,
            _ => TransactionStatus::Ambiguous,
        };
        transaction.status = transaction.waiting_reason.take().unwrap_or(automatic);
        set_resolution(&mut transaction, None, None, actor, now);
        store.save_resolution(&transaction, now)?;
        audit(
            store,
            &Audit {
                actor,
                action,
                subject: &transaction_subject(&transaction),
                before: Some(&before),
                after: Some(&transaction_state(&transaction)),
                note,
            },
            now,
        )?;
        crate::notify::outbox::record_changes(store, &changed, links, now)?;
        Ok(Ok(changed))
    })
}

/// Takes a transaction's credit back from every order it paid, each order to exactly its state
/// before; refused, changing nothing, when a later credit built on it in any of them.
fn take_back<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    transaction: &BankTransaction,
    actor: &str,
    now: DateTime<Utc>,
    changed: &mut Vec<OrderCode>,
) -> Result<Result<(), ResolveError>, StoreError> {
    let codes: Vec<OrderCode> = transaction
        .allocations
        .iter()
        .map(|a| a.order_code.clone())
        .collect();
    let mut orders = store.orders_for_update(&codes)?;
    for order in &orders {
        if let Err(e) = history::check_undo(store, order, transaction)? {
            return Ok(Err(e));
        }
    }
    let cause = Cause::Admin(actor.to_owned());
    for share in &transaction.allocations {
        let Some(order) = orders.iter_mut().find(|o| o.code == share.order_code) else {
            continue;
        };
        let order_before = order_state(order);
        if let Err(e) = history::undo_credit(
            store,
            order,
            transaction,
            share.amount,
            matching,
            &cause,
            now,
            changed,
        )? {
            return Ok(Err(e));
        }
        audit(
            store,
            &Audit {
                actor,
                action: "order.debit",
                subject: &order_subject(&order.code),
                before: Some(&order_before),
                after: Some(&order_state(order)),
                note: Some(&transaction_subject(transaction)),
            },
            now,
        )?;
    }
    store.delete_allocations(transaction.row_id)?;
    Ok(Ok(()))
}

/// What a cancel came to: `None` when there is no such order, else the order and whether it
/// changed, or why it cannot be cancelled.
pub type Cancelled = Option<Result<(Order, bool), OrderError>>;

/// Cancels an order (the storefront API's and an admin's way alike), audited and recorded in
/// its history with its cause.
pub fn cancel_order<S: Store>(
    store: &mut S,
    links: &PublicUrl,
    code: &OrderCode,
    cause: &Cause,
    now: DateTime<Utc>,
) -> Result<Cancelled, StoreError> {
    store.write(|store| {
        let Some(mut order) = store.orders_for_update(std::slice::from_ref(code))?.pop() else {
            return Ok(None);
        };
        // What readers see already: an overdue order is expired before it is cancelled.
        history::expire_if_due(store, &mut order, now)?;
        let before = order_state(&order);
        let state_before = OrderState::of(&order);
        let result = order.cancel(now);
        if let Ok(true) = result {
            store.update_order(&order, &state_before)?;
            history::record(
                store,
                &order,
                Some(state_before),
                HistoryEvent::Cancelled,
                cause,
                None,
                now,
            )?;
            crate::notify::outbox::record_changes(store, std::slice::from_ref(code), links, now)?;
            audit(
                store,
                &Audit {
                    actor: &cause.actor(),
                    action: "order.cancel",
                    subject: &order_subject(code),
                    before: Some(&before),
                    after: Some(&order_state(&order)),
                    note: None,
                },
                now,
            )?;
        }
        Ok(Some(result.map(|changed| (order, changed))))
    })
}
