//! An owner's decisions about an order's money that no transfer makes: accepting a partly paid
//! order as paid (a discount, a bank fee) and recording that an overpaid excess went back to the
//! customer. Neither changes what was received; each is written to the history and can be taken
//! back exactly while nothing since has changed the order.

use chrono::{DateTime, Utc};

use super::history::{HistoryEntry, HistoryEvent, OrderState};
use super::order::{Order, OrderStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Partly paid (or expired with money in) → `paid`, `amount_received` unchanged.
    Accept,
    /// Overpaid: the excess was refunded. The status stays, as the money did arrive.
    Refund,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error(
        "only an order that received part of its amount can be accepted as paid; this one is {0}"
    )]
    NotPartlyPaid(&'static str),
    #[error("only an overpaid order has an excess to refund; this one is {0}")]
    NotOverpaid(&'static str),
    #[error("the excess of this order is already recorded as refunded")]
    AlreadyRefunded,
    #[error("accepting a partly paid order needs a reason")]
    NoReason,
    #[error("there is no decision to undo on this order")]
    NothingToUndo,
    #[error("the order changed since that decision: undo what came after it first")]
    ChangedSince,
}

impl Decision {
    pub fn event(self) -> HistoryEvent {
        match self {
            Decision::Accept => HistoryEvent::Accepted,
            Decision::Refund => HistoryEvent::Refunded,
        }
    }

    /// Makes the decision on `order` (whose history, oldest first, is `history`), or says why
    /// it does not apply. An accept needs a reason that is not blank.
    pub fn apply(
        self,
        order: &mut Order,
        history: &[HistoryEntry],
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), DecisionError> {
        self.check(order, history)?;
        if self == Decision::Accept {
            if reason.is_none_or(|r| r.trim().is_empty()) {
                return Err(DecisionError::NoReason);
            }
            order.status = OrderStatus::Paid;
            order.paid_at.get_or_insert(now);
        }
        order.updated_at = now;
        Ok(())
    }

    /// Whether the decision applies to the order as it is (the page offers only those).
    pub fn check(self, order: &Order, history: &[HistoryEntry]) -> Result<(), DecisionError> {
        match self {
            Decision::Accept => {
                let partly_paid = order.status == OrderStatus::PartiallyPaid
                    || (order.status == OrderStatus::Expired
                        && order.amount_received.is_positive());
                if !partly_paid {
                    return Err(DecisionError::NotPartlyPaid(order.status.as_str()));
                }
            }
            Decision::Refund => {
                if order.status != OrderStatus::Overpaid {
                    return Err(DecisionError::NotOverpaid(order.status.as_str()));
                }
                if excess_refunded(history).is_some() {
                    return Err(DecisionError::AlreadyRefunded);
                }
            }
        }
        Ok(())
    }
}

/// Where in `history` (oldest first) the decisions still standing are: each `accepted` or
/// `refunded` not taken back by a later undo of a decision (an `undone` without a transfer,
/// which takes back the latest one standing).
pub fn standing_decisions(history: &[HistoryEntry]) -> Vec<usize> {
    let mut standing = Vec::new();
    for (k, e) in history.iter().enumerate() {
        match e.event {
            HistoryEvent::Accepted | HistoryEvent::Refunded => standing.push(k),
            HistoryEvent::Undone if e.transfer.is_none() => {
                standing.pop();
            }
            _ => {}
        }
    }
    standing
}

/// The `refunded` entry still standing, if the excess is recorded as refunded.
pub fn excess_refunded(history: &[HistoryEntry]) -> Option<&HistoryEntry> {
    standing_decisions(history)
        .into_iter()
        .map(|k| &history[k])
        .rfind(|e| e.event == HistoryEvent::Refunded)
}

/// The latest decision still standing and the state undoing it restores: exactly the order's
/// state before it, refused when the order has changed since (its state is no longer the one
/// the decision left).
pub fn plan_undo_decision<'a>(
    history: &'a [HistoryEntry],
    now: &OrderState,
) -> Result<(&'a HistoryEntry, OrderState), DecisionError> {
    let k = *standing_decisions(history)
        .last()
        .ok_or(DecisionError::NothingToUndo)?;
    let decision = &history[k];
    let before = decision
        .before
        .clone()
        .ok_or(DecisionError::NothingToUndo)?;
    if decision.after != *now {
        return Err(DecisionError::ChangedSince);
    }
    Ok((decision, before))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::tests::{entry, state};
    use crate::domain::{Money, OrderCode};
    use HistoryEvent as E;
    use OrderStatus::*;

    fn order(status: OrderStatus, received: i64) -> Order {
        let code = OrderCode::parse("DH1").unwrap();
        let mut o = Order::pending(code, Money::from_units(10), "VND", Utc::now());
        o.status = status;
        o.amount_received = Money::from_units(received);
        o
    }

    #[test]
    fn accept_takes_partly_paid_orders_with_a_reason() {
        let now = Utc::now();
        let mut o = order(PartiallyPaid, 4);
        assert_eq!(
            Decision::Accept.apply(&mut o, &[], Some("  "), now),
            Err(DecisionError::NoReason)
        );
        assert_eq!(
            Decision::Accept.apply(&mut o, &[], Some("bank fee"), now),
            Ok(())
        );
        assert_eq!((o.status, o.amount_received), (Paid, Money::from_units(4)));
        assert_eq!(o.paid_at, Some(now));

        let mut expired = order(Expired, 4);
        assert_eq!(
            Decision::Accept.apply(&mut expired, &[], Some("ok"), now),
            Ok(())
        );
        for (status, received) in [
            (Pending, 0),
            (Expired, 0),
            (Cancelled, 4),
            (Paid, 10),
            (Overpaid, 12),
        ] {
            let mut o = order(status, received);
            assert_eq!(
                Decision::Accept.apply(&mut o, &[], Some("ok"), now),
                Err(DecisionError::NotPartlyPaid(status.as_str()))
            );
            assert_eq!(o.status, status, "nothing changes when refused");
        }
    }

    #[test]
    fn refund_takes_an_overpaid_order_once() {
        let now = Utc::now();
        let mut o = order(Overpaid, 12);
        assert_eq!(Decision::Refund.apply(&mut o, &[], None, now), Ok(()));
        assert_eq!(
            (o.status, o.amount_received),
            (Overpaid, Money::from_units(12))
        );
        let mut history = vec![entry(
            E::Refunded,
            None,
            state(Overpaid, 12),
            state(Overpaid, 12),
        )];
        assert_eq!(
            Decision::Refund.apply(&mut o, &history, None, now),
            Err(DecisionError::AlreadyRefunded)
        );
        history.push(entry(
            E::Undone,
            None,
            state(Overpaid, 12),
            state(Overpaid, 12),
        ));
        assert_eq!(excess_refunded(&history), None);
        assert_eq!(Decision::Refund.apply(&mut o, &history, None, now), Ok(()));
        let mut paid = order(Paid, 10);
        assert_eq!(
            Decision::Refund.apply(&mut paid, &[], None, now),
            Err(DecisionError::NotOverpaid("paid"))
        );
    }

    #[test]
    fn an_undo_takes_back_the_latest_decision_exactly() {
        let mut history = vec![
            entry(
                E::Credited,
                Some(1),
                state(Pending, 0),
                state(PartiallyPaid, 4),
            ),
            entry(E::Accepted, None, state(PartiallyPaid, 4), state(Paid, 4)),
        ];
        let (undone, restore) = plan_undo_decision(&history, &state(Paid, 4)).unwrap();
        assert_eq!(undone.event, E::Accepted);
        assert_eq!(restore, state(PartiallyPaid, 4));
        // A transfer linked since moved the order on: its state is not the decision's.
        assert_eq!(
            plan_undo_decision(&history, &state(Overpaid, 14)),
            Err(DecisionError::ChangedSince)
        );
        history.push(entry(
            E::Undone,
            None,
            state(Paid, 4),
            state(PartiallyPaid, 4),
        ));
        assert_eq!(
            plan_undo_decision(&history, &state(PartiallyPaid, 4)),
            Err(DecisionError::NothingToUndo)
        );
        // A credit's undo (with its transfer) takes back no decision.
        let credit_undone = [
            entry(E::Accepted, None, state(PartiallyPaid, 4), state(Paid, 4)),
            entry(E::Undone, Some(1), state(Paid, 4), state(Pending, 0)),
        ];
        assert_eq!(standing_decisions(&credit_undone), vec![0]);
    }
}
