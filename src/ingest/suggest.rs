//! Open orders an admin may mean for a waiting transfer, ranked: named in the description,
//! its customer the payer, due exactly its amount, or a code one typo away.

use chrono::{DateTime, Duration, Utc};

use crate::db::{AmountWindow, Store, StoreError};
use crate::domain::{BankTransaction, Order, OrderCode};
use crate::matching::normalise;
use crate::matching::payer::{name_words, names};

/// Why an order is suggested for a waiting transfer, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// Its code is written in the description and the transfer pays exactly what is due.
    NamedExactAmount,
    /// Its customer is the payer, and the transfer pays exactly what is due.
    PayerExactAmount,
    /// Its code is written in the description.
    Named,
    /// Its customer is the payer.
    Payer,
    /// The payer's account paid this customer's orders before, and the amount due is exact.
    KnownAccountExactAmount,
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
            Why::PayerExactAmount => "The payer is its customer, exact amount due",
            Why::Named => "Named in the description",
            Why::Payer => "The payer is its customer",
            Why::KnownAccountExactAmount => {
                "This account paid its customer before, exact amount due"
            }
            Why::ExactAmount => "Exact amount due",
            Why::OneEdit => "Code one edit away",
        }
    }
}

/// Open orders an admin may mean, best first: at most `MAX_SUGGESTIONS`.
#[derive(Debug)]
pub struct Suggestion {
    pub order: Order,
    pub why: Why,
}

/// The one order a waiting transfer is most likely for, when there is one.
#[derive(Debug)]
pub enum Best<'a> {
    /// Better than every other suggestion, for this reason.
    One(&'a Suggestion),
    /// Several are as good as each other: an admin chooses.
    Tie,
    None,
}

/// The best suggestion of a ranked list: only when it is strictly better than the next.
pub fn best(ranked: &[Suggestion]) -> Best<'_> {
    match ranked {
        [] => Best::None,
        [first, second, ..] if first.why == second.why => Best::Tie,
        [first, ..] => Best::One(first),
    }
}

/// A list row's one-click suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowBest {
    /// The order the transfer is most likely for, and why.
    One(OrderCode, Why),
    /// Several orders are as likely: an admin chooses.
    Tie,
}

/// The one-click suggestion of each waiting incoming row of a list page, by row id (rows with
/// none left out): a few statements for the page, however many rows it holds ([`RowPage`]).
pub fn best_of_rows<S: Store>(
    store: &mut S,
    rows: &[BankTransaction],
) -> Result<Vec<(i64, RowBest)>, StoreError> {
    let waiting: Vec<&BankTransaction> = rows
        .iter()
        .filter(|t| t.status.is_waiting() && t.amount.is_positive())
        .collect();
    let page = RowPage::read(store, &waiting)?;
    let mut found = Vec::new();
    for t in waiting {
        let ranked = suggestions(store, t, Reach::Row(&page))?;
        match best(&ranked) {
            Best::One(one) => found.push((t.row_id, RowBest::One(one.order.code.clone(), one.why))),
            Best::Tie => found.push((t.row_id, RowBest::Tie)),
            Best::None => {}
        }
    }
    Ok(found)
}

/// How far suggestions look.
#[derive(Clone, Copy, Debug)]
pub enum Reach<'a> {
    /// A transfer's own page: codes one typo away too, and every open order with a customer.
    Full,
    /// A row of a list: only what indexes answer at once (the codes as written, orders due the
    /// amount made around then, the newest open orders with a customer), so that a page of 50
    /// rows costs the same with a million orders as with a thousand. Looking up every code
    /// one typo away takes about a thousand lookups a row. What the page's rows share is read
    /// once for all of them ([`RowPage`]).
    Row(&'a RowPage),
}

