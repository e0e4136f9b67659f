//! Amounts as a Vietnamese user types them into a filter: `100.000`, `100,000`, `100000`,
//! `100k`, `1,5tr`, `150.000 ₫`.
//!
//! Rules, in order:
//! - spaces (also no-break spaces) are ignored; a trailing `đ`, `₫`, `d` or `vnd` is dropped;
//! - a trailing `k` multiplies by 1,000, `tr` or `m` (triệu, million) by 1,000,000;
//! - with both `.` and `,` in the number, the last one is the decimal mark and the other kind
//!   groups thousands (`1.234.567,5`, `1,234,567.5`);
//! - with one kind only, a mark followed by exactly three digits groups thousands (`100.000`,
//!   `1,000,000`), and a single mark followed by any other count of digits is the decimal
//!   mark (`1.5`, `1,5tr`, `10.25`). So `1.500` is one thousand five hundred, never 1.5;
//! - grouped digits must be grouped properly: 1–3 digits, then groups of exactly three.
//!
//! Anything else is not read at all (an error), rather than guessed.

use rust_decimal::Decimal;

use super::money::{Money, MoneyError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountInputError {
    #[error("not an amount: write it as 100000, 100.000 or 100k")]
    NotAnAmount,
    #[error("an amount has at most 4 decimal places")]
    TooPrecise,
    #[error("the amount is too large")]
    TooLarge,
}

impl From<MoneyError> for AmountInputError {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::NotANumber => AmountInputError::NotAnAmount,
            MoneyError::TooPrecise => AmountInputError::TooPrecise,
            MoneyError::TooLarge => AmountInputError::TooLarge,
        }
    }
}

/// Reads what a person typed as an amount (see the module's rules).
pub fn parse_amount_input(text: &str) -> Result<Money, AmountInputError> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let without_currency = ["vnd", "₫", "đ", "d"]
        .iter()
        .find_map(|unit| compact.strip_suffix(unit))
        .unwrap_or(&compact);
    let (number, multiplier) = [("k", 1_000), ("tr", 1_000_000), ("m", 1_000_000)]
        .iter()
        .find_map(|(suffix, factor)| Some((without_currency.strip_suffix(suffix)?, *factor)))
        .unwrap_or((without_currency, 1));
    let (sign, digits) = number
        .strip_prefix('-')
        .map_or(("", number), |rest| ("-", rest));
    let plain = plain_decimal(digits).ok_or(AmountInputError::NotAnAmount)?;
    let value = Decimal::from_str_exact(&format!("{sign}{plain}"))
        .map_err(|_| AmountInputError::TooLarge)?
        .checked_mul(Decimal::from(multiplier))
        .ok_or(AmountInputError::TooLarge)?;
    Ok(Money::from_decimal(value)?)
}

/// `1.234.567,5` → `1234567.5`: the digits with grouping marks removed and the decimal mark
/// written as `.`; `None` when the marks do not follow the rules.
fn plain_decimal(text: &str) -> Option<String> {
    if text.is_empty()
        || !text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let decimal_mark = decimal_mark(text)?;
    let (whole, fraction) = match decimal_mark {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut groups = whole.split(['.', ',']);
    let first = groups.next()?;
    let rest: Vec<&str> = groups.collect();
    let grouped_ok =
        rest.is_empty() || ((1..=3).contains(&first.len()) && rest.iter().all(|g| g.len() == 3));
    if first.is_empty() || !grouped_ok {
        return None;
    }
    let mut plain: String = whole.chars().filter(char::is_ascii_digit).collect();
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        plain.push('.');
        plain.push_str(fraction);
    }
    Some(plain)
}

