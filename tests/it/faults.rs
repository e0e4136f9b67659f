//! Fault injection: what Casso and the shop see when something around paymatch breaks, and that
//! nothing acknowledged is ever lost or counted twice.
//!
//! - The database becomes unreachable and comes back (PostgreSQL behind a TCP proxy the test cuts
//!   and restores): 503 with the JSON error shape while it is gone, recovery without a restart.
//! - The disk fills up under SQLite (a small tmpfs, filled to ENOSPC): 200 only for what was
//!   stored, a clear 503 otherwise, recovery once space is freed, an intact database file.
//! - A shop that never answers a notification does not hold up webhook ingestion (both backends).
//! - SIGTERM in the middle of a webhook stream (both backends): a clean exit, and every
//!   acknowledged transfer stored exactly once.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

use crate::cli::{send_webhook, Server, WebhookOutcome};
use crate::helpers::{
    count_ids, decimal, element, envelope, num, postgres_admin_url, spawn_fake_server, Backend,
    TestApp, TestDatabase,
};

pub(crate) const TOKEN: &str = "fault-test-secure-token-8821";
pub(crate) const KEY: &str = "fault-test-api-key-8821";
/// The longest any single wait in these tests may take.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

pub(crate) fn server_vars(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("PAYMATCH_DATABASE_URL", url),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
        ("PAYMATCH_ADMIN_PASSWORD", "fault-test-admin-password"),
    ]
}

/// A v1 delivery of one transfer with an exact decimal amount.
fn delivery(id: u64, description: &str, amount: &str) -> String {
    envelope(vec![element(id, description, num(amount))]).to_string()
}

pub(crate) fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// Checks the contract's error shape `{"error": {"code": "snake_case", "message": "…"}}`;
/// returns (code, message).
#[track_caller]
fn error_of(body: &Value) -> (String, String) {
    let error = &body["error"];
    let code = error["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code in {body}"));
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.message in {body}"));
    assert!(
        !code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "error.code is not snake_case: {body}"
    );
    assert!(!message.trim().is_empty(), "empty error.message: {body}");
    (code.to_owned(), message.to_owned())
}

/// Asserts a 503 with the error shape; returns (code, message).
#[track_caller]
fn assert_503(status: u16, body: &Value, what: &str) -> (String, String) {
    assert_eq!(status, 503, "{what}: expected 503, got {status}: {body}");
    error_of(body)
}

pub(crate) async fn healthz(server: &Server) -> u16 {
    server
        .client
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// 1. The database unreachable, then back

/// A TCP proxy in front of PostgreSQL that the test can cut (new connections are accepted and
/// closed at once, established ones are dropped) and restore.
pub(crate) struct PgProxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    accept: AbortHandle,
}

struct ProxyState {
    upstream: String,
    /// Whether the proxy forwards; the connections it forwards, to drop them on a cut.
    links: Mutex<(bool, Vec<AbortHandle>)>,
}

impl PgProxy {
    /// A proxy in front of the test's PostgreSQL, and the database's URL through it.
    pub(crate) async fn in_front_of(db: &TestDatabase) -> (PgProxy, String) {
        let authority = pg_authority(&postgres_admin_url());
        let upstream = if authority.contains(':') {
            authority.clone()
        } else {
            format!("{authority}:5432")
        };
        let proxy = PgProxy::start(upstream).await;
        let proxied_url = db.url.replacen(&authority, &proxy.addr.to_string(), 1);
        assert_ne!(proxied_url, db.url, "the URL must go through the proxy");
        (proxy, proxied_url)
    }

    async fn start(upstream: String) -> PgProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(ProxyState {
            upstream,
            links: Mutex::new((true, Vec::new())),
        });
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                let mut links = shared.links.lock().unwrap();
                if !links.0 {
                    // The database is "down": the connection is closed at once.
                    drop(inbound);
                    continue;
                }
                let upstream = shared.upstream.clone();
                let link = tokio::spawn(async move {
                    let mut inbound = inbound;
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links.1.retain(|l| !l.is_finished());
                links.1.push(link.abort_handle());
            }
        });
        PgProxy {
            addr,
            state,
            accept: accept.abort_handle(),
        }
    }

    /// The database goes away: established connections are dropped, new ones closed.
    pub(crate) fn cut(&self) {
        let mut links = self.state.links.lock().unwrap();
        links.0 = false;
        for link in links.1.drain(..) {
            link.abort();
        }
    }

    pub(crate) fn restore(&self) {
        self.state.links.lock().unwrap().0 = true;
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL, as written (port optional).
fn pg_authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_owned()
}

