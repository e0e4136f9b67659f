//! The one path in for every transaction, whatever brought it: store it once, decide, apply.

use chrono::{DateTime, Utc};
use tracing::Span;

use super::history;
use super::reading::{ReadElement, ReadTransfer};
use crate::config::{AlertSettings, MatchingSettings, PublicUrl};
use crate::db::{Decided, DeliveryCounts, Store, StoreError};
use crate::domain::order::OrderError;
use crate::domain::{
    Allocation, Cause, HistoryEvent, IncomingTransfer, Money, Order, OrderCode, OrderState, Source,
    TransferRef,
};
use crate::matching::{self, MatchDecision, Reading};

/// What became of one delivery, committed before this is returned.
#[derive(Debug, Default)]
pub struct DeliveryReport {
    pub counts: DeliveryCounts,
    /// How many of the accepted transfers were applied to an order.
    pub matched: i32,
    /// Orders whose status changed, for whoever waits on them.
    pub changed_orders: Vec<OrderCode>,
}

/// What became of one transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferOutcome {
    /// Already stored from an earlier delivery: nothing changed.
    Duplicate,
    /// Stored with its decision, as the row `transaction_id`.
    Recorded(MatchDecision, i64),
}

/// Stores a delivery's raw body, every element (or its rejection) and every decision, in one
/// database transaction: when this returns `Ok`, all of it is durable.
#[allow(clippy::too_many_arguments)]
pub fn ingest_delivery<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    links: &PublicUrl,
    alerts: &AlertSettings,
    channel: &str,
    raw_body: &str,
    elements: &[ReadElement],
    now: DateTime<Utc>,
) -> Result<DeliveryReport, StoreError> {
    store.write(|store| {
        record_delivery(
            store, matching, links, alerts, channel, raw_body, elements, now,
        )
    })
}

#[tracing::instrument(name = "delivery", skip_all, fields(channel, elements = elements.len()))]
#[allow(clippy::too_many_arguments)]
fn record_delivery<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    links: &PublicUrl,
    alerts: &AlertSettings,
    channel: &str,
    raw_body: &str,
    elements: &[ReadElement],
    now: DateTime<Utc>,
) -> Result<DeliveryReport, StoreError> {
    let mut report = DeliveryReport::default();
    // Stored with the counts it most likely ends with (every readable element accepted), so the
    // usual delivery needs no second statement: one transaction holds it all, so nothing ever
    // sees it half done. A duplicate among its elements corrects the counts at the end.
    let rejected = elements.iter().filter(|e| e.is_err()).count();
    let expected = DeliveryCounts {
        accepted: i32::try_from(elements.len() - rejected).unwrap_or(i32::MAX),
        duplicates: 0,
        rejected: i32::try_from(rejected).unwrap_or(i32::MAX),
    };
    let delivery_id = store.insert_delivery(channel, raw_body, "processed", expected, now)?;
    for (position, element) in elements.iter().enumerate() {
        match element {
            Err(rejection) => {
                let position = i32::try_from(position).unwrap_or(i32::MAX);
                store.insert_rejected_item(
                    delivery_id,
                    position,
                    &rejection.payload,
                    &rejection.reason,
                    now,
                )?;
                tracing::warn!(position, reason = %rejection.reason, "element rejected");
                report.counts.rejected += 1;
            }
            Ok(read) => {
                let transfer = read.transfer();
                match apply_transfer(
                    store,
                    matching,
                    read,
                    &cause_of(channel, transfer),
                    Some(delivery_id),
                    now,
                    &mut report.changed_orders,
                )? {
                    TransferOutcome::Duplicate => report.counts.duplicates += 1,
                    TransferOutcome::Recorded(decision, transaction_id) => {
                        report.counts.accepted += 1;
                        let allocations = decision.allocations(transfer.amount);
                        if !allocations.is_empty() {
                            report.matched += 1;
                        }
                        crate::alerts::on_transfer(
                            store,
                            alerts,
                            links,
                            transfer,
                            &allocations,
                            decision.status(),
                            transaction_id,
                            now,
                        )?;
                    }
                }
            }
        }
    }
    crate::notify::outbox::record_changes(store, &report.changed_orders, links, now)?;
    if report.counts != expected {
        store.set_delivery_counts(delivery_id, report.counts)?;
    }
    Ok(report)
}

