//! What admin pages show, formatted for people: Vietnam time, grouped digits, translated
//! statuses. Templates escape every string.

use chrono::{DateTime, Utc};

use crate::db::{Count, JobStatus, RejectedRow};

mod audit;
use crate::domain::{
    BankTransaction, MatchedBy, Money, Order, OrderCode, OrderStatus, Resolution, TransactionStatus,
};
use crate::web::i18n::Lang;
pub use audit::AuditView;

use crate::domain::vietnam;

/// `30/11/2026 14:05`, in Vietnam time (the shop's and its bank's).
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// `150.000 ₫` (Vietnamese) or `150,000 ₫` (English); other currencies by their code.
pub fn money(m: Money, currency: &str, lang: Lang) -> String {
    let sign = if currency == "VND" { "₫" } else { currency };
    format!("{} {sign}", amount(m, lang))
}

/// `12,5%` (Vietnamese) or `12.5%` (English).
pub fn percent(ratio: f64, lang: Lang) -> String {
    let text = format!("{ratio:.1}%");
    match lang {
        Lang::En => text,
        Lang::Vi => text.replace('.', ","),
    }
}

/// `1234567.5` → `1,234,567.5` (English) or `1.234.567,5` (Vietnamese).
pub fn amount(m: Money, lang: Lang) -> String {
    match lang {
        Lang::En => m.grouped(',', '.'),
        Lang::Vi => m.grouped('.', ','),
    }
}

/// `10.000` (Vietnamese) or `10,000` (English); `10.000+` for a count that stopped there.
pub fn count(rows: Count, lang: Lang) -> String {
    let grouped = amount(
        Money::from_total_units(i128::from(rows.rows) * 10_000),
        lang,
    );
    match rows.more {
        true => format!("{grouped}+"),
        false => grouped,
    }
}

/// How far the receive time may be from the bank's before lists show both.
const RECEIVED_LATE: chrono::Duration = chrono::Duration::minutes(5);

pub struct TxView {
    pub id: i64,
    pub public_id: String,
    /// The provider's name as people write it: Casso, SePay.
    pub source: &'static str,
    pub received: String,
    pub when: String,
    /// The bank's time, or the receive time where the bank gave none: what lists sort by day.
    pub bank_time: String,
    /// The receive time, where it is far from the bank's (a late delivery, a reconciliation).
    pub received_late: Option<String>,
    pub amount: String,
    pub description: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub order_code: Option<String>,
    /// Every order the transfer paid: one, or each of a combined or split payment.
    pub orders: Vec<String>,
    /// On an order's page: the whole transfer, where the order had only a share of it.
    pub whole: Option<String>,
    /// In the queue: the order the transfer is most likely for (code, why), as a link to its
    /// link preview; or that several are as likely.
    pub best: Option<(String, &'static str)>,
    pub tie: bool,
    pub candidates: String,
    pub bank_ref: String,
    pub account: String,
    pub waiting_reason: Option<&'static str>,
    pub resolution: Option<&'static str>,
    pub resolution_note: String,
    pub resolved_by: String,
    pub resolved_at: String,
    pub positive: bool,
    /// Who sent it, as known: name · account · bank.
    pub payer: String,
    /// How it came to pay, for people.
    pub matched_by: Option<&'static str>,
}

impl TxView {
    pub fn new(t: &BankTransaction, lang: Lang) -> TxView {
        TxView {
            id: t.row_id,
            public_id: format!("{}:{}", t.source, t.external_id),
            source: provider_name(&t.source),
            received: local_time(t.received_at),
            when: t.when.map(local_time).unwrap_or_default(),
            bank_time: local_time(t.when.unwrap_or(t.received_at)),
            received_late: t
                .when
                .filter(|w| (t.received_at - *w).abs() > RECEIVED_LATE)
                .map(|_| local_time(t.received_at)),
            amount: money(t.amount, "VND", lang),
            description: t.description.clone(),
            status: t.status.as_str(),
            status_label: lang.t(t.status.as_str()),
            order_code: t.order_code.as_ref().map(ToString::to_string),
            orders: if t.allocations.is_empty() {
                t.order_code.iter().map(ToString::to_string).collect()
            } else {
                t.allocations
                    .iter()
                    .map(|a| a.order_code.to_string())
                    .collect()
            },
            whole: None,
            best: None,
            tie: false,
            payer: t.payer.summary(),
            matched_by: t.matched_by().map(|m| {
                lang.t(match m {
                    MatchedBy::Code => "the order code in the description",
                    MatchedBy::Payer => {
                        "the payer: the one open order's customer, due exactly this amount"
                    }
                    MatchedBy::Admin => "an admin",
                })
            }),
            candidates: t
                .candidates
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            bank_ref: t.bank_ref.clone().unwrap_or_default(),
            account: t.account.clone().unwrap_or_default(),
            waiting_reason: t.waiting_reason.map(|r| lang.t(r.as_str())),
            // A split is linked as the API says, but a person reads what was done.
            resolution: t.resolution.map(|r| match r {
                Resolution::Linked if t.allocations.len() > 1 => lang.t("Split by an admin"),
                r => lang.t(r.as_str()),
            }),
            resolution_note: t.resolution_note.clone().unwrap_or_default(),
            resolved_by: t.resolved_by.clone().unwrap_or_default(),
            resolved_at: t.resolved_at.map(local_time).unwrap_or_default(),
            positive: t.amount.is_positive(),
        }
    }

