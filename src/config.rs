//! Settings: `paymatch.toml` (or `--config` / `PAYMATCH_CONFIG`), then `PAYMATCH_*` variables,
//! which win. Every key is checked at start; a bad one stops the start with its name.

use std::collections::BTreeMap;
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::{Money, MIN_PASSWORD_LEN};
use crate::matching::{Patterns, DEFAULT_PATTERN};
use crate::proxies::TrustedProxies;

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
    pub api_key: Option<SecretString>,
    pub admin_password: Option<SecretString>,
    pub notify_secret: Option<SecretString>,
    pub metrics_token: Option<SecretString>,
    pub notify_url: Option<String>,
    pub notify_allow_private: bool,
    pub reconcile_interval: u64,
    pub worker: bool,
    pub bank_bin: Option<String>,
    pub bank_account: Option<String>,
    pub bank_account_name: Option<String>,
    /// The shop's name on payment pages; unset: the receiving account's name.
    pub shop_name: Option<String>,
    pub log_format: LogFormat,
    pub trusted_proxies: TrustedProxies,
    pub matching: MatchingSettings,
}

#[derive(Debug, Clone)]
pub struct MatchingSettings {
    pub pattern_sources: Vec<String>,
    pub patterns: Patterns,
    pub amount_tolerance: Money,
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
    shop_name: Option<String>,
    log_format: Option<String>,
    #[serde(default, deserialize_with = "lenient::comma_list")]
    trusted_proxies: Option<String>,
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
}

/// Variables arrive as strings; the file has typed values. Both are accepted for each key.
mod lenient {
    use serde::{Deserialize, Deserializer};

    use crate::domain::Money;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Bool(bool),
        Int(i64),
        Float(f64),
        Text(String),
        List(Vec<String>),
    }

    fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        Scalar::deserialize(d)
    }

    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match scalar(d)? {
            Scalar::Bool(b) => Ok(Some(b)),
            Scalar::Text(t) if t.eq_ignore_ascii_case("true") || t == "1" => Ok(Some(true)),
            Scalar::Text(t) if t.eq_ignore_ascii_case("false") || t == "0" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom("expected true or false")),
        }
    }

    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let parsed = match scalar(d)? {
            Scalar::Int(i) => u64::try_from(i).ok(),
            Scalar::Text(t) => t.trim().parse().ok(),
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expected a whole number of 0 or more"))
    }

    /// Bytes: a whole number, or one with a unit `B`, `KiB`, `MiB`, `GiB` or `TiB` (`64MiB`,
    /// `512 KiB`).
    pub fn byte_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let parsed = match scalar(d)? {
            Scalar::Int(i) => u64::try_from(i).ok(),
            Scalar::Text(t) => {
                let t = t.trim();
                let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
                let shift = match t[digits..].trim().to_ascii_lowercase().as_str() {
                    "" | "b" => Some(0),
                    "kib" => Some(10),
                    "mib" => Some(20),
                    "gib" => Some(30),
                    "tib" => Some(40),
                    _ => None,
                };
                let number = t[..digits].parse::<u64>().ok();
                number.zip(shift).and_then(|(n, s)| n.checked_mul(1 << s))
            }
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| {
            serde::de::Error::custom("expected a size such as 64MiB, 512KiB or 1048576 (bytes)")
        })
    }

    pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
        let text = match scalar(d)? {
            Scalar::Int(i) => i.to_string(),
            // TOML floats: the shortest text that reads back as the same float is what was typed.
            Scalar::Float(f) => f.to_string(),
            Scalar::Text(t) => t,
            _ => return Err(serde::de::Error::custom("expected an amount")),
        };
        Money::parse(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }

    /// Comma-separated text, or a TOML array of strings (joined with commas).
    pub fn comma_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match scalar(d)? {
            Scalar::Text(t) => Ok(Some(t)),
            Scalar::List(list) => Ok(Some(list.join(","))),
            _ => Err(serde::de::Error::custom(
                "expected comma-separated text or an array of strings",
            )),
        }
    }

    /// A TOML array of strings, or (from a variable) a JSON array of strings.
    pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        match scalar(d)? {
            Scalar::List(list) => Ok(Some(list)),
            Scalar::Text(t) => serde_json::from_str::<Vec<String>>(&t)
                .map(Some)
                .map_err(|e| {
                    serde::de::Error::custom(format!("expected a JSON array of strings: {e}"))
                }),
            _ => Err(serde::de::Error::custom("expected an array of strings")),
        }
    }
}

impl Settings {
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

