//! Group commit on PostgreSQL (several deliveries in one transaction):
//! when the database goes away while a batch is open, nothing acknowledged is lost or doubled,
//! and what was refused is taken once when Casso sends it again.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::cli::{Server, WebhookOutcome};
use crate::faults::{
    check_acknowledged, healthz, resend_unacknowledged, server_vars, Load, PgProxy, LOAD_ORDERS,
    WAIT,
};
use crate::helpers::{Backend, TestDatabase};

/// Acknowledged webhooks before the database goes away: batches are being committed.
const ACKED_BEFORE_CUT: usize = 40;

// PostgreSQL only: SQLite is a file that cannot go away in the middle of a batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_commit_loses_nothing_when_the_database_goes_away_mid_batch() {
    let db = TestDatabase::new(Backend::Postgres);
    let (proxy, proxied_url) = PgProxy::in_front_of(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &server_vars(&proxied_url)).await;
    let keys: Vec<u64> = (1..=LOAD_ORDERS).collect();
    let (load, senders) = Load::start(&server, &keys).await;

    let deadline = Instant::now() + WAIT;
    while load.acked.load(Ordering::SeqCst) < ACKED_BEFORE_CUT {
        assert!(
            Instant::now() < deadline && !senders.iter().all(|s| s.is_finished()),
            "only {} webhooks acknowledged\n{}",
            load.acked.load(Ordering::SeqCst),
            server.describe()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Sixteen senders keep the writers' batches full: the cut drops connections in the middle
    // of open transactions. It lasts until a webhook was refused, so that the fault is seen
    // whatever the moment (a write that finds no connection is refused after the pool's wait).
    proxy.cut();
    let cut_at = load.acked.load(Ordering::SeqCst);
    let refused = || {
        load.outcomes
            .lock()
            .unwrap()
            .values()
            .any(|o| matches!(o, WebhookOutcome::Answered(503, _)))
    };
    let deadline = Instant::now() + WAIT;
    while !refused() {
        assert!(
            Instant::now() < deadline,
            "nothing refused while the database was gone\n{}",
            server.describe()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    proxy.restore();
    for sender in senders {
        tokio::time::timeout(WAIT, sender)
            .await
            .expect("a sender did not finish")
            .unwrap();
    }
    let logs = server.describe();
    let outcomes = load.outcomes.lock().unwrap().clone();
    let other: Vec<_> = outcomes
        .iter()
        .filter(|(_, o)| !matches!(o, WebhookOutcome::Acked | WebhookOutcome::Answered(503, _)))
        .collect();
    assert!(other.is_empty(), "neither 200 nor 503: {other:?}\n{logs}");
    let acked = load.acked_keys();
    assert!(
        acked.len() >= cut_at && acked.len() < keys.len(),
        "{} of {} acknowledged, {cut_at} before the cut\n{logs}",
        acked.len(),
        keys.len()
    );

    let deadline = Instant::now() + WAIT;
    while healthz(&server).await != 200 {
        assert!(
            Instant::now() < deadline,
            "/healthz did not come back\n{logs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = check_acknowledged(&server, &keys, &acked, &logs).await;
    resend_unacknowledged(&server, &keys, &acked, &stored).await;
    server.stop().await;
}