    /// The transfer as one order's page lists it: the order's share, with the whole beside it
    /// when the transfer paid other orders too.
    pub fn share_of(t: &BankTransaction, code: &OrderCode, lang: Lang) -> TxView {
        let mut view = TxView::new(t, lang);
        let share = t
            .allocations
            .iter()
            .filter(|a| &a.order_code == code)
            .map(|a| a.amount)
            .fold(None, |sum: Option<Money>, m| {
                Some(sum.map_or(m, |s| s.plus(m)))
            });
        if let Some(share) = share.filter(|s| *s != t.amount) {
            view.whole = Some(view.amount);
            view.amount = money(share, "VND", lang);
        }
        view
    }
}

pub struct OrderView {
    pub code: String,
    pub reference: String,
    pub amount: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub received: String,
    pub due: String,
    /// What an overpaid order received beyond its amount.
    pub excess: Option<String>,
    /// What an order accepted as paid short of its amount was let go.
    pub shortfall: Option<String>,
    pub created: String,
    pub paid_at: String,
    pub expires: String,
    /// The number of the account the order asks to be paid into.
    pub account: String,
    /// Who the order is for, each empty when not given; the phone also as a `tel:` number.
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_tel: String,
    pub customer_email: String,
}

impl OrderView {
    pub fn new(o: &Order, lang: Lang) -> OrderView {
        OrderView {
            code: o.code.to_string(),
            reference: o.reference.clone().unwrap_or_default(),
            amount: money(o.amount, &o.currency, lang),
            status: o.status.as_str(),
            status_label: lang.t(o.status.as_str()),
            received: money(o.amount_received, &o.currency, lang),
            due: money(
                if o.status.is_paid() {
                    Money::ZERO
                } else {
                    o.amount_due()
                },
                &o.currency,
                lang,
            ),
            excess: (o.status == OrderStatus::Overpaid).then(|| {
                money(
                    o.amount_received.saturating_sub_to_zero(o.amount),
                    &o.currency,
                    lang,
                )
            }),
            shortfall: (o.status == OrderStatus::Paid && o.amount_received < o.amount)
                .then(|| money(o.amount_due(), &o.currency, lang)),
            created: local_time(o.created_at),
            paid_at: o.paid_at.map_or_else(|| "–".to_owned(), local_time),
            expires: o.expires_at.map_or_else(|| "–".to_owned(), local_time),
            account: o.account.clone().unwrap_or_default(),
            customer_name: o.customer.name.clone().unwrap_or_default(),
            customer_phone: o.customer.phone.clone().unwrap_or_default(),
            customer_tel: o
                .customer
                .phone
                .as_deref()
                .unwrap_or_default()
                .replace(' ', ""),
            customer_email: o.customer.email.clone().unwrap_or_default(),
        }
    }
}

/// Who made a change, as a person reads it: a user's name, the provider, the storefront, or
/// paymatch itself.
pub fn who(by: &str, lang: Lang) -> String {
    match by {
        "api" => lang.t("the storefront (API)").to_owned(),
        "reconcile" => lang.t("automatic (reconciliation)").to_owned(),
        "expiry" => lang.t("automatic (deadline passed)").to_owned(),
        "migration" => lang.t("automatic (upgrade)").to_owned(),
        provider if crate::domain::Source::parse(provider).is_some() => {
            provider_name(provider).to_owned()
        }
        other => other.strip_prefix("admin:").unwrap_or(other).to_owned(),
    }
}

/// The translated name of an order, transaction, resolution or notification status.
pub fn status_label(status: &str, lang: Lang) -> Option<&'static str> {
    let key = OrderStatus::parse(status)
        .map(OrderStatus::as_str)
        .or_else(|| TransactionStatus::parse(status).map(TransactionStatus::as_str))
        .or_else(|| Resolution::parse(status).map(Resolution::as_str))
        .or_else(|| {
            [
                JobStatus::Queued,
                JobStatus::Running,
                JobStatus::Done,
                JobStatus::Skipped,
                JobStatus::Failed,
            ]
            .into_iter()
            .map(JobStatus::as_str)
            .find(|s| *s == status)
        })?;
    Some(lang.t(key))
}

