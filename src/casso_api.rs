//! Client of the Casso API (v2) for reconciliation: `GET /v2/userInfo` and the paged
//! `GET /v2/transactions`, with the key in `Authorization: Apikey <key>`.
//!
//! Transient failures (HTTP 429, 5xx, connection errors, timeouts) are retried with exponential
//! back-off; both calls are reads, so repeating them is harmless.

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::ingest::casso::{parse_v1_element, Element, Rejection};

/// Attempts, back-off base and the longest wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; at least 1.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each next one.
    pub base_delay: Duration,
    /// Cap on any wait, `Retry-After` included, so a bad header cannot stall reconciliation.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CassoApiError {
    #[error("the Casso API URL {url:?} is not valid: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
    #[error(
        "Casso refused the API key (HTTP {status}{}): check PAYMATCH_CASSO_API_KEY",
        suffix(message)
    )]
    BadKey { status: u16, message: String },
    #[error("Casso answered error {code}: {message}")]
    Api { code: String, message: String },
    #[error("Casso answered HTTP {status}{}", suffix(message))]
    Http { status: u16, message: String },
    #[error("Casso did not answer within {0:?}")]
    Timeout(Duration),
    #[error("could not reach Casso: {0}")]
    Connection(String),
    #[error("Casso's reply is not what was expected: {0}")]
    Malformed(String),
}

fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// One page of `GET /v2/transactions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionsPage {
    pub page: u32,
    pub page_size: u32,
    pub next_page: Option<u32>,
    pub prev_page: Option<u32>,
    pub total_pages: Option<u32>,
    pub total_records: Option<u64>,
    /// Each record checked like a webhook v1 element; a bad one is kept with its reason.
    pub records: Vec<Element>,
}

impl TransactionsPage {
    /// Whether a later page may hold more records. Prefers `totalPages`, then `nextPage`, and
    /// without either, a full page.
    pub fn has_more(&self) -> bool {
        if self.records.is_empty() {
            return false;
        }
        match (self.total_pages, self.next_page) {
            (Some(total), _) => self.page < total,
            (None, Some(next)) => next > self.page,
            (None, None) => {
                self.records.len() >= usize::try_from(self.page_size).unwrap_or(usize::MAX)
            }
        }
    }
}

pub struct CassoApi {
    client: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    timeout: Duration,
    retry: RetryPolicy,
}

/// A failed attempt, and whether another may succeed.
struct Failure {
    error: CassoApiError,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn fatal(error: CassoApiError) -> Failure {
        Failure {
            error,
            retryable: false,
            retry_after: None,
        }
    }
}

