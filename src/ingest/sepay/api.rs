//! Client of SePay's transactions list (`GET /userapi/transactions/list`, the legacy user API)
//! for reconciliation, with the token in `Authorization: Bearer <token>`.
//!
//! SePay allows 3 requests a second: calls are spaced by at least a third of a second, and a 429
//! waits for `x-sepay-userapi-retry-after` seconds before the next attempt. SePay answers a
//! refused token with HTTP 200 and an empty body: that is an error here, never "no
//! transactions".

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::webhook::parse_transaction;
use crate::domain::Money;
use crate::ingest::http::{self, seconds_header, snippet, suffix, NoReply, RetryPolicy};
use crate::ingest::{Element, Rejection};

/// The header of SePay's 429 replies: seconds to wait.
pub const RETRY_AFTER_HEADER: &str = "x-sepay-userapi-retry-after";
/// 3 requests a second at most.
const MIN_INTERVAL: Duration = Duration::from_millis(334);

#[derive(Debug, thiserror::Error)]
pub enum SepayApiError {
    #[error("the SePay API URL {url:?} is not valid: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "SePay refused the API token (HTTP {status}{}): check PAYMATCH_SEPAY_API_TOKEN",
        suffix(message)
    )]
    BadToken { status: u16, message: String },
    #[error("SePay answered HTTP {status}{}", suffix(message))]
    Http { status: u16, message: String },
    #[error("SePay did not answer within {0:?}")]
    Timeout(Duration),
    #[error("could not reach SePay: {0}")]
    Connection(String),
    #[error("SePay's reply is not what was expected: {0}")]
    Malformed(String),
}

type Failure = http::Failure<SepayApiError>;

/// One page of the list: its transactions, checked like webhook deliveries, and the highest id
/// seen (where the next page starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionsPage {
    pub records: Vec<Element>,
    pub highest_id: Option<u64>,
}

pub struct SepayApi {
    client: reqwest::Client,
    base_url: String,
    token: SecretString,
    timeout: Duration,
    retry: RetryPolicy,
    /// When the last request went out, to keep within SePay's rate limit.
    last_request: Mutex<Option<Instant>>,
}

impl SepayApi {
    /// `base_url` like `https://my.sepay.vn`; `timeout` bounds each attempt.
    pub fn new(
        base_url: &str,
        token: SecretString,
        timeout: Duration,
    ) -> Result<SepayApi, SepayApiError> {
        let (client, base_url) =
            http::client_for(base_url, timeout).map_err(|reason| SepayApiError::BadUrl {
                url: base_url.to_owned(),
                reason,
            })?;
        Ok(SepayApi {
            client,
            base_url,
            token,
            timeout,
            retry: RetryPolicy::default(),
            last_request: Mutex::new(None),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> SepayApi {
        self.retry = retry.normalised();
        self
    }

    /// Transactions of the days `from` to `to` (SePay's dates, Vietnam time) whose id is at
    /// least `since_id`, at most `limit` of them.
    pub async fn transactions_page(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        since_id: u64,
        limit: u32,
    ) -> Result<TransactionsPage, SepayApiError> {
        let query = [
            ("transaction_date_min", from.format("%Y-%m-%d").to_string()),
            ("transaction_date_max", to.format("%Y-%m-%d").to_string()),
            ("since_id", since_id.to_string()),
            ("limit", limit.to_string()),
        ];
        let url = format!("{}/userapi/transactions/list", self.base_url);
        let reply = http::with_retries(&self.retry, &url, || self.attempt(&url, &query)).await?;
        parse_page(&reply)
    }

    /// Waits until a third of a second has passed since the previous request.
    async fn pace(&self) {
        let mut last = self.last_request.lock().await;
        if let Some(at) = *last {
            tokio::time::sleep_until(at + MIN_INTERVAL).await;
        }
        *last = Some(Instant::now());
    }

    async fn attempt(&self, url: &str, query: &[(&str, String)]) -> Result<Value, Failure> {
        self.pace().await;
        let response = self
            .client
            .get(url)
            .query(query)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.token.expose_secret()),
            )
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Failure::no_reply(&e, self.timeout))?;
        let status = response.status();
        let retry_after = seconds_header(response.headers(), RETRY_AFTER_HEADER);
        let text = response
            .text()
            .await
            .map_err(|e| Failure::no_reply(&e, self.timeout))?;
        let reply: Result<Value, _> = serde_json::from_str(&text);
        let message = || match &reply {
            Ok(reply) => sepay_message(reply),
            Err(_) => snippet(&text),
        };
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            || (status.is_success() && text.trim().is_empty())
        {
            return Err(Failure::fatal(SepayApiError::BadToken {
                status: status.as_u16(),
                message: if text.trim().is_empty() {
                    "an empty reply, which is how SePay refuses a token".to_owned()
                } else {
                    message()
                },
            }));
        }
        if !status.is_success() {
            let error = SepayApiError::Http {
                status: status.as_u16(),
                message: message(),
            };
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                return Err(Failure {
                    error,
                    retryable: true,
                    retry_after,
                });
            }
            return Err(Failure::fatal(error));
        }
        reply.map_err(|e| {
            Failure::fatal(SepayApiError::Malformed(format!(
                "not JSON ({e}): {}",
                snippet(&text)
            )))
        })
    }
}

impl NoReply for SepayApiError {
    fn timed_out(after: Duration) -> Self {
        SepayApiError::Timeout(after)
    }

