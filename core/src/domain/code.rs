//! Order codes: what the customer types into the transfer content.

use std::fmt;

pub const MAX_LEN: usize = 32;
/// Prefix of generated codes, the one the default pattern looks for.
pub const GENERATED_PREFIX: &str = "DH";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct OrderCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an order code is 1 to 32 characters, letters A-Z and digits 0-9")]
pub struct InvalidOrderCode;

impl OrderCode {
    /// Upper-cases what it is given and refuses anything that is not 1 to 32 of `A-Z0-9`.
    pub fn parse(text: &str) -> Result<OrderCode, InvalidOrderCode> {
        let code = text.to_ascii_uppercase();
        if code.is_empty()
            || code.len() > MAX_LEN
            || !code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(InvalidOrderCode);
        }
        Ok(OrderCode(code))
    }

    /// A fresh code in the default shape: `DH` and ten random digits. Uniqueness is up to the
    /// store, which tries again on a collision.
    pub fn generate(rng: &mut impl rand::Rng) -> OrderCode {
        let digits: u64 = rng.random_range(1_000_000_000..10_000_000_000);
        OrderCode(format!("{GENERATED_PREFIX}{digits}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_cases_and_validates() {
        assert_eq!(OrderCode::parse("dh1234").unwrap().as_str(), "DH1234");
        assert!(OrderCode::parse("A").is_ok());
        assert!(OrderCode::parse(&"9".repeat(32)).is_ok());
        for bad in [
            "",
            "DH-1234",
            "DH 1234",
            "ĐH1234",
            "DH1234\n",
            &"9".repeat(33),
            "<script>",
        ] {
            assert_eq!(OrderCode::parse(bad), Err(InvalidOrderCode), "{bad:?}");
        }
    }

    #[test]
    fn generated_codes_are_valid_and_default_shaped() {
        let mut rng = rand::rng();
        for _ in 0..100 {
            let code = OrderCode::generate(&mut rng);
            assert_eq!(OrderCode::parse(code.as_str()), Ok(code.clone()));
            assert!(code.as_str().starts_with("DH"));
            assert_eq!(code.as_str().len(), 12);
        }
    }
}