/// Where the decimal mark is, if there is one; `None` (outer) when the marks contradict
/// each other (`1.000,000.5`).
fn decimal_mark(text: &str) -> Option<Option<usize>> {
    let Some(last) = text.rfind(['.', ',']) else {
        return Some(None);
    };
    let mark = text[last..].chars().next()?;
    let other = if mark == '.' { ',' } else { '.' };
    if text.contains(other) {
        // Both kinds: the last is the decimal mark, and it must be the only one of its kind.
        return (text.matches(mark).count() == 1 && !text[last..].contains(other))
            .then_some(Some(last));
    }
    let single = text.matches(mark).count() == 1;
    let digits_after = text.len() - last - 1;
    Some((single && digits_after != 3).then_some(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<String, AmountInputError> {
        parse_amount_input(text).map(|m| m.to_string())
    }

    #[test]
    fn one_hundred_thousand_however_it_is_typed() {
        for text in [
            "100000",
            "100.000",
            "100,000",
            "100k",
            "100K",
            " 100 000 ",
            "100\u{a0}000",
            "100.000đ",
            "100.000 ₫",
            "100,000 VND",
            "100000d",
            "0,1tr",
            "0.1m",
            "100.000,0",
            "100,000.00",
        ] {
            assert_eq!(read(text).as_deref(), Ok("100000"), "{text:?}");
        }
    }

    #[test]
    fn millions() {
        for text in [
            "1tr",
            "1m",
            "1TR",
            "1.000.000",
            "1,000,000",
            "1000k",
            "1.000k",
        ] {
            assert_eq!(read(text).as_deref(), Ok("1000000"), "{text:?}");
        }
        assert_eq!(read("1,5tr").as_deref(), Ok("1500000"));
        assert_eq!(read("1.5tr").as_deref(), Ok("1500000"));
        assert_eq!(read("2,25m").as_deref(), Ok("2250000"));
        assert_eq!(read("1.5k").as_deref(), Ok("1500"));
    }

    #[test]
    fn a_mark_before_three_digits_groups_otherwise_it_is_the_decimal_mark() {
        assert_eq!(read("1.500").as_deref(), Ok("1500"));
        assert_eq!(read("1,500").as_deref(), Ok("1500"));
        assert_eq!(read("1.5").as_deref(), Ok("1.5"));
        assert_eq!(read("1,5").as_deref(), Ok("1.5"));
        assert_eq!(read("10.25").as_deref(), Ok("10.25"));
        assert_eq!(read("0.0001").as_deref(), Ok("0.0001"));
        assert_eq!(read("1000.000"), Err(AmountInputError::NotAnAmount));
    }

    #[test]
    fn both_marks_the_last_is_decimal() {
        assert_eq!(read("1.234.567,5").as_deref(), Ok("1234567.5"));
        assert_eq!(read("1,234,567.5").as_deref(), Ok("1234567.5"));
        assert_eq!(read("1.234,567").as_deref(), Ok("1234.567"));
        assert_eq!(read("1,234.567").as_deref(), Ok("1234.567"));
    }

    #[test]
    fn negative_amounts_for_money_going_out() {
        assert_eq!(read("-50.000").as_deref(), Ok("-50000"));
        assert_eq!(read("-50k").as_deref(), Ok("-50000"));
        assert_eq!(read("0").as_deref(), Ok("0"));
    }

    #[test]
    fn what_cannot_be_read_is_an_error() {
        for text in [
            "",
            " ",
            "k",
            "tr",
            "abc",
            "100x",
            "1e5",
            "--1",
            "+100",
            "1..000",
            "1.00.000",
            "10.00.000",
            "1.000,000.5",
            "1,000.000,5",
            ".5",
            "5.",
            "1.000.",
            ",000",
            "1,0000,000",
            "1.2.3",
            "100 000 k x",
            "1kk",
            "k100",
            "1.000.0000",
            "đ",
            "-",
            "1-000",
        ] {
            assert_eq!(read(text), Err(AmountInputError::NotAnAmount), "{text:?}");
        }
    }

    #[test]
    fn precision_and_size_limits() {
        assert_eq!(read("0.00001"), Err(AmountInputError::TooPrecise));
        assert_eq!(read("0,00001"), Err(AmountInputError::TooPrecise));
        assert_eq!(read("0.00001k").as_deref(), Ok("0.01"));
        assert_eq!(
            read("999999999999999999999999999tr"),
            Err(AmountInputError::TooLarge)
        );
        assert_eq!(
            read("1.000.000.000.000.000.000"),
            Err(AmountInputError::TooLarge)
        );
    }
}
