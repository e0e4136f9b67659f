//! What admin pages show, formatted for people: Vietnam time, grouped digits, translated
//! statuses. Templates escape every string.

use chrono::{DateTime, FixedOffset, Utc};

use crate::db::{AuditRow, RejectedRow};
use crate::domain::{BankTransaction, Money, Order};
use crate::web::i18n::Lang;

fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("a valid offset")
}

pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        // Marked, since admins may sit elsewhere than the shop's bank.
        .format("%Y-%m-%d %H:%M:%S +07")
        .to_string()
}

/// `1234567.5` → `1,234,567.5` (English) or `1.234.567,5` (Vietnamese).
pub fn amount(m: Money, lang: Lang) -> String {
    let text = m.to_string();
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let (group, point) = match lang {
        Lang::En => (',', '.'),
        Lang::Vi => ('.', ','),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{fraction}")
    }
}

/// How far the receive time may be from the bank's before lists show both.
const RECEIVED_LATE: chrono::Duration = chrono::Duration::minutes(5);

pub struct TxView {
    pub id: i64,
    pub public_id: String,
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
    pub candidates: String,
    pub bank_ref: String,
    pub account: String,
    pub waiting_reason: Option<&'static str>,
    pub resolution: Option<&'static str>,
    pub resolution_note: String,
    pub resolved_by: String,
    pub resolved_at: String,
    pub positive: bool,
}

impl TxView {
    pub fn new(t: &BankTransaction, lang: Lang) -> TxView {
        TxView {
            id: t.row_id,
            public_id: format!("{}:{}", t.source, t.external_id),
            received: local_time(t.received_at),
            when: t.when.map(local_time).unwrap_or_default(),
            bank_time: local_time(t.when.unwrap_or(t.received_at)),
            received_late: t
                .when
                .filter(|w| (t.received_at - *w).abs() > RECEIVED_LATE)
                .map(|_| local_time(t.received_at)),
            amount: amount(t.amount, lang),
            description: t.description.clone(),
            status: t.status.as_str(),
            status_label: lang.t(t.status.as_str()),
            order_code: t.order_code.as_ref().map(ToString::to_string),
            candidates: t
                .candidates
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            bank_ref: t.bank_ref.clone().unwrap_or_default(),
            account: t.account.clone().unwrap_or_default(),
            waiting_reason: t.waiting_reason.map(|r| lang.t(r.as_str())),
            resolution: t.resolution.map(|r| lang.t(r.as_str())),
            resolution_note: t.resolution_note.clone().unwrap_or_default(),
            resolved_by: t.resolved_by.clone().unwrap_or_default(),
            resolved_at: t.resolved_at.map(local_time).unwrap_or_default(),
            positive: t.amount.is_positive(),
        }
    }
}

pub struct OrderView {
    pub code: String,
    pub reference: String,
    pub amount: String,
    pub currency: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub received: String,
    pub due: String,
    pub created: String,
    pub paid_at: String,
    pub expires: String,
}

impl OrderView {
    pub fn new(o: &Order, lang: Lang) -> OrderView {
        OrderView {
            code: o.code.to_string(),
            reference: o.reference.clone().unwrap_or_default(),
            amount: amount(o.amount, lang),
            currency: o.currency.clone(),
            status: o.status.as_str(),
            status_label: lang.t(o.status.as_str()),
            received: amount(o.amount_received, lang),
            due: amount(o.amount_due(), lang),
            created: local_time(o.created_at),
            paid_at: o.paid_at.map(local_time).unwrap_or_default(),
            expires: o.expires_at.map(local_time).unwrap_or_default(),
        }
    }
}

pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
    pub note: String,
}

impl AuditView {
    pub fn new(row: &AuditRow) -> AuditView {
        AuditView {
            at: local_time(crate::db::models::from_db_time(row.created_at)),
            actor: row.actor.clone(),
            action: row.action.clone(),
            subject: row.subject.clone(),
            before: row.before_state.clone().unwrap_or_default(),
            after: row.after_state.clone().unwrap_or_default(),
            note: row.note.clone().unwrap_or_default(),
        }
    }
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
    pub fn new(row: &RejectedRow) -> RejectedView {
        RejectedView {
            id: row.id,
            received: local_time(crate::db::models::from_db_time(row.received_at)),
            reason: row.reason.clone(),
            payload: row.payload.clone(),
            resolved: row.resolved_at.is_some(),
            note: row.resolution_note.clone().unwrap_or_default(),
            resolved_by: row.resolved_by.clone().unwrap_or_default(),
        }
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
        r#"<svg class="chart" viewBox="0 0 {width} {h}" role="img" xmlns="http://www.w3.org/2000/svg">"#,
        h = height + 40.0
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
            value = amount(*money, lang),
        ));
        if i % 5 == 0 {
            svg.push_str(&format!(
                r#"<text x="{x:.1}" y="{ty}">{label}</text>"#,
                ty = height + 16.0,
                label = &day[5..],
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_for_people() {
        let m = |s| Money::parse(s).unwrap();
        assert_eq!(amount(m("1234567.5"), Lang::En), "1,234,567.5");
        assert_eq!(amount(m("1234567.5"), Lang::Vi), "1.234.567,5");
        assert_eq!(amount(m("-150000"), Lang::En), "-150,000");
        assert_eq!(amount(m("100"), Lang::En), "100");
        assert_eq!(amount(m("0"), Lang::Vi), "0");
    }
}
