//! What admins decide about transactions that waited. Linking goes through the same
//! `credit_order` as automatic matching, so sums and statuses come out the same.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::history;
use super::pipeline::{credit_order, Credit};
use crate::config::MatchingSettings;
use crate::db::{NewAuditRow, Store, StoreError};
use crate::domain::order::OrderError;
use crate::domain::{
    BankTransaction, Cause, HistoryEvent, Order, OrderCode, OrderState, Resolution,
    TransactionStatus, TransferRef,
};
use crate::matching::normalise;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("there is no such transaction")]
    TransactionNotFound,
    #[error("there is no order {0}")]
    OrderNotFound(String),
    #[error("this transaction is {0}: only waiting transactions can be resolved")]
    NotWaiting(&'static str),
    #[error("this transaction is not linked to an order")]
    NotLinked,
    #[error("this transaction was not set aside by an admin")]
    NotSetAside,
    #[error("transfer {} credited this order later, at {at}: undo that one first", later.name)]
    BuiltOn {
        later: TransferRef,
        at: DateTime<Utc>,
    },
    #[error(transparent)]
    Order(#[from] OrderError),
}

/// Every resolution answers this: the refusal, or the orders whose status changed.
pub type Resolved = Result<Vec<OrderCode>, ResolveError>;

pub fn transaction_subject(t: &BankTransaction) -> String {
    format!("transaction:{}:{}", t.source, t.external_id)
}

pub fn order_subject(code: &OrderCode) -> String {
    format!("order:{code}")
}

fn transaction_state(t: &BankTransaction) -> String {
    json!({
        "status": t.status.as_str(),
        "order_code": t.order_code.as_ref().map(OrderCode::as_str),
        "resolution": t.resolution.map(Resolution::as_str),
    })
    .to_string()
}

fn order_state(o: &Order) -> String {
    json!({"status": o.status.as_str(), "amount_received": o.amount_received.to_string()})
        .to_string()
}

/// One admin action: who did what to which subject, and its state before and after (JSON).
pub struct Audit<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub note: Option<&'a str>,
}

pub fn audit<S: Store>(store: &mut S, entry: &Audit, now: DateTime<Utc>) -> Result<(), StoreError> {
    store.insert_audit(&NewAuditRow {
        actor: entry.actor,
        action: entry.action,
        subject: entry.subject,
        before_state: entry.before,
        after_state: entry.after,
        note: entry.note,
        created_at: crate::db::models::to_db_time(now),
    })
}

/// How an order would change if this transaction were linked to it, without changing it.
pub fn preview_link(
    order: &Order,
    transaction: &BankTransaction,
    matching: &MatchingSettings,
) -> Result<Order, OrderError> {
    let mut after = order.clone();
    after.apply_transfer(
        transaction.amount,
        matching.amount_tolerance,
        crate::domain::now(),
    )?;
    Ok(after)
}

fn waiting<S: Store>(
    store: &mut S,
    row_id: i64,
) -> Result<Result<BankTransaction, ResolveError>, StoreError> {
    Ok(match store.bank_transaction_for_update(row_id)? {
        None => Err(ResolveError::TransactionNotFound),
        Some(t) if t.status.is_waiting() && t.amount.is_positive() => Ok(t),
        Some(t) => Err(ResolveError::NotWaiting(t.status.as_str())),
    })
}