/// What the rows of a list page look up, read for all of them at once: the orders any of
/// their descriptions names, the open orders due each row's amount made around then, the
/// customers each payer account paid for before, and the newest open orders with a customer
/// (when a row has a payer to compare). A few statements a page, however many rows.
#[derive(Debug)]
pub struct RowPage {
    named: Vec<Order>,
    newest_named: Vec<Order>,
    with_amount: Vec<(AmountWindow, Vec<Order>)>,
    paid_from: Vec<(String, Vec<String>)>,
}

impl RowPage {
    fn read<S: Store>(store: &mut S, rows: &[&BankTransaction]) -> Result<RowPage, StoreError> {
        let named = orders_named(
            store,
            rows.iter().flat_map(|t| code_like_tokens(&t.description)),
        )?;
        let payers = rows
            .iter()
            .any(|t| t.payer.name.is_some() || t.payer.account.is_some());
        let newest_named = match payers {
            true => store.newest_open_named_orders(ROW_NAMED_ORDERS)?,
            false => Vec::new(),
        };
        let mut windows: Vec<AmountWindow> = Vec::new();
        for window in rows.iter().map(|t| amount_window(t)) {
            if !windows.contains(&window) {
                windows.push(window);
            }
        }
        let with_amount = store.open_orders_in(&windows, AMOUNT_ORDERS)?;
        let mut accounts: Vec<&str> = rows
            .iter()
            .filter_map(|t| t.payer.account.as_deref())
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        let paid_from = store.customers_paid_from(&accounts)?;
        Ok(RowPage {
            named,
            newest_named,
            with_amount: windows.into_iter().zip(with_amount).collect(),
            paid_from: accounts
                .into_iter()
                .map(str::to_owned)
                .zip(paid_from)
                .collect(),
        })
    }
}

/// What was read for `key` (for one of the rows the page was read for).
fn read_for<K: PartialEq<Q>, Q: ?Sized, T: Clone>(answers: &[(K, Vec<T>)], key: &Q) -> Vec<T> {
    answers
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, read)| read.clone())
        .unwrap_or_default()
}

/// The open orders of the transfer's amount a suggestion looks at: made in the three days
/// before it, or within the hour after (a bank's clock ahead of the shop's).
fn amount_window(transaction: &BankTransaction) -> AmountWindow {
    let at = transfer_time(transaction);
    AmountWindow {
        amount: transaction.amount,
        from: at - Duration::days(3),
        to: at + Duration::hours(1),
    }
}

/// When the bank says the transfer was made, else when it reached us.
fn transfer_time(transaction: &BankTransaction) -> DateTime<Utc> {
    transaction.when.unwrap_or(transaction.received_at)
}

/// Open orders due a transfer's amount that a suggestion looks at, newest first.
const AMOUNT_ORDERS: i64 = 10;

/// Open orders with a customer a list row looks through for the payer, newest first.
const ROW_NAMED_ORDERS: i64 = 200;

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

/// The orders whose codes are among `codes` (strings that are no code are left out).
fn orders_named<S: Store>(
    store: &mut S,
    codes: impl Iterator<Item = String>,
) -> Result<Vec<Order>, StoreError> {
    let mut codes: Vec<OrderCode> = codes.filter_map(|c| OrderCode::parse(&c).ok()).collect();
    codes.sort();
    codes.dedup();
    let mut orders = Vec::new();
    for chunk in codes.chunks(500) {
        orders.extend(store.orders_by_codes(chunk)?);
    }
    Ok(orders)
}

