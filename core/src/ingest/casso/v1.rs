//! Casso webhook payloads: the envelope and each transaction in it, checked field by field so
//! that one bad element is kept with its reason while the others go through.

use serde_json::Value;

use crate::domain::{IncomingTransfer, Money, Payer, Source};
use crate::ingest::{integer_id, parse_when, text_of, Element, EnvelopeError, Rejection};

/// What v2 puts in `reference` for Casso's test call.
pub const V2_TEST_REFERENCE: &str = "MA_GIAO_DICH_THU_NGHIEM";

pub fn not_envelope(reason: &'static str) -> EnvelopeError {
    EnvelopeError::NotEnvelope {
        provider: "a Casso webhook",
        reason,
    }
}

/// Casso's envelope, v1 and v2 alike: a JSON object whose `error` (if any) is 0. Returns
/// its `data`.
pub fn open_envelope(body: &[u8]) -> Result<Value, EnvelopeError> {
    let envelope: Value =
        serde_json::from_slice(body).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
    let Value::Object(mut envelope) = envelope else {
        return Err(not_envelope("expected a JSON object"));
    };
    match envelope.get("error") {
        None => {}
        Some(Value::Number(n)) if n.as_i64() == Some(0) => {}
        Some(_) => return Err(not_envelope("`error` must be 0")),
    }
    Ok(envelope.remove("data").unwrap_or(Value::Null))
}

/// Webhook v1: `{"error": 0, "data": [ … ]}`.
pub fn parse_v1(body: &[u8]) -> Result<Vec<Element>, EnvelopeError> {
    let Value::Array(data) = open_envelope(body)? else {
        return Err(not_envelope("`data` must be an array of transactions"));
    };
    Ok(data.iter().map(parse_v1_element).collect())
}

