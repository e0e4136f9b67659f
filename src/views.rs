//! The JSON shapes of the contract: Order and Transaction.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::config::PublicUrl;
use crate::domain::{
    BankTransaction, HistoryEntry, MatchedBy, Money, Order, OrderStatus, TransactionStatus,
};

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A string schema with a fixed list of values, named `name` in the document.
fn string_enum(description: &str, values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

/// The schema of `OrderStatus`, listed from the domain so that it cannot drift.
pub struct OrderStatusName;

impl PartialSchema for OrderStatusName {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "The status of an order; `paid` and `overpaid` count as paid, `expired` and \
             `cancelled` are closed.",
            OrderStatus::ALL.map(OrderStatus::as_str),
        )
    }
}

impl ToSchema for OrderStatusName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OrderStatus")
    }
}

/// The schema of `TransactionStatus`, listed from the domain so that it cannot drift.
pub struct TransactionStatusName;

impl PartialSchema for TransactionStatusName {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "What became of a transaction: `matched` was applied to its order; `unmatched`, \
             `unknown_order`, `ambiguous` and `order_closed` wait for an admin; `outgoing` is \
             money going out; `test` is Casso's test call.",
            TransactionStatus::ALL.map(TransactionStatus::as_str),
        )
    }
}

impl ToSchema for TransactionStatusName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TransactionStatus")
    }
}

/// An admin's decision on a transaction that waited.
pub const RESOLUTIONS: [&str; 3] = ["linked", "ignored", "refunded"];

pub struct ResolutionName;

impl PartialSchema for ResolutionName {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "An admin's decision on a transaction that waited.",
            RESOLUTIONS,
        )
    }
}

impl ToSchema for ResolutionName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Resolution")
    }
}

/// An amount as we send it: a decimal string, no exponent, no trailing zeros after the point,
/// no point for whole numbers, at most 4 decimal places. Negative for money going out.
pub struct AmountText;

/// What [`AmountText`] promises.
pub const AMOUNT_TEXT_PATTERN: &str = r"^-?(0|[1-9][0-9]*)(\.[0-9]{0,3}[1-9])?$";

impl PartialSchema for AmountText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An exact decimal amount as a string: no exponent, no trailing zeros, at most 4 \
                 decimal places (`\"150000\"`, `\"10.5\"`).",
            ))
            .pattern(Some(AMOUNT_TEXT_PATTERN))
            .examples(["150000"])
            .into()
    }
}

impl ToSchema for AmountText {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Amount")
    }
}

/// An order, as the contract shapes it.
#[derive(Serialize, ToSchema)]
pub struct OrderView {
    #[schema(example = "DH1234")]
    pub code: String,
    pub reference: Option<String>,
    #[schema(value_type = AmountText)]
    pub amount: Money,
    #[schema(example = "VND")]
    pub currency: String,
    #[schema(value_type = OrderStatusName)]
    pub status: &'static str,
    /// True for `paid` and `overpaid`.
    pub paid: bool,
    /// The exact sum of the transfers applied to the order.
    #[schema(value_type = AmountText)]
    pub amount_received: Money,
    /// `amount` − `amount_received`, or 0 when that is negative.
    #[schema(value_type = AmountText)]
    pub amount_due: Money,
    pub transfer_content: String,
    /// The number of the receiving account to pay into; null when none is configured.
    #[schema(example = "0011001234567")]
    pub account: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    pub notify_url: Option<String>,
    /// Who the order is for (never on the public payment page).
    pub customer: CustomerView,
    /// Where the paid payment page sends the customer back (signed), if the storefront said.
    pub return_url: Option<String>,
    /// Where "choose another way to pay" leads, if the storefront said.
    pub cancel_url: Option<String>,
    /// The order's payment page: absolute under `PAYMATCH_PUBLIC_URL`, else its path.
    #[schema(example = "https://pay.example.vn/pay/DH1234")]
    pub pay_url: String,
    pub transactions: Vec<TransactionView>,
    /// Every change of the order, oldest first (`GET /api/v1/orders/{code}`, not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryView>>,
}

impl OrderView {
    /// `transactions` may hold other orders' too: only those naming or paying this one are kept.
    pub fn new(order: Order, transactions: &[BankTransaction], links: &PublicUrl) -> OrderView {
        let transactions = transactions
            .iter()
            .filter(|t| t.concerns(&order.code))
            .map(TransactionView::new)
            .collect();
        OrderView {
            reference: order.reference.clone(),
            amount: order.amount,
            currency: order.currency.clone(),
            status: order.status.as_str(),
            paid: order.status.is_paid(),
            amount_received: order.amount_received,
            amount_due: order.amount_due(),
            transfer_content: order.code.to_string(),
            account: order.account.clone(),
            created_at: rfc3339(order.created_at),
            updated_at: rfc3339(order.updated_at),
            paid_at: order.paid_at.map(rfc3339),
            expires_at: order.expires_at.map(rfc3339),
            notify_url: order.notify_url.clone(),
            pay_url: links.link(&format!("/pay/{}", order.code)),
            customer: CustomerView {
                name: order.customer.name,
                phone: order.customer.phone,
                email: order.customer.email,
            },
            return_url: order.return_url,
            cancel_url: order.cancel_url,
            code: order.code.to_string(),
            transactions,
            history: None,
        }
    }

    pub fn with_history(mut self, history: &[HistoryEntry]) -> OrderView {
        self.history = Some(history.iter().map(HistoryView::new).collect());
        self
    }
}

/// An order's customer; each field null when not given.
#[derive(Serialize, ToSchema)]
pub struct CustomerView {
    #[schema(example = "Nguyễn Thị Mai")]
    pub name: Option<String>,
    #[schema(example = "+84 901 234 567")]
    pub phone: Option<String>,
    #[schema(example = "mai@example.vn")]
    pub email: Option<String>,
}

