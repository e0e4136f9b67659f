//! Exact amounts. Stored as a count of ten-thousandths in a 64-bit integer, so both databases
//! hold them exactly and sum them without floating point.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// Digits after the point that an amount may carry, whatever the currency.
pub const SCALE: u32 = 4;
const UNITS_PER_WHOLE: i64 = 10_000;

/// An exact amount of money with at most four decimal places. It may be negative (money leaving
/// the account); order amounts are checked to be positive where they are created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("an amount must be a decimal number such as 150000 or 10.5")]
    NotANumber,
    #[error("an amount has at most 4 decimal places")]
    TooPrecise,
    #[error("the amount is too large")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses the text of a JSON number or string: plain (`79000`, `79000.0`, `-0.1`) or with an
    /// exponent (`1e5`), exactly. Trailing zeros beyond four places are allowed (`1.00000`).
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let text = text.trim();
        let valid_chars = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
        if !valid_chars || !text.chars().any(|c| c.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        let value = if let Some((_, exponent)) = text.split_once(['e', 'E']) {
            // Decimal holds 28 digits: a larger exponent is out of range either way.
            match exponent.parse::<i32>() {
                Ok(e) if e > 28 => return Err(MoneyError::TooLarge),
                Ok(e) if e < -28 => return Err(MoneyError::TooPrecise),
                Ok(_) => Decimal::from_scientific(text),
                Err(_) => return Err(MoneyError::NotANumber),
            }
        } else {
            Decimal::from_str_exact(text)
        }
        .map_err(|e| match e {
            rust_decimal::Error::Underflow => MoneyError::TooPrecise,
            rust_decimal::Error::ExceedsMaximumPossibleValue
            | rust_decimal::Error::LessThanMinimumPossibleValue => MoneyError::TooLarge,
            _ if digit_count(text) > 28 => MoneyError::TooLarge,
            _ => MoneyError::NotANumber,
        })?;
        Money::from_decimal(value)
    }

    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        let value = value.normalize();
        if value.scale() > SCALE {
            return Err(MoneyError::TooPrecise);
        }
        // Must fit the storage form.
        let money = Money(value);
        money.to_units().ok_or(MoneyError::TooLarge)?;
        Ok(money)
    }

    /// The storage form: a count of ten-thousandths.
    pub fn to_units(self) -> Option<i64> {
        let units = self.0.checked_mul(Decimal::from(UNITS_PER_WHOLE))?;
        i64::try_from(units).ok()
    }

    pub fn from_units(units: i64) -> Money {
        Money(Decimal::new(units, SCALE).normalize())
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.0.is_sign_positive() && !self.0.is_zero()
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Sum that stays representable in storage; `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        let sum = Money(self.0.checked_add(other.0)?.normalize());
        sum.to_units().map(|_| sum)
    }

    /// A total of amounts already accepted (a list's money in, a day on the dashboard): it may
    /// pass what one stored amount can be, so adding never fails. Never stored.
    pub fn plus(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0).normalize())
    }

    /// A total read back as ten-thousandths in a wider integer than one amount's.
    pub fn from_total_units(units: i128) -> Money {
        let value = Decimal::try_from_i128_with_scale(units, SCALE).unwrap_or(if units < 0 {
            Decimal::MIN
        } else {
            Decimal::MAX
        });
        Money(value.normalize())
    }

    pub fn saturating_sub_to_zero(self, other: Money) -> Money {
        let diff = self.0 - other.0;
        if diff.is_sign_negative() {
            Money::ZERO
        } else {
            Money(diff.normalize())
        }
    }
}

fn digit_count(text: &str) -> usize {
    text.chars().filter(char::is_ascii_digit).count()
}

/// The contract's form: no exponent, no trailing zeros after the point, no point for whole
/// numbers.
impl Money {
    /// The amount with its whole digits grouped by threes: `grouped('.', ',')` writes
    /// 1234567.5 as `1.234.567,5` (Vietnamese), `grouped(',', '.')` as `1,234,567.5`.
    pub fn grouped(self, group: char, point: char) -> String {
        let text = self.to_string();
        let (sign, digits) = text
            .strip_prefix('-')
            .map_or(("", text.as_str()), |d| ("-", d));
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let mut grouped = String::from(sign);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(c);
        }
        if !fraction.is_empty() {
            grouped.push(point);
            grouped.push_str(fraction);
        }
        grouped
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.0.normalize();
        if value.is_zero() {
            f.write_str("0")
        } else {
            write!(f, "{value}")
        }
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// Sent as a JSON string, as the contract asks.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Received as a JSON number or string, parsed exactly (serde_json keeps the number's text).
impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Money::from_json(&value).map_err(serde::de::Error::custom)
    }
}

impl Money {
    /// A JSON number (its exact text) or a string holding one.
    pub fn from_json(value: &serde_json::Value) -> Result<Money, MoneyError> {
        match value {
            serde_json::Value::Number(n) => Money::parse(&n.to_string()),
            serde_json::Value::String(s) => Money::parse(s),
            _ => Err(MoneyError::NotANumber),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_by_threes_in_either_writing() {
        let m = |t| Money::parse(t).unwrap();
        assert_eq!(m("1234567.5").grouped('.', ','), "1.234.567,5");
        assert_eq!(m("1234567.5").grouped(',', '.'), "1,234,567.5");
        assert_eq!(m("-150000").grouped('.', ','), "-150.000");
        assert_eq!(m("999").grouped('.', ','), "999");
        assert_eq!(m("0").grouped('.', ','), "0");
    }

    fn m(s: &str) -> Money {
        Money::parse(s).expect("valid amount")
    }

    #[test]
    fn parses_contract_examples_exactly() {
        assert_eq!(m("79000").to_string(), "79000");
        assert_eq!(m("79000.0").to_string(), "79000");
        assert_eq!(m("0.1").to_string(), "0.1");
        assert_eq!(m("10.50").to_string(), "10.5");
        assert_eq!(m("1e5").to_string(), "100000");
        assert_eq!(m("1.5E3").to_string(), "1500");
        assert_eq!(m("-25000").to_string(), "-25000");
        assert_eq!(m("0.0001").to_string(), "0.0001");
        assert_eq!(m("1.00000").to_string(), "1");
        assert_eq!(m("-0").to_string(), "0");
        assert_eq!(m("922337203685477.5807").to_units(), Some(i64::MAX));
    }

    #[test]
    fn rejects_what_is_not_an_exact_amount() {
        assert_eq!(Money::parse("0.00001"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse("1e-5"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse("abc"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse(""), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("1,5"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("NaN"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("Infinity"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("."), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("1e400"), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::parse("922337203685477.5808"),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            Money::parse("99999999999999999999999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn sums_tenths_exactly() {
        let sum = [m("0.1"), m("0.2"), m("0.3")]
            .into_iter()
            .try_fold(Money::ZERO, Money::checked_add)
            .expect("no overflow");
        assert_eq!(sum, m("0.6"));
    }

    #[test]
    fn storage_round_trip() {
        for text in [
            "0",
            "1",
            "0.0001",
            "-7.25",
            "150000",
            "922337203685477.5807",
        ] {
            let money = m(text);
            let units = money.to_units().expect("fits");
            assert_eq!(Money::from_units(units), money);
        }
        assert_eq!(m("1.5").to_units(), Some(15_000));
    }

    #[test]
    fn json_numbers_and_strings() {
        let v: serde_json::Value = serde_json::from_str(r#"[79000.0, "0.1", 1e2, true]"#).unwrap();
        let arr = v.as_array().unwrap();
        assert_eq!(Money::from_json(&arr[0]), Ok(m("79000")));
        assert_eq!(Money::from_json(&arr[1]), Ok(m("0.1")));
        assert_eq!(Money::from_json(&arr[2]), Ok(m("100")));
        assert_eq!(Money::from_json(&arr[3]), Err(MoneyError::NotANumber));
        // A long binary-unfriendly decimal stays exact through the parser.
        let v: serde_json::Value = serde_json::from_str("12345678901.2345").unwrap();
        assert_eq!(
            Money::from_json(&v).unwrap().to_string(),
            "12345678901.2345"
        );
    }

    #[test]
    fn serialises_as_string() {
        assert_eq!(serde_json::to_string(&m("10.5")).unwrap(), r#""10.5""#);
        let back: Money = serde_json::from_str("150000").unwrap();
        assert_eq!(back, m("150000"));
    }

    proptest::proptest! {
        #[test]
        fn units_round_trip(units in proptest::prelude::any::<i64>()) {
            let money = Money::from_units(units);
            proptest::prop_assert_eq!(money.to_units(), Some(units));
            proptest::prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
        }
    }
}
