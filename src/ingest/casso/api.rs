//! Client of the Casso API (v2) for reconciliation: `GET /v2/userInfo` and the paged
//! `GET /v2/transactions`, with the key in `Authorization: Apikey <key>`.
//!
//! Transient failures (HTTP 429, 5xx, connection errors, timeouts) are retried with exponential
//! back-off; both calls are reads, so repeating them is harmless.

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::header::{ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::v1::parse_v1_element;
pub use crate::ingest::http::RetryPolicy;
use crate::ingest::http::{self, seconds_header, snippet, suffix, NoReply};
use crate::ingest::{Element, Rejection};

type Failure = http::Failure<CassoApiError>;

#[derive(Debug, thiserror::Error)]
pub enum CassoApiError {
    #[error("the Casso API URL {url:?} is not valid: {reason}")]
    BadUrl { url: String, reason: String },
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

impl CassoApi {
    /// `base_url` like `https://oauth.casso.vn`; `timeout` bounds each attempt.
    pub fn new(
        base_url: &str,
        api_key: SecretString,
        timeout: Duration,
    ) -> Result<CassoApi, CassoApiError> {
        let (client, base_url) =
            http::client_for(base_url, timeout).map_err(|reason| CassoApiError::BadUrl {
                url: base_url.to_owned(),
                reason,
            })?;
        Ok(CassoApi {
            client,
            base_url,
            api_key,
            timeout,
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> CassoApi {
        self.retry = retry.normalised();
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
        http::with_retries(&self.retry, &url, || self.attempt(&url, query)).await
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
            .map_err(|e| Failure::no_reply(&e, self.timeout))?;
        let status = response.status();
        let retry_after = seconds_header(response.headers(), RETRY_AFTER.as_str());
        let text = response
            .text()
            .await
            .map_err(|e| Failure::no_reply(&e, self.timeout))?;
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
}

impl NoReply for CassoApiError {
    fn timed_out(after: Duration) -> Self {
        CassoApiError::Timeout(after)
    }

    fn connection(chain: String) -> Self {
        CassoApiError::Connection(chain)
    }
}

fn casso_message(reply: &Value) -> String {
    match reply.get("message") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
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
mod tests;
