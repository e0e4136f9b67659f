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
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(KAT_BODY).unwrap()).unwrap();
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
    assert_eq!(
        t.payer,
        crate::domain::Payer {
            name: Some("NGUYEN VAN A".into()),
            account: Some("8888888888".into()),
            bank: Some("VietinBank".into()),
        }
    );
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