/// Records an envelope that could not be read at all, so an admin can see what came.
pub fn record_unreadable_delivery<S: Store>(
    store: &mut S,
    channel: &str,
    raw_body: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.write(|store| {
        store
            .insert_delivery(
                channel,
                raw_body,
                &format!("invalid: {reason}"),
                DeliveryCounts::default(),
                now,
            )
            .map(|_| ())
    })
}

/// Money in for an order: how much, who or what brought it, and which transfer.
pub struct Credit<'a> {
    pub amount: Money,
    pub cause: &'a Cause,
    pub transfer: TransferRef,
}

/// The one place where money changes an order's total, for automatic matches and admin links
/// alike, with its history. The order must be locked (`orders_for_update`) in the current
/// write transaction.
pub fn credit_order<S: Store>(
    store: &mut S,
    order: &mut Order,
    credit: &Credit,
    matching: &MatchingSettings,
    now: DateTime<Utc>,
    changed_orders: &mut Vec<OrderCode>,
) -> Result<Result<(), OrderError>, StoreError> {
    let before = OrderState::of(order);
    if let Err(error) = order.apply_transfer(credit.amount, matching.amount_tolerance, now) {
        return Ok(Err(error));
    }
    store.update_order(order, &before)?;
    history::record(
        store,
        order,
        Some(before.clone()),
        HistoryEvent::Credited,
        credit.cause,
        Some(&credit.transfer),
        now,
    )?;
    if order.status != before.status {
        changed_orders.push(order.code.clone());
    }
    Ok(Ok(()))
}

/// The channel of reconciliation's deliveries: the provider's API read back.
pub fn reconcile_channel(source: Source) -> &'static str {
    match source {
        Source::Casso => "casso_api",
        Source::Sepay => "sepay_api",
    }
}

/// Who or what applies a transfer, and which transfer.
pub struct Payment<'a> {
    pub cause: &'a Cause,
    pub transfer: &'a TransferRef,
}

/// Credits each order its share of one transfer through [`credit_order`], and records the
/// shares as the transfer's allocations. `orders` must hold every share's order, locked. A
/// refusal (a total past what can be stored) can only come from a share that would overflow:
/// a split checks every share on a copy first (`preview_split`), and a combined match gives
/// each order its amount due, which never takes it past its amount.
pub fn credit_allocations<S: Store>(
    store: &mut S,
    orders: &mut [Order],
    allocations: &[Allocation],
    payment: &Payment,
    matching: &MatchingSettings,
    now: DateTime<Utc>,
    changed_orders: &mut Vec<OrderCode>,
) -> Result<Result<(), OrderError>, StoreError> {
    for share in allocations {
        let Some(order) = orders.iter_mut().find(|o| o.code == share.order_code) else {
            return Err(StoreError::Corrupt(format!(
                "order {} was not locked",
                share.order_code
            )));
        };
        let credit = Credit {
            amount: share.amount,
            cause: payment.cause,
            transfer: payment.transfer.clone(),
        };
        if let Err(error) = credit_order(store, order, &credit, matching, now, changed_orders)? {
            return Ok(Err(error));
        }
    }
    store.insert_allocations(payment.transfer.row_id, allocations)?;
    Ok(Ok(()))
}

/// What brought a transfer: reconciliation, else its provider's webhook.
fn cause_of(channel: &str, transfer: &IncomingTransfer) -> Cause {
    if channel == reconcile_channel(transfer.source) {
        Cause::Reconcile
    } else {
        Cause::Provider(transfer.source.as_str().to_owned())
    }
}

/// A decision as it is stored with its transaction.
fn decided<'a>(decision: &'a MatchDecision, reading: &'a Reading) -> Decided<'a> {
    Decided {
        status: decision.status(),
        order: decision.order_code(),
        candidates: &reading.candidates,
    }
}

