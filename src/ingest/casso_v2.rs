//! Casso webhook v2: header `X-Casso-Signature: t=<unix ms>,v1=<hex HMAC-SHA512>` and a body
//! whose `data` is one transaction object.
//!
//! The fields v2 shares with v1 (`id`, `amount`, `description`, the lenient text fields) are
//! checked by the v1 parser, so both versions accept and reject exactly the same values.

use constant_time_eq::constant_time_eq;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha512;

use super::casso::{
    open_envelope, parse_v1_element, parse_when, Element, EnvelopeError, Rejection,
    V2_TEST_REFERENCE,
};

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
        _ => {
            return Err(EnvelopeError::NotEnvelope(
                "`data` must be a transaction object",
            ))
        }
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
    Ok(transfer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Source;

    const KAT_KEY: &[u8] = b"mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs";
    const KAT_T: i64 = 1_727_948_258_788;
    const KAT_HEADER: &str = "t=1727948258788,v1=ed0a4bd2e826d5cb69988cdb141e6c1a080e21f3b57eb72cd78192220042b9e7dde0868fc667faea8e224900fa7904e7c88dfa098032fb2d6b6996856e8b7ff3";
    const KAT_BODY: &str = r#"{"error":0,"data":{"id":0,"reference":"MA_GIAO_DICH_THU_NGHIEM","description":"giao dich thu nghiem","amount":599000,"runningBalance":25000000,"transactionDateTime":"2024-10-03 15:06:37","accountNumber":"88888888","bankName":"VPBank","bankAbbreviation":"VPB","virtualAccountNumber":"","virtualAccountName":"","counterAccountName":"NGUYEN VAN A","counterAccountNumber":"8888888888","counterAccountBankId":"970415","counterAccountBankName":"VietinBank"}}"#;

    /// Signs like Casso, for bodies other than the KAT's.
    fn sign(key: &[u8], t: i64, body: &str) -> String {
        signature_header(&serde_json::from_str(body).unwrap(), key, t).unwrap()
    }

    #[test]
    fn signing_reproduces_the_known_answer() {
        assert_eq!(sign(KAT_KEY, KAT_T, KAT_BODY), KAT_HEADER);
    }

    fn verify(header: &str, body: &str) -> Result<(), SignatureError> {
        verify_signature(header, body.as_bytes(), KAT_KEY, KAT_T)
    }

    #[test]
    fn known_answer_vector_verifies() {
        assert_eq!(verify(KAT_HEADER, KAT_BODY), Ok(()));
        // Our own signer agrees with Casso's.
        assert_eq!(sign(KAT_KEY, KAT_T, KAT_BODY), KAT_HEADER);
    }

    #[test]
    fn whitespace_and_key_order_do_not_matter() {
        // Whitespace only between tokens: these patterns never occur inside the KAT's strings.
        let spaced = KAT_BODY
            .replace("\":", "\" :  ")
            .replace(",\"", ",\n\t\"")
            .replace("{\"", "{ \"");
        assert_ne!(spaced, KAT_BODY);
        assert_eq!(verify(KAT_HEADER, &spaced), Ok(()));
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(KAT_BODY).unwrap())
                .unwrap();
        assert_eq!(verify(KAT_HEADER, &pretty), Ok(()));
        let reordered = r#"{"data":{"counterAccountBankName":"VietinBank","counterAccountBankId":"970415","counterAccountNumber":"8888888888","counterAccountName":"NGUYEN VAN A","virtualAccountName":"","virtualAccountNumber":"","bankAbbreviation":"VPB","bankName":"VPBank","accountNumber":"88888888","transactionDateTime":"2024-10-03 15:06:37","runningBalance":25000000,"amount":599000,"description":"giao dich thu nghiem","reference":"MA_GIAO_DICH_THU_NGHIEM","id":0},"error":0}"#;
        assert_eq!(verify(KAT_HEADER, reordered), Ok(()));
        // Spaces around the header's parts are tolerated too.
        let header = KAT_HEADER.replace(',', " , ");
        assert_eq!(verify(&format!("  {header} "), KAT_BODY), Ok(()));
    }

    #[test]
    fn nested_keys_are_sorted_and_numbers_keep_their_text() {
        let value: Value =
            serde_json::from_str(r#"{"b":[{"z":1,"a":2.50}],"a":{"y":null,"x":"é\"/"},"c":-0.0}"#)
                .unwrap();
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"x":"é\"/","y":null},"b":[{"a":2.50,"z":1}],"c":-0.0}"#
        );
    }

    #[test]
    fn a_changed_body_fails() {
        let changed = KAT_BODY.replace("599000", "599001");
        assert_eq!(verify(KAT_HEADER, &changed), Err(SignatureError::Mismatch));
        // `599000.0` is another number text, so another signed string.
        let changed = KAT_BODY.replace("599000", "599000.0");
        assert_eq!(verify(KAT_HEADER, &changed), Err(SignatureError::Mismatch));
    }

    #[test]
    fn empty_and_garbled_headers() {
        assert_eq!(verify("", KAT_BODY), Err(SignatureError::MissingHeader));
        assert_eq!(verify("   ", KAT_BODY), Err(SignatureError::MissingHeader));
        for garbled in [
            "garbage",
            "t=1727948258788;v1=ab",
            "t=,v1=00",
            "t=-5,v1=00",
            "t=1e3,v1=00",
        ] {
            assert!(
                matches!(
                    verify(garbled, KAT_BODY),
                    Err(SignatureError::MalformedHeader(_))
                ),
                "{garbled}"
            );
        }
        let twice = format!("t={KAT_T},{KAT_HEADER}");
        assert!(matches!(
            verify(&twice, KAT_BODY),
            Err(SignatureError::MalformedHeader(_))
        ));
    }

    #[test]
    fn missing_parts() {
        let (t, v1) = KAT_HEADER.split_once(',').unwrap();
        assert_eq!(verify(t, KAT_BODY), Err(SignatureError::MissingSignature));
        assert_eq!(verify(v1, KAT_BODY), Err(SignatureError::MissingTimestamp));
        // An unknown scheme alone is not a signature.
        assert_eq!(
            verify(&format!("{t},v9=abcd"), KAT_BODY),
            Err(SignatureError::MissingSignature)
        );
    }

    #[test]
    fn truncated_or_non_hex_signatures() {
        let truncated = &KAT_HEADER[..KAT_HEADER.len() - 2];
        assert_eq!(
            verify(truncated, KAT_BODY),
            Err(SignatureError::BadSignatureEncoding)
        );
        let extended = format!("{KAT_HEADER}00");
        assert_eq!(
            verify(&extended, KAT_BODY),
            Err(SignatureError::BadSignatureEncoding)
        );
        let non_hex = format!("{}zz", &KAT_HEADER[..KAT_HEADER.len() - 2]);
        assert_eq!(
            verify(&non_hex, KAT_BODY),
            Err(SignatureError::BadSignatureEncoding)
        );
        assert_eq!(
            verify(&format!("t={KAT_T},v1="), KAT_BODY),
            Err(SignatureError::BadSignatureEncoding)
        );
    }

    #[test]
    fn flipped_hex_digit_fails() {
        // Flip one digit in the middle of the signature.
        let mut chars: Vec<char> = KAT_HEADER.chars().collect();
        let at = KAT_HEADER.len() - 40;
        chars[at] = if chars[at] == '0' { '1' } else { '0' };
        let flipped: String = chars.into_iter().collect();
        assert_eq!(verify(&flipped, KAT_BODY), Err(SignatureError::Mismatch));
        // Upper-case hex is the same signature.
        let (t, v1) = KAT_HEADER.split_once(",v1=").unwrap();
        let upper = format!("{t},v1={}", v1.to_uppercase());
        assert_eq!(verify(&upper, KAT_BODY), Ok(()));
    }

    #[test]
    fn wrong_key_fails() {
        assert_eq!(
            verify_signature(KAT_HEADER, KAT_BODY.as_bytes(), b"another key", KAT_T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(KAT_HEADER, KAT_BODY.as_bytes(), b"", KAT_T),
            Err(SignatureError::NoKey)
        );
    }

    #[test]
    fn one_good_signature_among_several_is_enough() {
        let (t, v1) = KAT_HEADER.split_once(',').unwrap();
        let other = format!("v1={}", "ab".repeat(64));
        assert_eq!(verify(&format!("{t},{other},{v1}"), KAT_BODY), Ok(()));
        assert_eq!(
            verify(&format!("{t},{other}"), KAT_BODY),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn timestamps_more_than_five_minutes_away_fail() {
        let body = KAT_BODY.as_bytes();
        for now in [KAT_T + MAX_CLOCK_SKEW_MS, KAT_T - MAX_CLOCK_SKEW_MS] {
            assert_eq!(verify_signature(KAT_HEADER, body, KAT_KEY, now), Ok(()));
        }
        for now in [
            KAT_T + MAX_CLOCK_SKEW_MS + 1,
            KAT_T - MAX_CLOCK_SKEW_MS - 1,
            0,
            i64::MAX,
        ] {
            assert_eq!(
                verify_signature(KAT_HEADER, body, KAT_KEY, now),
                Err(SignatureError::Stale {
                    timestamp_ms: KAT_T,
                    now_ms: now
                })
            );
        }
        // A fresh signature over an old t is still stale.
        let old = KAT_T - 301_000;
        assert!(matches!(
            verify(&sign(KAT_KEY, old, KAT_BODY), KAT_BODY),
            Err(SignatureError::Stale { .. })
        ));
        // Moving t without re-signing breaks the signature.
        let moved = KAT_HEADER.replace("t=1727948258788", "t=1727948258789");
        assert_eq!(verify(&moved, KAT_BODY), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_body_that_is_not_json_fails() {
        for body in ["", "not json", "{\"error\":0,"] {
            assert!(
                matches!(
                    verify(KAT_HEADER, body),
                    Err(SignatureError::BodyNotJson(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn errors_read_well() {
        let message = SignatureError::Stale {
            timestamp_ms: 1,
            now_ms: 400_001,
        }
        .to_string();
        assert!(message.contains("5 minutes"), "{message}");
        assert!(SignatureError::BadSignatureEncoding
            .to_string()
            .contains("128 hexadecimal"));
    }

    #[test]
    fn parses_the_kat_body() {
        let items = parse_v2(KAT_BODY.as_bytes()).unwrap();
        assert_eq!(items.len(), 1);
        let t = items[0].as_ref().unwrap();
        assert_eq!(t.source, Source::Casso);
        assert_eq!(t.external_id, "0");
        assert_eq!(t.bank_ref.as_deref(), Some("MA_GIAO_DICH_THU_NGHIEM"));
        assert!(t.provider_test);
        assert_eq!(t.description, "giao dich thu nghiem");
        assert_eq!(t.amount.to_string(), "599000");
        assert_eq!(t.running_balance.unwrap().to_string(), "25000000");
        assert_eq!(t.when.unwrap().to_rfc3339(), "2024-10-03T08:06:37+00:00");
        assert_eq!(t.account.as_deref(), Some("88888888"));
    }

    #[test]
    fn a_real_transfer_and_the_array_form() {
        let body = r#"{"error":0,"data":[
            {"id":123456,"reference":"FT24277123456","description":"MBVCB.DH1234 chuyen tien","amount":"150000.5","runningBalance":"9000000","transactionDateTime":"2024-10-03 15:06:37","accountNumber":"0123456789","bankName":"MB"},
            {"id":"77","amount":-20000,"reference":"","transactionDateTime":null}
        ]}"#;
        let items = parse_v2(body.as_bytes()).unwrap();
        let a = items[0].as_ref().unwrap();
        assert_eq!(a.external_id, "123456");
        assert_eq!(a.bank_ref.as_deref(), Some("FT24277123456"));
        assert!(!a.provider_test);
        assert_eq!(a.amount.to_string(), "150000.5");
        assert_eq!(a.running_balance.unwrap().to_string(), "9000000");
        assert_eq!(a.account.as_deref(), Some("0123456789"));
        let b = items[1].as_ref().unwrap();
        assert_eq!(b.external_id, "77");
        assert!(b.amount.is_negative());
        assert_eq!(b.bank_ref, None);
        assert_eq!(b.when, None);
        assert_eq!(b.description, "");
    }

    #[test]
    fn bad_transactions_are_rejected_with_reasons() {
        let body = r#"{"error":0,"data":[
            {"amount":1,"description":"no id","reference":"R1"},
            {"id":-1,"amount":1},
            {"id":6,"amount":"abc"},
            {"id":7},
            {"id":8,"amount":0},
            {"id":9,"amount":1,"description":5},
            {"id":10,"amount":1,"transactionDateTime":"yesterday"},
            {"id":11,"amount":1,"transactionDateTime":20241003},
            {"id":12,"amount":1.00001},
            "text",
            {"id":13,"amount":100,"description":"fine","when":"not checked in v2"}
        ]}"#;
        let items = parse_v2(body.as_bytes()).unwrap();
        let reasons: Vec<String> = items
            .iter()
            .filter_map(|i| i.as_ref().err().map(|r| r.reason.clone()))
            .collect();
        for (reason, needle) in reasons.iter().zip([
            "`id` is missing",
            "`id` must",
            "`amount`",
            "`amount` is missing",
            "zero",
            "`description`",
            "`transactionDateTime` \"yesterday\"",
            "`transactionDateTime` must be text",
            "4 decimal places",
            "not a JSON object",
        ]) {
            assert!(reason.contains(needle), "{reason} lacks {needle}");
        }
        assert_eq!(reasons.len(), 10, "{reasons:?}");
        assert!(items[10].is_ok());
        // The payload kept for admins is the v2 object as sent.
        let first = items[0].as_ref().unwrap_err();
        assert!(
            first.payload.contains(r#""reference":"R1""#),
            "{}",
            first.payload
        );
        assert!(!first.payload.contains("tid"));
    }

    #[test]
    fn envelope_errors() {
        for body in [
            "",
            "not json",
            "[1,2]",
            "{}",
            r#"{"error":0}"#,
            r#"{"error":0,"data":"x"}"#,
            r#"{"error":1,"data":{"id":1,"amount":1}}"#,
            "null",
        ] {
            assert!(parse_v2(body.as_bytes()).is_err(), "{body}");
        }
        assert_eq!(parse_v2(br#"{"error":0,"data":[]}"#).unwrap().len(), 0);
        assert_eq!(
            parse_v2(br#"{"data":{"id":1,"amount":1}}"#).unwrap().len(),
            1
        );
    }
}
