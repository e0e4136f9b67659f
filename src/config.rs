//! Settings: `paymatch.toml` (or `--config` / `PAYMATCH_CONFIG`), then `PAYMATCH_*` variables,
//! which win. Every key is checked at start; a bad one stops the start with its name.

use std::collections::BTreeMap;
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::{self, Money};
use crate::matching::{Patterns, PayerRule, DEFAULT_PATTERN};
use crate::proxies::{ProxyHeader, TrustedProxies};

mod accounts;
mod alerts;
mod contact;
mod lenient;
mod public_url;
pub use accounts::{is_currency_code, Account, Accounts, DEFAULT_CURRENCY};
pub use alerts::{AlertKind, AlertSettings, Email, Language, Telegram};
pub use contact::ShopContact;
pub use public_url::PublicUrl;

const ENV_PREFIX: &str = "PAYMATCH_";
/// Names the configuration file; not a key of it.
pub const CONFIG_PATH_VAR: &str = "PAYMATCH_CONFIG";
const DEFAULT_FILE: &str = "paymatch.toml";
/// `sqlite_wal_limit`'s default: 64 MiB.
pub const DEFAULT_SQLITE_WAL_LIMIT: u64 = 64 << 20;
/// Below this, the writer would reset the WAL after nearly every batch.
const MIN_SQLITE_WAL_LIMIT: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("configuration key `{key}` ({var}): {message}")]
    Key {
        key: String,
        var: String,
        message: String,
    },
}

impl ConfigError {
    fn key(key: &str, message: impl std::fmt::Display) -> ConfigError {
        ConfigError::Key {
            key: key.to_owned(),
            var: env_var_name(key),
            message: one_line(&message.to_string()),
        }
    }
}

/// The CLI reports an error in one line; some parsers' messages span several.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn env_var_name(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        key.replace('.', "__").to_ascii_uppercase()
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The settings a process runs with, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub database_kind: DatabaseKind,
    /// The most bytes SQLite's `-wal` file holds under load.
    pub sqlite_wal_limit: u64,
    pub bind: String,
    pub casso_secure_token: Option<SecretString>,
    pub casso_webhook_key: Option<SecretString>,
    /// `false` once v2 is set up: v1's shared token is then refused.
    pub casso_webhook_v1: bool,
    pub casso_api_key: Option<SecretString>,
    pub casso_api_url: String,
    /// The key SePay sends as `Authorization: Apikey <key>`; unset: SePay deliveries refused.
    pub sepay_webhook_key: Option<SecretString>,
    pub sepay_api_token: Option<SecretString>,
    pub sepay_api_url: String,
    pub api_key: Option<SecretString>,
    pub admin_password: Option<SecretString>,
    pub notify_secret: Option<SecretString>,
    pub metrics_token: Option<SecretString>,
    pub notify_url: Option<String>,
    pub notify_allow_private: bool,
    pub reconcile_interval: u64,
    pub worker: bool,
    /// The receiving accounts; the first is the default.
    pub accounts: Accounts,
    /// The shop's name on payment pages; unset: the default account's name.
    pub shop_name: Option<String>,
    /// How customers reach the shop, on payment pages where they may need it.
    pub shop_contact: Option<ShopContact>,
    pub public_url: PublicUrl,
    /// Owner alerts by Telegram and e-mail, and the language paymatch writes in.
    pub alerts: AlertSettings,
    pub log_format: LogFormat,
    pub trusted_proxies: TrustedProxies,
    pub matching: MatchingSettings,
}

#[derive(Debug, Clone)]
pub struct MatchingSettings {
    pub pattern_sources: Vec<String>,
    pub patterns: Patterns,
    pub amount_tolerance: Money,
    /// Transfers without a code: `payer_window_hours`, `match_without_code`.
    pub payer: PayerRule,
}

