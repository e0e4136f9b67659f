//! Refusals (`?error=<code>`) and outcomes (`?done=<code>`) shown on an admin page after a
//! redirect. The URL carries a short code; the page shows that code's fixed, translated message,
//! and nothing for an unknown code, so nobody can put their own text on an admin's screen with a
//! link.

use crate::domain::order::OrderError;
use crate::domain::DecisionError;
use crate::ingest::resolve::ResolveError;
use crate::web::i18n::Lang;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    BadOrderCode,
    NoSuchOrder,
    NoSuchTransaction,
    NotWaiting,
    NotLinked,
    NotSetAside,
    TooLarge,
    CannotCancel,
    ChooseResolution,
    ConfirmFirst,
    LaterCredit,
    BadSplit,
    ChangedSincePreview,
    LaterDecision,
    NotPartlyPaid,
    NotOverpaid,
    AlreadyRefunded,
    NoReason,
    NothingToUndo,
    DecisionChanged,
}

impl Notice {
    const ALL: [Notice; 20] = [
        Notice::BadOrderCode,
        Notice::NoSuchOrder,
        Notice::NoSuchTransaction,
        Notice::NotWaiting,
        Notice::NotLinked,
        Notice::NotSetAside,
        Notice::TooLarge,
        Notice::CannotCancel,
        Notice::ChooseResolution,
        Notice::ConfirmFirst,
        Notice::LaterCredit,
        Notice::BadSplit,
        Notice::ChangedSincePreview,
        Notice::LaterDecision,
        Notice::NotPartlyPaid,
        Notice::NotOverpaid,
        Notice::AlreadyRefunded,
        Notice::NoReason,
        Notice::NothingToUndo,
        Notice::DecisionChanged,
    ];

    /// The code in the URL and the message (English, the key of its translation).
    fn text(self) -> (&'static str, &'static str) {
        match self {
            Notice::BadOrderCode => (
                "bad_order_code",
                "An order code is 1 to 32 letters and digits.",
            ),
            Notice::NoSuchOrder => ("no_such_order", "There is no order with this code."),
            Notice::NoSuchTransaction => ("no_such_transaction", "There is no such transaction."),
            Notice::NotWaiting => ("not_waiting", "Only waiting transactions can be resolved."),
            Notice::NotLinked => ("not_linked", "This transaction is not linked to an order."),
            Notice::NotSetAside => (
                "not_set_aside",
                "This transaction was not set aside by an admin.",
            ),
            Notice::TooLarge => (
                "too_large",
                "The order's total would exceed the largest amount that can be stored.",
            ),
            Notice::CannotCancel => ("cannot_cancel", "A paid order cannot be cancelled."),
            Notice::ChooseResolution => (
                "choose_resolution",
                "Choose: not a payment for an order, or refunded.",
            ),
            Notice::ConfirmFirst => (
                "confirm_first",
                "Nothing was changed: tick the box to confirm first.",
            ),
            Notice::LaterCredit => (
                "later_credit",
                "Nothing was changed: a later transfer credited this order after this one. Undo that transfer first.",
            ),
            Notice::BadSplit => (
                "bad_split",
                "Nothing was changed: a split needs different open orders whose shares add up to the transfer's amount.",
            ),
            Notice::ChangedSincePreview => (
                "changed_since_preview",
                "Nothing was changed: the order changed since this preview (another transfer, or its deadline). Check the new figures below and confirm again.",
            ),
            Notice::LaterDecision => (
                "later_decision",
                "Nothing was changed: the order was accepted as paid or its excess recorded as refunded after this transfer. Undo that decision on the order's page first.",
            ),
            Notice::NotPartlyPaid => (
                "not_partly_paid",
                "Nothing was changed: only an order that received part of its amount can be accepted as paid.",
            ),
            Notice::NotOverpaid => (
                "not_overpaid",
                "Nothing was changed: only an overpaid order has an excess to refund.",
            ),
            Notice::AlreadyRefunded => (
                "already_refunded",
                "Nothing was changed: the excess is already recorded as refunded.",
            ),
            Notice::NoReason => (
                "no_reason",
                "Nothing was changed: write why the order is accepted (a discount, a bank fee).",
            ),
            Notice::NothingToUndo => ("nothing_to_undo", "There is no decision to undo on this order."),
            Notice::DecisionChanged => (
                "decision_changed",
                "Nothing was changed: the order changed after that decision. Undo what came after it first.",
            ),
        }
    }

    pub fn code(self) -> &'static str {
        self.text().0
    }

    /// The message of a `?error=` code, in the reader's language; `None` for an unknown code.
    pub fn message_for(code: Option<&str>, lang: Lang) -> Option<&'static str> {
        message_of(Notice::ALL.map(Notice::text), code, lang)
    }
}

/// What an action did, confirmed on the page it leads to (`?done=<code>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    Linked,
    Split,
    SetAside,
    Undone,
    Cancelled,
    Dismissed,
    Replayed,
    LoggedOut,
    LoggedOutEverywhere,
    Created,
    TestAlert,
    UserCreated,
    RoleChanged,
    PasswordReset,
    UserRemoved,
    PasswordChanged,
    Accepted,
    Refunded,
    DecisionUndone,
}

