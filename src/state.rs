//! What every handler shares.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::broadcast;

use crate::config::Settings;
use crate::db::Database;
use crate::domain::OrderCode;

/// Secrets in force: configured, or generated once and kept in the database.
#[derive(Clone)]
pub struct Secrets {
    pub casso_secure_token: SecretString,
    /// SHA-256 of the storefront API key: the key itself is not kept.
    pub api_key_digest: Digest,
    pub notify_secret: SecretString,
    pub metrics_token: SecretString,
}

/// Status changes of orders in this process, so long-polls answer at once. Other processes'
/// changes are seen by polling the database.
#[derive(Clone)]
pub struct OrderEvents(broadcast::Sender<OrderCode>);

impl OrderEvents {
    pub fn new() -> OrderEvents {
        OrderEvents(broadcast::channel(1024).0)
    }

    pub fn publish(&self, codes: impl IntoIterator<Item = OrderCode>) {
        for code in codes {
            // No receiver is not an error: nobody is waiting.
            let _ = self.0.send(code);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<OrderCode> {
        self.0.subscribe()
    }
}

impl Default for OrderEvents {
    fn default() -> Self {
        OrderEvents::new()
    }
}

pub struct AppState {
    pub db: Database,
    pub metrics: crate::metrics::Metrics,
    pub settings: Arc<Settings>,
    pub secrets: Secrets,
    pub order_events: OrderEvents,
    pub waiting: WaitingCount,
}

/// How many transfers wait for an admin, for the menu's badge on every admin page: counted at
/// most every few seconds (not once per page), and again at once after this process decided one.
#[derive(Default)]
pub struct WaitingCount(Mutex<Option<(Instant, i64)>>);

impl WaitingCount {
    const FRESH: Duration = Duration::from_secs(10);

    pub fn cached(&self) -> Option<i64> {
        let counted = *self.0.lock().unwrap_or_else(|e| e.into_inner());
        counted
            .filter(|(at, _)| at.elapsed() < Self::FRESH)
            .map(|(_, n)| n)
    }

    pub fn store(&self, n: i64) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), n));
    }

    /// A transfer was decided here: the next page counts again.
    pub fn forget(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

pub type Digest = [u8; 32];

pub fn secret_digest(secret: &str) -> Digest {
    use sha2::Digest as _;
    sha2::Sha256::digest(secret.as_bytes()).into()
}

/// The digest in lower-case hex, as the database keeps it (session tokens, the API key).
pub fn secret_digest_hex(secret: &str) -> String {
    secret_digest(secret)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares a presented secret with the expected one in constant time. Digests first, so that
/// not even the length of the secret shows in the timing.
pub fn secret_matches(presented: &str, expected: &SecretString) -> bool {
    digest_matches(presented, &secret_digest(expected.expose_secret()))
}

/// Whether a presented secret has the expected digest, in constant time.
pub fn digest_matches(presented: &str, expected: &Digest) -> bool {
    constant_time_eq::constant_time_eq(&secret_digest(presented), expected)
}
