//! An admin's split of a waiting transfer across several orders, with shares that add up to
//! exactly its amount. Each share is credited through the same `credit_order` as any payment;
//! an undo (`resolve::undo`) takes every share back.

use chrono::{DateTime, Utc};

use super::history;
use super::resolve::{
    apply_shares, unchanged_since_preview, waiting, AdminAct, Previewed, ResolveError, Resolved,
};
use crate::config::{MatchingSettings, PublicUrl};
use crate::db::{Store, StoreError};
use crate::domain::allocation::check_split;
use crate::domain::{Allocation, BankTransaction, Order, OrderCode};

/// One order of a split: as it is, and as it would be with its share.
#[derive(Clone, Debug)]
pub struct SplitLine {
    pub before: Order,
    pub after: Order,
    pub share: Allocation,
}

/// How every order would change if the waiting `transaction` were split so, without changing
/// anything; or why the split is refused. `orders` are the orders found for the shares' codes,
/// as readers see them now (an overdue one expired).
pub fn preview_split(
    transaction: &BankTransaction,
    shares: &[Allocation],
    orders: &[Order],
    matching: &MatchingSettings,
    now: DateTime<Utc>,
) -> Result<Vec<SplitLine>, ResolveError> {
    if !(transaction.status.is_waiting() && transaction.amount.is_positive()) {
        return Err(ResolveError::NotWaiting(transaction.status.as_str()));
    }
    check_split(transaction.amount, shares, orders)?;
    shares
        .iter()
        .filter_map(|share| {
            let before = orders.iter().find(|o| o.code == share.order_code)?.clone();
            let mut after = before.clone();
            Some(
                after
                    .apply_transfer(share.amount, matching.amount_tolerance, now)
                    .map(|()| SplitLine {
                        before,
                        after,
                        share: share.clone(),
                    })
                    .map_err(ResolveError::from),
            )
        })
        .collect()
}

/// Applies a waiting transaction to several orders, each its share, in one database
/// transaction: every share or none.
#[allow(clippy::too_many_arguments)]
pub fn split<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    links: &PublicUrl,
    row_id: i64,
    shares: &[Allocation],
    previewed: &[Previewed],
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Resolved, StoreError> {
    store.write(|store| {
        let mut transaction = match waiting(store, row_id)? {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let codes: Vec<OrderCode> = shares.iter().map(|s| s.order_code.clone()).collect();
        let mut orders = store.orders_for_update(&codes)?;
        let mut changed = Vec::new();
        for order in &mut orders {
            if history::expire_if_due(store, order, now)? {
                changed.push(order.code.clone());
            }
        }
        // Every share is checked (and its credit tried on a copy) before any order changes.
        let checked = unchanged_since_preview(&orders, previewed)
            .and_then(|()| preview_split(&transaction, shares, &orders, matching, now).map(drop));
        if let Err(e) = checked {
            crate::notify::outbox::record_changes(store, &changed, links, now)?;
            return Ok(Err(e));
        }
        let act = AdminAct {
            actor,
            note,
            action: "transaction.split",
        };
        let applied = apply_shares(
            store,
            &mut transaction,
            &mut orders,
            shares,
            &act,
            matching,
            now,
            &mut changed,
        )?;
        crate::notify::outbox::record_changes(store, &changed, links, now)?;
        Ok(applied.map(|()| changed))
    })
}