/// The file's and variables' shape, before validation. Unknown keys are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    database_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::byte_size")]
    sqlite_wal_limit: Option<u64>,
    bind: Option<String>,
    casso_secure_token: Option<String>,
    casso_webhook_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    casso_webhook_v1: Option<bool>,
    casso_api_key: Option<String>,
    casso_api_url: Option<String>,
    sepay_webhook_key: Option<String>,
    sepay_api_token: Option<String>,
    sepay_api_url: Option<String>,
    api_key: Option<String>,
    admin_password: Option<String>,
    notify_secret: Option<String>,
    metrics_token: Option<String>,
    notify_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    notify_allow_private: Option<bool>,
    #[serde(default, deserialize_with = "lenient::u64")]
    reconcile_interval: Option<u64>,
    #[serde(default, deserialize_with = "lenient::bool")]
    worker: Option<bool>,
    bank_bin: Option<String>,
    bank_account: Option<String>,
    bank_account_name: Option<String>,
    #[serde(default, deserialize_with = "accounts::raw_list")]
    accounts: Option<Vec<accounts::RawAccount>>,
    shop_name: Option<String>,
    shop_contact: Option<String>,
    public_url: Option<String>,
    log_format: Option<String>,
    #[serde(default, deserialize_with = "lenient::comma_list")]
    trusted_proxies: Option<String>,
    trusted_proxy_header: Option<String>,
    telegram_bot_token: Option<String>,
    #[serde(default, deserialize_with = "lenient::comma_list")]
    telegram_chat_ids: Option<String>,
    telegram_api_url: Option<String>,
    smtp_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::comma_list")]
    alert_email_to: Option<String>,
    alert_email_from: Option<String>,
    #[serde(default, deserialize_with = "lenient::comma_list")]
    alerts: Option<String>,
    alert_daily_at: Option<String>,
    language: Option<String>,
    #[serde(default)]
    matching: RawMatching,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatching {
    #[serde(default, deserialize_with = "lenient::string_list")]
    patterns: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::money")]
    amount_tolerance: Option<Money>,
    #[serde(default, deserialize_with = "lenient::u64")]
    payer_window_hours: Option<u64>,
    #[serde(default, deserialize_with = "lenient::bool")]
    match_without_code: Option<bool>,
}

impl Settings {
    /// The shop's name as customers read it: `shop_name`, else the default account's name
    /// (the same on every order, whichever account it is paid into).
    pub fn shop(&self) -> Option<String> {
        self.shop_name.clone().or_else(|| {
            self.accounts
                .default_account()
                .map(|a| a.name.clone())
                .filter(|name| !name.is_empty())
        })
    }

    /// Reads the file (if any) and overlays the variables given (normally `std::env::vars()`).
    pub fn load(
        explicit_path: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut table = match explicit_path {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_FILE).exists() => read_file(Path::new(DEFAULT_FILE))?,
            None => toml::Table::new(),
        };
        overlay_env(&mut table, vars)?;
        let raw: RawSettings = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| {
                // The path names the key, unknown ones included, except at the top level.
                let path = e.path().to_string();
                let key = match path.as_str() {
                    "." | "" => unknown_field(e.inner()).unwrap_or(path),
                    _ => path,
                };
                ConfigError::key(&key, e.inner().message())
            })?;
        raw.validate()
    }
}

/// serde names an unknown field only in its message: "unknown field `x`, expected …".
fn unknown_field(error: &toml::de::Error) -> Option<String> {
    let message = error.to_string();
    let rest = message.split("unknown field `").nth(1)?;
    rest.split('`').next().map(str::to_owned)
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: one_line(e.message()),
        })
}

fn overlay_env(
    table: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let vars: BTreeMap<String, String> = vars.into_iter().collect();
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        // An empty variable counts as unset, as shells make it easy to leave one empty.
        if name == CONFIG_PATH_VAR || value.is_empty() {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        let key = path.join(".");
        let mut node = &mut *table;
        for part in &path[..path.len() - 1] {
            let entry = node
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = match entry {
                toml::Value::Table(t) => t,
                _ => return Err(ConfigError::key(&key, "is not a section")),
            };
        }
        let leaf = path.last().cloned().unwrap_or_default();
        node.insert(leaf, toml::Value::String(value));
    }
    Ok(())
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// A provider's API base URL, or its default.
fn api_url(key: &'static str, value: Option<String>, default: &str) -> Result<String, ConfigError> {
    let url = value.unwrap_or_else(|| default.to_owned());
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(ConfigError::key(key, "must be an http:// or https:// URL"))
    }
}

fn secret(value: Option<String>) -> Option<SecretString> {
    non_empty(value).map(SecretString::from)
}

