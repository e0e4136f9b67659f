//! A bank transaction as paymatch records it, whatever brought it.

use chrono::{DateTime, Utc};

use super::money::Money;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionStatus {
    Matched,
    Unmatched,
    UnknownOrder,
    Ambiguous,
    OrderClosed,
    Outgoing,
    Test,
    Ignored,
}

impl TransactionStatus {
    pub const ALL: [TransactionStatus; 8] = [
        TransactionStatus::Matched,
        TransactionStatus::Unmatched,
        TransactionStatus::UnknownOrder,
        TransactionStatus::Ambiguous,
        TransactionStatus::OrderClosed,
        TransactionStatus::Outgoing,
        TransactionStatus::Test,
        TransactionStatus::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransactionStatus::Matched => "matched",
            TransactionStatus::Unmatched => "unmatched",
            TransactionStatus::UnknownOrder => "unknown_order",
            TransactionStatus::Ambiguous => "ambiguous",
            TransactionStatus::OrderClosed => "order_closed",
            TransactionStatus::Outgoing => "outgoing",
            TransactionStatus::Test => "test",
            TransactionStatus::Ignored => "ignored",
        }
    }

    pub fn parse(text: &str) -> Option<TransactionStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl TransactionStatus {
    /// Statuses of transactions that wait for an admin.
    pub const WAITING: [TransactionStatus; 4] = [
        TransactionStatus::Unmatched,
        TransactionStatus::UnknownOrder,
        TransactionStatus::Ambiguous,
        TransactionStatus::OrderClosed,
    ];

    pub fn is_waiting(self) -> bool {
        Self::WAITING.contains(&self)
    }
}

/// What an admin decided about a transaction that waited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// Applied to an order chosen by an admin.
    Linked,
    /// Not a payment for any order.
    Ignored,
    /// The money was sent back to the customer.
    Refunded,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Linked => "linked",
            Resolution::Ignored => "ignored",
            Resolution::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<Resolution> {
        [
            Resolution::Linked,
            Resolution::Ignored,
            Resolution::Refunded,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// Where a transaction came from; with the external id it is the dedupe key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Casso,
    Sepay,
}

impl Source {
    pub const ALL: [Source; 2] = [Source::Casso, Source::Sepay];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Casso => "casso",
            Source::Sepay => "sepay",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A transfer as a provider reported it, validated, before paymatch decides anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingTransfer {
    pub source: Source,
    pub external_id: String,
    pub bank_ref: Option<String>,
    pub description: String,
    pub amount: Money,
    pub running_balance: Option<Money>,
    pub when: Option<DateTime<Utc>>,
    pub account: Option<String>,
    /// Set by the provider for its own test deliveries (v2 reference `MA_GIAO_DICH_THU_NGHIEM`).
    pub provider_test: bool,
    /// Who sent it, as far as the provider says (Casso v2's counter account).
    pub payer: Payer,
}

/// Who sent a transfer: the provider's counter account (Casso v2), or, for the name only, what
/// the description tells (`matching::payer_in_description`). Each is `None` when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payer {
    pub name: Option<String>,
    pub account: Option<String>,
    pub bank: Option<String>,
}

impl Payer {
    /// What is known, as people read it: `NGUYEN VAN A · 0071000123456 · Vietcombank`; empty
    /// when nothing is.
    pub fn summary(&self) -> String {
        [&self.name, &self.account, &self.bank]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// How a transfer came to pay its order (the API's `matched_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// The order code was found in the description.
    Code,
    /// No code: the payer was the one open order's customer (contract: "Transfers without a
    /// code").
    Payer,
    /// An admin linked or split it.
    Admin,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Code => "code",
            MatchedBy::Payer => "payer",
            MatchedBy::Admin => "admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_strings_round_trip() {
        for s in TransactionStatus::ALL {
            assert_eq!(TransactionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TransactionStatus::parse("rejected"), None);
    }

    #[test]
    fn a_transfer_concerns_the_order_it_names_and_every_order_it_paid() {
        use crate::domain::{Allocation, Money, OrderCode};
        let code = |c: &str| OrderCode::parse(c).unwrap();
        let share = |c: &str| Allocation {
            order_code: code(c),
            amount: Money::from_units(1),
        };
        let mut t = BankTransaction {
            row_id: 1,
            source: "casso".into(),
            external_id: "1".into(),
            bank_ref: None,
            description: "DH1".into(),
            amount: Money::from_units(2),
            running_balance: None,
            when: None,
            account: None,
            status: TransactionStatus::OrderClosed,
            order_code: Some(code("DH1")),
            candidates: vec![code("DH1")],
            allocations: Vec::new(),
            received_at: DateTime::<Utc>::UNIX_EPOCH,
            waiting_reason: None,
            resolution: None,
            resolution_note: None,
            resolved_by: None,
            resolved_at: None,
            payer: Payer::default(),
        };
        assert!(t.concerns(&code("DH1")) && !t.concerns(&code("DH2")));
        // Split between two orders: it names none of them and concerns both.
        t.order_code = None;
        t.allocations = vec![share("DH2"), share("DH3")];
        assert!(!t.concerns(&code("DH1")));
        assert!(t.concerns(&code("DH2")) && t.concerns(&code("DH3")));
    }
}

/// A transaction as recorded, with the decision taken on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankTransaction {
    /// The database's id: for admin pages, not for the API (which names `source:external_id`).
    pub row_id: i64,
    pub source: String,
    pub external_id: String,
    pub bank_ref: Option<String>,
    pub description: String,
    pub amount: Money,
    pub running_balance: Option<Money>,
    pub when: Option<DateTime<Utc>>,
    pub account: Option<String>,
    pub status: TransactionStatus,
    /// The order it was applied to (`matched`) or that it names (`order_closed`).
    pub order_code: Option<super::OrderCode>,
    /// Every candidate code the matcher read in the description.
    pub candidates: Vec<super::OrderCode>,
    /// What each order received of it: empty unless it is applied.
    pub allocations: Vec<super::Allocation>,
    pub received_at: DateTime<Utc>,
    /// Why it waited, once an admin resolved it.
    pub waiting_reason: Option<TransactionStatus>,
    pub resolution: Option<Resolution>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub payer: Payer,
}

impl BankTransaction {
    /// Whether it is one of the order's transfers: it names the order (as its one order) or
    /// paid it, alone or among others.
    pub fn concerns(&self, order: &super::OrderCode) -> bool {
        self.order_code.as_ref() == Some(order)
            || self.allocations.iter().any(|a| a.order_code == *order)
    }

    /// How it came to pay: an admin's decision, else the code it names, else (applied with no
    /// code read) its payer. `None` while it pays nothing.
    pub fn matched_by(&self) -> Option<MatchedBy> {
        if self.status != TransactionStatus::Matched {
            return None;
        }
        Some(if self.resolved_by.is_some() {
            MatchedBy::Admin
        } else if self.candidates.is_empty() {
            MatchedBy::Payer
        } else {
            MatchedBy::Code
        })
    }
}
