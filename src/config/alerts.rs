//! Owner alerts: where they go (Telegram chats, e-mail addresses), which kinds, when the daily
//! summary goes out, and in which language.

use chrono::NaiveTime;
use secrecy::SecretString;

/// The kinds of owner alerts, as `PAYMATCH_ALERTS` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    Paid,
    PartiallyPaid,
    Overpaid,
    Waiting,
    Failing,
    Daily,
}

impl AlertKind {
    pub const ALL: [AlertKind; 6] = [
        AlertKind::Paid,
        AlertKind::PartiallyPaid,
        AlertKind::Overpaid,
        AlertKind::Waiting,
        AlertKind::Failing,
        AlertKind::Daily,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Paid => "paid",
            AlertKind::PartiallyPaid => "partially_paid",
            AlertKind::Overpaid => "overpaid",
            AlertKind::Waiting => "waiting",
            AlertKind::Failing => "failing",
            AlertKind::Daily => "daily",
        }
    }

    pub fn parse(text: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The language paymatch writes in when no reader chose one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Vi,
    En,
}

#[derive(Debug, Clone)]
pub struct Telegram {
    pub token: SecretString,
    pub chats: Vec<String>,
    pub api_url: String,
}

#[derive(Debug, Clone)]
pub struct Email {
    /// `smtp://host:port`, `smtps://user:password@host:465`, `smtp://…?tls=required`.
    pub smtp_url: SecretString,
    pub to: Vec<String>,
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct AlertSettings {
    pub telegram: Option<Telegram>,
    pub email: Option<Email>,
    pub kinds: Vec<AlertKind>,
    /// Vietnam time.
    pub daily_at: NaiveTime,
    pub language: Language,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            telegram: None,
            email: None,
            kinds: AlertKind::ALL.to_vec(),
            daily_at: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            language: Language::Vi,
        }
    }
}

impl AlertSettings {
    pub fn sends(&self, kind: AlertKind) -> bool {
        (self.telegram.is_some() || self.email.is_some()) && self.kinds.contains(&kind)
    }
}