impl RawSettings {
    fn validate(self) -> Result<Settings, ConfigError> {
        let database_url = self
            .database_url
            .unwrap_or_else(|| "sqlite://paymatch.db".to_owned());
        let database_kind = database_kind(&database_url).ok_or_else(|| {
            ConfigError::key("database_url", "must start with sqlite:// or postgres://")
        })?;

        let sqlite_wal_limit = self.sqlite_wal_limit.unwrap_or(DEFAULT_SQLITE_WAL_LIMIT);
        if sqlite_wal_limit < MIN_SQLITE_WAL_LIMIT {
            return Err(ConfigError::key(
                "sqlite_wal_limit",
                "must be at least 1MiB",
            ));
        }

        let bind = self.bind.unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        if !bind
            .to_socket_addrs()
            .is_ok_and(|mut addrs| addrs.next().is_some())
        {
            return Err(ConfigError::key(
                "bind",
                format!("{bind:?} is not a host:port address"),
            ));
        }

        let casso_api_url = api_url(
            "casso_api_url",
            self.casso_api_url,
            "https://oauth.casso.vn",
        )?;
        let sepay_api_url = api_url("sepay_api_url", self.sepay_api_url, "https://my.sepay.vn")?;
        if let Some(url) = &self.notify_url {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(ConfigError::key(
                    "notify_url",
                    "must be an http:// or https:// URL",
                ));
            }
        }
        if let Some(secret) = &self.notify_secret {
            use base64::Engine;
            let valid = secret.strip_prefix("whsec_").is_some_and(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .is_ok_and(|k| !k.is_empty())
            });
            if !valid {
                return Err(ConfigError::key(
                    "notify_secret",
                    "must be whsec_ followed by base64",
                ));
            }
        }
        let accounts = accounts::validate(
            self.accounts,
            accounts::LegacyAccount {
                bin: non_empty(self.bank_bin),
                number: non_empty(self.bank_account),
                name: non_empty(self.bank_account_name),
            },
        )?;
        // The CLI's commands check the same minimum.
        if let Some(password) = &self.admin_password {
            domain::check_password(password)
                .map_err(|e| ConfigError::key("admin_password", e.to_string()))?;
        }
        let trusted_proxy_header = self
            .trusted_proxy_header
            .as_deref()
            .map_or(Ok(ProxyHeader::default()), ProxyHeader::parse)
            .map_err(|e| ConfigError::key("trusted_proxy_header", e))?;
        let trusted_proxies = TrustedProxies::parse(self.trusted_proxies.as_deref().unwrap_or(""))
            .map_err(|e| ConfigError::key("trusted_proxies", e))?
            .believing(trusted_proxy_header);
        let alerts = alerts::RawAlerts {
            telegram_bot_token: self.telegram_bot_token,
            telegram_chat_ids: self.telegram_chat_ids,
            telegram_api_url: self.telegram_api_url,
            smtp_url: self.smtp_url,
            alert_email_to: self.alert_email_to,
            alert_email_from: self.alert_email_from,
            alerts: self.alerts,
            alert_daily_at: self.alert_daily_at,
            language: self.language,
        }
        .check()
        .map_err(|(key, e)| ConfigError::key(key, e))?;
        let shop_contact = ShopContact::parse(self.shop_contact.as_deref())
            .map_err(|e| ConfigError::key("shop_contact", e))?;
        let notify_url = non_empty(self.notify_url);
        let public_url = PublicUrl::parse(self.public_url.as_deref())
            .map_err(|e| ConfigError::key("public_url", e))?
            .with_notify_fallback(notify_url.as_deref());
        let log_format = match self.log_format.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(ConfigError::key("log_format", "must be text or json")),
        };

        let pattern_sources = self
            .matching
            .patterns
            .unwrap_or_else(|| vec![DEFAULT_PATTERN.to_owned()]);
        let patterns = Patterns::compile(&pattern_sources)
            .map_err(|e| ConfigError::key("matching.patterns", e))?;
        let amount_tolerance = self.matching.amount_tolerance.unwrap_or(Money::ZERO);
        if amount_tolerance.is_negative() {
            return Err(ConfigError::key(
                "matching.amount_tolerance",
                "must not be negative",
            ));
        }

        // A window past ten years is a typo; it also keeps the time arithmetic in range.
        let payer_window_hours = self.matching.payer_window_hours.unwrap_or(72);
        if payer_window_hours > 87_600 {
            return Err(ConfigError::key(
                "matching.payer_window_hours",
                "must be at most 87600 (ten years)",
            ));
        }
        let payer = PayerRule {
            window: chrono::Duration::hours(payer_window_hours as i64),
            enabled: self.matching.match_without_code.unwrap_or(true),
        };

        Ok(Settings {
            database_url,
            database_kind,
            sqlite_wal_limit,
            bind,
            casso_secure_token: secret(self.casso_secure_token),
            casso_webhook_key: secret(self.casso_webhook_key),
            casso_webhook_v1: self.casso_webhook_v1.unwrap_or(true),
            casso_api_key: secret(self.casso_api_key),
            casso_api_url,
            sepay_webhook_key: secret(self.sepay_webhook_key),
            sepay_api_token: secret(self.sepay_api_token),
            sepay_api_url,
            api_key: secret(self.api_key),
            admin_password: secret(self.admin_password),
            notify_secret: secret(self.notify_secret),
            metrics_token: secret(self.metrics_token),
            notify_url,
            notify_allow_private: self.notify_allow_private.unwrap_or(false),
            reconcile_interval: self.reconcile_interval.unwrap_or(900),
            worker: self.worker.unwrap_or(true),
            accounts,
            shop_name: non_empty(self.shop_name),
            shop_contact,
            public_url,
            alerts,
            log_format,
            trusted_proxies,
            matching: MatchingSettings {
                pattern_sources,
                patterns,
                amount_tolerance,
                payer,
            },
        })
    }
}

fn database_kind(url: &str) -> Option<DatabaseKind> {
    if url.starts_with("sqlite://") {
        Some(DatabaseKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(DatabaseKind::Postgres)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
