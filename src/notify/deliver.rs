//! Sending one notification: Standard Webhooks headers, a 15 s limit, and only to addresses
//! that [`super::target`] lets through.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::outbox::Notification;
use super::target::{is_public, redacted, VettedResolver};
use super::NotifySigner;

pub const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, thiserror::Error)]
pub enum DeliveryError {
    #[error("the notification URL {0:?} is not a valid http(s) URL")]
    BadUrl(String),
    #[error("the notification URL's host {0} is not a public address (set PAYMATCH_NOTIFY_ALLOW_PRIVATE=true to allow loopback and private ones)")]
    PrivateAddress(String),
    #[error("the notification URL's host could not be resolved: {0}")]
    Resolve(String),
    #[error("the shop answered {0}")]
    Status(u16),
    #[error("no answer from the shop: {0}")]
    Transport(String),
}

impl DeliveryError {
    /// Whether trying again later may help.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            DeliveryError::BadUrl(_) | DeliveryError::PrivateAddress(_)
        )
    }
}

/// The client that sends notifications: addresses come only from [`VettedResolver`], no
/// proxy stands between (it would connect for us to whatever it resolves), and no redirect is
/// followed (a shop's redirect could point anywhere).
pub fn client(allow_private: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(VettedResolver { allow_private }))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("paymatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// An IP-literal host never reaches the resolver: it is judged here.
fn check_literal(url: &reqwest::Url, allow_private: bool) -> Result<(), DeliveryError> {
    let host = url.host_str().unwrap_or_default();
    let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    else {
        return Ok(());
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(DeliveryError::PrivateAddress(ip.to_string()))
    }
}

/// What went wrong in sending, without the URL (its query may hold the shop's token); a
/// refusal by the resolver keeps its own kind.
fn send_error(error: &reqwest::Error) -> DeliveryError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<DeliveryError>() {
            return refused.clone();
        }
        source = e.source();
    }
    let detail = std::iter::successors(std::error::Error::source(error), |e| e.source())
        .last()
        .map_or_else(String::new, |root| format!(": {root}"));
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    DeliveryError::Transport(format!("{kind}{detail}"))
}

/// Posts the notification once with a client from [`client`]; a 2xx answer is success.
pub async fn deliver(
    http: &reqwest::Client,
    signer: &NotifySigner,
    url: &str,
    notification: &Notification,
    allow_private: bool,
) -> Result<u16, DeliveryError> {
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| DeliveryError::BadUrl(redacted(url)))?;
    check_literal(&parsed, allow_private)?;
    let timestamp = chrono::Utc::now().timestamp();
    let signature = signer.sign(&notification.event_id, timestamp, &notification.body);
    let response = http
        .post(parsed)
        .timeout(TIMEOUT)
        .header("content-type", "application/json")
        .header("webhook-id", &notification.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(notification.body.clone())
        .send()
        .await
        .map_err(|e| send_error(&e))?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(status)
    } else {
        Err(DeliveryError::Status(status))
    }
}

/// Minutes before retry number `attempt` (1 after the first failure): 1, 1, 2, 3, 5, 8 …
pub fn fibonacci_minutes(attempt: i32) -> i64 {
    let (mut a, mut b) = (1i64, 1i64);
    for _ in 1..attempt.max(1) {
        (a, b) = (b, a.saturating_add(b));
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_fibonacci() {
        let minutes: Vec<i64> = (1..=16).map(fibonacci_minutes).collect();
        assert_eq!(
            minutes,
            [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987]
        );
    }
}