/// One change of an order: what happened, who or what caused it, and the state around it.
#[derive(Serialize, ToSchema)]
pub struct HistoryView {
    #[schema(format = DateTime)]
    pub at: String,
    /// `created`, `credited`, `cancelled`, `expired`, `undone`, `imported` (the state an
    /// order had when history began to be kept), `accepted` (accepted as paid short of its
    /// amount) or `refunded` (its excess went back).
    #[schema(example = "credited")]
    pub event: &'static str,
    /// The provider (`casso`), `reconcile`, `api`, `admin:<user>` or `expiry`.
    #[schema(example = "casso")]
    pub by: String,
    /// Null for `created`.
    #[schema(value_type = Option<OrderStatusName>)]
    pub status_before: Option<&'static str>,
    #[schema(value_type = OrderStatusName)]
    pub status_after: &'static str,
    #[schema(value_type = Option<AmountText>)]
    pub amount_received_before: Option<Money>,
    #[schema(value_type = AmountText)]
    pub amount_received_after: Money,
}

impl HistoryView {
    pub fn new(e: &HistoryEntry) -> HistoryView {
        HistoryView {
            at: rfc3339(e.at),
            event: e.event.as_str(),
            by: e.by.clone(),
            status_before: e.before.as_ref().map(|b| b.status.as_str()),
            status_after: e.after.status.as_str(),
            amount_received_before: e.before.as_ref().map(|b| b.amount_received),
            amount_received_after: e.after.amount_received,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TransactionView {
    pub id: String,
    pub source: String,
    pub external_id: String,
    pub bank_ref: Option<String>,
    pub description: String,
    #[schema(value_type = AmountText)]
    pub amount: Money,
    #[schema(value_type = Option<AmountText>)]
    pub running_balance: Option<Money>,
    #[schema(format = DateTime)]
    pub when: Option<String>,
    pub account: Option<String>,
    #[schema(value_type = TransactionStatusName)]
    pub status: &'static str,
    /// The one order it paid (or, `order_closed`, names); null when it paid several.
    pub order_code: Option<String>,
    pub candidates: Vec<String>,
    /// What each order received of it: one element for a single order, one per order when it
    /// paid several; empty when it is not applied.
    pub allocations: Vec<AllocationView>,
    #[schema(format = DateTime)]
    pub received_at: String,
    /// An admin's decision on a transaction that waited: `linked`, `ignored` or `refunded`.
    #[schema(value_type = Option<ResolutionName>)]
    pub resolution: Option<&'static str>,
    pub resolution_note: Option<String>,
    pub payer: PayerView,
    /// How it came to pay: `code` (the order code was found), `payer` (no code: the payer is
    /// the one open order's customer), `admin`; null while it pays nothing.
    #[schema(example = "code")]
    pub matched_by: Option<&'static str>,
}

/// Who sent a transfer, each null when not known: Casso v2's counter account (name, account
/// number, bank); for other providers, the name as the description tells it.
#[derive(Serialize, ToSchema)]
pub struct PayerView {
    #[schema(example = "NGUYEN THI MAI")]
    pub name: Option<String>,
    #[schema(example = "0071000123456")]
    pub account: Option<String>,
    #[schema(example = "Vietcombank")]
    pub bank: Option<String>,
}

impl TransactionView {
    pub fn new(t: &BankTransaction) -> TransactionView {
        TransactionView {
            id: format!("{}:{}", t.source, t.external_id),
            source: t.source.clone(),
            external_id: t.external_id.clone(),
            bank_ref: t.bank_ref.clone(),
            description: t.description.clone(),
            amount: t.amount,
            running_balance: t.running_balance,
            when: t.when.map(rfc3339),
            account: t.account.clone(),
            status: t.status.as_str(),
            order_code: t.order_code.as_ref().map(ToString::to_string),
            candidates: t.candidates.iter().map(ToString::to_string).collect(),
            allocations: t
                .allocations
                .iter()
                .map(|a| AllocationView {
                    order_code: a.order_code.to_string(),
                    amount: a.amount,
                })
                .collect(),
            received_at: rfc3339(t.received_at),
            resolution: t.resolution.map(|r| r.as_str()),
            resolution_note: t.resolution_note.clone(),
            payer: PayerView {
                name: t.payer.name.clone(),
                account: t.payer.account.clone(),
                bank: t.payer.bank.clone(),
            },
            matched_by: t.matched_by().map(MatchedBy::as_str),
        }
    }
}

/// One order's share of a transfer.
#[derive(Serialize, ToSchema)]
pub struct AllocationView {
    #[schema(example = "DH1006")]
    pub order_code: String,
    #[schema(value_type = AmountText)]
    pub amount: Money,
}

/// A page of a listing: newest first; pass `next_cursor` as `cursor` for the next page.
#[derive(Serialize, ToSchema)]
pub struct ListView<T: ToSchema> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Resolution;

    #[test]
    fn resolutions_are_the_domain_ones() {
        for name in RESOLUTIONS {
            assert_eq!(Resolution::parse(name).map(Resolution::as_str), Some(name));
        }
    }

    #[test]
    fn amount_pattern_matches_what_money_sends() {
        let pattern = regex::Regex::new(AMOUNT_TEXT_PATTERN).expect("a valid pattern");
        for text in [
            "0", "150000", "10.5", "0.0001", "-25000", "79000.0", "1e3", "0.10",
        ] {
            let sent = Money::parse(text).expect("an amount").to_string();
            assert!(pattern.is_match(&sent), "{text} is sent as {sent}");
        }
        for bad in ["1.50", "1e3", "01", "1.", "", "+1"] {
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }
}
