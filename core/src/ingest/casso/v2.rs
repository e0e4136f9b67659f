//! Casso webhook v2: header `X-Casso-Signature: t=<unix ms>,v1=<hex HMAC-SHA512>` and a body
//! whose `data` is one transaction object.
//!
//! The fields v2 shares with v1 (`id`, `amount`, `description`, the lenient text fields) are
//! checked by the v1 parser, so both versions accept and reject exactly the same values.

use constant_time_eq::constant_time_eq;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha512;

use super::v1::{not_envelope, open_envelope, parse_v1_element, V2_TEST_REFERENCE};
use crate::domain::Payer;
use crate::ingest::{parse_when, text_of, Element, EnvelopeError, Rejection};

/// How far the signed timestamp may be from our clock, either way.
pub const MAX_CLOCK_SKEW_MS: i64 = 300_000;

/// HMAC-SHA512 is 64 bytes, 128 hex digits.
const SIGNATURE_LEN: usize = 64;

/// Why a v2 delivery is not accepted as coming from Casso.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Casso webhook v2 key is configured")]
    NoKey,
    #[error("the X-Casso-Signature header is missing or empty")]
    MissingHeader,
    #[error("the X-Casso-Signature header is malformed: {0}")]
    MalformedHeader(&'static str),
    #[error("the X-Casso-Signature header has no timestamp `t`")]
    MissingTimestamp,
    #[error("the X-Casso-Signature header has no signature `v1`")]
    MissingSignature,
    #[error("the `v1` signature must be 128 hexadecimal digits")]
    BadSignatureEncoding,
    #[error("the signed body is not valid JSON: {0}")]
    BodyNotJson(String),
    #[error("the signature does not match the body")]
    Mismatch,
    #[error(
        "the signature timestamp {timestamp_ms} is more than 5 minutes away from now ({now_ms}): \
         check the server clock, or this is a replay"
    )]
    Stale { timestamp_ms: i64, now_ms: i64 },
}

/// A parsed, fresh `X-Casso-Signature`: checked before the body is even read.
pub struct SignatureHeader {
    timestamp_ms: i64,
    /// Several `v1` entries are allowed so that Casso can sign with an old and a new key.
    signatures: Vec<[u8; SIGNATURE_LEN]>,
    /// The text of `t` exactly as sent: it is what was signed.
    timestamp_text: String,
}

/// Checks a v2 delivery: the header's form and time window, then the HMAC over
/// `t + "." + canonical body`.
pub fn verify_signature(
    header: &str,
    raw_body: &[u8],
    key: &[u8],
    now_ms: i64,
) -> Result<(), SignatureError> {
    if key.is_empty() {
        return Err(SignatureError::NoKey);
    }
    verify_body(&check_header(header, now_ms)?, raw_body, key)
}

/// The header's form and its time window: cheap, so a forged or replayed delivery is refused
/// before its (up to 1 MiB) body is read and re-serialised.
pub fn check_header(header: &str, now_ms: i64) -> Result<SignatureHeader, SignatureError> {
    let header = parse_header(header)?;
    let skew = i128::from(now_ms) - i128::from(header.timestamp_ms);
    if skew.abs() > i128::from(MAX_CLOCK_SKEW_MS) {
        return Err(SignatureError::Stale {
            timestamp_ms: header.timestamp_ms,
            now_ms,
        });
    }
    Ok(header)
}

/// The HMAC of the body against every `v1` of a checked header.
pub fn verify_body(
    header: &SignatureHeader,
    raw_body: &[u8],
    key: &[u8],
) -> Result<(), SignatureError> {
    if key.is_empty() {
        return Err(SignatureError::NoKey);
    }
    let body: Value =
        serde_json::from_slice(raw_body).map_err(|e| SignatureError::BodyNotJson(e.to_string()))?;
    let expected = mac(key, &header.timestamp_text, &body)?;
    // Compare against every entry, without stopping early, so timing says nothing.
    let matched = header.signatures.iter().fold(false, |found, given| {
        constant_time_eq(&expected, given) | found
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn parse_header(header: &str) -> Result<SignatureHeader, SignatureError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(SignatureError::MissingHeader);
    }
    let mut timestamp: Option<(i64, String)> = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((name, value)) = part.split_once('=') else {
            return Err(SignatureError::MalformedHeader(
                "expected `t=<unix ms>,v1=<hex>`",
            ));
        };
        let value = value.trim();
        match name.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::MalformedHeader("`t` is given twice"));
                }
                let ms = (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| value.parse::<i64>().ok())
                    .flatten()
                    .ok_or(SignatureError::MalformedHeader(
                        "`t` must be a unix time in milliseconds",
                    ))?;
                timestamp = Some((ms, value.to_owned()));
            }
            "v1" => signatures.push(decode_hex(value).ok_or(SignatureError::BadSignatureEncoding)?),
            // Unknown schemes (a future `v2`) are skipped, as with other signed-webhook headers.
            _ => {}
        }
    }
    let (timestamp_ms, timestamp_text) = timestamp.ok_or(SignatureError::MissingTimestamp)?;
    if signatures.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    Ok(SignatureHeader {
        timestamp_ms,
        signatures,
        timestamp_text,
    })
}

