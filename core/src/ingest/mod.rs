//! What every provider's payload shares: an element (a transfer, or why one could not be
//! read), the error for a body that is not a provider's delivery at all, the reading of provider
//! times, and Casso's webhook bodies (v1, and v2 with its signature). Pure: bytes and text in,
//! values out; recording them is the service's.

pub mod casso;
pub mod distinct_keys;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use crate::domain::IncomingTransfer;

/// The whole body is not something the provider sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    #[error("the body is not {provider} delivery: {reason}")]
    NotEnvelope {
        provider: &'static str,
        reason: &'static str,
    },
}

/// An element that cannot become a transaction, with the reason an admin will read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub payload: String,
    pub reason: String,
}

pub type Element = Result<IncomingTransfer, Rejection>;

/// A provider's transaction id: a whole number of 0 or more, sent as a number or as digits.
pub fn integer_id(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n.as_u64().map(|id| id.to_string()),
        Value::String(s)
            if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse::<u64>().ok().map(|id| id.to_string())
        }
        _ => None,
    }
}

/// A lenient text field (providers send account numbers as numbers or text); empty is none.
pub fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A provider's time: RFC 3339, or `YYYY-MM-DD HH:MM:SS` (and close variants) or a bare date in
/// Vietnam time.
pub fn parse_when(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    crate::domain::vietnam()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_formats() {
        let want = "2024-10-03T08:06:37+00:00";
        for text in [
            "2024-10-03 15:06:37",
            "2024-10-03T15:06:37",
            "2024-10-03T15:06:37+07:00",
            "2024-10-03T08:06:37Z",
            "2024-10-03T08:06:37.000Z",
        ] {
            assert_eq!(parse_when(text).unwrap().to_rfc3339(), want, "{text}");
        }
        assert_eq!(
            parse_when("2024-10-03").unwrap().to_rfc3339(),
            "2024-10-02T17:00:00+00:00"
        );
        for bad in ["", "2024-13-01", "03/10/2024", "2024-10-03 25:00:00"] {
            assert_eq!(parse_when(bad), None, "{bad}");
        }
    }
}
