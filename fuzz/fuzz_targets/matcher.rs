//! The matcher on any description: normalise, read with the default pattern, decide with no
//! orders and with orders for the candidates in any status.
#![no_main]

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use paymatch_core::domain::{Allocation, Money, Order, OrderCode, OrderStatus};
use paymatch_core::matching::{decide, normalise, read, MatchDecision, Patterns, Reading};
use unicode_normalization::char::is_combining_mark;

static PATTERNS: LazyLock<Patterns> = LazyLock::new(Patterns::default);

/// Every letter of Vietnamese that carries a mark, lower case; upper case is derived.
const VIETNAMESE: &str = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ";
static VIETNAMESE_BOTH_CASES: LazyLock<Vec<char>> = LazyLock::new(|| {
    VIETNAMESE
        .chars()
        .flat_map(|c| [c].into_iter().chain(c.to_uppercase()))
        .collect()
});

/// What a person does not see between a code and the character glued to it.
const INVISIBLE: &[&str] = &[
    "",
    "\u{200b}",
    "\u{200d}\u{2060}",
    "\u{feff}",
    "\u{00ad}",
    "\u{200f}",
];

/// A code to slip into the description: how the customer spelled `DH`, the separator, digits,
/// where, and a character glued on its right.
type Insert = (u8, u8, u64, u8, u16, Option<char>);

fuzz_target!(|input: (&str, i64, bool, Option<Insert>, &[u8])| {
    let (description, units, provider_test, insert, statuses) = input;
    check_normalise(description);
    // The same text with every non-ASCII character replaced by a Vietnamese letter.
    let vietnamese: String = description
        .chars()
        .map(|c| match c {
            _ if c.is_ascii() => c,
            _ => VIETNAMESE_BOTH_CASES[c as usize % VIETNAMESE_BOTH_CASES.len()],
        })
        .collect();
    let normalised = check_normalise(&vietnamese);
    assert!(
        normalised.is_ascii(),
        "{vietnamese:?} kept a mark: {normalised:?}"
    );

    let amount = Money::from_units(units);
    let (description, inserted) = match insert {
        Some(insert) => {
            let (with, code, at) = with_code(description, insert);
            // The text on either side may spell the same code by itself.
            let (left, right) = description.split_at(at);
            let elsewhere = [left, right]
                .iter()
                .any(|part| PATTERNS.candidates(&normalise(part)).contains(&code));
            (with, Some((code, insert.5, elsewhere)))
        }
        None => (description.to_owned(), None),
    };
    let reading = read(&description, amount, provider_test, &PATTERNS);
    check_reading(&reading, &description, amount, provider_test);
    if let (Some((code, glued, elsewhere)), None) = (inserted, &reading.settled) {
        // A letter or digit of any script glued on the right (after any invisible
        // characters) makes a longer token: it never names the shorter code.
        // What touches the code is the first character of its reading (`㏂` reads `A.M.`: a
        // letter; `㈳` reads `(社)`: a symbol, as a person sees it).
        let lengthens = glued.is_some_and(|x| {
            normalise(&x.to_string())
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
        });
        assert_eq!(
            reading.candidates.contains(&code),
            !lengthens || elsewhere,
            "{code} glued to {glued:?} in {description:?}: {:?}",
            reading.candidates
        );
        if lengthens && !elsewhere {
            let open = [order(code.clone(), OrderStatus::Pending)];
            assert_ne!(decide(&reading, &open), MatchDecision::Matched(code));
        }
    }
    check_decisions(&reading, statuses);
});

/// The contract: compatibility forms, combining marks and invisible characters dropped,
/// `Đ` → `D`, upper case.
fn check_normalise(text: &str) -> String {
    let normalised = normalise(text);
    assert_eq!(normalise(text), normalised, "deterministic");
    if text.is_ascii() {
        // Control characters read as spaces; the rest is upper-cased.
        let expected: String = text
            .chars()
            .map(|c| match c {
                _ if c.is_ascii_control() => ' ',
                _ => c.to_ascii_uppercase(),
            })
            .collect();
        assert_eq!(normalised, expected);
    }
    for c in normalised.chars() {
        assert!(!c.is_control(), "{c:?} left in {normalised:?}");
        assert!(
            !c.is_ascii_lowercase(),
            "{c:?} left in lower case in {normalised:?}"
        );
        assert!(!matches!(c, 'đ' | 'Đ'), "{c:?} left in {normalised:?}");
        assert!(
            !is_combining_mark(c),
            "mark {c:?} left in {normalised:?} from {text:?}"
        );
    }
    normalised
}