fn decode_hex(text: &str) -> Option<[u8; SIGNATURE_LEN]> {
    let digits = text.as_bytes();
    if digits.len() != SIGNATURE_LEN * 2 {
        return None;
    }
    let mut out = [0u8; SIGNATURE_LEN];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(out)
}

/// HMAC-SHA512 over `t + "." + canonical body`.
fn mac(key: &[u8], timestamp: &str, body: &Value) -> Result<[u8; SIGNATURE_LEN], SignatureError> {
    let mut mac = Hmac::<Sha512>::new_from_slice(key).map_err(|_| SignatureError::NoKey)?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(canonical_json(body).as_bytes());
    Ok(mac.finalize().into_bytes().into())
}

/// The `X-Casso-Signature` Casso would send for this body (for `paymatch simulate --v2`).
pub fn signature_header(
    body: &Value,
    key: &[u8],
    timestamp_ms: i64,
) -> Result<String, SignatureError> {
    if key.is_empty() {
        return Err(SignatureError::NoKey);
    }
    let digest = mac(key, &timestamp_ms.to_string(), body)?;
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("t={timestamp_ms},v1={hex}"))
}

/// The body as Casso signs it: object keys sorted recursively, no spaces. Sorted here rather
/// than relying on serde_json's map order, which another crate could switch to insertion order
/// (feature `preserve_order`). Numbers keep their text (`arbitrary_precision`).
fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(fields) => {
                let mut entries: Vec<(&String, &Value)> = fields.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect::<Map<String, Value>>(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    // `Display` of a Value is the compact form.
    sorted(value).to_string()
}

/// Webhook v2: `{"error": 0, "data": {…}}`; `data` may also be an array of such objects.
pub fn parse_v2(body: &[u8]) -> Result<Vec<Element>, EnvelopeError> {
    let data = open_envelope(body)?;
    let items: Vec<&Value> = match &data {
        one @ Value::Object(_) => vec![one],
        Value::Array(many) => many.iter().collect(),
        _ => return Err(not_envelope("`data` must be a transaction object")),
    };

    // The checks v2 shares with v1 run on a v1-shaped copy of each transaction.
    Ok(items
        .into_iter()
        .map(|item| finish_v2(item, parse_v1_element(&to_v1_shape(item))))
        .collect())
}

/// The v2 fields under their v1 names. `transactionDateTime` is left out: it is checked in
/// `finish_v2` so that a rejection names the v2 field.
fn to_v1_shape(item: &Value) -> Value {
    let Value::Object(fields) = item else {
        // v1 rejects it as "not a JSON object", the same reason v2 gives.
        return item.clone();
    };
    let mut v1 = Map::new();
    for (v2_name, v1_name) in [
        ("id", "id"),
        ("amount", "amount"),
        ("description", "description"),
        ("reference", "tid"),
        ("runningBalance", "cusum_balance"),
        ("accountNumber", "bank_sub_acc_id"),
    ] {
        if let Some(value) = fields.get(v2_name) {
            v1.insert(v1_name.to_owned(), value.clone());
        }
    }
    Value::Object(v1)
}

fn finish_v2(original: &Value, element: Element) -> Element {
    let reject = |reason: String| Rejection {
        // Admins see what Casso sent, not the v1-shaped copy.
        payload: original.to_string(),
        reason,
    };
    let mut transfer = element.map_err(|r| reject(r.reason))?;
    let field = |name: &str| original.get(name).filter(|v| !v.is_null());
    transfer.when = match field("transactionDateTime") {
        None => None,
        Some(Value::String(s)) => Some(parse_when(s).ok_or_else(|| {
            reject(format!(
                "`transactionDateTime` {s:?} is not YYYY-MM-DD HH:MM:SS"
            ))
        })?),
        Some(_) => return Err(reject("`transactionDateTime` must be text".into())),
    };
    transfer.provider_test =
        matches!(field("reference"), Some(Value::String(r)) if r == V2_TEST_REFERENCE);
    // The counter account: who sent it. Shown to the shop and compared with its customers;
    // a malformed one is dropped (the transfer itself is sound).
    let text = |name: &str| field(name).and_then(text_of);
    transfer.payer = Payer {
        name: text("counterAccountName"),
        account: text("counterAccountNumber"),
        bank: text("counterAccountBankName"),
    };
    Ok(transfer)
}

#[cfg(test)]
mod tests;
