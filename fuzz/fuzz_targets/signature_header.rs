//! `X-Casso-Signature`: any header must be refused cleanly, and what `signature_header` signs
//! must verify for that body, key and time only.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paymatch_core::ingest::casso::v2::{
    signature_header, verify_signature, SignatureError, MAX_CLOCK_SKEW_MS,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha512};

fuzz_target!(|input: (&str, &[u8], &[u8], i64, i32, u8, &[u8])| {
    let (header, key, other_key, t, skew, at, raw) = input;
    // Any header, body, key and clock: an answer, never a panic.
    let _ = verify_signature(header, raw, key, t);

    // A JSON body to sign: the input if it is JSON, else one made from it.
    let parsed: Option<Value> = serde_json::from_slice(raw).ok();
    let value = parsed
        .clone()
        .unwrap_or_else(|| json!({"data": String::from_utf8_lossy(raw)}));
    let body = serde_json::to_vec(&value).expect("serialises");
    let verify = |header: &str, key: &[u8], now: i64| verify_signature(header, &body, key, now);

    let signed = signature_header(&value, key, t);
    if key.is_empty() {
        assert_eq!(signed, Err(SignatureError::NoKey));
        assert_eq!(verify(header, key, t), Err(SignatureError::NoKey));
        return;
    }
    let signed = signed.expect("any non-empty key signs");
    let hex = signed
        .strip_prefix(&format!("t={t},v1="))
        .expect("t then v1");
    assert!(hex.len() == 128 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if t < 0 {
        // `t` is unsigned in the header: a negative time cannot be sent (nor does Casso).
        return;
    }

    // Verifies within the allowed skew, and is stale (not forged) outside it.
    let now = t.saturating_add(skew.into());
    let expected = if (i128::from(now) - i128::from(t)).abs() <= i128::from(MAX_CLOCK_SKEW_MS) {
        Ok(())
    } else {
        Err(SignatureError::Stale {
            timestamp_ms: t,
            now_ms: now,
        })
    };
    assert_eq!(verify(&signed, key, now), expected);
    if parsed.is_some() {
        // Casso's own spacing and key order: only the canonical form is signed.
        assert_eq!(verify_signature(&signed, raw, key, now), expected);
    }
    // Spelling that does not change what is signed.
    let upper = format!("t={t},v1={}", hex.to_uppercase());
    assert_eq!(verify(&upper, key, now), expected);
    assert_eq!(
        verify(&format!(" {} ", signed.replace(',', " , ")), key, now),
        expected
    );
    let decoy = if hex.starts_with("ab") { "cd" } else { "ab" }.repeat(64);
    assert_eq!(
        verify(&format!("v1={decoy},{signed},v9=x"), key, now),
        expected
    );

    // Anything that changes what is signed fails.
    let mismatch = Err(SignatureError::Mismatch);
    let i = usize::from(at) % hex.len();
    let flipped = if &hex[i..=i] == "0" { "1" } else { "0" };
    let tampered = format!("t={t},v1={}{flipped}{}", &hex[..i], &hex[i + 1..]);
    assert_eq!(verify(&tampered, key, t), mismatch);
    if let Some(later) = t.checked_add(1) {
        assert_eq!(verify(&format!("t={later},v1={hex}"), key, later), mismatch);
    }
    let other_body = serde_json::to_vec(&json!([value])).expect("serialises");
    assert_eq!(verify_signature(&signed, &other_body, key, t), mismatch);
    if !other_key.is_empty() && hmac_key(key) != hmac_key(other_key) {
        assert_eq!(verify(&signed, other_key, t), mismatch);
    }
});

/// The key as HMAC-SHA512 uses it: hashed when longer than its 128-byte block, then padded with
/// zeros; so `k` and `k\0` are one key to HMAC, and either verifies what the other signed.
fn hmac_key(key: &[u8]) -> Vec<u8> {
    let mut key = if key.len() > 128 {
        Sha512::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    while key.last() == Some(&0) {
        key.pop();
    }
    key
}