/// The one place where a transaction becomes a payment. Must run inside `Store::write`.
#[tracing::instrument(
    name = "transfer",
    skip_all,
    fields(source = read.transfer().source.as_str(), external_id = %read.transfer().external_id, amount = %read.transfer().amount, order_code, decision)
)]
pub fn apply_transfer<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    read: &ReadTransfer,
    cause: &Cause,
    delivery_id: Option<i64>,
    now: DateTime<Utc>,
    changed_orders: &mut Vec<OrderCode>,
) -> Result<TransferOutcome, StoreError> {
    let (transfer, reading) = (read.transfer(), read.reading());
    let mut orders = store.orders_for_update(&reading.candidates)?;
    for order in &mut orders {
        if history::expire_if_due(store, order, now)? {
            changed_orders.push(order.code.clone());
        }
    }
    // Decided before it is stored, so the transaction is written once, with its decision; the
    // named orders are locked already, so nothing can change the decision meanwhile.
    let mut decision = matching::decide(reading, &orders);
    let mut by_payer = None;
    if decision == MatchDecision::Unmatched && transfer.amount.is_positive() {
        if let Some(order) = order_of_payer(store, matching, transfer, now, changed_orders)? {
            decision = MatchDecision::Matched(order.code.clone());
            by_payer = Some(order.clone());
            orders = vec![order];
        }
    }
    let Some(transaction_id) = store.insert_transaction(
        transfer,
        read.search_text(),
        delivery_id,
        &decided(&decision, reading),
        now,
    )?
    else {
        Span::current().record("decision", "duplicate");
        tracing::info!("duplicate transaction ignored");
        return Ok(TransferOutcome::Duplicate);
    };
    let allocations = decision.allocations(transfer.amount);
    if !allocations.is_empty() {
        let transfer_ref = TransferRef {
            row_id: transaction_id,
            name: format!("{}:{}", transfer.source.as_str(), transfer.external_id),
        };
        let credited = credit_allocations(
            store,
            &mut orders,
            &allocations,
            &Payment {
                cause,
                transfer: &transfer_ref,
            },
            matching,
            now,
            changed_orders,
        )?;
        if let Err(error) = credited {
            // Only an absurd total (over 9 × 10^14) gets here: it waits for an admin.
            tracing::error!(%error, "transfer not applied");
            decision = MatchDecision::Unmatched;
            store.record_decision(transaction_id, &decided(&decision, reading), now)?;
        }
    }
    if let (Some(order), MatchDecision::Matched(_)) = (&by_payer, &decision) {
        audit_payer_match(store, transfer, cause, order, now)?;
    }
    let span = Span::current();
    span.record("decision", decision.status().as_str());
    if let Some(code) = decision.order_code() {
        span.record("order_code", code.as_str());
    }
    tracing::info!("transaction recorded");
    Ok(TransferOutcome::Recorded(decision, transaction_id))
}

/// The open order a transfer without a code paid by its payer (contract: "Transfers without a
/// code"), locked; `None` when the rule does not name exactly one. The rule is read on the open
/// orders as they are, then again with the chosen one locked, so that a change in between
/// (another transfer paying it) is never overlooked.
fn order_of_payer<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    transfer: &IncomingTransfer,
    now: DateTime<Utc>,
    changed_orders: &mut Vec<OrderCode>,
) -> Result<Option<Order>, StoreError> {
    let at = transfer.when.unwrap_or(now);
    let payer = transfer.payer.name.as_deref();
    let mut open = store.open_orders_for_payer(transfer.amount, at - matching.payer.window)?;
    let code = match matching::match_by_payer(transfer.amount, payer, at, &open, matching.payer) {
        Ok(order) => order.code.clone(),
        Err(reason) => {
            tracing::debug!(?reason, "not matched by payer");
            return Ok(None);
        }
    };
    let Some(mut locked) = store.orders_for_update(std::slice::from_ref(&code))?.pop() else {
        return Ok(None);
    };
    if history::expire_if_due(store, &mut locked, now)? {
        changed_orders.push(locked.code.clone());
    }
    open.retain(|o| o.code != code);
    open.push(locked);
    let again = matching::match_by_payer(transfer.amount, payer, at, &open, matching.payer);
    Ok(match again {
        Ok(order) if order.code == code => open.pop(),
        _ => None,
    })
}

/// Why a transfer without a code was applied, for the audit log: the payer, the customer and
/// the one order due the amount.
fn audit_payer_match<S: Store>(
    store: &mut S,
    transfer: &IncomingTransfer,
    cause: &Cause,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let note = format!(
        "payer {:?} is customer {:?} of {}, the only open order due {}",
        transfer.payer.name.as_deref().unwrap_or_default(),
        order.customer.name.as_deref().unwrap_or_default(),
        order.code,
        transfer.amount
    );
    super::resolve::audit(
        store,
        &super::resolve::Audit {
            actor: &cause.actor(),
            action: "transaction.payer_match",
            subject: &super::resolve::subject_of(transfer.source.as_str(), &transfer.external_id),
            before: None,
            after: None,
            note: Some(&note),
        },
        now,
    )
}