/// Puts ` <DH><separator><digits><glued> ` at a character boundary, the glued character behind
/// invisible ones; returns the code the digits spell and where the insertion went.
fn with_code(
    description: &str,
    (prefix, separator, number, width, at, glued): Insert,
) -> (String, OrderCode, usize) {
    let prefix = ["DH", "dh", "Dh", "ĐH", "đh", "Đh"][usize::from(prefix) % 6];
    let separator = ["", " ", "-", ".", "_", " - ", "__"][usize::from(separator) % 7];
    // Up to 30 digits: codes are at most 32 characters.
    let digits = format!("{number:0width$}", width = usize::from(width) % 31);
    let at = (0..=description.len())
        .filter(|&i| description.is_char_boundary(i))
        .nth(usize::from(at) % (description.chars().count() + 1))
        .unwrap_or(0);
    let glued = glued
        .map(|x| format!("{}{x}", INVISIBLE[usize::from(width) % INVISIBLE.len()]))
        .unwrap_or_default();
    let text = format!(
        "{} {prefix}{separator}{digits}{glued} {}",
        &description[..at],
        &description[at..]
    );
    let code = OrderCode::parse(&format!("DH{digits}")).expect("a valid code");
    (text, code, at)
}

fn check_reading(reading: &Reading, description: &str, amount: Money, provider_test: bool) {
    assert_eq!(
        *reading,
        read(description, amount, provider_test, &PATTERNS)
    );
    match &reading.settled {
        Some(settled) => {
            assert!(reading.candidates.is_empty());
            if provider_test {
                assert_eq!(*settled, MatchDecision::Test);
            } else if *settled == MatchDecision::Outgoing {
                assert!(amount.is_negative());
            } else {
                assert_eq!(*settled, MatchDecision::Test);
                assert_eq!(normalise(description).trim(), "GIAO DICH THU NGHIEM");
            }
        }
        None => assert!(!provider_test && !amount.is_negative()),
    }
    for (i, code) in reading.candidates.iter().enumerate() {
        let text = code.as_str();
        assert!((1..=32).contains(&text.len()), "{text:?}");
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        // The default pattern: `DH` and digits.
        assert!(text.starts_with("DH") && text[2..].bytes().all(|b| b.is_ascii_digit()));
        assert!(!reading.candidates[..i].contains(code), "{code} repeated");
    }
}

/// `decide` against no orders, then against orders for some candidates in any status.
fn check_decisions(reading: &Reading, statuses: &[u8]) {
    let none = decide(reading, &[]);
    match (&reading.settled, reading.candidates.is_empty()) {
        (Some(settled), _) => assert_eq!(none, *settled),
        (None, true) => assert_eq!(none, MatchDecision::Unmatched),
        (None, false) => assert_eq!(none, MatchDecision::UnknownOrder),
    }

    // Byte i: whether candidate i has an order (odd) and its status.
    let mut orders: Vec<Order> = reading
        .candidates
        .iter()
        .zip(statuses)
        .filter(|(_, &b)| b & 1 == 1)
        .map(|(code, &b)| order(code.clone(), OrderStatus::ALL[usize::from(b >> 1) % 6]))
        .collect();
    // An order no description can name does not change anything.
    orders.push(order(
        OrderCode::parse("X").expect("valid"),
        OrderStatus::Pending,
    ));
    let decision = decide(reading, &orders);
    orders.reverse();
    assert_eq!(
        decide(reading, &orders),
        decision,
        "order of the list matters"
    );

    let named: Vec<&Order> = reading
        .candidates
        .iter()
        .filter_map(|c| orders.iter().find(|o| &o.code == c))
        .collect();
    let expected = match (&reading.settled, named.as_slice()) {
        (Some(settled), _) => settled.clone(),
        (None, []) => none,
        (None, [one]) if one.status.is_closed() => MatchDecision::OrderClosed(one.code.clone()),
        (None, [one]) => MatchDecision::Matched(one.code.clone()),
        // Every order here is unpaid and owes 100: a transfer of exactly 100 each pays them.
        (None, several)
            if several
                .iter()
                .all(|o| !o.status.is_closed() && o.amount_due().is_positive())
                && reading.amount.to_units()
                    == i64::try_from(several.len()).ok().map(|n| n * 1_000_000) =>
        {
            MatchDecision::Combined(
                several
                    .iter()
                    .map(|o| Allocation {
                        order_code: o.code.clone(),
                        amount: o.amount_due(),
                    })
                    .collect(),
            )
        }
        (None, several) => {
            MatchDecision::Ambiguous(several.iter().map(|o| o.code.clone()).collect())
        }
    };
    assert_eq!(decision, expected);
    let code = match &decision {
        MatchDecision::Matched(c) | MatchDecision::OrderClosed(c) => Some(c),
        _ => None,
    };
    assert_eq!(decision.order_code(), code);
}

fn order(code: OrderCode, status: OrderStatus) -> Order {
    let (amount, at) = (Money::from_units(1_000_000), DateTime::<Utc>::UNIX_EPOCH);
    Order {
        status,
        ..Order::pending(code, amount, "VND", at)
    }
}