impl Done {
    const ALL: [Done; 19] = [
        Done::Linked,
        Done::Split,
        Done::SetAside,
        Done::Undone,
        Done::Cancelled,
        Done::Dismissed,
        Done::Replayed,
        Done::LoggedOut,
        Done::LoggedOutEverywhere,
        Done::Created,
        Done::TestAlert,
        Done::UserCreated,
        Done::RoleChanged,
        Done::PasswordReset,
        Done::UserRemoved,
        Done::PasswordChanged,
        Done::Accepted,
        Done::Refunded,
        Done::DecisionUndone,
    ];

    fn text(self) -> (&'static str, &'static str) {
        match self {
            Done::Linked => ("linked", "The transfer was linked to the order."),
            Done::Split => ("split", "The transfer was split across the orders."),
            Done::SetAside => ("set_aside", "The transfer was set aside."),
            Done::Undone => ("undone", "Undone: the transfer waits for a decision again."),
            Done::Cancelled => ("cancelled", "The order was cancelled."),
            Done::Dismissed => ("dismissed", "The element was dismissed."),
            Done::Replayed => ("replayed", "The notification will be sent again."),
            Done::LoggedOut => ("logged_out", "You are logged out."),
            Done::LoggedOutEverywhere => (
                "logged_out_everywhere",
                "You are logged out on every device.",
            ),
            Done::UserCreated => ("user_created", "The user was created."),
            Done::RoleChanged => ("role_changed", "The role was changed; the user logs in again to use it."),
            Done::PasswordReset => ("password_reset", "The password was changed; the user's sessions ended."),
            Done::UserRemoved => ("user_removed", "The user was removed and logged out."),
            Done::PasswordChanged => ("password_changed", "Your password was changed: log in with the new one."),
            Done::TestAlert => (
                "test_alert",
                "A test alert is on its way to every chat and address: its result shows below in a few seconds.",
            ),
            Done::Accepted => ("accepted", "The order was accepted as paid."),
            Done::Refunded => ("refunded", "The excess is recorded as refunded."),
            Done::DecisionUndone => (
                "decision_undone",
                "Undone: the order is back as it was before that decision.",
            ),
            Done::Created => (
                "created",
                "The order was created. Share its pay link with the customer.",
            ),
        }
    }

    pub fn code(self) -> &'static str {
        self.text().0
    }

    /// The message of a `?done=` code, in the reader's language; `None` for an unknown code.
    pub fn message_for(code: Option<&str>, lang: Lang) -> Option<&'static str> {
        message_of(Done::ALL.map(Done::text), code, lang)
    }
}

fn message_of<const N: usize>(
    table: [(&'static str, &'static str); N],
    code: Option<&str>,
    lang: Lang,
) -> Option<&'static str> {
    let code = code?;
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, message)| lang.t(message))
}

impl From<&OrderError> for Notice {
    fn from(error: &OrderError) -> Notice {
        match error {
            OrderError::Overflow => Notice::TooLarge,
            OrderError::CannotCancel(_) => Notice::CannotCancel,
        }
    }
}

impl From<&ResolveError> for Notice {
    fn from(error: &ResolveError) -> Notice {
        match error {
            ResolveError::TransactionNotFound => Notice::NoSuchTransaction,
            ResolveError::OrderNotFound(_) => Notice::NoSuchOrder,
            ResolveError::NotWaiting(_) => Notice::NotWaiting,
            ResolveError::NotLinked => Notice::NotLinked,
            ResolveError::NotSetAside => Notice::NotSetAside,
            ResolveError::BuiltOn { .. } => Notice::LaterCredit,
            ResolveError::Order(e) => Notice::from(e),
            ResolveError::Split(_) => Notice::BadSplit,
            ResolveError::ChangedSincePreview(_) => Notice::ChangedSincePreview,
            ResolveError::DecidedLater { .. } => Notice::LaterDecision,
            ResolveError::Decision(e) => match e {
                DecisionError::NotPartlyPaid(_) => Notice::NotPartlyPaid,
                DecisionError::NotOverpaid(_) => Notice::NotOverpaid,
                DecisionError::AlreadyRefunded => Notice::AlreadyRefunded,
                DecisionError::NoReason => Notice::NoReason,
                DecisionError::NothingToUndo => Notice::NothingToUndo,
                DecisionError::ChangedSince => Notice::DecisionChanged,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_fixed_translated_messages() {
        for notice in Notice::ALL {
            let (code, message) = notice.text();
            assert_eq!(Notice::message_for(Some(code), Lang::En), Some(message));
            assert_ne!(
                Notice::message_for(Some(code), Lang::Vi),
                Some(message),
                "{code} has a Vietnamese text"
            );
        }
        assert_eq!(
            Notice::message_for(Some("<script>alert(1)</script>"), Lang::En),
            None
        );
        assert_eq!(Notice::message_for(None, Lang::En), None);
        for done in Done::ALL {
            let (code, message) = done.text();
            assert_eq!(Done::message_for(Some(code), Lang::En), Some(message));
            assert_ne!(Done::message_for(Some(code), Lang::Vi), Some(message));
        }
        assert_eq!(Done::message_for(Some("no_such_outcome"), Lang::En), None);
    }
}