// PostgreSQL only: it is a network service that can go away while paymatch runs; an embedded
// SQLite file cannot become unreachable that way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_then_back() {
    let db = TestDatabase::new(Backend::Postgres);
    let (proxy, proxied_url) = PgProxy::in_front_of(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &server_vars(&proxied_url)).await;

    // Phase 1: the database answers.
    for (code, amount) in [
        ("DH7001", "300000.75"),
        ("DH7002", "120000"),
        ("DH7003", "99999.99"),
    ] {
        let (status, order) = server.create_order(KEY, code, amount).await;
        assert_eq!(status, 201, "{order}\n{}", server.describe());
    }
    // (id, order, amount)
    let transfers: [(u64, &str, &str); 5] = [
        (7_100_001, "DH7001", "100000.25"),
        (7_100_002, "DH7001", "200000.5"),
        (7_100_003, "DH7002", "50000"),
        (7_100_004, "DH7003", "99999.99"),
        (7_100_005, "DH7002", "70000"),
    ];
    let body = |i: usize| {
        let (id, code, amount) = transfers[i];
        delivery(id, &format!("MBVCB.{id}.thanh toan {code} cam on"), amount)
    };
    let (status, reply) = server.webhook(TOKEN, &body(0)).await;
    assert_eq!(status, 200, "{reply}\n{}", server.describe());
    assert_eq!(reply["accepted"], 1, "{reply}");

    // Phase 2: the database is gone. Everything that needs it answers 503, at once or after the
    // pool's connection timeout; never a 200.
    proxy.cut();
    let outage = Instant::now();
    let (webhooks, health, order) = tokio::time::timeout(
        WAIT,
        futures_util::future::join3(
            futures_util::future::join_all((1..=3).map(|i| {
                let (server, body) = (&server, body(i));
                async move { server.webhook(TOKEN, &body).await }
            })),
            server.client.get(server.url("/healthz")).send(),
            server.get_order(KEY, "DH7001"),
        ),
    )
    .await
    .unwrap_or_else(|_| panic!("no answer during the outage\n{}", server.describe()));
    let outage_replies = outage.elapsed();
    let health = crate::helpers::reply(health.unwrap()).await;
    let mut errors: Vec<(String, (String, String))> = Vec::new();
    for (i, (status, reply)) in webhooks.iter().enumerate() {
        let what = format!("POST /webhooks/casso (id {})", transfers[i + 1].0);
        errors.push((what.clone(), assert_503(*status, reply, &what)));
    }
    for (what, (status, reply)) in [
        ("GET /healthz", &health),
        ("GET /api/v1/orders/DH7001", &order),
    ] {
        errors.push((what.to_owned(), assert_503(*status, reply, what)));
    }
    // The database is down, not overloaded: every reply says so, the same way.
    assert!(
        errors
            .iter()
            .all(|(_, (code, _))| code == "storage_unavailable"),
        "replies while PostgreSQL is unreachable: {errors:#?}"
    );
    assert!(
        outage_replies < Duration::from_secs(20),
        "503s took {outage_replies:?}"
    );

    // Phase 3: the database is back; the same process recovers by itself.
    proxy.restore();
    let deadline = Instant::now() + WAIT;
    while healthz(&server).await != 200 {
        assert!(
            Instant::now() < deadline,
            "/healthz did not come back within {WAIT:?} after the database did\n{}",
            server.describe()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing refused during the outage was stored.
    let stored = count_ids::<u64>(&server.all_transactions(KEY).await);
    assert_eq!(
        stored,
        BTreeMap::from([(transfers[0].0, 1)]),
        "only the transfer acknowledged before the outage may be stored"
    );
    // Casso resends what it got no 200 for: each is taken now, once.
    for (i, (id, _, _)) in transfers.iter().enumerate().take(4).skip(1) {
        let (status, reply) = server.webhook(TOKEN, &body(i)).await;
        assert_eq!(status, 200, "resend of {id}: {reply}");
        assert_eq!(
            (reply["accepted"].as_u64(), reply["duplicates"].as_u64()),
            (Some(1), Some(0)),
            "resend of {id}: {reply}"
        );
    }
    let (status, reply) = server.webhook(TOKEN, &body(0)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["duplicates"], 1,
        "the phase-1 transfer again: {reply}"
    );
    let (status, reply) = server.webhook(TOKEN, &body(4)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 1, "{reply}");

    let stored = count_ids::<u64>(&server.all_transactions(KEY).await);
    let expected: BTreeMap<u64, usize> = transfers.iter().map(|t| (t.0, 1)).collect();
    assert_eq!(stored, expected, "every transfer stored exactly once");
    for (code, amount) in [
        ("DH7001", "300000.75"),
        ("DH7002", "120000"),
        ("DH7003", "99999.99"),
    ] {
        let (status, order) = server.get_order(KEY, code).await;
        assert_eq!(status, 200, "{order}");
        assert_eq!(decimal(&order["amount_received"]), dec(amount), "{order}");
        assert_eq!(order["status"], "paid", "{order}");
    }
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 2. Disk full on SQLite

/// A tmpfs of the given size, unmounted on drop (also when the test panics).
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let output = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "this test mounts a tmpfs (it needs root): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Tmpfs { path, _dir: dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .output();
    }
}