        let casso_api_url = self
            .casso_api_url
            .unwrap_or_else(|| "https://oauth.casso.vn".to_owned());
        if !casso_api_url.starts_with("http://") && !casso_api_url.starts_with("https://") {
            return Err(ConfigError::key(
                "casso_api_url",
                "must be an http:// or https:// URL",
            ));
        }
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
        if let Some(bin) = &self.bank_bin {
            if bin.len() != 6 || !bin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfigError::key(
                    "bank_bin",
                    "must be the bank's 6-digit BIN",
                ));
            }
        }
        // The CLI's commands check the same minimum.
        if let Some(password) = &self.admin_password {
            if password.chars().count() < MIN_PASSWORD_LEN {
                return Err(ConfigError::key(
                    "admin_password",
                    format!("a password needs at least {MIN_PASSWORD_LEN} characters"),
                ));
            }
        }
        let trusted_proxies = TrustedProxies::parse(self.trusted_proxies.as_deref().unwrap_or(""))
            .map_err(|e| ConfigError::key("trusted_proxies", e))?;
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
            api_key: secret(self.api_key),
            admin_password: secret(self.admin_password),
            notify_secret: secret(self.notify_secret),
            metrics_token: secret(self.metrics_token),
            notify_url: non_empty(self.notify_url),
            notify_allow_private: self.notify_allow_private.unwrap_or(false),
            reconcile_interval: self.reconcile_interval.unwrap_or(900),
            worker: self.worker.unwrap_or(true),
            bank_bin: non_empty(self.bank_bin),
            bank_account: non_empty(self.bank_account),
            bank_account_name: non_empty(self.bank_account_name),
            shop_name: non_empty(self.shop_name),
            log_format,
            trusted_proxies,
            matching: MatchingSettings {
                pattern_sources,
                patterns,
                amount_tolerance,
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
mod tests {
    use std::io::Write;

    use secrecy::ExposeSecret;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let path = file.map(|text| {
            f.write_all(text.as_bytes()).unwrap();
            f.path().to_owned()
        });
        Settings::load(path.as_deref(), vars(env))
    }

    #[test]
    fn defaults() {
        let s = load(None, &[]).unwrap();
        assert_eq!(s.database_url, "sqlite://paymatch.db");
        assert_eq!(s.database_kind, DatabaseKind::Sqlite);
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.reconcile_interval, 900);
        assert!(s.worker);
        assert!(!s.notify_allow_private);
        assert_eq!(s.matching.pattern_sources, [DEFAULT_PATTERN]);
        assert_eq!(s.matching.amount_tolerance, Money::ZERO);
        assert!(s.casso_secure_token.is_none());
        assert_eq!(s.trusted_proxies, TrustedProxies::default());
        assert_eq!(s.sqlite_wal_limit, 64 << 20);
    }

    #[test]
    fn wal_limits_in_bytes_or_binary_units() {
        for (text, bytes) in [
            ("1048576", 1 << 20),
            ("2MiB", 2 << 20),
            ("1536 KiB", 1536 << 10),
            ("1gib", 1 << 30),
            ("4194304B", 4 << 20),
        ] {
            let s = load(None, &[("PAYMATCH_SQLITE_WAL_LIMIT", text)]).unwrap();
            assert_eq!(s.sqlite_wal_limit, bytes, "{text}");
        }
        let s = load(Some("sqlite_wal_limit = 8388608"), &[]).unwrap();
        assert_eq!(s.sqlite_wal_limit, 8 << 20);
    }

    #[test]
    fn trusted_proxies_from_text_or_an_array() {
        let expected = TrustedProxies::parse("10.0.0.0/8,::1").unwrap();
        let s = load(None, &[("PAYMATCH_TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap();
        assert_eq!(s.trusted_proxies, expected);
        let s = load(Some(r#"trusted_proxies = ["10.0.0.0/8", "::1"]"#), &[]).unwrap();
        assert_eq!(s.trusted_proxies, expected);
    }

    #[test]
    fn variables_win_over_the_file() {
        let file = r#"
            bind = "127.0.0.1:9000"
            worker = false
            casso_secure_token = "from-file"
            [matching]
            amount_tolerance = 0.1
            patterns = ["ORDER(?P<code>[0-9]+)"]
        "#;
        let s = load(Some(file), &[]).unwrap();
        assert_eq!(s.bind, "127.0.0.1:9000");
        assert!(!s.worker);
        assert_eq!(s.matching.amount_tolerance.to_string(), "0.1");
        assert_eq!(s.casso_secure_token.unwrap().expose_secret(), "from-file");

        let s = load(
            Some(file),
            &[
                ("PAYMATCH_BIND", "127.0.0.1:9001"),
                ("PAYMATCH_WORKER", "true"),
                ("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "500"),
                (
                    "PAYMATCH_MATCHING__PATTERNS",
                    r#"["DH(?P<code>\\d+)", "HD\\d+"]"#,
                ),
                ("PAYMATCH_RECONCILE_INTERVAL", "0"),
                ("PAYMATCH_CONFIG", "ignored-here"),
                ("OTHER_VAR", "ignored"),
            ],
        )
        .unwrap();
        assert_eq!(s.bind, "127.0.0.1:9001");
        assert!(s.worker);
        assert_eq!(s.reconcile_interval, 0);
        assert_eq!(s.matching.amount_tolerance.to_string(), "500");
        assert_eq!(s.matching.pattern_sources, [r"DH(?P<code>\d+)", r"HD\d+"]);
    }

    fn error_of(file: Option<&str>, env: &[(&str, &str)]) -> String {
        load(file, env).unwrap_err().to_string()
    }

    #[test]
    fn bad_values_name_their_key() {
        type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (None, &[("PAYMATCH_WORKER", "maybe")], "`worker`"),
            (
                None,
                &[("PAYMATCH_RECONCILE_INTERVAL", "-5")],
                "`reconcile_interval`",
            ),
            (
                None,
                &[("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "abc")],
                "`matching.amount_tolerance`",
            ),
            (
                None,
                &[("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "-1")],
                "`matching.amount_tolerance`",
            ),
            (
                None,
                &[("PAYMATCH_MATCHING__PATTERNS", "DH")],
                "`matching.patterns`",
            ),
            (
                None,
                &[("PAYMATCH_MATCHING__PATTERNS", r#"["DH["]"#)],
                "`matching.patterns`",
            ),
            (
                None,
                &[("PAYMATCH_MATCHING__PATTERNS", "[]")],
                "`matching.patterns`",
            ),
            (
                None,
                &[("PAYMATCH_DATABASE_URL", "mysql://x")],
                "`database_url`",
            ),
            (None, &[("PAYMATCH_BIND", "nonsense")], "`bind`"),
            (
                None,
                &[("PAYMATCH_SQLITE_WAL_LIMIT", "64MB")],
                "`sqlite_wal_limit` (PAYMATCH_SQLITE_WAL_LIMIT): expected a size",
            ),
            (
                None,
                &[("PAYMATCH_SQLITE_WAL_LIMIT", "512KiB")],
                "`sqlite_wal_limit` (PAYMATCH_SQLITE_WAL_LIMIT): must be at least 1MiB",
            ),
            (Some("sqlite_wal_limit = -1"), &[], "`sqlite_wal_limit`"),
            (
                None,
                &[("PAYMATCH_NOTIFY_SECRET", "plain")],
                "`notify_secret`",
            ),
            (None, &[("PAYMATCH_BANK_BIN", "12")], "`bank_bin`"),
            (
                None,
                &[("PAYMATCH_ADMIN_PASSWORD", "a")],
                "`admin_password` (PAYMATCH_ADMIN_PASSWORD)",
            ),
            (
                None,
                &[("PAYMATCH_TRUSTED_PROXIES", "10.0.0.1, proxy.local")],
                "`trusted_proxies` (PAYMATCH_TRUSTED_PROXIES)",
            ),
            (None, &[("PAYMATCH_NO_SUCH_KEY", "1")], "`no_such_key`"),
            (None, &[("PAYMATCH_MATCHING__NOPE", "1")], "`matching.nope`"),
            (Some("colour = 1"), &[], "`colour`"),
            (
                Some("[matching]\namount_tolerance = [1]"),
                &[],
                "`matching.amount_tolerance`",
            ),
        ];
        for (file, env, key) in cases {
            let message = error_of(*file, env);
            assert!(message.contains(key), "{env:?}: {message}");
        }
        assert!(error_of(None, &[("PAYMATCH_NO_SUCH_KEY", "1")]).contains("PAYMATCH_NO_SUCH_KEY"));
        assert!(error_of(Some("bind = "), &[]).contains("not valid TOML"));
        for (file, env, _) in cases {
            assert!(!error_of(*file, env).contains('\n'), "{env:?}: one line");
        }
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let s = load(
            None,
            &[("PAYMATCH_CASSO_API_KEY", ""), ("PAYMATCH_BIND", "")],
        )
        .unwrap();
        assert!(s.casso_api_key.is_none());
        assert_eq!(s.bind, "127.0.0.1:8080");
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        let err =
            Settings::load(Some(Path::new("/nonexistent/paymatch.toml")), vars(&[])).unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
