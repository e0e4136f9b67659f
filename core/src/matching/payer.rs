//! Transfers without a code, matched by who paid (contract: "Transfers without a code").
//!
//! A transfer in which no pattern finds a code is applied to an order only when nothing else
//! could be meant: exactly one open order is due exactly its amount (created in the window
//! before it), that order's customer name is wholly in the payer's name, and no other open
//! order's customer is. Names are compared as words, without diacritics and case: `An` is not
//! in `NGUYEN VAN ANH`. Everything else waits for a person, with the likely orders first.

use chrono::{DateTime, Duration, Utc};

use super::normalise::normalise;
use crate::domain::{Money, Order};

/// How a transfer without a code may be matched (`[matching] payer_window_hours`,
/// `match_without_code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayerRule {
    /// How long before the transfer its order may have been made.
    pub window: Duration,
    /// `false`: the orders are only suggested.
    pub enabled: bool,
}

impl Default for PayerRule {
    fn default() -> Self {
        PayerRule {
            window: Duration::hours(72),
            enabled: true,
        }
    }
}

/// Bank and server clocks differ: an order made up to this long after the bank's time of the
/// transfer may still be the one it paid (as for the suggestions by amount).
const CLOCK_SLACK: Duration = Duration::hours(1);

/// Why a transfer without a code was not applied by its payer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotByPayer {
    /// No open order made in the window is due exactly the amount.
    NoOrderOfAmount,
    /// Several are: the amount does not tell which.
    SeveralOrdersOfAmount,
    /// The one order of the amount has no customer name to compare.
    NoCustomerName,
    /// Neither the provider nor the description names the payer.
    NoPayerName,
    /// The payer is not the order's customer.
    NameDiffers,
    /// Another open order's customer has the payer's name too.
    OtherCustomer,
    /// Everything holds, but `match_without_code` is off.
    Off,
}

/// The words of a person's name as compared: without diacritics, case, marks or invisible
/// characters (`Nguyễn Văn An` → `NGUYEN`, `VAN`, `AN`).
pub fn name_words(name: &str) -> Vec<String> {
    normalise(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether every word of `customer` is a word of `payer`, as many times as it is written
/// (`VAN VAN` needs two). An empty customer name names nobody.
pub fn names(payer: &[String], customer: &[String]) -> bool {
    if customer.is_empty() {
        return false;
    }
    let mut left: Vec<&String> = payer.iter().collect();
    customer
        .iter()
        .all(|word| match left.iter().position(|p| *p == word) {
            Some(at) => {
                left.swap_remove(at);
                true
            }
            None => false,
        })
}

/// The open order a transfer without a code paid, by its payer, or why none can be said to be.
/// `open_orders` are the shop's orders still waiting for money (as seen at the transfer's time);
/// `payer` is the provider's name for the payer, else the one read from the description.
pub fn match_by_payer<'a>(
    amount: Money,
    payer: Option<&str>,
    at: DateTime<Utc>,
    open_orders: &'a [Order],
    rule: PayerRule,
) -> Result<&'a Order, NotByPayer> {
    let open: Vec<&Order> = open_orders.iter().filter(|o| o.is_open_at(at)).collect();
    let mut of_amount = open.iter().filter(|o| {
        o.amount_due() == amount
            && o.created_at >= at - rule.window
            && o.created_at <= at + CLOCK_SLACK
    });
    let order = match (of_amount.next(), of_amount.next()) {
        (None, _) => return Err(NotByPayer::NoOrderOfAmount),
        (Some(_), Some(_)) => return Err(NotByPayer::SeveralOrdersOfAmount),
        (Some(order), None) => *order,
    };
    let customer = order
        .customer
        .name
        .as_deref()
        .map(name_words)
        .filter(|w| !w.is_empty())
        .ok_or(NotByPayer::NoCustomerName)?;
    let payer = payer
        .map(name_words)
        .filter(|w| !w.is_empty())
        .ok_or(NotByPayer::NoPayerName)?;
    if !names(&payer, &customer) {
        return Err(NotByPayer::NameDiffers);
    }
    let another = open.iter().any(|o| {
        o.code != order.code
            && o.customer
                .name
                .as_deref()
                .is_some_and(|name| names(&payer, &name_words(name)))
    });
    if another {
        return Err(NotByPayer::OtherCustomer);
    }
    if !rule.enabled {
        return Err(NotByPayer::Off);
    }
    Ok(order)
}

/// Words that start what a transfer is for, not who sent it (`… NGUYEN VAN A chuyen tien`).
const PURPOSE_WORDS: [&str; 4] = ["CHUYEN", "CK", "GUI", "NOP"];

/// A name read from a description is at most this many words (Vietnamese names have 2–5).
const MAX_NAME_WORDS: usize = 6;

/// The payer's name as banks write it into a description, when the provider gives none
/// (SePay, Casso v1). Names are what banks write in capitals; three shapes are read:
/// - `… CT tu <account> NGUYEN VAN A toi …` (Vietcombank, MB; MB may split `toi` as `to i`);
/// - `IB NGUYEN VAN A …` (internet banking prefix), up to the first word that is not a name;
/// - `NGUYEN VAN A chuyen …` (also `CK`, `gui`, `nop`), the capitals just before it.
///
/// Anything else reads no name (`None`): a transfer whose payer is not known is never applied
/// by name, so reading too little is safe and reading a wrong name is not.
pub fn payer_in_description(description: &str) -> Option<String> {
    let tokens: Vec<&str> = description
        .split(|c: char| c.is_whitespace() || matches!(c, '.' | ';' | ',' | '/' | '-' | ':'))
        .filter(|t| !t.is_empty())
        .collect();
    let name_from = |words: &[&str]| -> Option<String> {
        (2..=MAX_NAME_WORDS)
            .contains(&words.len())
            .then(|| words.join(" "))
    };
    // `CT tu <digits> NAME toi`
    for (i, pair) in tokens.windows(3).enumerate() {
        let is_ct = pair[0].eq_ignore_ascii_case("CT") && pair[1].eq_ignore_ascii_case("tu");
        if is_ct && pair[2].chars().all(|c| c.is_ascii_digit()) {
            let rest = &tokens[i + 3..];
            let end = rest.iter().take_while(|t| is_name_word(t)).count();
            let closed = rest
                .get(end)
                .is_some_and(|t| t.eq_ignore_ascii_case("toi") || t.eq_ignore_ascii_case("to"));
            return closed.then(|| name_from(&rest[..end])).flatten();
        }
    }
    // `IB NAME …`
    if let Some(at) = tokens.iter().position(|t| *t == "IB") {
        let rest = &tokens[at + 1..];
        let end = rest
            .iter()
            .take_while(|t| is_name_word(t) && !is_purpose(t))
            .count();
        return name_from(&rest[..end]);
    }
    // `NAME chuyen …`
    let purpose = tokens.iter().position(|t| is_purpose(t))?;
    let start = tokens[..purpose]
        .iter()
        .rposition(|t| !is_name_word(t))
        .map_or(0, |k| k + 1);
    name_from(&tokens[start..purpose])
}

/// A word of a name as banks write it: letters only, in capitals (with or without diacritics).
fn is_name_word(token: &str) -> bool {
    !token.is_empty() && token.chars().all(|c| c.is_alphabetic() && c.is_uppercase())
}

fn is_purpose(token: &str) -> bool {
    PURPOSE_WORDS.iter().any(|w| token.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests;