/// Fills the file system holding `path` to the last byte: writes until ENOSPC.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0x5a_u8; 64 * 1024];
    let mut written = 0;
    loop {
        match file.write(&chunk) {
            Ok(0) => panic!("the filler stopped growing without ENOSPC"),
            Ok(n) => written += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => return written,
            Err(e) => panic!("writing the filler: {e}"),
        }
    }
}

#[derive(diesel::QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

// SQLite only: the database is a file on the local disk, so the disk filling up reaches it
// directly; a PostgreSQL server's disk is the database server's concern.
#[tokio::test]
async fn sqlite_disk_full_then_freed() {
    const ORDERS: u64 = 8;
    const MAX_SENDS: u64 = 400;
    const REFUSALS: usize = 3;
    let disk = Tmpfs::mount("3m");
    let database = disk.path.join("paymatch.db");
    let url = format!("sqlite://{}", database.display());
    let workdir = tempfile::tempdir().unwrap();
    let mut server = Server::start(workdir.path(), &server_vars(&url)).await;

    let code = |k: u64| format!("DH{}", 8000 + k);
    for k in 1..=ORDERS {
        let (status, order) = server.create_order(KEY, &code(k), "900000000").await;
        assert_eq!(status, 201, "{order}\n{}", server.describe());
    }
    // Transfer i pays order i % ORDERS + 1 some exact amount; a long description makes each
    // delivery take some room.
    let amount = |i: u64| format!("{}.{}", 10_000 + i * 37, i % 10 + 1);
    let noise = "CHUYEN TIEN QUA MOBILE BANKING ".repeat(30);
    let body = |i: u64| {
        let id = 8_100_000 + i;
        let description = format!(
            "MBVCB.{id}.{noise} thanh toan {} cam on",
            code(i % ORDERS + 1)
        );
        delivery(id, &description, &amount(i))
    };
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    for i in 0..5 {
        let (status, reply) = server.webhook(TOKEN, &body(i)).await;
        assert_eq!(status, 200, "{reply}\n{}", server.describe());
        acked.insert(i);
    }

    // The disk fills up.
    let filler = disk.path.join("filler");
    let filled = fill(&filler);
    assert!(filled > 0);
    let mut refused: Vec<u64> = Vec::new();
    let mut i = 5;
    while refused.len() < REFUSALS && i < MAX_SENDS {
        let (status, reply) = server.webhook(TOKEN, &body(i)).await;
        match status {
            200 => {
                assert_eq!(reply["accepted"], 1, "{reply}");
                acked.insert(i);
            }
            _ => {
                let what = format!("webhook {} on a full disk", 8_100_000 + i);
                let (code, message) = assert_503(status, &reply, &what);
                // It names the cause, so that an operator knows what to fix.
                assert_eq!(code, "storage_full", "{what}: {reply}");
                assert!(message.contains("full"), "{what}: {reply}");
                refused.push(i);
            }
        }
        i += 1;
    }
    assert_eq!(
        refused.len(),
        REFUSALS,
        "{} webhooks acknowledged on a full disk: is the database really on the tmpfs?",
        i - 5
    );
    // Still serving, and what was acknowledged can be read back.
    let (status, _) = reply_of(server.client.get(server.url("/livez")).send().await).await;
    assert_eq!(
        status,
        200,
        "the process died on a full disk\n{}",
        server.describe()
    );
    let stored = count_ids::<u64>(&server.all_transactions(KEY).await);
    let acked_ids: BTreeMap<u64, usize> = acked.iter().map(|i| (8_100_000 + i, 1)).collect();
    assert_eq!(
        stored, acked_ids,
        "stored on a full disk: exactly what was acknowledged, once"
    );

    // Space is freed: the same process takes the refused webhooks and new ones.
    std::fs::remove_file(&filler).unwrap();
    for &r in &refused {
        let (status, reply) = server.webhook(TOKEN, &body(r)).await;
        assert_eq!(
            status,
            200,
            "resend after the disk was freed: {reply}\n{}",
            server.describe()
        );
        assert_eq!(
            (reply["accepted"].as_u64(), reply["duplicates"].as_u64()),
            (Some(1), Some(0)),
            "{reply}"
        );
        acked.insert(r);
    }
    for n in i..i + 5 {
        let (status, reply) = server.webhook(TOKEN, &body(n)).await;
        assert_eq!(status, 200, "new webhook after the disk was freed: {reply}");
        acked.insert(n);
    }
    let (status, reply) = server.webhook(TOKEN, &body(0)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["duplicates"], 1, "{reply}");

    // Every acknowledged transfer exactly once, and every order holds their exact sum.
    let stored = count_ids::<u64>(&server.all_transactions(KEY).await);
    let expected: BTreeMap<u64, usize> = acked.iter().map(|i| (8_100_000 + i, 1)).collect();
    assert_eq!(stored, expected);
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for &n in &acked {
        *sums.entry(code(n % ORDERS + 1)).or_default() += dec(&amount(n));
    }
    for k in 1..=ORDERS {
        let (status, order) = server.get_order(KEY, &code(k)).await;
        assert_eq!(status, 200, "{order}");
        assert_eq!(
            decimal(&order["amount_received"]),
            sums.get(&code(k)).copied().unwrap_or_default(),
            "{order}"
        );
    }
    server.stop().await;

    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::SqliteConnection::establish(database.to_str().unwrap()).unwrap();
    let check: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .unwrap();
    let lines: Vec<&str> = check.iter().map(|c| c.integrity_check.as_str()).collect();
    assert_eq!(lines, ["ok"], "the database file is damaged");
}

