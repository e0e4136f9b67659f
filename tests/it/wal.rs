//! SQLite's write-ahead log stays bounded: under a burst of webhooks, with a small
//! `PAYMATCH_SQLITE_WAL_LIMIT`, the `-wal` file never passes the limit, and a clean stop
//! (SIGTERM) leaves it empty or gone. SQLite only: the file is SQLite's; PostgreSQL manages its
//! own log.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::cli::{send_webhook, webhook_body, Server, WebhookOutcome};
use crate::helpers::{count_ids, Backend, TestDatabase};

const TOKEN: &str = "wal-test-secure-token-2718";
const KEY: &str = "wal-test-api-key-2718";
/// The smallest limit the configuration accepts.
const LIMIT: u64 = 1 << 20;
/// Without the bound they write several times `LIMIT` of log (each a few 4 KiB pages).
const WEBHOOKS: u64 = 1500;
const SENDERS: u64 = 16;
const ORDERS: u64 = 10;

fn size(file: &Path) -> u64 {
    std::fs::metadata(file).map_or(0, |m| m.len())
}

/// The largest size of a file seen by a thread that looks at it every millisecond, until dropped.
struct PeakSize {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl PeakSize {
    fn watch(file: PathBuf) -> PeakSize {
        let (peak, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let thread = {
            let (peak, stop) = (peak.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(size(&file), Ordering::Relaxed);
                    thread::sleep(Duration::from_millis(1));
                }
            })
        };
        PeakSize {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for PeakSize {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[tokio::test]
async fn sqlite_wal_stays_under_its_limit_and_is_emptied_at_a_clean_stop() {
    let db = TestDatabase::new(Backend::Sqlite);
    let wal = PathBuf::from(format!("{}-wal", db.url.trim_start_matches("sqlite://")));
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
        ("PAYMATCH_ADMIN_PASSWORD", "wal-test-admin-password"),
        ("PAYMATCH_SQLITE_WAL_LIMIT", "1MiB"),
    ];
    let mut server = Server::start(dir.path(), &vars).await;
    for k in 1..=ORDERS {
        let (status, order) = server
            .create_order(KEY, &format!("DH{k}"), "1000000000")
            .await;
        assert_eq!(status, 201, "{order}\n{}", server.describe());
    }

    let watch = PeakSize::watch(wal.clone());
    let url = server.url("/webhooks/casso");
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (client, url) = (server.client.clone(), url.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for id in (1..=WEBHOOKS).filter(|id| id % SENDERS == s) {
                    let body = webhook_body(id, &format!("thanh toan DH{}", id % ORDERS + 1), 1000);
                    let (outcome, _) = send_webhook(&client, &url, TOKEN, &body, None).await;
                    assert_eq!(outcome, WebhookOutcome::Acked, "webhook {id}");
                    acked.push(id);
                }
                acked
            })
        })
        .collect();
    let mut acked = Vec::new();
    for sender in senders {
        acked.extend(sender.await.unwrap());
    }
    assert_eq!(acked.len() as u64, WEBHOOKS);

    // Every acknowledged webhook stored exactly once.
    let stored = server.all_transactions(KEY).await;
    let counts = count_ids::<u64>(&stored);
    assert_eq!(counts.len() as u64, WEBHOOKS, "{}", server.describe());
    assert!(counts.values().all(|&n| n == 1), "a transfer stored twice");
    assert!(acked.iter().all(|id| counts.contains_key(id)));

    server.stop().await;
    let peak = watch.peak();
    drop(watch);
    assert!(peak > 0, "the burst went through the WAL");
    assert!(
        peak <= LIMIT,
        "the -wal file reached {peak} bytes, over its limit of {LIMIT}\n{}",
        server.describe()
    );
    assert_eq!(size(&wal), 0, "the -wal file is left after a clean stop");
}
