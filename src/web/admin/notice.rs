//! Refusals shown on an admin page after a redirect (`?error=<code>`). The URL carries a short
//! code; the page shows that code's fixed, translated message, and nothing for an unknown code,
//! so nobody can put their own text on an admin's screen with a link.

use crate::domain::order::OrderError;
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
}

impl Notice {
    const ALL: [Notice; 9] = [
        Notice::BadOrderCode,
        Notice::NoSuchOrder,
        Notice::NoSuchTransaction,
        Notice::NotWaiting,
        Notice::NotLinked,
        Notice::NotSetAside,
        Notice::TooLarge,
        Notice::CannotCancel,
        Notice::ChooseResolution,
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
        }
    }

    pub fn code(self) -> &'static str {
        self.text().0
    }

    /// The message of a `?error=` code, in the reader's language; `None` for an unknown code.
    pub fn message_for(code: Option<&str>, lang: Lang) -> Option<&'static str> {
        let code = code?;
        Notice::ALL
            .iter()
            .map(|n| n.text())
            .find(|(c, _)| *c == code)
            .map(|(_, message)| lang.t(message))
    }
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
            ResolveError::Order(e) => Notice::from(e),
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
    }
}
