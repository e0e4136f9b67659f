//! JSON whose objects name a key twice is ambiguous: parsers disagree on which value counts,
//! so the copy that was signed and the copy that is applied could differ. Such a body is refused.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Walks a document without building it, failing on the first repeated key.
struct DistinctKeys;

impl<'de> Deserialize<'de> for DistinctKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DistinctKeys)
    }
}

impl<'de> Visitor<'de> for DistinctKeys {
    type Value = DistinctKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Self, A::Error> {
        while items.next_element::<DistinctKeys>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<Self, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = fields.next_key::<String>()? {
            fields.next_value::<DistinctKeys>()?;
            if !seen.insert(key) {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(self)
    }
}

const DUPLICATE: &str = "an object names the same key twice";

/// `Some(reason)` when the body is JSON with a repeated key in some object; `None` for JSON
/// without one, and for text that is not JSON at all (its parser says why).
pub fn repeated_key(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<DistinctKeys>(body) {
        Err(e) if e.is_data() => Some(format!(
            "{DUPLICATE} (line {}, column {})",
            e.line(),
            e.column()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_found_at_any_depth() {
        for body in [
            r#"{"a":1,"a":2}"#,
            r#"{"error":0,"data":{"id":1,"amount":5,"amount":500000}}"#,
            r#"[{"x":{"y":[{"k":1,"k":1}]}}]"#,
            r#"{"a":"x","\u0061":"y"}"#,
        ] {
            assert!(repeated_key(body.as_bytes()).is_some(), "{body}");
        }
    }

    #[test]
    fn distinct_keys_and_non_json_pass() {
        for body in [
            r#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#,
            r#"{"amount":79000.50,"n":-1e3,"t":true,"z":null}"#,
            "not json",
            "",
            r#"{"a":1"#,
        ] {
            assert_eq!(repeated_key(body.as_bytes()), None, "{body}");
        }
    }
}
