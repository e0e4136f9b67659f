//! Sending one notification: Standard Webhooks headers, a 15 s limit, and no requests to
//! loopback or private addresses unless the operator allows them.

use std::net::IpAddr;
use std::time::Duration;

use super::outbox::Notification;
use super::NotifySigner;

pub const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the notification URL {0:?} is not a valid http(s) URL")]
    BadUrl(String),
    #[error("the notification URL's host {0} is a loopback or private address (set PAYMATCH_NOTIFY_ALLOW_PRIVATE=true to allow)")]
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

/// Addresses a notification must not reach from a server on the public internet.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

async fn check_target(url: &reqwest::Url, allow_private: bool) -> Result<(), DeliveryError> {
    if allow_private {
        return Ok(());
    }
    let host = url
        .host_str()
        .ok_or_else(|| DeliveryError::BadUrl(url.to_string()))?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host_for_lookup = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match host_for_lookup.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host_for_lookup, port))
            .await
            .map_err(|e| DeliveryError::Resolve(e.to_string()))?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(DeliveryError::Resolve(format!("{host} has no address")));
    }
    match addresses.into_iter().find(|ip| is_private(*ip)) {
        Some(ip) => Err(DeliveryError::PrivateAddress(format!("{host} ({ip})"))),
        None => Ok(()),
    }
}

/// Posts the notification once; a 2xx answer is success.
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
        .ok_or_else(|| DeliveryError::BadUrl(url.to_owned()))?;
    check_target(&parsed, allow_private).await?;
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
        .map_err(|e| DeliveryError::Transport(e.to_string()))?;
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

    #[test]
    fn private_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn loopback_targets_are_refused_unless_allowed() {
        let url = reqwest::Url::parse("http://127.0.0.1:9/hook").unwrap();
        assert!(matches!(
            check_target(&url, false).await,
            Err(DeliveryError::PrivateAddress(_))
        ));
        assert!(check_target(&url, true).await.is_ok());
        let url = reqwest::Url::parse("http://localhost:9/hook").unwrap();
        assert!(matches!(
            check_target(&url, false).await,
            Err(DeliveryError::PrivateAddress(_))
        ));
    }
}
