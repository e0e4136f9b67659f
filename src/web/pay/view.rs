//! What the payment page and its status feed show of one order at one moment, formatted for
//! the reader. Public: the payment facts only, never the reference or the transfers.

use chrono::SecondsFormat;
use serde_json::{json, Value};

use super::banks;
use crate::config::{Account, Settings};
use crate::domain::{Money, Order, OrderStatus};
use crate::web::admin::views::{amount, local_time as vietnam_time};
use crate::web::i18n::Lang;

/// The receiving account an order is paid into: its own, else the default.
pub fn receiving<'a>(settings: &'a Settings, order: &Order) -> Option<&'a Account> {
    settings.accounts.for_order(order.account.as_deref())
}

/// `150.000 ₫` (Vietnamese grouping) or `150,000 ₫`; other currencies keep their code.
pub fn money(m: Money, currency: &str, lang: Lang) -> String {
    let unit = if currency.eq_ignore_ascii_case("VND") {
        "₫"
    } else {
        currency
    };
    format!("{} {unit}", amount(m, lang))
}

/// What the customer reads for each status, and a second line where one helps.
fn messages(status: OrderStatus) -> (&'static str, Option<&'static str>) {
    const DO_NOT_PAY: &str =
        "Please do not transfer money for this order. If you already have, contact the shop.";
    match status {
        OrderStatus::Pending => ("Waiting for your transfer…", None),
        OrderStatus::PartiallyPaid => ("Partly paid: please transfer the rest.", None),
        OrderStatus::Paid => ("Paid. Thank you!", None),
        OrderStatus::Overpaid => (
            "Paid. Thank you!",
            Some("You transferred more than the order's amount: the shop will contact you about the difference."),
        ),
        OrderStatus::Cancelled => ("This order was cancelled.", Some(DO_NOT_PAY)),
        OrderStatus::Expired => ("This order has expired.", Some(DO_NOT_PAY)),
    }
}

/// A banking app that a deep link opens with the transfer filled in.
pub struct AppLink {
    pub app: &'static str,
    pub name: &'static str,
    pub href: String,
}

/// The account to pay into, shown only while the order is open.
pub struct BankView {
    pub bank: String,
    pub number: String,
    pub name: String,
}

pub struct PayView {
    pub code: String,
    pub status: &'static str,
    pub message: &'static str,
    pub note: Option<&'static str>,
    pub open: bool,
    /// Changes with every change the customer can see: what the page's script waits on.
    pub version: String,
    pub amount: String,
    pub due: String,
    /// The amount due as plain digits: what the copy button copies.
    pub due_plain: String,
    pub received: String,
    pub excess: Option<String>,
    /// The QR image's address; it names the amount due, so a new amount is a new image.
    pub qr_url: Option<String>,
    pub bank: Option<BankView>,
    pub apps: Vec<AppLink>,
    /// RFC 3339, for the countdown, and the deadline as people read it.
    pub expires_at: Option<String>,
    pub deadline: Option<String>,
}

/// The state the page knows: a change of either is news for it.
pub fn version(order: &Order) -> String {
    format!("{}:{}", order.status.as_str(), order.amount_received)
}

impl PayView {
    pub fn new(order: &Order, receiving: Option<&Account>, lang: Lang) -> PayView {
        let open = order.status.is_open();
        let due = order.amount_due();
        let code = order.code.to_string();
        let (message, note) = messages(order.status);
        // A closed order takes no more payments: no account, no QR, no app to pay with.
        let receiving = receiving.filter(|_| open);
        let show = |m| money(m, &order.currency, lang);
        PayView {
            status: order.status.as_str(),
            message: lang.t(message),
            note: note.map(|n| lang.t(n)),
            open,
            version: version(order),
            amount: show(order.amount),
            due: show(due),
            due_plain: due.to_string(),
            received: show(order.amount_received),
            excess: (order.status == OrderStatus::Overpaid)
                .then(|| show(order.amount_received.saturating_sub_to_zero(order.amount))),
            qr_url: receiving.map(|_| format!("/pay/{code}/qr.svg?due={due}")),
            bank: receiving.map(|r| BankView {
                bank: banks::bank_name(&r.bin),
                number: r.number.clone(),
                name: r.name.clone(),
            }),
            apps: receiving
                .map(|r| banks::app_links(&r.bin, &r.number, &r.name, due, &code))
                .unwrap_or_default()
                .into_iter()
                .map(|(app, name, href)| AppLink { app, name, href })
                .collect(),
            expires_at: order
                .expires_at
                .filter(|_| open)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            deadline: order.expires_at.filter(|_| open).map(vietnam_time),
            code,
        }
    }

    /// The status feed: everything the page's script redraws.
    pub fn live(&self, order: &Order) -> Value {
        json!({
            "code": order.code,
            "status": self.status,
            "paid": order.status.is_paid(),
            "open": self.open,
            "version": self.version,
            "amount": order.amount,
            "amount_received": order.amount_received,
            "amount_due": order.amount_due(),
            "expires_at": self.expires_at,
            "qr_url": self.qr_url,
            "app_links": self
                .apps
                .iter()
                .map(|a| (a.app.to_owned(), json!(a.href)))
                .collect::<serde_json::Map<_, _>>(),
            "display": {
                "message": self.message,
                "note": self.note,
                "amount": self.amount,
                "amount_received": self.received,
                "amount_due": self.due,
                "excess": self.excess,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_in_vietnamese() {
        for status in OrderStatus::ALL {
            let (message, note) = messages(status);
            for text in std::iter::once(message).chain(note) {
                assert_ne!(Lang::Vi.t(text), text, "no Vietnamese for {text:?}");
            }
        }
    }

    #[test]
    fn amounts_in_dong() {
        let m = Money::parse("150000").unwrap();
        assert_eq!(money(m, "VND", Lang::Vi), "150.000 ₫");
        assert_eq!(money(m, "VND", Lang::En), "150,000 ₫");
        assert_eq!(money(m, "USD", Lang::En), "150,000 USD");
    }

    #[test]
    fn deadlines_in_vietnam_time() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-30T07:05:00Z").unwrap();
        assert_eq!(
            vietnam_time(t.with_timezone(&chrono::Utc)),
            "30/11/2026 14:05"
        );
    }
}