impl CassoApi {
    /// `base_url` like `https://oauth.casso.vn`; `timeout` bounds each attempt.
    pub fn new(
        base_url: &str,
        api_key: SecretString,
        timeout: Duration,
    ) -> Result<CassoApi, CassoApiError> {
        let bad_url = |reason: &str| CassoApiError::BadUrl {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let parsed = reqwest::Url::parse(base_url).map_err(|e| bad_url(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad_url("must be an http:// or https:// URL"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad_url("must not have a query or fragment"));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("paymatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CassoApiError::Client(error_chain(&e)))?;
        Ok(CassoApi {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            timeout,
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> CassoApi {
        self.retry = RetryPolicy {
            attempts: retry.attempts.max(1),
            ..retry
        };
        self
    }

    /// `GET /v2/userInfo`: the reply's `data` (the user and their bank accounts). Also the
    /// cheapest way to check a key.
    pub async fn user_info(&self) -> Result<Value, CassoApiError> {
        let mut reply = self.get("/v2/userInfo", &[]).await?;
        reply
            .get_mut("data")
            .map(Value::take)
            .ok_or_else(|| CassoApiError::Malformed("the reply has no `data`".into()))
    }

    /// `GET /v2/transactions` for the days `from` to `to` (Casso's dates), oldest first.
    pub async fn transactions_page(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        page: u32,
        page_size: u32,
    ) -> Result<TransactionsPage, CassoApiError> {
        let query = [
            ("fromDate", from.format("%Y-%m-%d").to_string()),
            ("toDate", to.format("%Y-%m-%d").to_string()),
            ("page", page.to_string()),
            ("pageSize", page_size.to_string()),
            ("sort", "ASC".to_owned()),
        ];
        let reply = self.get("/v2/transactions", &query).await?;
        parse_page(&reply, page, page_size)
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, CassoApiError> {
        let url = format!("{}{path}", self.base_url);
        let mut attempt = 1;
        loop {
            let failure = match self.attempt(&url, query).await {
                Ok(reply) => return Ok(reply),
                Err(failure) => failure,
            };
            if !failure.retryable || attempt >= self.retry.attempts {
                return Err(failure.error);
            }
            let delay = match failure.retry_after {
                Some(asked) => asked.min(self.retry.max_delay),
                None => self.backoff(attempt),
            };
            tracing::warn!(
                url = %url,
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %failure.error,
                "Casso API call failed; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.retry
            .base_delay
            .saturating_mul(factor)
            .min(self.retry.max_delay)
    }

    async fn attempt(&self, url: &str, query: &[(&str, String)]) -> Result<Value, Failure> {
        let response = self
            .client
            .get(url)
            .query(query)
            .header(
                AUTHORIZATION,
                format!("Apikey {}", self.api_key.expose_secret()),
            )
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_failure(&e))?;
        let reply: Result<Value, _> = serde_json::from_str(&text);

        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(Failure::fatal(CassoApiError::BadKey {
                status: status.as_u16(),
                message: reply.as_ref().map(casso_message).unwrap_or_default(),
            }));
        }
        if !status.is_success() {
            let message = match &reply {
                Ok(reply) => casso_message(reply),
                Err(_) => snippet(&text),
            };
            let error = CassoApiError::Http {
                status: status.as_u16(),
                message,
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
        let reply = reply.map_err(|e| {
            Failure::fatal(CassoApiError::Malformed(format!(
                "not JSON ({e}): {}",
                snippet(&text)
            )))
        })?;
        if !reply.is_object() {
            return Err(Failure::fatal(CassoApiError::Malformed(
                "expected a JSON object".into(),
            )));
        }
        match reply.get("error") {
            None => {}
            Some(Value::Number(n)) if n.as_i64() == Some(0) => {}
            Some(code) => {
                let code = match code {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let message = casso_message(&reply);
                // Casso has been seen to report a refused key in the body of a 200.
                let error = if code == "401" || code == "403" {
                    CassoApiError::BadKey {
                        status: status.as_u16(),
                        message,
                    }
                } else {
                    CassoApiError::Api { code, message }
                };
                return Err(Failure::fatal(error));
            }
        }
        Ok(reply)
    }

    fn transport_failure(&self, error: &reqwest::Error) -> Failure {
        let error_kind = if error.is_timeout() {
            CassoApiError::Timeout(self.timeout)
        } else {
            CassoApiError::Connection(error_chain(error))
        };
        Failure {
            error: error_kind,
            // A request that could not even be built will not build next time either.
            retryable: !error.is_builder(),
            retry_after: None,
        }
    }
}

/// `Retry-After` in seconds; the HTTP-date form is rare from APIs and falls back to back-off.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

fn casso_message(reply: &Value) -> String {
    match reply.get("message") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// The start of a body, for error messages.
fn snippet(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let text = text.trim();
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// reqwest's `Display` leaves out the cause (refused, DNS…), which is what an operator needs.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn parse_page(
    reply: &Value,
    asked_page: u32,
    asked_size: u32,
) -> Result<TransactionsPage, CassoApiError> {
    let malformed = |what: &str| CassoApiError::Malformed(what.to_owned());
    let Some(Value::Object(data)) = reply.get("data") else {
        return Err(malformed("`data` must be an object"));
    };
    let Some(Value::Array(records)) = data.get("records") else {
        return Err(malformed("`data.records` must be an array"));
    };
    let number = |name: &str| -> Result<Option<u64>, CassoApiError> {
        match data.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| malformed(&format!("`{name}` must be a whole number"))),
            Some(Value::String(s)) => s
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| malformed(&format!("`{name}` must be a whole number"))),
            Some(_) => Err(malformed(&format!("`{name}` must be a whole number"))),
        }
    };
    let page_number = |name: &str| -> Result<Option<u32>, CassoApiError> {
        number(name)?
            .map(|n| u32::try_from(n).map_err(|_| malformed(&format!("`{name}` is too large"))))
            .transpose()
    };
    Ok(TransactionsPage {
        page: page_number("page")?.unwrap_or(asked_page),
        page_size: page_number("pageSize")?.unwrap_or(asked_size),
        next_page: page_number("nextPage")?,
        prev_page: page_number("prevPage")?,
        total_pages: page_number("totalPages")?,
        total_records: number("totalRecords")?,
        records: parse_records(records)?,
    })
}

/// API records carry the webhook v1 fields, except that the account is `bankSubAccId`: they are
/// renamed and checked by the v1 parser, so a transaction reads the same whichever path brought
/// it.
fn parse_records(records: &[Value]) -> Result<Vec<Element>, CassoApiError> {
    let as_v1: Vec<Value> = records
        .iter()
        .map(|record| match record {
            Value::Object(fields) => {
                let mut fields: Map<String, Value> = fields.clone();
                let has_v1_account = fields.get("bank_sub_acc_id").is_some_and(|v| !v.is_null());
                if !has_v1_account {
                    if let Some(account) = fields.get("bankSubAccId").cloned() {
                        fields.insert("bank_sub_acc_id".to_owned(), account);
                    }
                }
                Value::Object(fields)
            }
            other => other.clone(),
        })
        .collect();
    Ok(records
        .iter()
        .zip(as_v1.iter().map(parse_v1_element))
        .map(|(original, element)| {
            // Admins see the record as Casso sent it.
            element.map_err(|r| Rejection {
                payload: original.to_string(),
                reason: r.reason,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[derive(Clone)]
    struct Reply {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
        delay: Duration,
    }

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    /// A fake Casso on 127.0.0.1: answers the scripted replies in order (the last one again
    /// once they run out) and keeps each request's head, lower-cased.
    struct FakeCasso {
        url: String,
        requests: Arc<Mutex<Vec<String>>>,
    }

    impl FakeCasso {
        async fn start(replies: Vec<Reply>) -> FakeCasso {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let requests = Arc::new(Mutex::new(Vec::new()));
            let seen = requests.clone();
            tokio::spawn(async move {
                let mut served = 0usize;
                loop {
                    let Ok((mut socket, _)) = listener.accept().await else {
                        return;
                    };
                    let reply = replies[served.min(replies.len() - 1)].clone();
                    served += 1;
                    let seen = seen.clone();
                    tokio::spawn(async move {
                        let mut head = Vec::new();
                        let mut buf = [0u8; 1024];
                        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => head.extend_from_slice(&buf[..n]),
                            }
                        }
                        seen.lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&head).to_lowercase());
                        tokio::time::sleep(reply.delay).await;
                        let mut response = format!(
                            "HTTP/1.1 {} Fake\r\ncontent-type: application/json\r\n\
                             content-length: {}\r\nconnection: close\r\n",
                            reply.status,
                            reply.body.len()
                        );
                        for (name, value) in &reply.headers {
                            response.push_str(&format!("{name}: {value}\r\n"));
                        }
                        response.push_str("\r\n");
                        response.push_str(&reply.body);
                        let _ = socket.write_all(response.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    });
                }
            });
            FakeCasso { url, requests }
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().unwrap().clone()
        }

        fn client(&self) -> CassoApi {
            client(&self.url, Duration::from_secs(5))
        }
    }

    fn client(url: &str, timeout: Duration) -> CassoApi {
        CassoApi::new(url, SecretString::from("test-key"), timeout)
            .unwrap()
            .with_retry(RetryPolicy {
                attempts: 3,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_secs(2),
            })
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    const PAGE: &str = r#"{"error":0,"message":"success","data":{
        "page":2,"pageSize":3,"nextPage":3,"prevPage":1,"totalPages":5,"totalRecords":13,
        "records":[
            {"id":1001,"tid":"FT24277000001","description":"MBVCB.3278614435.DH1234.CT tu","amount":150000,"cusum_balance":"9150000.5","when":"2024-10-03 15:06:37","bankSubAccId":"0123456789","virtualAccount":""},
            {"id":1002,"tid":"FT2","description":"rut tien","amount":-20000.0,"when":"2024-10-03 16:00:00","bankSubAccId":"0123456789"},
            {"tid":"FT3","amount":5,"bankSubAccId":"0123456789"}
        ]}}"#;

    async fn one_page(api: &CassoApi) -> Result<TransactionsPage, CassoApiError> {
        api.transactions_page(day("2024-10-01"), day("2024-10-03"), 2, 3)
            .await
    }

    #[tokio::test]
    async fn a_page_is_read_with_its_paging_fields_and_records() {
        let casso = FakeCasso::start(vec![reply(200, PAGE)]).await;
        let page = one_page(&casso.client()).await.unwrap();
        assert_eq!(page.page, 2);
        assert_eq!(page.page_size, 3);
        assert_eq!(page.next_page, Some(3));
        assert_eq!(page.prev_page, Some(1));
        assert_eq!(page.total_pages, Some(5));
        assert_eq!(page.total_records, Some(13));
        assert!(page.has_more());
        assert_eq!(page.records.len(), 3);

        let first = page.records[0].as_ref().unwrap();
        assert_eq!(first.external_id, "1001");
        assert_eq!(first.bank_ref.as_deref(), Some("FT24277000001"));
        assert_eq!(first.amount.to_string(), "150000");
        assert_eq!(first.running_balance.unwrap().to_string(), "9150000.5");
        assert_eq!(first.account.as_deref(), Some("0123456789"));
        assert_eq!(
            first.when.unwrap().to_rfc3339(),
            "2024-10-03T08:06:37+00:00"
        );
        assert!(!first.provider_test);
        assert!(page.records[1].as_ref().unwrap().amount.is_negative());
        let bad = page.records[2].as_ref().unwrap_err();
        assert!(bad.reason.contains("`id` is missing"), "{}", bad.reason);
        // The record as Casso sent it, not the renamed copy.
        assert!(bad.payload.contains("bankSubAccId"), "{}", bad.payload);
        assert!(!bad.payload.contains("bank_sub_acc_id"), "{}", bad.payload);

        let requests = casso.requests();
        assert_eq!(requests.len(), 1);
        let head = &requests[0];
        assert!(
            head.starts_with(
                "get /v2/transactions?fromdate=2024-10-01&todate=2024-10-03&page=2&pagesize=3&sort=asc http/1.1\r\n"
            ),
            "{head}"
        );
        assert!(
            head.contains("\r\nauthorization: apikey test-key\r\n"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn the_apikey_header_keeps_its_case() {
        // The fake lower-cases heads; check the exact value separately.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                head.extend_from_slice(&buf[..n]);
            }
            let body = r#"{"error":0,"message":"success","data":{"user":{"id":7}}}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.unwrap();
            String::from_utf8(head).unwrap()
        });
        let api = CassoApi::new(
            &format!("{url}/"),
            SecretString::from("AbC-123"),
            Duration::from_secs(5),
        )
        .unwrap();
        let info = api.user_info().await.unwrap();
        assert_eq!(info["user"]["id"], serde_json::json!(7));
        let head = server.await.unwrap();
        assert!(head.starts_with("GET /v2/userInfo HTTP/1.1\r\n"), "{head}");
        assert!(
            head.to_lowercase().contains("\r\nauthorization: ")
                && head.contains(": Apikey AbC-123\r\n"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn a_503_is_retried_then_succeeds() {
        let casso =
            FakeCasso::start(vec![reply(503, "Service Unavailable"), reply(200, PAGE)]).await;
        let page = one_page(&casso.client()).await.unwrap();
        assert_eq!(page.records.len(), 3);
        assert_eq!(casso.requests().len(), 2);
    }

    #[tokio::test]
    async fn a_429_waits_for_retry_after() {
        let mut limited = reply(429, r#"{"error":429,"message":"Too many requests"}"#);
        limited.headers.push(("retry-after", "1".into()));
        let casso = FakeCasso::start(vec![limited, reply(200, PAGE)]).await;
        let started = Instant::now();
        let page = one_page(&casso.client()).await.unwrap();
        assert_eq!(page.page, 2);
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(casso.requests().len(), 2);
    }

    #[tokio::test]
    async fn retry_after_is_capped() {
        let mut limited = reply(429, "");
        limited.headers.push(("retry-after", "3600".into()));
        let casso = FakeCasso::start(vec![limited, reply(200, PAGE)]).await;
        let api = casso.client().with_retry(RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
        });
        let started = Instant::now();
        one_page(&api).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn server_errors_give_up_after_three_attempts() {
        let casso = FakeCasso::start(vec![reply(502, "<html>Bad Gateway</html>")]).await;
        let error = one_page(&casso.client()).await.unwrap_err();
        assert!(
            matches!(&error, CassoApiError::Http { status: 502, message } if message.contains("Bad Gateway")),
            "{error:?}"
        );
        assert_eq!(casso.requests().len(), 3);
    }

    #[tokio::test]
    async fn a_refused_key_is_bad_key_without_retry() {
        for status in [401, 403] {
            let casso = FakeCasso::start(vec![reply(
                status,
                r#"{"error":401,"message":"Unauthorized"}"#,
            )])
            .await;
            let error = one_page(&casso.client()).await.unwrap_err();
            assert!(
                matches!(error, CassoApiError::BadKey { status: s, .. } if s == status),
                "{error:?}"
            );
            let message = error.to_string();
            assert!(message.contains("PAYMATCH_CASSO_API_KEY"), "{message}");
            assert!(message.contains("Unauthorized"), "{message}");
            assert_eq!(casso.requests().len(), 1);
        }
    }

    #[tokio::test]
    async fn casso_errors_in_the_body_are_reported() {
        let casso = FakeCasso::start(vec![reply(
            200,
            r#"{"error":400,"message":"fromDate must be before toDate","data":null}"#,
        )])
        .await;
        let error = one_page(&casso.client()).await.unwrap_err();
        assert!(
            matches!(&error, CassoApiError::Api { code, message }
                if code == "400" && message == "fromDate must be before toDate"),
            "{error:?}"
        );
        assert!(error.to_string().contains("fromDate must be before toDate"));
        assert_eq!(casso.requests().len(), 1);

        let casso =
            FakeCasso::start(vec![reply(200, r#"{"error":401,"message":"bad key"}"#)]).await;
        let error = casso.client().user_info().await.unwrap_err();
        assert!(matches!(error, CassoApiError::BadKey { .. }), "{error:?}");
    }

    #[tokio::test]
    async fn malformed_replies_are_errors() {
        for body in [
            "<html>oops</html>",
            "[]",
            r#"{"error":0,"data":{"page":1}}"#,
            r#"{"error":0,"data":{"records":{}}}"#,
            r#"{"error":0,"data":{"page":-1,"records":[]}}"#,
            r#"{"error":0}"#,
        ] {
            let casso = FakeCasso::start(vec![reply(200, body)]).await;
            let error = one_page(&casso.client()).await.unwrap_err();
            assert!(
                matches!(error, CassoApiError::Malformed(_)),
                "{body}: {error:?}"
            );
            assert_eq!(casso.requests().len(), 1, "{body}");
        }
    }

    #[tokio::test]
    async fn a_slow_casso_times_out() {
        let mut slow = reply(200, PAGE);
        slow.delay = Duration::from_secs(10);
        let casso = FakeCasso::start(vec![slow]).await;
        let api = client(&casso.url, Duration::from_millis(200));
        let started = Instant::now();
        let error = one_page(&api).await.unwrap_err();
        assert!(matches!(error, CassoApiError::Timeout(_)), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(casso.requests().len(), 3);
    }

    #[tokio::test]
    async fn an_unreachable_casso_is_a_connection_error() {
        // A port that was just free: nothing listens on it.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let error = one_page(&client(&url, Duration::from_secs(2)))
            .await
            .unwrap_err();
        assert!(matches!(error, CassoApiError::Connection(_)), "{error:?}");
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for url in [
            "",
            "oauth.casso.vn",
            "ftp://oauth.casso.vn",
            "https://x/?a=1",
        ] {
            assert!(
                CassoApi::new(url, SecretString::from("k"), Duration::from_secs(1)).is_err(),
                "{url}"
            );
        }
    }

    #[test]
    fn paging_without_totals() {
        let reply: Value = serde_json::from_str(
            r#"{"data":{"page":"1","nextPage":null,"records":[{"id":1,"amount":1},{"id":2,"amount":2}]}}"#,
        )
        .unwrap();
        let page = parse_page(&reply, 1, 2).unwrap();
        assert_eq!((page.page, page.page_size, page.total_pages), (1, 2, None));
        assert!(page.has_more(), "a full page may have a successor");
        let page = parse_page(&reply, 1, 10).unwrap();
        assert!(!page.has_more());
        let last: Value = serde_json::from_str(
            r#"{"data":{"page":5,"totalPages":5,"nextPage":6,"records":[{"id":1,"amount":1}]}}"#,
        )
        .unwrap();
        assert!(!parse_page(&last, 5, 1).unwrap().has_more());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let api = client("http://127.0.0.1:9", Duration::from_secs(1)).with_retry(RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        });
        let delays: Vec<u128> = (1..=4).map(|a| api.backoff(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 300, 300]);
    }
}