async fn reply_of(response: reqwest::Result<reqwest::Response>) -> (u16, Value) {
    crate::helpers::reply(response.unwrap()).await
}

// ---------------------------------------------------------------------------------------------
// 3. A shop that never answers

/// A shop that records every notification and answers none of them until released.
struct HoldingShop {
    base: String,
    state: web::Data<HoldState>,
}

struct HoldState {
    /// (body, answered) of every request received.
    log: Mutex<Vec<(Value, bool)>>,
    release: watch::Sender<bool>,
}

impl HoldingShop {
    fn start() -> HoldingShop {
        let state = web::Data::new(HoldState {
            log: Mutex::new(Vec::new()),
            release: watch::channel(false).0,
        });
        let base = spawn_fake_server(state.clone(), hold, 1);
        HoldingShop { base, state }
    }

    fn received(&self) -> Vec<(Value, bool)> {
        self.state.log.lock().unwrap().clone()
    }

    fn release(&self) {
        self.state.release.send_replace(true);
    }
}

async fn hold(
    _request: HttpRequest,
    body: web::Bytes,
    state: web::Data<HoldState>,
) -> HttpResponse {
    let parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let index = {
        let mut log = state.log.lock().unwrap();
        log.push((parsed, false));
        log.len() - 1
    };
    let mut released = state.release.subscribe();
    let _ = released.wait_for(|r| *r).await;
    state.log.lock().unwrap()[index].1 = true;
    HttpResponse::Ok().finish()
}

