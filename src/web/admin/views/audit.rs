//! An audit entry as people read it: who, what in plain words, the subject as a link, and the
//! stored states translated.

use super::{local_time, money, status_label, who};
use crate::db::AuditRow;
use crate::domain::{Money, OrderCode};
use crate::web::i18n::Lang;

pub struct AuditView {
    pub at: String,
    pub actor: String,
    /// The stored action (`transaction.link`), for machines; `action` is for people.
    pub action_key: String,
    pub action: &'static str,
    pub subject: Subject,
    pub before: String,
    pub after: String,
    /// A note naming a transfer or an order (a credit's transfer) links to it.
    pub note: Subject,
}

impl AuditView {
    pub fn new(row: &AuditRow, lang: Lang) -> AuditView {
        AuditView {
            at: local_time(crate::db::models::from_db_time(row.created_at)),
            actor: who(&row.actor, lang),
            action_key: row.action.clone(),
            action: audit_action(&row.action, lang),
            subject: Subject::read(&row.subject, lang),
            before: audit_state(row.before_state.as_deref(), lang),
            after: audit_state(row.after_state.as_deref(), lang),
            note: Subject::read(row.note.as_deref().unwrap_or_default(), lang),
        }
    }
}

/// What an audit entry is about, as a person reads it, with its admin page when it has one:
/// `transaction:casso:6785` → "Transfer casso:6785", `order:DH1` → "Order DH1".
pub struct Subject {
    pub label: String,
    pub href: Option<String>,
}

impl Subject {
    fn read(stored: &str, lang: Lang) -> Subject {
        let linked = |kind: &'static str, name: &str, href: String| Subject {
            label: format!("{} {name}", lang.t(kind)),
            href: Some(href),
        };
        if let Some(name) = stored.strip_prefix("transaction:") {
            let path: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
            return linked(
                "Transfer",
                name,
                format!("/admin/transactions/named/{path}"),
            );
        }
        if let Some(code) = stored.strip_prefix("order:") {
            if let Ok(code) = OrderCode::parse(code) {
                return linked("Order", code.as_str(), format!("/admin/orders/{code}"));
            }
        }
        Subject {
            label: stored.to_owned(),
            href: None,
        }
    }
}

const AUDIT_ACTIONS: &[(&str, &str)] = &[
    ("transaction.link", "Transfer linked to an order"),
    ("transaction.split", "Transfer split across orders"),
    ("transaction.unlink", "Link undone"),
    ("transaction.ignored", "Set aside: not a payment"),
    ("transaction.refunded", "Set aside: refunded"),
    ("transaction.reopen", "Transfer waits again"),
    ("order.credit", "Money added to the order"),
    ("order.debit", "Money taken back from the order"),
    ("order.cancel", "Order cancelled"),
    ("order.accept", "Accepted as paid"),
    ("order.refund", "Excess refunded"),
    ("order.undo_decision", "Decision undone"),
    ("rejected.dismiss", "Rejected element dismissed"),
    ("notification.replay", "Notification sent again"),
    ("sessions.end_all", "Logged out everywhere"),
    ("settings.reveal_token", "Secret revealed"),
];

fn audit_action(action: &str, lang: Lang) -> &'static str {
    AUDIT_ACTIONS
        .iter()
        .find(|(key, _)| *key == action)
        .map_or(lang.t("Other change"), |(_, label)| lang.t(label))
}

/// A stored state for people: `{"status":"matched","order_code":"DH1"}` → `Status: matched ·
/// Order: DH1`, each label and status translated; plain text (a count, a reason) as it is.
fn audit_state(state: Option<&str>, lang: Lang) -> String {
    let Some(state) = state else {
        return String::new();
    };
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(state) else {
        return status_label(state, lang).unwrap_or(state).to_owned();
    };
    const ORDER: [&str; 4] = ["status", "order_code", "resolution", "amount_received"];
    let rank = |name: &str| ORDER.iter().position(|n| *n == name).unwrap_or(ORDER.len());
    let mut fields: Vec<_> = fields.iter().collect();
    fields.sort_by_key(|(name, _)| rank(name));
    fields
        .into_iter()
        .map(|(name, value)| {
            let text = value.as_str().unwrap_or("–");
            let (label, shown) = match name.as_str() {
                "status" => (
                    "Status",
                    status_label(text, lang).unwrap_or(text).to_owned(),
                ),
                "order_code" => ("Order", text.to_owned()),
                "resolution" => (
                    "Resolution",
                    status_label(text, lang).unwrap_or(text).to_owned(),
                ),
                "amount_received" => (
                    "Received so far",
                    Money::parse(text).map_or(text.to_owned(), |m| money(m, "VND", lang)),
                ),
                _ => ("Other", text.to_owned()),
            };
            format!("{}: {shown}", lang.t(label))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_translated() {
        for (_, label) in AUDIT_ACTIONS {
            assert_ne!(Lang::Vi.t(label), *label, "{label}");
        }
        assert_eq!(
            audit_state(
                Some(r#"{"status":"partially_paid","amount_received":"71000"}"#),
                Lang::En
            ),
            "Status: Partly paid · Received so far: 71,000 ₫"
        );
    }
}
