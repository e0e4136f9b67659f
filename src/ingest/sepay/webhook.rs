//! SePay's webhook: one transaction per delivery, a JSON object.
//!
//! A body that is not a JSON object with SePay's `id`, `transferType` and `transferAmount` is not
//! a SePay delivery (400). An object that has them but holds a bad value (an amount that is not a
//! number, an unknown direction…) is one rejected element, kept with its reason for admins, as a
//! bad Casso element is.

use serde_json::Value;

use crate::domain::{IncomingTransfer, Money, Source};
use crate::ingest::{integer_id, parse_when, text_of, Element, EnvelopeError, Rejection};

/// The fields without which a body is not a SePay transaction at all.
const REQUIRED: [&str; 3] = ["id", "transferType", "transferAmount"];

/// `POST /webhooks/sepay`: the body as one element.
pub fn parse_webhook(body: &[u8]) -> Result<Vec<Element>, EnvelopeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
    let not_sepay = |reason| EnvelopeError::NotEnvelope {
        provider: "a SePay webhook",
        reason,
    };
    let Value::Object(fields) = &value else {
        return Err(not_sepay("expected a JSON object"));
    };
    if !REQUIRED.iter().all(|name| fields.contains_key(*name)) {
        return Err(not_sepay(
            "a SePay transaction has `id`, `transferType` and `transferAmount`",
        ));
    }
    Ok(vec![parse_transaction(&value)])
}