async fn a_shop_that_never_answers_does_not_block_webhooks(backend: Backend) {
    let shop = HoldingShop::start();
    let notify_url = format!("{}/hold", shop.base);
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_NOTIFY_URL", &notify_url),
            ("PAYMATCH_NOTIFY_ALLOW_PRIVATE", "true"),
        ],
    )
    .await;
    let codes: Vec<String> = (1..=8).map(|k| format!("DH{}", 9100 + k)).collect();
    for code in &codes {
        let (status, order) = app
            .create_order(json!({"code": code, "amount": "250000.5"}))
            .await;
        assert_eq!(status, 201, "{order}");
    }
    let pay = |k: usize| {
        let (app, id) = (&app, 9_100_000 + k as u64);
        let description = format!("thanh toan {} cam on", codes[k]);
        async move { app.transfer(id, &description, num("250000.5")).await }
    };
    for k in 0..3 {
        let (status, reply) = pay(k).await;
        assert_eq!(status, 200, "{reply}");
    }

    // The synchronisation point: the shop holds a notification.
    let deadline = Instant::now() + WAIT;
    while shop.received().is_empty() {
        assert!(
            Instant::now() < deadline,
            "no notification reached the shop within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Deliveries run concurrently, at most two at a time per shop.
    let held = shop.received();
    assert!(
        held.len() <= 2,
        "more than the shop's share in flight: {held:?}"
    );
    assert!(
        held.iter().all(|(_, answered)| !answered),
        "the shop answered while holding"
    );
    let held_code = held[0].0["data"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(codes[..3].contains(&held_code), "{held:?}");

    // While it is held, webhooks for other orders are taken and applied.
    let replies = futures_util::future::join_all((3..8).map(pay)).await;
    for (status, reply) in &replies {
        assert_eq!(*status, 200, "{reply}");
        assert_eq!(reply["accepted"], 1, "{reply}");
    }
    for code in &codes {
        let (status, order) = app.get_order(code).await;
        assert_eq!(status, 200, "{order}");
        assert_eq!(order["status"], "paid", "{order}");
        assert_eq!(order["amount_received"], "250000.5", "{order}");
    }
    // Still at most the shop's share of requests, unanswered: all of the above happened while
    // held.
    let still = shop.received();
    assert!(still.len() <= 2, "{still:?}");
    assert!(still.iter().all(|(_, answered)| !answered), "{still:?}");

    // Released: the held notification is answered and the others follow.
    shop.release();
    let expected: BTreeSet<String> = codes.iter().filter(|c| **c != held_code).cloned().collect();
    let deadline = Instant::now() + WAIT;
    loop {
        let received = shop.received();
        let delivered: BTreeSet<String> = received
            .iter()
            .filter(|(_, answered)| *answered)
            .filter_map(|(body, _)| body["data"]["code"].as_str().map(str::to_owned))
            .collect();
        if received[0].1 && expected.is_subset(&delivered) {
            for (body, _) in &received {
                assert_eq!(body["type"], "order.paid", "{body}");
            }
            let mut per_code: BTreeMap<&str, usize> = BTreeMap::new();
            for (body, _) in &received {
                *per_code
                    .entry(body["data"]["code"].as_str().unwrap())
                    .or_default() += 1;
            }
            assert!(per_code.values().all(|&n| n == 1), "{per_code:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "notifications not delivered after the release: {received:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. SIGTERM under load

pub(crate) const LOAD_ORDERS: u64 = 200;
const LOAD_SENDERS: usize = 16;
/// SIGTERM comes once this many webhooks were acknowledged.
const ACKED_BEFORE_TERM: usize = 60;

/// Webhooks sent by [`LOAD_SENDERS`] tasks, one per key, each paying its own order in full.
pub(crate) struct Load {
    queue: Mutex<VecDeque<u64>>,
    pub(crate) outcomes: Mutex<BTreeMap<u64, WebhookOutcome>>,
    pub(crate) acked: AtomicUsize,
    in_flight: AtomicUsize,
    stop: AtomicBool,
}

impl Load {
    /// Creates the orders of `keys` through the API, then starts sending their webhooks, every
    /// one on a new connection, as Casso sends them.
    pub(crate) async fn start(server: &Server, keys: &[u64]) -> (Arc<Load>, Vec<JoinHandle<()>>) {
        for chunk in keys.chunks(LOAD_SENDERS) {
            let created = futures_util::future::join_all(chunk.iter().map(|&k| async move {
                server
                    .create_order(KEY, &load_code(k), &load_amount(k))
                    .await
            }))
            .await;
            for (status, order) in created {
                assert_eq!(status, 201, "{order}\n{}", server.describe());
            }
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(90))
            .build()
            .unwrap();
        let load = Arc::new(Load {
            queue: Mutex::new(keys.iter().copied().collect()),
            outcomes: Mutex::new(keys.iter().map(|&k| (k, WebhookOutcome::NotSent)).collect()),
            acked: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let url = server.url("/webhooks/casso");
        let senders = (0..LOAD_SENDERS)
            .map(|_| tokio::spawn(load_sender(load.clone(), client.clone(), url.clone())))
            .collect();
        (load, senders)
    }

    /// The keys whose webhook was acknowledged (200).
    pub(crate) fn acked_keys(&self) -> BTreeSet<u64> {
        self.outcomes
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, o)| **o == WebhookOutcome::Acked)
            .map(|(k, _)| *k)
            .collect()
    }
}

pub(crate) fn load_code(k: u64) -> String {
    format!("DH{}", 20_000 + k)
}

pub(crate) fn load_amount(k: u64) -> String {
    format!("{}.{}", 150_000 + k * 7, k % 9 + 1)
}

fn load_body(k: u64) -> String {
    let id = 20_000_000 + k;
    delivery(
        id,
        &format!("MBVCB.{id}.NGUYEN VAN A thanh toan {} cam on", load_code(k)),
        &load_amount(k),
    )
}

async fn load_sender(load: Arc<Load>, client: reqwest::Client, url: String) {
    while !load.stop.load(Ordering::SeqCst) {
        let Some(k) = load.queue.lock().unwrap().pop_front() else {
            return;
        };
        load.in_flight.fetch_add(1, Ordering::SeqCst);
        let (outcome, error) = send_webhook(&client, &url, TOKEN, &load_body(k), None).await;
        if error.is_some_and(|e| e.is_connect()) {
            // The listener is closed: the server is going away.
            load.stop.store(true, Ordering::SeqCst);
        }
        load.in_flight.fetch_sub(1, Ordering::SeqCst);
        if outcome == WebhookOutcome::Acked {
            load.acked.fetch_add(1, Ordering::SeqCst);
        }
        load.outcomes.lock().unwrap().insert(k, outcome);
    }
}

async fn sigterm_under_load_loses_nothing_acknowledged(backend: Backend) {
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = server_vars(&db.url);
    let mut server = Server::start(dir.path(), &vars).await;
    let keys: Vec<u64> = (1..=LOAD_ORDERS).collect();
    let (load, senders) = Load::start(&server, &keys).await;
    let deadline = Instant::now() + WAIT;
    while load.acked.load(Ordering::SeqCst) < ACKED_BEFORE_TERM {
        if Instant::now() >= deadline || senders.iter().all(|s| s.is_finished()) {
            load.stop.store(true, Ordering::SeqCst);
            panic!(
                "only {} webhooks acknowledged\n{}",
                load.acked.load(Ordering::SeqCst),
                server.describe()
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let in_flight_at_term = load.in_flight.load(Ordering::SeqCst);
    let acked_at_term = load.acked.load(Ordering::SeqCst);
    server.terminate();
    let exit = server.wait_exit(Duration::from_secs(70)).await;
    for sender in senders {
        tokio::time::timeout(WAIT, sender)
            .await
            .expect("a sender did not finish after the stop")
            .unwrap();
    }
    let stop_logs = server.describe();
    assert!(
        exit.success(),
        "not a clean exit after SIGTERM\n{stop_logs}"
    );
    assert!(in_flight_at_term > 0, "nothing was in flight at SIGTERM");

    let outcomes = load.outcomes.lock().unwrap().clone();
    let answered: Vec<_> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, WebhookOutcome::Answered(..)))
        .collect();
    assert!(
        answered.is_empty(),
        "a request the server took during the stop was not finished: {answered:?}\n{stop_logs}"
    );
    let acked = load.acked_keys();
    // The requests in hand at SIGTERM were finished, not cut off.
    assert!(
        acked.len() > acked_at_term,
        "no request in flight at SIGTERM ({in_flight_at_term}) was finished: {outcomes:?}\n{stop_logs}"
    );
    assert!(
        acked.len() < keys.len(),
        "the stop came after the whole stream: {outcomes:?}"
    );

    // Restart on the same database: every acknowledged transfer is there, once, and applied.
    drop(server);
    let server = Server::start(dir.path(), &vars).await;
    let stored = check_acknowledged(&server, &keys, &acked, &stop_logs).await;
    resend_unacknowledged(&server, &keys, &acked, &stored).await;
    let mut server = server;
    server.stop().await;
}

/// Every acknowledged transfer of `keys` is stored once and applied, and nothing else changed
/// an order; returns what is stored (the unacknowledged ones may be there too, once).
pub(crate) async fn check_acknowledged(
    server: &Server,
    keys: &[u64],
    acked: &BTreeSet<u64>,
    logs: &str,
) -> BTreeMap<u64, usize> {
    let stored = count_ids::<u64>(&server.all_transactions(KEY).await);
    for (id, n) in &stored {
        assert_eq!(*n, 1, "transfer {id} stored {n} times");
    }
    for &k in acked {
        assert!(
            stored.contains_key(&(20_000_000 + k)),
            "acknowledged transfer {} lost in the fault\n{logs}",
            20_000_000 + k
        );
    }
    for &k in keys {
        let (status, order) = server.get_order(KEY, &load_code(k)).await;
        assert_eq!(status, 200, "{order}");
        let (expected, state) = if stored.contains_key(&(20_000_000 + k)) {
            (dec(&load_amount(k)), "paid")
        } else {
            (Decimal::ZERO, "pending")
        };
        assert_eq!(decimal(&order["amount_received"]), expected, "{order}");
        assert_eq!(order["status"], state, "{order}");
    }
    stored
}

/// Casso resends every webhook of `keys` it got no 200 for: each is taken once (a duplicate if
/// it was `stored` although unacknowledged), and then every transfer is stored exactly once and
/// paid its order exactly.
pub(crate) async fn resend_unacknowledged(
    server: &Server,
    keys: &[u64],
    acked: &BTreeSet<u64>,
    stored: &BTreeMap<u64, usize>,
) {
    // Casso resends everything it got no 200 for.
    for &k in keys.iter().filter(|k| !acked.contains(k)) {
        let (status, reply) = server.webhook(TOKEN, &load_body(k)).await;
        assert_eq!(status, 200, "resend of {k}: {reply}\n{}", server.describe());
        let was_stored = stored.contains_key(&(20_000_000 + k));
        assert_eq!(
            (reply["accepted"].as_u64(), reply["duplicates"].as_u64()),
            if was_stored {
                (Some(0), Some(1))
            } else {
                (Some(1), Some(0))
            },
            "resend of {k}: {reply}"
        );
    }
    let stored = count_ids::<u64>(&server.all_transactions(KEY).await);
    let expected: BTreeMap<u64, usize> = keys.iter().map(|k| (20_000_000 + k, 1)).collect();
    assert_eq!(stored, expected, "every transfer stored exactly once");
    for &k in keys {
        let (_, order) = server.get_order(KEY, &load_code(k)).await;
        assert_eq!(
            decimal(&order["amount_received"]),
            dec(&load_amount(k)),
            "{order}"
        );
        assert_eq!(order["status"], "paid", "{order}");
    }
}

crate::on_both_backends!(
    a_shop_that_never_answers_does_not_block_webhooks,
    sigterm_under_load_loses_nothing_acknowledged,
);

#[test]
fn pg_authority_reads_host_and_port() {
    assert_eq!(
        pg_authority("postgres://postgres@127.0.0.1:5432/test"),
        "127.0.0.1:5432"
    );
    assert_eq!(pg_authority("postgres://u:p@db/test?x=1"), "db");
}
