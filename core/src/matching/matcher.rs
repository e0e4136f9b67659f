//! The decision for one transfer: which order it pays, or why it waits for an admin.

use crate::domain::allocation::{self, Allocation};
use crate::domain::{Money, Order, OrderCode, TransactionStatus};

use super::normalise::normalise;
use super::patterns::Patterns;

/// What Casso sends as the description of its test call.
const CASSO_TEST_DESCRIPTION: &str = "GIAO DICH THU NGHIEM";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchDecision {
    /// Apply the transfer to this open order.
    Matched(OrderCode),
    /// The transfer pays several open orders at once, each its amount due exactly.
    Combined(Vec<Allocation>),
    /// The one order named is expired or cancelled.
    OrderClosed(OrderCode),
    /// Several different orders are named, and the transfer is not exactly what they owe.
    Ambiguous(Vec<OrderCode>),
    /// Codes were found but none names an order.
    UnknownOrder,
    /// Nothing in the description looks like a code.
    Unmatched,
    /// Money going out of the account.
    Outgoing,
    /// The provider's test call.
    Test,
}

impl MatchDecision {
    pub fn status(&self) -> TransactionStatus {
        match self {
            MatchDecision::Matched(_) | MatchDecision::Combined(_) => TransactionStatus::Matched,
            MatchDecision::OrderClosed(_) => TransactionStatus::OrderClosed,
            MatchDecision::Ambiguous(_) => TransactionStatus::Ambiguous,
            MatchDecision::UnknownOrder => TransactionStatus::UnknownOrder,
            MatchDecision::Unmatched => TransactionStatus::Unmatched,
            MatchDecision::Outgoing => TransactionStatus::Outgoing,
            MatchDecision::Test => TransactionStatus::Test,
        }
    }

    /// The order this decision names, if exactly one.
    pub fn order_code(&self) -> Option<&OrderCode> {
        match self {
            MatchDecision::Matched(code) | MatchDecision::OrderClosed(code) => Some(code),
            _ => None,
        }
    }

    /// What each order receives of a transfer of `amount`: empty unless it is applied.
    pub fn allocations(&self, amount: Money) -> Vec<Allocation> {
        match self {
            MatchDecision::Matched(code) => vec![Allocation {
                order_code: code.clone(),
                amount,
            }],
            MatchDecision::Combined(allocations) => allocations.clone(),
            _ => Vec::new(),
        }
    }
}

/// What the matcher reads of a transfer, before looking anything up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Test calls and outgoing money are decided without any order.
    pub settled: Option<MatchDecision>,
    pub candidates: Vec<OrderCode>,
    /// The transfer's amount, which a combined payment must equal exactly.
    pub amount: Money,
}

/// First step: classify the transfer and find candidate codes in its description.
pub fn read(description: &str, amount: Money, provider_test: bool, patterns: &Patterns) -> Reading {
    let normalised = normalise(description);
    let settled = if provider_test || normalised.trim() == CASSO_TEST_DESCRIPTION {
        Some(MatchDecision::Test)
    } else if amount.is_negative() {
        Some(MatchDecision::Outgoing)
    } else {
        None
    };
    let candidates = match settled {
        Some(_) => Vec::new(),
        None => patterns.candidates(&normalised),
    };
    Reading {
        settled,
        candidates,
        amount,
    }
}

/// Second step, given the orders that the candidates name (looked up by the caller, with any
/// that are overdue already expired): apply when exactly one order is named, or when several
/// are and the transfer is exactly what they owe together.
pub fn decide(reading: &Reading, named_orders: &[Order]) -> MatchDecision {
    if let Some(settled) = &reading.settled {
        return settled.clone();
    }
    // A code read twice names its order once.
    let mut named: Vec<&Order> = Vec::new();
    for order in reading
        .candidates
        .iter()
        .filter_map(|code| named_orders.iter().find(|o| &o.code == code))
    {
        if !named.iter().any(|o| o.code == order.code) {
            named.push(order);
        }
    }
    match named.as_slice() {
        [] if reading.candidates.is_empty() => MatchDecision::Unmatched,
        [] => MatchDecision::UnknownOrder,
        [order] if order.status.is_closed() => MatchDecision::OrderClosed(order.code.clone()),
        [order] => MatchDecision::Matched(order.code.clone()),
        several => combined(several, reading.amount).unwrap_or_else(|| {
            MatchDecision::Ambiguous(several.iter().map(|o| o.code.clone()).collect())
        }),
    }
}

/// Several orders paid at once: every one open and owing something, and the transfer equal to
/// exactly the sum of what they owe. The tolerance plays no part: a shortfall could not be
/// shared out between the orders without guessing.
fn combined(orders: &[&Order], amount: Money) -> Option<MatchDecision> {
    let allocations: Vec<Allocation> = orders
        .iter()
        .map(|o| {
            let due = o.amount_due();
            (!o.status.is_closed() && due.is_positive()).then(|| Allocation {
                order_code: o.code.clone(),
                amount: due,
            })
        })
        .collect::<Option<_>>()?;
    (allocation::total(&allocations)? == amount).then_some(MatchDecision::Combined(allocations))
}