pub fn suggestions<S: Store>(
    store: &mut S,
    transaction: &BankTransaction,
    reach: Reach,
) -> Result<Vec<Suggestion>, StoreError> {
    let tokens = code_like_tokens(&transaction.description);
    let mut orders = match reach {
        Reach::Full => {
            let codes = tokens
                .iter()
                .flat_map(|token| std::iter::once(token.clone()).chain(one_edit_away(token)));
            orders_named(store, codes)?
        }
        Reach::Row(page) => page
            .named
            .iter()
            .filter(|o| tokens.iter().any(|t| t == o.code.as_str()))
            .cloned()
            .collect(),
    };
    let at = transfer_time(transaction);
    let window = amount_window(transaction);
    let with_amount = match reach {
        Reach::Full => store
            .open_orders_in(&[window], AMOUNT_ORDERS)?
            .pop()
            .unwrap_or_default(),
        Reach::Row(page) => read_for(&page.with_amount, &window),
    };
    for order in with_amount {
        if !orders.iter().any(|o| o.code == order.code) {
            orders.push(order);
        }
    }
    // Open orders whose customer the payer is (their name wholly in the payer's), or whose
    // customer this payer account paid for before.
    let payer = transaction.payer.name.as_deref().map(name_words);
    let is_payer = |o: &Order| {
        let customer = o.customer.name.as_deref().map(name_words);
        payer
            .as_ref()
            .zip(customer)
            .is_some_and(|(payer, customer)| names(payer, &customer))
    };
    let paid_before = match (transaction.payer.account.as_deref(), reach) {
        (Some(account), Reach::Full) => store
            .customers_paid_from(&[account])?
            .pop()
            .unwrap_or_default(),
        (Some(account), Reach::Row(page)) => read_for(&page.paid_from, account),
        (None, _) => Vec::new(),
    };
    let known_account = |o: &Order| {
        o.customer
            .name
            .as_ref()
            .is_some_and(|name| paid_before.contains(name))
    };
    if payer.is_some() || !paid_before.is_empty() {
        let read;
        let open: &[Order] = match reach {
            Reach::Full => {
                read = store.open_orders_for_payer(transaction.amount, at - Duration::days(3))?;
                &read
            }
            // The page's orders, shared by its rows: only the likely ones are copied.
            Reach::Row(page) => &page.newest_named,
        };
        for order in open {
            let likely = is_payer(order)
                || (known_account(order) && order.amount_due() == transaction.amount);
            if likely && !orders.iter().any(|o| o.code == order.code) {
                orders.push(order.clone());
            }
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
            let why = match (named, is_payer(&order), exact) {
                (true, _, true) => Why::NamedExactAmount,
                (false, true, true) => Why::PayerExactAmount,
                (true, _, false) => Why::Named,
                (false, true, false) => Why::Payer,
                (false, false, true) if known_account(&order) => Why::KnownAccountExactAmount,
                (false, false, true) => Why::ExactAmount,
                (false, false, false) => Why::OneEdit,
            };
            Suggestion { order, why }
        })
        .collect();
    // Within a reason, the order made closest to the transfer first (it is the likelier one).
    let distance = |s: &Suggestion| (at - s.order.created_at).num_seconds().abs();
    ranked.sort_by(|a, b| {
        a.why
            .cmp(&b.why)
            .then(distance(a).cmp(&distance(b)))
            .then(a.order.code.cmp(&b.order.code))
    });
    ranked.truncate(MAX_SUGGESTIONS);
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggestion(code: &str, why: Why) -> Suggestion {
        let order = Order::pending(
            OrderCode::parse(code).unwrap(),
            crate::domain::Money::parse("1000").unwrap(),
            "VND",
            chrono::Utc::now(),
        );
        Suggestion { order, why }
    }

    #[test]
    fn the_best_is_only_one_strictly_better_than_the_rest() {
        assert!(matches!(best(&[]), Best::None));
        let one = [suggestion("DH1", Why::Named)];
        assert!(matches!(best(&one), Best::One(s) if s.order.code.as_str() == "DH1"));
        let ahead = [
            suggestion("DH1", Why::NamedExactAmount),
            suggestion("DH2", Why::Named),
        ];
        assert!(matches!(best(&ahead), Best::One(s) if s.order.code.as_str() == "DH1"));
        let tie = [
            suggestion("DH1", Why::ExactAmount),
            suggestion("DH2", Why::ExactAmount),
        ];
        assert!(matches!(best(&tie), Best::Tie));
    }

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
