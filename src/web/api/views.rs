//! The JSON shapes of the contract: Order and Transaction.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{BankTransaction, Money, Order};

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An order, as the contract shapes it.
#[derive(Serialize, ToSchema)]
pub struct OrderView {
    pub code: String,
    pub reference: Option<String>,
    #[schema(value_type = String, example = "150000")]
    pub amount: Money,
    pub currency: String,
    #[schema(value_type = String)]
    pub status: &'static str,
    pub paid: bool,
    #[schema(value_type = String, example = "150000")]
    pub amount_received: Money,
    #[schema(value_type = String, example = "150000")]
    pub amount_due: Money,
    pub transfer_content: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    pub notify_url: Option<String>,
    pub transactions: Vec<TransactionView>,
}

impl OrderView {
    /// `transactions` may hold other orders' too: only this order's are kept.
    pub fn new(order: Order, transactions: &[BankTransaction]) -> OrderView {
        let transactions = transactions
            .iter()
            .filter(|t| t.order_code.as_ref() == Some(&order.code))
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
            created_at: rfc3339(order.created_at),
            updated_at: rfc3339(order.updated_at),
            paid_at: order.paid_at.map(rfc3339),
            expires_at: order.expires_at.map(rfc3339),
            notify_url: order.notify_url.clone(),
            code: order.code.to_string(),
            transactions,
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
    #[schema(value_type = String, example = "150000")]
    pub amount: Money,
    #[schema(value_type = Option<String>, example = "15900500")]
    pub running_balance: Option<Money>,
    #[schema(format = DateTime)]
    pub when: Option<String>,
    pub account: Option<String>,
    #[schema(value_type = String)]
    pub status: &'static str,
    pub order_code: Option<String>,
    pub candidates: Vec<String>,
    #[schema(format = DateTime)]
    pub received_at: String,
    /// An admin's decision on a transaction that waited: `linked`, `ignored` or `refunded`.
    #[schema(value_type = Option<String>)]
    pub resolution: Option<&'static str>,
    pub resolution_note: Option<String>,
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
            received_at: rfc3339(t.received_at),
            resolution: t.resolution.map(|r| r.as_str()),
            resolution_note: t.resolution_note.clone(),
        }
    }
}

/// A page of a listing: newest first; pass `next_cursor` as `cursor` for the next page.
#[derive(Serialize, ToSchema)]
pub struct ListView<T: ToSchema> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}