    fn connection(chain: String) -> Self {
        SepayApiError::Connection(chain)
    }
}

fn sepay_message(reply: &Value) -> String {
    match reply.get("error").or_else(|| reply.get("messages")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `{"status": 200, "messages": {"success": true}, "transactions": [...]}`.
fn parse_page(reply: &Value) -> Result<TransactionsPage, SepayApiError> {
    let malformed = |what: &str| SepayApiError::Malformed(what.to_owned());
    if !reply.is_object() {
        return Err(malformed("expected a JSON object"));
    }
    let succeeded = reply
        .pointer("/messages/success")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let status = reply.get("status").and_then(Value::as_u64);
    if !succeeded || status.is_some_and(|s| s != 200) {
        return Err(SepayApiError::Http {
            status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
            message: sepay_message(reply),
        });
    }
    let Some(Value::Array(records)) = reply.get("transactions") else {
        return Err(malformed("`transactions` must be an array"));
    };
    let highest_id = records
        .iter()
        .filter_map(|r| r.get("id").and_then(crate::ingest::integer_id))
        .filter_map(|id| id.parse::<u64>().ok())
        .max();
    Ok(TransactionsPage {
        records: records.iter().map(parse_record).collect(),
        highest_id,
    })
}

/// An API record under the webhook's names, checked by the webhook parser, so a transfer reads
/// the same whichever path brought it. `amount_in` / `amount_out` become the direction and
/// the size.
fn parse_record(record: &Value) -> Element {
    let Value::Object(fields) = record else {
        return parse_transaction(record);
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or(Value::Null);
    let positive =
        |name: &str| Money::from_json(&field(name)).is_ok_and(|amount| amount.is_positive());
    let (transfer_type, transfer_amount) = if positive("amount_out") && !positive("amount_in") {
        ("out", field("amount_out"))
    } else {
        ("in", field("amount_in"))
    };
    let as_webhook = json!({
        "id": field("id"),
        "gateway": field("bank_brand_name"),
        "transactionDate": field("transaction_date"),
        "accountNumber": field("account_number"),
        "subAccount": field("sub_account"),
        "code": field("code"),
        "content": field("transaction_content"),
        "transferType": transfer_type,
        "transferAmount": transfer_amount,
        "accumulated": field("accumulated"),
        "referenceCode": field("reference_number"),
    });
    // Admins see the record as SePay sent it.
    parse_transaction(&as_webhook).map_err(|r| Rejection {
        payload: record.to_string(),
        reason: r.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example reply of SePay's transactions list documentation.
    const DOC_REPLY: &str = r#"{
        "status": 200,
        "error": null,
        "messages": {"success": true},
        "transactions": [{
            "id": "49682",
            "bank_brand_name": "Vietcombank",
            "account_number": "0071000888888",
            "transaction_date": "2023-05-05 19:59:48",
            "amount_out": "0.00",
            "amount_in": "18067000.00",
            "accumulated": "1200541768.00",
            "transaction_content": "DUONG THUY ANH chuyen tien...",
            "reference_number": "677760.050523.080001",
            "code": null,
            "sub_account": "VCB0011ABC004",
            "bank_account_id": "19"
        }]
    }"#;

    fn page(reply: &str) -> Result<TransactionsPage, SepayApiError> {
        parse_page(&serde_json::from_str(reply).unwrap())
    }

    #[test]
    fn the_documented_reply() {
        let listed = page(DOC_REPLY).unwrap();
        assert_eq!(listed.highest_id, Some(49682));
        let t = listed.records[0].as_ref().unwrap();
        assert_eq!(t.external_id, "49682");
        assert_eq!(t.amount.to_string(), "18067000");
        assert_eq!(t.description, "DUONG THUY ANH chuyen tien...");
        assert_eq!(t.bank_ref.as_deref(), Some("677760.050523.080001"));
        assert_eq!(t.account.as_deref(), Some("VCB0011ABC004"));
        assert_eq!(t.running_balance.unwrap().to_string(), "1200541768");
        assert_eq!(t.when.unwrap().to_rfc3339(), "2023-05-05T12:59:48+00:00");
    }

    #[test]
    fn money_out_and_bad_records() {
        let reply = DOC_REPLY
            .replace(r#""amount_out": "0.00""#, r#""amount_out": "50000.00""#)
            .replace(r#""amount_in": "18067000.00""#, r#""amount_in": "0.00""#);
        let out = page(&reply).unwrap();
        assert_eq!(
            out.records[0].as_ref().unwrap().amount.to_string(),
            "-50000"
        );
        let reply = DOC_REPLY.replace(r#""amount_in": "18067000.00""#, r#""amount_in": "x""#);
        let rejection = page_err_record(&reply);
        assert!(
            rejection.reason.contains("`transferAmount`"),
            "{}",
            rejection.reason
        );
        assert!(rejection.payload.contains("amount_in"));
    }

    fn page_err_record(reply: &str) -> Rejection {
        page(reply).unwrap().records.remove(0).unwrap_err()
    }

    #[test]
    fn replies_that_are_errors() {
        for reply in [
            r#"{"status": 401, "error": "unauthorized", "messages": {"success": false}}"#,
            r#"{"status": 200, "messages": {"success": true}}"#,
            r#"[]"#,
        ] {
            assert!(page(reply).is_err(), "{reply}");
        }
    }
}