/// Applies a waiting transaction to the order an admin chose.
pub fn link<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    row_id: i64,
    code: &OrderCode,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Resolved, StoreError> {
    store.write(|store| {
        let mut transaction = match waiting(store, row_id)? {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let Some(mut order) = store.orders_for_update(std::slice::from_ref(code))?.pop() else {
            return Ok(Err(ResolveError::OrderNotFound(code.to_string())));
        };
        let transaction_before = transaction_state(&transaction);
        let mut changed = Vec::new();
        if history::expire_if_due(store, &mut order, now)? {
            changed.push(order.code.clone());
        }
        let order_before = order_state(&order);
        let credit = Credit {
            amount: transaction.amount,
            cause: &Cause::Admin(actor.to_owned()),
            transfer: history::transfer_ref(&transaction),
        };
        if let Err(e) = credit_order(store, &mut order, &credit, matching, now, &mut changed)? {
            return Ok(Err(e.into()));
        }
        transaction.waiting_reason = Some(transaction.status);
        transaction.status = TransactionStatus::Matched;
        transaction.order_code = Some(order.code.clone());
        set_resolution(&mut transaction, Some(Resolution::Linked), note, actor, now);
        store.save_resolution(&transaction, now)?;
        let subject = transaction_subject(&transaction);
        audit(
            store,
            &Audit {
                actor,
                action: "transaction.link",
                subject: &subject,
                before: Some(&transaction_before),
                after: Some(&transaction_state(&transaction)),
                note,
            },
            now,
        )?;
        audit(
            store,
            &Audit {
                actor,
                action: "order.credit",
                subject: &order_subject(&order.code),
                before: Some(&order_before),
                after: Some(&order_state(&order)),
                note: Some(&subject),
            },
            now,
        )?;
        crate::notify::outbox::record_changes(store, &changed, now)?;
        Ok(Ok(changed))
    })
}

fn set_resolution(
    t: &mut BankTransaction,
    resolution: Option<Resolution>,
    note: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) {
    t.resolution = resolution;
    t.resolution_note = note.map(str::to_owned);
    t.resolved_by = resolution.map(|_| actor.to_owned());
    t.resolved_at = resolution.map(|_| now);
}

/// Sets a waiting transaction aside: not a payment for any order, or sent back.
pub fn set_aside<S: Store>(
    store: &mut S,
    row_id: i64,
    resolution: Resolution,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Resolved, StoreError> {
    store.write(|store| {
        let mut transaction = match waiting(store, row_id)? {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let before = transaction_state(&transaction);
        transaction.waiting_reason = Some(transaction.status);
        transaction.status = TransactionStatus::Ignored;
        set_resolution(&mut transaction, Some(resolution), note, actor, now);
        store.save_resolution(&transaction, now)?;
        let action = format!("transaction.{}", resolution.as_str());
        audit(
            store,
            &Audit {
                actor,
                action: &action,
                subject: &transaction_subject(&transaction),
                before: Some(&before),
                after: Some(&transaction_state(&transaction)),
                note,
            },
            now,
        )?;
        Ok(Ok(Vec::new()))
    })
}

/// Undoes a link (automatic or by an admin) or a set-aside: the transaction waits again with
/// the reason it had, and a linked amount is taken back from the order.
pub fn undo<S: Store>(
    store: &mut S,
    matching: &MatchingSettings,
    row_id: i64,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Resolved, StoreError> {
    store.write(|store| {
        let Some(mut transaction) = store.bank_transaction_for_update(row_id)? else {
            return Ok(Err(ResolveError::TransactionNotFound));
        };
        let before = transaction_state(&transaction);
        let mut changed = Vec::new();
        let action = match transaction.status {
            TransactionStatus::Matched => {
                let Some(code) = transaction.order_code.clone() else {
                    return Ok(Err(ResolveError::NotLinked));
                };
                if let Some(mut order) = store.orders_for_update(std::slice::from_ref(&code))?.pop()
                {
                    let order_before = order_state(&order);
                    let cause = Cause::Admin(actor.to_owned());
                    if let Err(e) = history::undo_credit(
                        store,
                        &mut order,
                        &transaction,
                        matching,
                        &cause,
                        now,
                        &mut changed,
                    )? {
                        return Ok(Err(e));
                    }
                    audit(
                        store,
                        &Audit {
                            actor,
                            action: "order.debit",
                            subject: &order_subject(&code),
                            before: Some(&order_before),
                            after: Some(&order_state(&order)),
                            note: Some(&transaction_subject(&transaction)),
                        },
                        now,
                    )?;
                }
                transaction.order_code = None;
                "transaction.unlink"
            }
            TransactionStatus::Ignored => "transaction.reopen",
            _ => return Ok(Err(ResolveError::NotSetAside)),
        };
        // An automatic match had no waiting reason: it waits as if no code had been read.
        transaction.status = transaction
            .waiting_reason
            .take()
            .unwrap_or(TransactionStatus::Unmatched);
        set_resolution(&mut transaction, None, None, actor, now);
        store.save_resolution(&transaction, now)?;
        audit(
            store,
            &Audit {
                actor,
                action,
                subject: &transaction_subject(&transaction),
                before: Some(&before),
                after: Some(&transaction_state(&transaction)),
                note,
            },
            now,
        )?;
        crate::notify::outbox::record_changes(store, &changed, now)?;
        Ok(Ok(changed))
    })
}

/// What a cancel came to: `None` when there is no such order, else the order and whether it
/// changed, or why it cannot be cancelled.
pub type Cancelled = Option<Result<(Order, bool), OrderError>>;

/// Cancels an order (the storefront API's and an admin's way alike), audited and recorded in
/// its history with its cause.
pub fn cancel_order<S: Store>(
    store: &mut S,
    code: &OrderCode,
    cause: &Cause,
    now: DateTime<Utc>,
) -> Result<Cancelled, StoreError> {
    store.write(|store| {
        let Some(mut order) = store.orders_for_update(std::slice::from_ref(code))?.pop() else {
            return Ok(None);
        };
        // What readers see already: an overdue order is expired before it is cancelled.
        history::expire_if_due(store, &mut order, now)?;
        let before = order_state(&order);
        let state_before = OrderState::of(&order);
        let result = order.cancel(now);
        if let Ok(true) = result {
            store.update_order(&order)?;
            history::record(
                store,
                &order,
                Some(state_before),
                HistoryEvent::Cancelled,
                cause,
                None,
                now,
            )?;
            crate::notify::outbox::record_changes(store, std::slice::from_ref(code), now)?;
            audit(
                store,
                &Audit {
                    actor: &cause.actor(),
                    action: "order.cancel",
                    subject: &order_subject(code),
                    before: Some(&before),
                    after: Some(&order_state(&order)),
                    note: None,
                },
                now,
            )?;
        }
        Ok(Some(result.map(|changed| (order, changed))))
    })
}

/// Why an order is suggested for a waiting transfer, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// Its code is written in the description and the transfer pays exactly what is due.
    NamedExactAmount,
    /// Its code is written in the description.
    Named,
    /// It is due exactly the transfer's amount (a code one edit away, or created around then).
    ExactAmount,
    /// Its code is one edit away from what the customer typed (`DH1O23` for `DH1023`).
    OneEdit,
}

impl Why {
    /// English, the key of its translation.
    pub fn label(self) -> &'static str {
        match self {
            Why::NamedExactAmount => "Named in the description, exact amount due",
            Why::Named => "Named in the description",
            Why::ExactAmount => "Exact amount due",
            Why::OneEdit => "Code one edit away",
        }
    }
}

/// Open orders an admin may mean, best first: at most `MAX_SUGGESTIONS`.
pub struct Suggestion {
    pub order: Order,
    pub why: Why,
}

const MAX_SUGGESTIONS: usize = 5;
const MAX_TOKENS: usize = 12;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Code-like words of a description: runs of letters and digits (separators between a letter
/// prefix and digits joined, as customers type `DH 1023`), holding at least one digit.
pub fn code_like_tokens(description: &str) -> Vec<String> {
    let normalised = normalise(description);
    let words: Vec<String> = normalised
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let mut tokens: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if (3..=32).contains(&t.len())
            && t.bytes().any(|b| b.is_ascii_digit())
            && !tokens.contains(&t)
        {
            tokens.push(t);
        }
    };
    for (i, word) in words.iter().enumerate() {
        push(word.clone());
        if let Some(next) = words.get(i + 1) {
            if word.bytes().all(|b| b.is_ascii_alphabetic())
                && next.bytes().all(|b| b.is_ascii_digit())
            {
                push(format!("{word}{next}"));
            }
        }
    }
    tokens.truncate(MAX_TOKENS);
    tokens
}

/// Every string one substitution, insertion or deletion away from `token`.
pub fn one_edit_away(token: &str) -> Vec<String> {
    let bytes = token.as_bytes();
    let mut out = Vec::new();
    for i in 0..=bytes.len() {
        for &c in ALPHABET {
            let mut inserted = bytes.to_vec();
            inserted.insert(i, c);
            out.push(inserted);
            if i < bytes.len() && bytes[i] != c {
                let mut replaced = bytes.to_vec();
                replaced[i] = c;
                out.push(replaced);
            }
        }
        if i < bytes.len() {
            let mut deleted = bytes.to_vec();
            deleted.remove(i);
            out.push(deleted);
        }
    }
    out.into_iter()
        .filter_map(|b| String::from_utf8(b).ok())
        .filter(|s| !s.is_empty() && s.len() <= 32)
        .collect()
}

pub fn suggestions<S: Store>(
    store: &mut S,
    transaction: &BankTransaction,
) -> Result<Vec<Suggestion>, StoreError> {
    let tokens = code_like_tokens(&transaction.description);
    let mut codes: Vec<OrderCode> = Vec::new();
    for token in &tokens {
        codes.extend(
            std::iter::once(token.clone())
                .chain(one_edit_away(token))
                .filter_map(|c| OrderCode::parse(&c).ok()),
        );
    }
    codes.sort();
    codes.dedup();
    let mut orders = Vec::new();
    for chunk in codes.chunks(500) {
        orders.extend(store.orders_by_codes(chunk)?);
    }
    let at = transaction.when.unwrap_or(transaction.received_at);
    for order in store.open_orders_with_amount(
        transaction.amount,
        at - Duration::days(3),
        at + Duration::hours(1),
        10,
    )? {
        if !orders.iter().any(|o| o.code == order.code) {
            orders.push(order);
        }
    }
    let now = crate::domain::now();
    let mut ranked: Vec<Suggestion> = orders
        .into_iter()
        .map(|o| o.seen_at(now))
        // Closed and paid orders are not what a waiting transfer is for; they stay reachable
        // by typing their code.
        .filter(|o| o.status.is_open() && transaction.order_code.as_ref() != Some(&o.code))
        .map(|order| {
            let named = tokens
                .iter()
                .any(|t| t.eq_ignore_ascii_case(order.code.as_str()));
            let exact = order.amount_due() == transaction.amount;
            let why = match (named, exact) {
                (true, true) => Why::NamedExactAmount,
                (true, false) => Why::Named,
                (false, true) => Why::ExactAmount,
                (false, false) => Why::OneEdit,
            };
            Suggestion { order, why }
        })
        .collect();
    ranked.sort_by(|a, b| a.why.cmp(&b.why).then(a.order.code.cmp(&b.order.code)));
    ranked.truncate(MAX_SUGGESTIONS);
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_of_a_mangled_description() {
        assert_eq!(code_like_tokens("Thanh toan DH1O23"), ["DH1O23"]);
        assert_eq!(code_like_tokens("dh 1023 chuyen tien"), ["DH1023", "1023"]);
        assert_eq!(code_like_tokens("no digits here"), Vec::<String>::new());
        assert_eq!(
            code_like_tokens("MBVCB.123.DH99"),
            ["MBVCB123", "123", "DH99"]
        );
    }

    #[test]
    fn one_edit_covers_typos() {
        let variants = one_edit_away("DH1O23");
        for typo_fix in ["DH1023", "DH123", "DH1O234", "DH1O2"] {
            assert!(variants.iter().any(|v| v == typo_fix), "{typo_fix}");
        }
        assert!(!variants.iter().any(|v| v == "DH1O23"));
        assert!(!variants.iter().any(|v| v == "XX1O24"));
    }
}
