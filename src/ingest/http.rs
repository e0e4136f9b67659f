//! What the providers' API clients share: building the HTTP client, retrying transient failures
//! with back-off (or the wait the provider asks for), and error texts an operator can act on.

use std::future::Future;
use std::time::Duration;

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

impl RetryPolicy {
    /// At least one attempt, whatever was configured.
    pub fn normalised(self) -> RetryPolicy {
        RetryPolicy {
            attempts: self.attempts.max(1),
            ..self
        }
    }

    /// The wait after failed attempt `attempt` (1-based) when the provider asked for none.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// A failed attempt, and whether another may succeed.
pub struct Failure<E> {
    pub error: E,
    pub retryable: bool,
    /// The wait the provider asked for (`Retry-After` and the like).
    pub retry_after: Option<Duration>,
}

impl<E> Failure<E> {
    pub fn fatal(error: E) -> Failure<E> {
        Failure {
            error,
            retryable: false,
            retry_after: None,
        }
    }
}

/// A provider's error for a request that got no reply.
pub trait NoReply {
    fn timed_out(after: Duration) -> Self;
    fn connection(chain: String) -> Self;
}

impl<E: NoReply> Failure<E> {
    /// A request that got no reply (timed out after `timeout`, or no connection): worth
    /// another try, unless it could not even be built (it will not build next time either).
    pub fn no_reply(error: &reqwest::Error, timeout: Duration) -> Failure<E> {
        Failure {
            error: if error.is_timeout() {
                E::timed_out(timeout)
            } else {
                E::connection(error_chain(error))
            },
            retryable: !error.is_builder(),
            retry_after: None,
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the policy's attempts are spent. Only
/// for reads: repeating them is harmless.
pub async fn with_retries<T, E, F, Fut>(
    policy: &RetryPolicy,
    url: &str,
    mut attempt: F,
) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    let mut number = 1;
    loop {
        let failure = match attempt().await {
            Ok(reply) => return Ok(reply),
            Err(failure) => failure,
        };
        if !failure.retryable || number >= policy.attempts {
            return Err(failure.error);
        }
        let delay = match failure.retry_after {
            Some(asked) => asked.min(policy.max_delay),
            None => policy.backoff(number),
        };
        tracing::warn!(
            url = %url,
            attempt = number,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error = %failure.error,
            "provider API call failed; retrying"
        );
        tokio::time::sleep(delay).await;
        number += 1;
    }
}

/// Checks a provider's base URL and builds a client whose every attempt `timeout` bounds.
/// Returns the client and the URL without its trailing `/`; the error is the reason.
pub fn client_for(base_url: &str, timeout: Duration) -> Result<(reqwest::Client, String), String> {
    let parsed = reqwest::Url::parse(base_url).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http:// or https:// URL".into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("paymatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("the HTTP client could not be built: {}", error_chain(&e)))?;
    Ok((client, base_url.trim_end_matches('/').to_owned()))
}

/// A header holding a number of seconds to wait; the HTTP-date form is rare from APIs and falls
/// back to back-off.
pub fn seconds_header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<Duration> {
    let seconds = headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The start of a body, for error messages.
pub fn snippet(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let text = text.trim();
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// reqwest's `Display` leaves out the cause (refused, DNS…), which is what an operator needs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `": message"`, or nothing for an empty message.
pub fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}
