//! Sending one copy of an alert: Telegram's Bot API `sendMessage` (HTML), or one e-mail over
//! SMTP. Each answer is sorted into sent, try again (when), or never (a permanent refusal).

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use serde_json::json;

use super::{Delivery, Recipient};
use crate::config::AlertSettings;

/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Done,
    /// Try again; after this long when the other end said so (Telegram's `retry_after`).
    Retry(String, Option<Duration>),
    /// Will not succeed: stop, and show it in the admin.
    Refused(String),
}

/// When to try again after `attempts` failures: 10 s, doubling, at most 30 min (about a day
/// over `MAX_ATTEMPTS`).
pub fn retry_delay(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 12) - 1).unwrap_or(0);
    Duration::from_secs((10u64 << doublings).min(30 * 60))
}

pub async fn send(http: &reqwest::Client, settings: &AlertSettings, delivery: &Delivery) -> Sent {
    match &delivery.recipient {
        Recipient::Telegram(chat) => match &settings.telegram {
            Some(telegram) => {
                let url = format!(
                    "{}/bot{}/sendMessage",
                    telegram.api_url,
                    telegram.token.expose_secret()
                );
                telegram_message(http, &url, chat, &delivery.written.html).await
            }
            None => Sent::Refused("Telegram alerts are no longer configured".to_owned()),
        },
        Recipient::Email(address) => match &settings.email {
            Some(email) => {
                let message = match mail(&email.from, address, delivery) {
                    Ok(message) => message,
                    Err(e) => return Sent::Refused(e),
                };
                smtp(email.smtp_url.expose_secret(), message).await
            }
            None => Sent::Refused("e-mail alerts are no longer configured".to_owned()),
        },
    }
}

async fn telegram_message(http: &reqwest::Client, url: &str, chat: &str, html: &str) -> Sent {
    let body = json!({
        "chat_id": chat,
        "text": html,
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    });
    let response = match http.post(url).timeout(TIMEOUT).json(&body).send().await {
        Ok(response) => response,
        // The token is in the address: the error is told without it.
        Err(e) => {
            return Sent::Retry(
                format!("Telegram did not answer: {}", e.without_url()),
                None,
            )
        }
    };
    let status = response.status().as_u16();
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    let said = answer["description"].as_str().unwrap_or("").to_owned();
    match status {
        200..=299 => Sent::Done,
        429 => Sent::Retry(
            format!("Telegram asked to slow down: {said}"),
            answer["parameters"]["retry_after"]
                .as_u64()
                .map(Duration::from_secs),
        ),
        400 | 401 | 403 | 404 => Sent::Refused(format!("Telegram refused ({status}): {said}")),
        _ => Sent::Retry(format!("Telegram answered {status}: {said}"), None),
    }
}

fn mail(from: &str, to: &str, delivery: &Delivery) -> Result<Message, String> {
    let mailbox = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| format!("{a:?} is not an address: {e}"))
    };
    Message::builder()
        .from(mailbox(from)?)
        .to(mailbox(to)?)
        .subject(&delivery.written.subject)
        .multipart(
            MultiPart::alternative().singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(delivery.written.text.clone()),
            ),
        )
        .map_err(|e| format!("the e-mail could not be written: {e}"))
}

async fn smtp(url: &str, message: Message) -> Sent {
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(url) {
        Ok(builder) => builder.timeout(Some(TIMEOUT)).build(),
        Err(e) => return Sent::Refused(format!("PAYMATCH_SMTP_URL cannot be used: {e}")),
    };
    match transport.send(message).await {
        Ok(_) => Sent::Done,
        Err(e) if e.is_permanent() => Sent::Refused(format!("the mail server refused: {e}")),
        Err(e) => Sent::Retry(format!("the mail server did not take it: {e}"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_come_sooner_first_and_at_most_half_an_hour_apart() {
        assert_eq!(retry_delay(1), Duration::from_secs(10));
        assert_eq!(retry_delay(2), Duration::from_secs(20));
        assert_eq!(retry_delay(60), Duration::from_secs(1800));
        let total: u64 = (1..=super::super::MAX_ATTEMPTS)
            .map(|a| retry_delay(a).as_secs())
            .sum();
        assert!((20 * 3600..=30 * 3600).contains(&total), "{total}");
    }
}