/// One SePay transaction in the webhook's shape; the API's records are mapped onto it.
pub fn parse_transaction(transaction: &Value) -> Element {
    let reject = |reason: String| Rejection {
        payload: transaction.to_string(),
        reason,
    };
    let Value::Object(fields) = transaction else {
        return Err(reject("the transaction is not a JSON object".into()));
    };
    let field = |name: &str| fields.get(name).filter(|v| !v.is_null());

    let external_id = match field("id") {
        None => return Err(reject("`id` is missing".into())),
        Some(v) => integer_id(v)
            .ok_or_else(|| reject("`id` must be a whole number of 0 or more".into()))?,
    };
    let size = match field("transferAmount") {
        None => return Err(reject("`transferAmount` is missing".into())),
        Some(v) => Money::from_json(v).map_err(|e| reject(format!("`transferAmount`: {e}")))?,
    };
    if !size.is_positive() {
        return Err(reject(format!(
            "`transferAmount` must be more than 0 (the direction is `transferType`), not {size}"
        )));
    }
    let amount = match field("transferType").and_then(Value::as_str) {
        Some("in") => size,
        // Money going out: stored as a negative amount, which the pipeline records as outgoing.
        Some("out") => Money::from_decimal(-size.decimal())
            .map_err(|e| reject(format!("`transferAmount`: {e}")))?,
        _ => return Err(reject("`transferType` must be \"in\" or \"out\"".into())),
    };
    let text = |name: &str| match field(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(reject(format!("`{name}` must be text"))),
    };
    // The patterns read `content` (the transfer content the customer typed); the bank's whole
    // message (`description`) stands in only when SePay sent no content.
    let description = match text("content")?.filter(|c| !c.trim().is_empty()) {
        Some(content) => content,
        None => text("description")?.unwrap_or_default(),
    };
    let when = match text("transactionDate")? {
        None => None,
        Some(s) => Some(parse_when(&s).ok_or_else(|| {
            reject(format!(
                "`transactionDate` {s:?} is not YYYY-MM-DD HH:MM:SS"
            ))
        })?),
    };
    Ok(IncomingTransfer {
        source: Source::Sepay,
        external_id,
        bank_ref: field("referenceCode").and_then(text_of),
        description,
        amount,
        // The running balance is shown to admins only; a malformed one is dropped, not fatal.
        running_balance: field("accumulated").and_then(|v| Money::from_json(v).ok()),
        when,
        // `subAccount` is the virtual account (tài khoản định danh) the customer paid into,
        // which is the number the shop shows; without one, the bank account itself.
        account: field("subAccount")
            .and_then(text_of)
            .or_else(|| field("accountNumber").and_then(text_of)),
        provider_test: false,
        // SePay names no payer; the pipeline reads a name from the description.
        payer: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example body of SePay's webhook documentation, with a virtual account.
    const DOC_BODY: &str = r#"{
        "id": 92704,
        "gateway": "Vietcombank",
        "transactionDate": "2023-03-25 14:02:37",
        "accountNumber": "0123499999",
        "code": null,
        "content": "chuyen tien mua iphone",
        "transferType": "in",
        "transferAmount": 2277000,
        "accumulated": 19077000,
        "subAccount": null,
        "referenceCode": "MBVCB.3278907687",
        "description": ""
    }"#;

    fn one(body: &str) -> Element {
        let mut elements = parse_webhook(body.as_bytes()).expect("a SePay body");
        assert_eq!(elements.len(), 1);
        elements.remove(0)
    }

    #[test]
    fn the_documented_body() {
        let t = one(DOC_BODY).unwrap();
        assert_eq!(t.source, Source::Sepay);
        assert_eq!(t.external_id, "92704");
        assert_eq!(t.amount.to_string(), "2277000");
        assert_eq!(t.description, "chuyen tien mua iphone");
        assert_eq!(t.bank_ref.as_deref(), Some("MBVCB.3278907687"));
        assert_eq!(t.running_balance.unwrap().to_string(), "19077000");
        assert_eq!(t.account.as_deref(), Some("0123499999"));
        assert_eq!(t.when.unwrap().to_rfc3339(), "2023-03-25T07:02:37+00:00");
    }

    #[test]
    fn outgoing_virtual_account_and_fallback_description() {
        let body = DOC_BODY
            .replace(r#""transferType": "in""#, r#""transferType": "out""#)
            .replace(r#""subAccount": null"#, r#""subAccount": "VCB0011ABC002""#)
            .replace(r#""content": "chuyen tien mua iphone""#, r#""content": """#)
            .replace(
                r#""description": """#,
                r#""description": "BankAPINotify DH77""#,
            );
        let t = one(&body).unwrap();
        assert_eq!(t.amount.to_string(), "-2277000");
        assert_eq!(t.account.as_deref(), Some("VCB0011ABC002"));
        assert_eq!(t.description, "BankAPINotify DH77");
    }

    #[test]
    fn bad_values_are_rejected_with_reasons() {
        for (from, to, needle) in [
            (r#""id": 92704"#, r#""id": -4"#, "`id` must"),
            (r#""id": 92704"#, r#""id": null"#, "`id` is missing"),
            (
                r#""transferAmount": 2277000"#,
                r#""transferAmount": "abc""#,
                "`transferAmount`",
            ),
            (
                r#""transferAmount": 2277000"#,
                r#""transferAmount": 0"#,
                "more than 0",
            ),
            (
                r#""transferAmount": 2277000"#,
                r#""transferAmount": -5"#,
                "more than 0",
            ),
            (
                r#""transferType": "in""#,
                r#""transferType": "sideways""#,
                "`transferType`",
            ),
            (
                r#""content": "chuyen tien mua iphone""#,
                r#""content": 5"#,
                "`content`",
            ),
            (
                r#""transactionDate": "2023-03-25 14:02:37""#,
                r#""transactionDate": "hôm qua""#,
                "`transactionDate`",
            ),
        ] {
            let body = DOC_BODY.replace(from, to);
            let rejection = one(&body).unwrap_err();
            assert!(
                rejection.reason.contains(needle),
                "{to}: {}",
                rejection.reason
            );
            assert!(rejection.payload.contains("Vietcombank"));
        }
    }

    #[test]
    fn bodies_that_are_not_sepay_transactions() {
        for body in [
            "",
            "not json",
            "[1]",
            "null",
            r#"{"error":0,"data":[{"id":1,"amount":1000}]}"#,
            r#"{"id":1,"transferAmount":1000}"#,
        ] {
            assert!(parse_webhook(body.as_bytes()).is_err(), "{body}");
        }
    }
}
