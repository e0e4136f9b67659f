//! An order's history: every change, with its cause and the order's state before and after.
//! An undo restores the "before" of the change it takes back, so the rule lives here, pure.

use chrono::{DateTime, Utc};

use super::decision::standing_decisions;
use super::money::Money;
use super::order::{Order, OrderStatus};

/// What an undo restores: status, amount received and when it was first paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderState {
    pub status: OrderStatus,
    pub amount_received: Money,
    pub paid_at: Option<DateTime<Utc>>,
}

impl OrderState {
    pub fn of(order: &Order) -> OrderState {
        OrderState {
            status: order.status,
            amount_received: order.amount_received,
            paid_at: order.paid_at,
        }
    }

    /// Puts this state back on the order.
    pub fn restore(&self, order: &mut Order, now: DateTime<Utc>) {
        order.status = self.status;
        order.amount_received = self.amount_received;
        order.paid_at = self.paid_at;
        order.updated_at = now;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryEvent {
    Created,
    /// Money in: a matched transfer or an admin's link.
    Credited,
    Cancelled,
    Expired,
    /// A credit taken back by an admin's undo.
    Undone,
    /// The state an order had when history began to be kept (the migration's backfill).
    Imported,
    /// An owner accepted a partly paid order as paid (a discount, a bank fee).
    Accepted,
    /// An owner recorded that an overpaid order's excess went back to the customer.
    Refunded,
}

impl HistoryEvent {
    const ALL: [HistoryEvent; 8] = [
        HistoryEvent::Created,
        HistoryEvent::Credited,
        HistoryEvent::Cancelled,
        HistoryEvent::Expired,
        HistoryEvent::Undone,
        HistoryEvent::Imported,
        HistoryEvent::Accepted,
        HistoryEvent::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryEvent::Created => "created",
            HistoryEvent::Credited => "credited",
            HistoryEvent::Cancelled => "cancelled",
            HistoryEvent::Expired => "expired",
            HistoryEvent::Undone => "undone",
            HistoryEvent::Imported => "imported",
            HistoryEvent::Accepted => "accepted",
            HistoryEvent::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<HistoryEvent> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// Who or what caused a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A provider's webhook (`casso`, `sepay`).
    Provider(String),
    Reconcile,
    /// The storefront API.
    Api,
    /// An admin, by user name.
    Admin(String),
    Expiry,
}

impl Cause {
    /// The history's `by`.
    pub fn by(&self) -> String {
        match self {
            Cause::Provider(name) => name.clone(),
            Cause::Reconcile => "reconcile".into(),
            Cause::Api => "api".into(),
            Cause::Admin(user) => format!("admin:{user}"),
            Cause::Expiry => "expiry".into(),
        }
    }

    /// The audit log's actor: an admin by name, anything else by its `by`.
    pub fn actor(&self) -> String {
        match self {
            Cause::Admin(user) => user.clone(),
            other => other.by(),
        }
    }
}

/// The transfer a credit or an undo is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRef {
    /// The database's id.
    pub row_id: i64,
    /// `source:external_id`, as the API names it.
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub event: HistoryEvent,
    pub by: String,
    /// `None` for `created`.
    pub before: Option<OrderState>,
    pub after: OrderState,
    pub transfer: Option<TransferRef>,
    /// Why, in the admin's words (an accept's reason).
    pub note: Option<String>,
}

impl HistoryEntry {
    pub fn created(order: &Order, cause: &Cause) -> HistoryEntry {
        HistoryEntry::change(order, None, HistoryEvent::Created, cause, order.created_at)
    }

    /// `order` (already changed) came to its state now from `before`, for `cause`.
    pub fn change(
        order: &Order,
        before: Option<OrderState>,
        event: HistoryEvent,
        cause: &Cause,
        now: DateTime<Utc>,
    ) -> HistoryEntry {
        HistoryEntry {
            at: now,
            event,
            by: cause.by(),
            before,
            after: OrderState::of(order),
            transfer: None,
            note: None,
        }
    }

    fn is(&self, event: HistoryEvent, row_id: i64) -> bool {
        self.event == event && self.transfer.as_ref().map(|t| t.row_id) == Some(row_id)
    }
}

/// What undoing a transfer's credit comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum UndoPlan<'a> {
    /// Put the order back in this state.
    Restore(OrderState),
    /// A later credit or owner's decision, not undone, built on this one: undo that first.
    BuiltOn(&'a HistoryEntry),
    /// Credited before history was kept: there is no "before" to restore.
    Untracked,
}

/// How to undo the last credit of transfer `row_id` in `history` (oldest first). The order
/// returns to its state before that credit, except that a later cancel or expiry still holds
/// (it closed the order; the undo takes back money, not the closing). A later credit that is
/// still in place is refused: its state was built on this one; so is a decision still standing
/// (see [`standing_decisions`]).
pub fn plan_undo(history: &[HistoryEntry], row_id: i64) -> UndoPlan<'_> {
    let Some(at) = history
        .iter()
        .rposition(|e| e.is(HistoryEvent::Credited, row_id))
    else {
        return UndoPlan::Untracked;
    };
    if let Some(&k) = standing_decisions(history).iter().find(|&&k| k > at) {
        return UndoPlan::BuiltOn(&history[k]);
    }
    let later = &history[at + 1..];
    let still_credited = |k: usize, e: &HistoryEntry| {
        let Some(transfer) = &e.transfer else {
            return true;
        };
        !later[k + 1..]
            .iter()
            .any(|u| u.is(HistoryEvent::Undone, transfer.row_id))
    };
    if let Some(built_on) = later
        .iter()
        .enumerate()
        .find(|(k, e)| e.event == HistoryEvent::Credited && still_credited(*k, e))
        .map(|(_, e)| e)
    {
        return UndoPlan::BuiltOn(built_on);
    }
    let Some(mut state) = history[at].before.clone() else {
        return UndoPlan::Untracked;
    };
    if let Some(closing) = later
        .iter()
        .rev()
        .find(|e| matches!(e.event, HistoryEvent::Cancelled | HistoryEvent::Expired))
    {
        state.status = closing.after.status;
    }
    UndoPlan::Restore(state)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use HistoryEvent as E;
    use OrderStatus::*;

    pub(crate) fn state(status: OrderStatus, received: i64) -> OrderState {
        OrderState {
            status,
            amount_received: Money::from_units(received),
            paid_at: None,
        }
    }

    pub(crate) fn entry(
        event: HistoryEvent,
        row: Option<i64>,
        before: OrderState,
        after: OrderState,
    ) -> HistoryEntry {
        HistoryEntry {
            at: Utc::now(),
            event,
            by: "test".into(),
            before: Some(before),
            after,
            transfer: row.map(|row_id| TransferRef {
                row_id,
                name: format!("casso:{row_id}"),
            }),
            note: None,
        }
    }

    #[test]
    fn an_undo_restores_the_state_before_the_credit() {
        let history = [
            entry(E::Cancelled, None, state(Pending, 0), state(Cancelled, 0)),
            entry(E::Credited, Some(7), state(Cancelled, 0), state(Paid, 10)),
        ];
        assert_eq!(
            plan_undo(&history, 7),
            UndoPlan::Restore(state(Cancelled, 0))
        );
        assert_eq!(plan_undo(&history, 8), UndoPlan::Untracked);
    }

    #[test]
    fn a_later_credit_refuses_until_it_is_undone() {
        let mut history = vec![
            entry(
                E::Credited,
                Some(1),
                state(Pending, 0),
                state(PartiallyPaid, 4),
            ),
            entry(
                E::Credited,
                Some(2),
                state(PartiallyPaid, 4),
                state(Paid, 10),
            ),
        ];
        assert_eq!(plan_undo(&history, 1), UndoPlan::BuiltOn(&history[1]));
        history.push(entry(
            E::Undone,
            Some(2),
            state(Paid, 10),
            state(PartiallyPaid, 4),
        ));
        assert_eq!(plan_undo(&history, 1), UndoPlan::Restore(state(Pending, 0)));
    }

    #[test]
    fn a_later_closing_holds() {
        let history = [
            entry(
                E::Credited,
                Some(1),
                state(Pending, 0),
                state(PartiallyPaid, 4),
            ),
            entry(E::Expired, None, state(PartiallyPaid, 4), state(Expired, 4)),
        ];
        assert_eq!(plan_undo(&history, 1), UndoPlan::Restore(state(Expired, 0)));
    }

    #[test]
    fn a_standing_decision_refuses_the_credit_it_was_made_on() {
        let mut history = vec![
            entry(
                E::Credited,
                Some(1),
                state(Pending, 0),
                state(PartiallyPaid, 4),
            ),
            entry(E::Accepted, None, state(PartiallyPaid, 4), state(Paid, 4)),
        ];
        assert_eq!(plan_undo(&history, 1), UndoPlan::BuiltOn(&history[1]));
        history.push(entry(
            E::Undone,
            None,
            state(Paid, 4),
            state(PartiallyPaid, 4),
        ));
        assert_eq!(plan_undo(&history, 1), UndoPlan::Restore(state(Pending, 0)));
    }

    #[test]
    fn causes_name_themselves() {
        assert_eq!(Cause::Admin("an".into()).by(), "admin:an");
        assert_eq!(Cause::Admin("an".into()).actor(), "an");
        assert_eq!(Cause::Provider("casso".into()).by(), "casso");
        assert_eq!(Cause::Reconcile.actor(), "reconcile");
        for e in HistoryEvent::ALL {
            assert_eq!(HistoryEvent::parse(e.as_str()), Some(e));
        }
    }
}