/// The raw values, as read from the file and the variables.
#[derive(Debug, Default)]
pub struct RawAlerts {
    pub telegram_bot_token: Option<String>,
    pub telegram_chat_ids: Option<String>,
    pub telegram_api_url: Option<String>,
    pub smtp_url: Option<String>,
    pub alert_email_to: Option<String>,
    pub alert_email_from: Option<String>,
    pub alerts: Option<String>,
    pub alert_daily_at: Option<String>,
    pub language: Option<String>,
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A chat id as Telegram takes it: a number (groups are negative) or `@channelname`.
fn is_chat_id(id: &str) -> bool {
    let digits = id.strip_prefix('-').unwrap_or(id);
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
        || id.strip_prefix('@').is_some_and(|name| {
            name.len() >= 4 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn is_address(text: &str) -> bool {
    let mut parts = text.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(d), None)
        if !a.is_empty() && d.contains('.') && !text.contains(char::is_whitespace))
}

impl RawAlerts {
    /// The settings, or the key at fault and why.
    pub fn check(self) -> Result<AlertSettings, (&'static str, String)> {
        let chats = list(self.telegram_chat_ids);
        let telegram = match (given(self.telegram_bot_token), chats.is_empty()) {
            (None, true) => None,
            (Some(_), true) => {
                return Err((
                    "telegram_chat_ids",
                    "is needed with a bot token: the chats to write to".into(),
                ))
            }
            (None, false) => return Err(("telegram_bot_token", "is needed with chat ids".into())),
            (Some(token), false) => {
                if let Some(bad) = chats.iter().find(|c| !is_chat_id(c)) {
                    return Err((
                        "telegram_chat_ids",
                        format!("{bad:?} is not a chat id (a number, or @channelname)"),
                    ));
                }
                let api_url = given(self.telegram_api_url)
                    .unwrap_or_else(|| "https://api.telegram.org".to_owned())
                    .trim_end_matches('/')
                    .to_owned();
                if !reqwest::Url::parse(&api_url)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
                {
                    return Err((
                        "telegram_api_url",
                        "must be an http:// or https:// URL".into(),
                    ));
                }
                Some(Telegram {
                    token: SecretString::from(token),
                    chats,
                    api_url,
                })
            }
        };
        let to = list(self.alert_email_to);
        let email = match (given(self.smtp_url), to.is_empty()) {
            (None, true) => None,
            (Some(_), true) => {
                return Err(("alert_email_to", "is needed with an SMTP server".into()))
            }
            (None, false) => return Err(("smtp_url", "is needed with alert addresses".into())),
            (Some(url), false) => {
                let scheme = reqwest::Url::parse(&url).map(|u| u.scheme().to_owned());
                if !matches!(scheme.as_deref(), Ok("smtp" | "smtps")) {
                    // The URL may hold a password: not repeated in the message.
                    return Err((
                        "smtp_url",
                        "must be smtp://host:port or smtps://user:password@host:465".into(),
                    ));
                }
                if let Some(bad) = to.iter().find(|a| !is_address(a)) {
                    return Err((
                        "alert_email_to",
                        format!("{bad:?} is not an e-mail address"),
                    ));
                }
                let from = given(self.alert_email_from).ok_or((
                    "alert_email_from",
                    "is needed with an SMTP server: the sender's address".to_owned(),
                ))?;
                if !is_address(&from) {
                    return Err((
                        "alert_email_from",
                        format!("{from:?} is not an e-mail address"),
                    ));
                }
                Some(Email {
                    smtp_url: SecretString::from(url),
                    to,
                    from,
                })
            }
        };
        let kinds = match self.alerts {
            None => AlertKind::ALL.to_vec(),
            Some(text) => list(Some(text))
                .iter()
                .map(|k| {
                    AlertKind::parse(k).ok_or((
                        "alerts",
                        format!("{k:?} is not one of paid, partially_paid, overpaid, waiting, failing, daily"),
                    ))
                })
                .collect::<Result<_, _>>()?,
        };
        let daily_at = match given(self.alert_daily_at) {
            None => AlertSettings::default().daily_at,
            Some(text) => NaiveTime::parse_from_str(&text, "%H:%M").map_err(|_| {
                (
                    "alert_daily_at",
                    format!("{text:?} is not a time such as 08:00"),
                )
            })?,
        };
        let language = match given(self.language).as_deref() {
            None | Some("vi") => Language::Vi,
            Some("en") => Language::En,
            Some(other) => return Err(("language", format!("{other:?} is not vi or en"))),
        };
        Ok(AlertSettings {
            telegram,
            email,
            kinds,
            daily_at,
            language,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)]) -> Result<AlertSettings, (&'static str, String)> {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        };
        RawAlerts {
            telegram_bot_token: get("token"),
            telegram_chat_ids: get("chats"),
            telegram_api_url: get("api"),
            smtp_url: get("smtp"),
            alert_email_to: get("to"),
            alert_email_from: get("from"),
            alerts: get("alerts"),
            alert_daily_at: get("daily"),
            language: get("language"),
        }
        .check()
    }

    #[test]
    fn nothing_set_sends_nothing_and_defaults_hold() {
        let settings = check(&[]).unwrap();
        assert!(!settings.sends(AlertKind::Paid));
        assert_eq!(settings.daily_at.to_string(), "08:00:00");
        assert_eq!(settings.language, Language::Vi);
    }

    #[test]
    fn channels_need_both_halves_and_valid_values() {
        assert_eq!(
            check(&[("token", "1:ab")]).unwrap_err().0,
            "telegram_chat_ids"
        );
        assert_eq!(
            check(&[("chats", "42")]).unwrap_err().0,
            "telegram_bot_token"
        );
        assert_eq!(
            check(&[("token", "1:ab"), ("chats", "42, chat")])
                .unwrap_err()
                .0,
            "telegram_chat_ids"
        );
        let ok = check(&[("token", "1:ab"), ("chats", "42, -1001, @shop_alerts")]).unwrap();
        assert_eq!(ok.telegram.unwrap().chats, ["42", "-1001", "@shop_alerts"]);
        assert_eq!(
            check(&[("smtp", "smtp://localhost:25")]).unwrap_err().0,
            "alert_email_to"
        );
        assert_eq!(
            check(&[("smtp", "http://x"), ("to", "a@b.vn"), ("from", "p@b.vn")])
                .unwrap_err()
                .0,
            "smtp_url"
        );
        assert_eq!(
            check(&[("smtp", "smtp://x:25"), ("to", "a@b.vn")])
                .unwrap_err()
                .0,
            "alert_email_from"
        );
        assert_eq!(
            check(&[
                ("smtp", "smtp://x:25"),
                ("to", "a b@c.vn"),
                ("from", "p@b.vn")
            ])
            .unwrap_err()
            .0,
            "alert_email_to"
        );
        let ok = check(&[
            ("smtp", "smtps://u:p@x:465"),
            ("to", "a@b.vn,c@d.vn"),
            ("from", "p@b.vn"),
        ])
        .unwrap();
        assert!(ok.sends(AlertKind::Daily));
    }

    #[test]
    fn kinds_times_and_languages_are_checked() {
        let only = check(&[
            ("token", "1:ab"),
            ("chats", "42"),
            ("alerts", "paid, waiting"),
        ])
        .unwrap();
        assert!(only.sends(AlertKind::Paid) && !only.sends(AlertKind::Overpaid));
        assert_eq!(check(&[("alerts", "paid,sold")]).unwrap_err().0, "alerts");
        assert_eq!(check(&[("daily", "8h")]).unwrap_err().0, "alert_daily_at");
        assert_eq!(
            check(&[("daily", "21:30")]).unwrap().daily_at.to_string(),
            "21:30:00"
        );
        assert_eq!(check(&[("language", "en")]).unwrap().language, Language::En);
        assert_eq!(check(&[("language", "fr")]).unwrap_err().0, "language");
    }
}