pub struct RejectedView {
    pub id: i64,
    pub received: String,
    pub reason: String,
    pub payload: String,
    pub resolved: bool,
    pub note: String,
    pub resolved_by: String,
}

impl RejectedView {
    pub fn new(row: &RejectedRow, lang: Lang) -> RejectedView {
        RejectedView {
            id: row.id,
            received: local_time(crate::db::models::from_db_time(row.received_at)),
            reason: rejection_reason(&row.reason, lang),
            payload: row.payload.clone(),
            resolved: row.resolved_at.is_some(),
            note: row.resolution_note.clone().unwrap_or_default(),
            resolved_by: row.resolved_by.clone().unwrap_or_default(),
        }
    }
}

/// The translated label of a technical message's known opening, and the rest of it.
fn explained<'t>(
    text: &'t str,
    known: &[(&str, &'static str)],
    other: &'static str,
) -> (&'static str, &'t str) {
    known
        .iter()
        .find_map(|(opening, label)| text.strip_prefix(opening).map(|rest| (*label, rest)))
        .unwrap_or((other, text))
}

/// Why a notification could not be delivered (`notify::deliver::DeliveryError`): translated,
/// with its detail (an HTTP status, a host) as it is.
pub fn delivery_error(error: &str, lang: Lang) -> String {
    let (label, detail) = explained(error, DELIVERY_ERRORS, "Delivery failed");
    let detail = detail.trim_start_matches([':', ' ']);
    if detail.is_empty() {
        lang.t(label).to_owned()
    } else {
        format!("{}: {detail}", lang.t(label))
    }
}

const DELIVERY_ERRORS: &[(&str, &str)] = &[
    ("the shop answered", "The shop answered"),
    ("no answer from the shop", "No answer from the shop"),
    (
        "the notification URL's host could not be resolved",
        "The shop's host name could not be resolved",
    ),
    (
        "the notification URL's host",
        "The notification URL is not a public address",
    ),
    ("the notification URL", "The notification URL is not valid"),
];

/// Why an element of a webhook was rejected (`ingest::casso`); the element itself is shown
/// next to it.
fn rejection_reason(reason: &str, lang: Lang) -> String {
    let known = [
        (
            "the element is not a JSON object",
            "The element is not a JSON object",
        ),
        ("`id`", "Bad or missing transaction id"),
        ("`amount` is zero", "The amount is zero"),
        ("`amount`", "Bad or missing amount"),
        ("`description`", "The description is not text"),
        ("`when`", "Unreadable date"),
    ];
    lang.t(explained(reason, &known, "Unreadable element").0)
        .to_owned()
}

/// `2026-11-30` → `30/11`.
pub fn day_month(day: &str) -> String {
    match (day.get(8..10), day.get(5..7)) {
        (Some(d), Some(m)) => format!("{d}/{m}"),
        _ => day.to_owned(),
    }
}

/// Bars of money received per day, drawn on the server (no script needed).
pub fn daily_chart(days: &[(String, Money)], lang: Lang) -> String {
    let width = 720.0;
    let height = 220.0;
    let max = days
        .iter()
        .map(|(_, m)| m.decimal())
        .max()
        .filter(|m| !m.is_zero())
        .unwrap_or(rust_decimal::Decimal::ONE);
    let slot = width / days.len().max(1) as f64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {width} {h}" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">"#,
        h = height + 40.0,
        // A fixed text of ours (no quotes), so it needs no escaping.
        label = lang.t("Money received per day (last 30 days)"),
    );
    for (i, (day, money)) in days.iter().enumerate() {
        // Only the drawing is approximate; the figures in the titles are exact.
        let ratio = (money.decimal() / max)
            .to_string()
            .parse::<f64>()
            .unwrap_or(0.0);
        let bar = (ratio * height).max(if money.is_zero() { 0.0 } else { 1.0 });
        let x = i as f64 * slot + 2.0;
        svg.push_str(&format!(
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{bar:.1}"><title>{day}: {value}</title></rect>"#,
            y = height - bar,
            w = (slot - 4.0).max(1.0),
            value = self::money(*money, "VND", lang),
        ));
        // Labelled back from today, so that today always has its date: centred under its bar,
        // the last one ending at the chart's edge so that it is never cut off.
        if (days.len() - 1 - i) % 5 == 0 {
            let last = i + 1 == days.len();
            svg.push_str(&format!(
                r#"<text x="{tx:.1}" y="{ty}" text-anchor="{anchor}">{label}</text>"#,
                tx = if last { width } else { x + slot / 2.0 },
                anchor = if last { "end" } else { "middle" },
                ty = height + 16.0,
                label = day_month(day),
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A provider as people write it; an unknown one (from a later version) as stored.
pub fn provider_name(source: &str) -> &'static str {
    match crate::domain::Source::parse(source) {
        Some(crate::domain::Source::Casso) => "Casso",
        Some(crate::domain::Source::Sepay) => "SePay",
        None => "–",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_translated() {
        assert_eq!(
            delivery_error("the shop answered 500 Internal Server Error", Lang::Vi),
            "Cửa hàng trả lời: 500 Internal Server Error"
        );
        assert_eq!(
            rejection_reason("`amount` is zero", Lang::Vi),
            "Số tiền bằng 0"
        );
        assert_eq!(percent(12.25, Lang::Vi), "12,2%");
        assert_eq!(
            money(Money::parse("150000").unwrap(), "VND", Lang::Vi),
            "150.000 ₫"
        );
    }

    #[test]
    fn amounts_for_people() {
        let m = |s| Money::parse(s).unwrap();
        assert_eq!(amount(m("1234567.5"), Lang::En), "1,234,567.5");
        assert_eq!(amount(m("1234567.5"), Lang::Vi), "1.234.567,5");
        assert_eq!(amount(m("-150000"), Lang::En), "-150,000");
        assert_eq!(amount(m("100"), Lang::En), "100");
        assert_eq!(amount(m("0"), Lang::Vi), "0");
        assert_eq!(count(Count::exactly(1234), Lang::Vi), "1.234");
        let stopped = Count {
            rows: 10_000,
            more: true,
        };
        assert_eq!(count(stopped, Lang::En), "10,000+");
    }
}