/// One v1-shaped transaction object; v2 and the Casso API map their fields onto it.
pub fn parse_v1_element(element: &Value) -> Element {
    let reject = |reason: String| Rejection {
        payload: element.to_string(),
        reason,
    };
    let Value::Object(fields) = element else {
        return Err(reject("the element is not a JSON object".into()));
    };
    let field = |name: &str| fields.get(name).filter(|v| !v.is_null());

    let external_id = match field("id") {
        None => return Err(reject("`id` is missing".into())),
        Some(v) => integer_id(v)
            .ok_or_else(|| reject("`id` must be a whole number of 0 or more".into()))?,
    };
    let amount = match field("amount") {
        None => return Err(reject("`amount` is missing".into())),
        Some(v) => Money::from_json(v).map_err(|e| reject(format!("`amount`: {e}")))?,
    };
    if amount.is_zero() {
        return Err(reject("`amount` is zero".into()));
    }
    let description = match field("description") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(reject("`description` must be text".into())),
    };
    let when = match field("when") {
        None => None,
        Some(Value::String(s)) => Some(parse_when(s).ok_or_else(|| {
            reject(format!(
                "`when` {s:?} is not YYYY-MM-DD HH:MM:SS, YYYY-MM-DD or ISO 8601"
            ))
        })?),
        Some(_) => return Err(reject("`when` must be text".into())),
    };
    Ok(IncomingTransfer {
        source: Source::Casso,
        external_id,
        bank_ref: field("tid").and_then(text_of),
        description,
        amount,
        // The running balance is shown to admins only; a malformed one is dropped, not fatal.
        running_balance: field("cusum_balance").and_then(|v| Money::from_json(v).ok()),
        when,
        account: field("bank_sub_acc_id")
            .or_else(|| field("subAccId"))
            .and_then(text_of),
        provider_test: false,
        payer: Payer::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Vec<Element> {
        parse_v1(body.as_bytes()).expect("an envelope")
    }

    #[test]
    fn casso_sample_handler_body() {
        let body = r#"{"error": 0,"data": [{"id" : 1,"tid": "TF80307914","amount": 200500,"description": "DH35","cusum_balance": 15900500,"when": "2020-11-02","subAccId": "123456789","bank_sub_acc_id": "123456789"}]}"#;
        let items = parse(body);
        let t = items[0].as_ref().unwrap();
        assert_eq!(t.external_id, "1");
        assert_eq!(t.bank_ref.as_deref(), Some("TF80307914"));
        assert_eq!(t.amount.to_string(), "200500");
        assert_eq!(t.description, "DH35");
        assert_eq!(t.running_balance.unwrap().to_string(), "15900500");
        assert_eq!(t.account.as_deref(), Some("123456789"));
        assert_eq!(t.when.unwrap().to_rfc3339(), "2020-11-01T17:00:00+00:00");
    }

    #[test]
    fn variants_of_the_payload() {
        let body = r#"{"error":0,"data":[
            {"id":2,"amount":79000.0,"description":"x","when":"2024-10-03 15:06:37","subAccId":"9"},
            {"id":"3","amount":"0.1","description":"y","when":"2024-10-03T15:06:37+07:00","extra":{"a":1}},
            {"id":4,"amount":1e3,"when":"2024-10-03T08:06:37Z","bank_sub_acc_id":12345},
            {"id":5,"amount":-50000,"description":"out","when":null}
        ]}"#;
        let items = parse(body);
        let ok: Vec<&IncomingTransfer> = items.iter().map(|i| i.as_ref().unwrap()).collect();
        assert_eq!(ok[0].amount.to_string(), "79000");
        assert_eq!(ok[0].account.as_deref(), Some("9"));
        assert_eq!(
            ok[0].when.unwrap().to_rfc3339(),
            "2024-10-03T08:06:37+00:00"
        );
        assert_eq!(ok[1].external_id, "3");
        assert_eq!(ok[1].amount.to_string(), "0.1");
        assert_eq!(ok[1].when, ok[0].when);
        assert_eq!(ok[2].when, ok[0].when);
        assert_eq!(ok[2].amount.to_string(), "1000");
        assert_eq!(ok[2].description, "");
        assert_eq!(ok[2].account.as_deref(), Some("12345"));
        assert!(ok[3].amount.is_negative());
        assert_eq!(ok[3].when, None);
    }

    #[test]
    fn bad_elements_are_rejected_with_reasons() {
        let body = r#"{"error":0,"data":[
            {"amount":1,"description":"no id"},
            {"id":-1,"amount":1},
            {"id":1.5,"amount":1},
            {"id":6,"amount":"abc"},
            {"id":7},
            {"id":8,"amount":0},
            {"id":9,"amount":1,"description":5},
            {"id":10,"amount":1,"when":"yesterday"},
            {"id":11,"amount":1.00001},
            {"id":12,"amount":1e300},
            "text",
            {"id":13,"amount":100,"description":"fine"}
        ]}"#;
        let items = parse(body);
        let reasons: Vec<String> = items
            .iter()
            .filter_map(|i| i.as_ref().err().map(|r| r.reason.clone()))
            .collect();
        assert_eq!(reasons.len(), 11, "{reasons:?}");
        for (reason, needle) in reasons.iter().zip([
            "`id` is missing",
            "`id` must",
            "`id` must",
            "`amount`",
            "`amount` is missing",
            "zero",
            "`description`",
            "`when`",
            "4 decimal places",
            "too large",
            "not a JSON object",
        ]) {
            assert!(reason.contains(needle), "{reason} lacks {needle}");
        }
        assert!(items[11].is_ok());
        assert!(items[0].as_ref().unwrap_err().payload.contains("no id"));
    }

    #[test]
    fn envelope_errors() {
        for body in [
            "",
            "not json",
            "[1,2]",
            "{}",
            r#"{"data":{}}"#,
            r#"{"error":1,"data":[]}"#,
            "null",
        ] {
            assert!(parse_v1(body.as_bytes()).is_err(), "{body}");
        }
        assert_eq!(parse_v1(br#"{"error":0,"data":[]}"#).unwrap().len(), 0);
        assert_eq!(parse_v1(br#"{"data":[]}"#).unwrap().len(), 0);
    }
}
