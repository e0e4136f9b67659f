//! Shop notifications, received by a fake shop (a real HTTP server on 127.0.0.1): Standard
//! Webhooks headers and signatures, retries on the Fibonacci schedule (made due at once by moving
//! the job's `run_at` into the past), the default URL, every event type, the refusal of private
//! addresses, two processes sharing one database, and a stop while a delivery is in flight.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Utc};
use paymatch::config::DatabaseKind;
use paymatch::db::{Database, DbConn, JobRow, JobStore, PoolPurpose, StoreError};
use paymatch::notify::NotifySigner;
use paymatch::with_store;
use serde_json::{json, Value};

use crate::cli::{webhook_body, Server};
use crate::helpers::{num, spawn_fake_server, Backend, TestApp, TestDatabase};

/// The longest any wait in these tests may take.
pub(crate) const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "notify-test-secure-token-3307";
const KEY: &str = "notify-test-api-key-3307";

pub(crate) fn secret() -> String {
    let key = base64::engine::general_purpose::STANDARD.encode(b"paymatch notification tests 3307");
    format!("whsec_{key}")
}

// ---------------------------------------------------------------------------------------------
// The fake shop

/// One request the shop received, and what it answered (None while it is still answering, or
/// if the caller went away first).
#[derive(Clone, Debug)]
pub(crate) struct Received {
    method: String,
    path: String,
    webhook_id: Option<String>,
    webhook_timestamp: Option<String>,
    webhook_signature: Option<String>,
    content_type: Option<String>,
    body: String,
    answered: Option<u16>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the notification body is not JSON ({e}): {}", self.body))
    }

    pub(crate) fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    pub(crate) fn order_code(&self) -> String {
        self.json()["data"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn ok(&self) -> bool {
        self.answered.is_some_and(|s| (200..300).contains(&s))
    }
}

struct ShopState {
    /// Requests answered 500 before the shop answers 200.
    fail_first: usize,
    /// How long the shop takes to answer.
    delay: Duration,
    log: Mutex<Vec<Received>>,
}

pub(crate) struct FakeShop {
    base: String,
    state: web::Data<ShopState>,
}

impl FakeShop {
    pub(crate) fn start(fail_first: usize, delay: Duration) -> FakeShop {
        let state = web::Data::new(ShopState {
            fail_first,
            delay,
            log: Mutex::new(Vec::new()),
        });
        let base = spawn_fake_server(state.clone(), shop_handler, 2);
        FakeShop { base, state }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.state.log.lock().unwrap().clone()
    }

    fn answered_ok(&self) -> Vec<Received> {
        self.received().into_iter().filter(Received::ok).collect()
    }
}

async fn shop_handler(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ShopState>,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let index = {
        let mut log = state.log.lock().unwrap();
        log.push(Received {
            method: request.method().to_string(),
            path: request.path().to_owned(),
            webhook_id: header("webhook-id"),
            webhook_timestamp: header("webhook-timestamp"),
            webhook_signature: header("webhook-signature"),
            content_type: header("content-type"),
            body: String::from_utf8_lossy(&body).into_owned(),
            answered: None,
        });
        log.len() - 1
    };
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let status = if index < state.fail_first { 500 } else { 200 };
    state.log.lock().unwrap()[index].answered = Some(status);
    HttpResponse::build(StatusCode::from_u16(status).unwrap()).body("shop says hi")
}

/// Checks the Standard Webhooks headers of one request: an id, a timestamp in unix seconds close
/// to now, and a signature made with the configured secret. Returns the parsed body.
#[track_caller]
fn assert_signed(r: &Received, signer: &NotifySigner) -> Value {
    assert_eq!(r.method, "POST", "{r:?}");
    assert!(
        r.content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json")),
        "{r:?}"
    );
    let id = r.webhook_id.as_deref().expect("a webhook-id header");
    assert!(!id.is_empty() && id.is_ascii(), "{r:?}");
    let timestamp = r
        .webhook_timestamp
        .as_deref()
        .expect("a webhook-timestamp header");
    assert!(
        !timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit()),
        "webhook-timestamp is not unix seconds: {timestamp:?}"
    );
    let seconds: i64 = timestamp.parse().unwrap();
    let now = Utc::now().timestamp();
    assert!(
        (now - 600..=now + 5).contains(&seconds),
        "webhook-timestamp {seconds} is not the time of sending (now {now})"
    );
    let signature = r
        .webhook_signature
        .as_deref()
        .expect("a webhook-signature header");
    assert!(signature.starts_with("v1,"), "{signature}");
    assert!(
        signer.verify(id, seconds, &r.body, signature),
        "the signature does not verify: {r:?}"
    );
    let body = r.json();
    let keys: BTreeSet<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["type", "timestamp", "data"]),
        "{body}"
    );
    let stamp = body["timestamp"].as_str().expect("timestamp is a string");
    DateTime::parse_from_rfc3339(stamp).unwrap_or_else(|e| panic!("timestamp {stamp:?}: {e}"));
    assert!(body["data"].is_object(), "{body}");
    body
}

// ---------------------------------------------------------------------------------------------
// The jobs table

pub(crate) async fn notify_jobs(db: &Database) -> Vec<JobRow> {
    db.run(|conn| with_store!(conn, |s| JobStore::jobs_page(s, "notify", &[], None, 100)))
        .await
        .unwrap()
        .items
}

/// Makes every queued notification due now, as if the retry delay had passed.
async fn time_travel(db: &Database) -> usize {
    let past = (Utc::now() - chrono::Duration::hours(1)).naive_utc();
    db.run(move |conn| {
        use diesel::sql_types::Timestamp;
        use diesel::RunQueryDsl;
        let set = "UPDATE jobs SET run_at = {} WHERE kind = 'notify' AND status = 'queued'";
        let updated = match conn {
            DbConn::Sqlite(c) => diesel::sql_query(set.replace("{}", "?"))
                .bind::<Timestamp, _>(past)
                .execute(&mut **c),
            DbConn::Postgres(c) => diesel::sql_query(set.replace("{}", "$1"))
                .bind::<Timestamp, _>(past)
                .execute(&mut **c),
        };
        updated.map_err(StoreError::from)
    })
    .await
    .unwrap()
}

fn database_kind(backend: Backend) -> DatabaseKind {
    match backend {
        Backend::Sqlite => DatabaseKind::Sqlite,
        Backend::Postgres => DatabaseKind::Postgres,
    }
}

fn event_id(job: &JobRow) -> String {
    let payload: Value = serde_json::from_str(&job.payload).unwrap();
    payload["event_id"].as_str().unwrap().to_owned()
}

/// Polls `check` until it gives a value, for at most `WAIT`; `state` describes the situation
/// for the failure message.
macro_rules! wait_for {
    ($what:expr, $check:expr, $state:expr) => {{
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = $check {
                break found;
            }
            if Instant::now() >= deadline {
                panic!("waited {:?} for {}: {}", WAIT, $what, $state);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }};
}
pub(crate) use wait_for;

// ---------------------------------------------------------------------------------------------
// (a) retries

async fn a_failed_delivery_is_retried_until_the_shop_answers_2xx(backend: Backend) {
    let shop = FakeShop::start(2, Duration::ZERO);
    let secret = secret();
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_NOTIFY_SECRET", &secret),
            ("PAYMATCH_NOTIFY_ALLOW_PRIVATE", "true"),
        ],
    )
    .await;
    let signer = NotifySigner::new(&secret).unwrap();
    let hook = shop.url("/hooks/shop-a?token=abc");
    let (status, order) = app
        .create_order(json!({"code": "DH5001", "amount": "150000.5", "notify_url": hook}))
        .await;
    assert_eq!(status, 201, "{order}");
    let (status, reply) = app
        .transfer(910_001, "MBVCB.910001.thanh toan DH5001", num("150000.5"))
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 1, "{reply}");

    for attempt in 1..=2 {
        let job = wait_for!(
            format!("failed attempt {attempt} to be recorded"),
            {
                let jobs = notify_jobs(&app.db).await;
                jobs.first()
                    .filter(|j| j.status == "queued" && j.attempts == attempt)
                    .cloned()
            },
            format!(
                "{:?}\nshop: {:?}",
                notify_jobs(&app.db).await,
                shop.received()
            )
        );
        assert_eq!(
            shop.received().len(),
            attempt as usize,
            "{:?}",
            shop.received()
        );
        assert!(
            job.last_error.as_deref().is_some_and(|e| e.contains("500")),
            "{job:?}"
        );
        // The next attempt comes a minute later (Fibonacci: 1, 1, 2 … minutes).
        assert_eq!(
            job.run_at - job.updated_at,
            chrono::Duration::minutes(1),
            "{job:?}"
        );
        if attempt == 1 {
            // Not earlier than that: the worker (polling every second) leaves it alone.
            tokio::time::sleep(Duration::from_millis(2500)).await;
            assert_eq!(shop.received().len(), 1, "{:?}", shop.received());
        }
        assert_eq!(time_travel(&app.db).await, 1);
    }

    let job = wait_for!(
        "the third attempt to succeed",
        {
            let jobs = notify_jobs(&app.db).await;
            jobs.first()
                .filter(|j| j.status != "queued" && j.status != "running")
                .cloned()
        },
        format!(
            "{:?}\nshop: {:?}",
            notify_jobs(&app.db).await,
            shop.received()
        )
    );
    assert_eq!(job.status, "done", "{job:?}");
    assert_eq!(job.attempts, 3, "{job:?}");
    assert!(job.finished_at.is_some(), "{job:?}");

    // Nothing more comes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = shop.received();
    assert_eq!(received.len(), 3, "{received:?}");
    let jobs = notify_jobs(&app.db).await;
    assert_eq!(jobs.len(), 1, "one event, one job: {jobs:?}");
    assert_eq!(jobs[0].status, "done");

    let answers: Vec<Option<u16>> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [Some(500), Some(500), Some(200)]);
    assert_eq!(shop.answered_ok().len(), 1);
    let id = received[0].webhook_id.clone().unwrap();
    assert_eq!(id, event_id(&jobs[0]));
    for r in &received {
        assert_eq!(r.path, "/hooks/shop-a", "{r:?}");
        assert_eq!(
            r.webhook_id.as_deref(),
            Some(id.as_str()),
            "the same id on every attempt"
        );
        assert_signed(r, &signer);
        // Every attempt sends the same event.
        assert_eq!(r.body, received[0].body);
    }
    // A signer with another secret does not accept it.
    let other = NotifySigner::new("whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ=").unwrap();
    let last = &received[2];
    let seconds: i64 = last.webhook_timestamp.as_deref().unwrap().parse().unwrap();
    assert!(!other.verify(
        &id,
        seconds,
        &last.body,
        last.webhook_signature.as_deref().unwrap()
    ));

    let body = last.json();
    assert_eq!(body["type"], "order.paid", "{body}");
    let data = &body["data"];
    assert_eq!(data["code"], "DH5001", "{body}");
    assert_eq!(data["status"], "paid", "{body}");
    assert_eq!(data["paid"], true, "{body}");
    assert_eq!(data["amount"], "150000.5", "{body}");
    assert_eq!(data["amount_received"], "150000.5", "{body}");
    assert_eq!(data["amount_due"], "0", "{body}");
    let transactions = data["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 1, "{body}");
    assert_eq!(transactions[0]["external_id"], "910001", "{body}");
}

// ---------------------------------------------------------------------------------------------
// (b) every event, and the default URL

/// Without `PAYMATCH_NOTIFY_URL`, an order without its own `notify_url` has nowhere to send its
/// events: paying it, paying it past its amount or letting it expire writes no job at all, while
/// an order with its own URL beside it still gets its events.
async fn no_job_is_written_when_no_url_applies(backend: Backend) {
    let shop = FakeShop::start(0, Duration::ZERO);
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_NOTIFY_SECRET", &secret()),
            ("PAYMATCH_NOTIFY_ALLOW_PRIVATE", "true"),
        ],
    )
    .await;
    let expires_at = (Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    for body in [
        json!({"code": "DH5201", "amount": "100000"}),
        json!({"code": "DH5202", "amount": "100000"}),
        json!({"code": "DH5203", "amount": "100000", "expires_at": expires_at}),
        json!({"code": "DH5204", "amount": "100000", "notify_url": shop.url("/own")}),
    ] {
        let (status, order) = app.create_order(body).await;
        assert_eq!(status, 201, "{order}");
    }
    for (id, description, amount) in [
        (930_001, "thanh toan DH5201", "40000"),
        (930_002, "thanh toan DH5201 con lai", "60000"),
        (930_003, "thanh toan DH5202", "150000"),
        (930_004, "thanh toan DH5204", "100000"),
    ] {
        let (status, reply) = app.transfer(id, description, num(amount)).await;
        assert_eq!(status, 200, "{reply}");
    }
    wait_for!(
        "DH5203 expired by the worker",
        Some(app.get_order("DH5203").await.1).filter(|o| o["status"] == "expired"),
        format!("{:?}", app.get_order("DH5203").await)
    );
    wait_for!(
        "the event of DH5204",
        shop.answered_ok().first().cloned(),
        format!("{:?}", notify_jobs(&app.db).await)
    );
    let (_, paid) = app.get_order("DH5201").await;
    assert_eq!(paid["status"], "paid", "{paid}");
    let (_, over) = app.get_order("DH5202").await;
    assert_eq!(over["status"], "overpaid", "{over}");
    let jobs = notify_jobs(&app.db).await;
    assert_eq!(jobs.len(), 1, "only DH5204 has somewhere to go: {jobs:?}");
    assert!(jobs[0].payload.contains("DH5204"), "{jobs:?}");
    assert_eq!(shop.received().len(), 1, "{:?}", shop.received());
}

async fn every_status_change_is_notified_to_the_right_url(backend: Backend) {
    let shop = FakeShop::start(0, Duration::ZERO);
    let secret = secret();
    let default_url = shop.url("/default");
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_NOTIFY_SECRET", &secret),
            ("PAYMATCH_NOTIFY_ALLOW_PRIVATE", "true"),
            ("PAYMATCH_NOTIFY_URL", &default_url),
        ],
    )
    .await;
    let signer = NotifySigner::new(&secret).unwrap();
    let expires_at = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    for body in [
        json!({"code": "DH5101", "amount": "200000"}),
        json!({"code": "DH5102", "amount": "100000"}),
        json!({"code": "DH5103", "amount": "100000", "expires_at": expires_at}),
        json!({"code": "DH5104", "amount": "75000", "notify_url": shop.url("/own")}),
        json!({"code": "DH5105", "amount": "1000.25"}),
    ] {
        let (status, order) = app.create_order(body).await;
        assert_eq!(status, 201, "{order}");
    }

    // A partial payment, delivered, then the rest.
    let (status, reply) = app
        .transfer(920_001, "thanh toan DH5101", num("50000"))
        .await;
    assert_eq!(status, 200, "{reply}");
    wait_for!(
        "order.partially_paid",
        shop.answered_ok().first().cloned(),
        format!("{:?}", notify_jobs(&app.db).await)
    );
    let (status, reply) = app
        .transfer(920_002, "thanh toan DH5101 con lai", num("150000"))
        .await;
    assert_eq!(status, 200, "{reply}");
    let (status, order) = app
        .api(reqwest::Method::POST, "/api/v1/orders/DH5102/cancel", None)
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "cancelled", "{order}");
    let (status, reply) = app
        .transfer(920_003, "thanh toan DH5104", num("75000"))
        .await;
    assert_eq!(status, 200, "{reply}");

    let (status, reply) = app
        .transfer(920_004, "thanh toan DH5105", num("1500.5"))
        .await;
    assert_eq!(status, 200, "{reply}");

    // DH5103 expires by itself (the worker's sweep).
    let expected = 6;
    wait_for!(
        format!("{expected} notifications"),
        Some(shop.answered_ok()).filter(|ok| ok.len() >= expected),
        format!(
            "{:?}\njobs: {:?}",
            shop.received(),
            notify_jobs(&app.db).await
        )
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = shop.received();
    assert_eq!(received.len(), expected, "{received:?}");
    assert!(received.iter().all(Received::ok), "{received:?}");

    let mut events: BTreeMap<String, Vec<(String, Value, String)>> = BTreeMap::new();
    for r in &received {
        let body = assert_signed(r, &signer);
        events.entry(r.order_code()).or_default().push((
            r.event_type(),
            body["data"].clone(),
            r.path.clone(),
        ));
    }
    let ids: BTreeSet<Option<String>> = received.iter().map(|r| r.webhook_id.clone()).collect();
    assert_eq!(ids.len(), expected, "one id per event: {received:?}");

    let summary: BTreeMap<&str, Vec<(&str, &str)>> = events
        .iter()
        .map(|(code, list)| {
            (
                code.as_str(),
                list.iter()
                    .map(|(t, _, path)| (t.as_str(), path.as_str()))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        BTreeMap::from([
            (
                "DH5101",
                vec![
                    ("order.partially_paid", "/default"),
                    ("order.paid", "/default")
                ]
            ),
            ("DH5102", vec![("order.cancelled", "/default")]),
            ("DH5103", vec![("order.expired", "/default")]),
            ("DH5104", vec![("order.paid", "/own")]),
            ("DH5105", vec![("order.overpaid", "/default")]),
        ])
    );
    let data = |code: &str, n: usize| events[code][n].1.clone();
    let partial = data("DH5101", 0);
    assert_eq!(partial["status"], "partially_paid", "{partial}");
    assert_eq!(partial["amount_received"], "50000", "{partial}");
    assert_eq!(partial["amount_due"], "150000", "{partial}");
    let paid = data("DH5101", 1);
    assert_eq!(paid["status"], "paid", "{paid}");
    assert_eq!(paid["amount_received"], "200000", "{paid}");
    assert_eq!(paid["amount_due"], "0", "{paid}");
    assert_eq!(paid["transactions"].as_array().unwrap().len(), 2, "{paid}");
    assert_eq!(data("DH5102", 0)["status"], "cancelled");
    let expired = data("DH5103", 0);
    assert_eq!(expired["status"], "expired", "{expired}");
    assert_eq!(expired["amount_received"], "0", "{expired}");
    let own = data("DH5104", 0);
    assert_eq!(own["status"], "paid", "{own}");
    assert_eq!(own["amount_received"], "75000", "{own}");
    let over = data("DH5105", 0);
    assert_eq!(over["status"], "overpaid", "{over}");
    assert_eq!(over["paid"], true, "{over}");
    assert_eq!(over["amount_received"], "1500.5", "{over}");
    assert_eq!(over["amount_due"], "0", "{over}");
    let (_, order) = app.get_order("DH5103").await;
    assert_eq!(order["status"], "expired", "{order}");

    let jobs = notify_jobs(&app.db).await;
    assert_eq!(jobs.len(), expected, "{jobs:?}");
    for job in &jobs {
        assert_eq!((job.status.as_str(), job.attempts), ("done", 1), "{job:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// (c) private addresses

async fn private_addresses_are_refused_unless_allowed(backend: Backend) {
    let shop = FakeShop::start(0, Duration::ZERO);
    let secret = secret();
    let default_url = shop.url("/default");
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_NOTIFY_SECRET", &secret),
            ("PAYMATCH_NOTIFY_URL", &default_url),
        ],
    )
    .await;
    let localhost = shop.url("/own").replace("127.0.0.1", "localhost");
    for body in [
        json!({"code": "DH5201", "amount": "1000", "notify_url": shop.url("/own")}),
        json!({"code": "DH5202", "amount": "1000"}),
        json!({"code": "DH5203", "amount": "1000", "notify_url": localhost}),
    ] {
        let (status, order) = app.create_order(body).await;
        assert_eq!(status, 201, "{order}");
    }
    for (id, code) in [
        (930_001, "DH5201"),
        (930_002, "DH5202"),
        (930_003, "DH5203"),
    ] {
        let (status, reply) = app
            .transfer(id, &format!("thanh toan {code}"), num("1000"))
            .await;
        assert_eq!(status, 200, "{reply}");
    }
    let jobs = wait_for!(
        "three notifications to fail",
        Some(notify_jobs(&app.db).await)
            .filter(|jobs| jobs.len() == 3 && jobs.iter().all(|j| j.status == "failed")),
        format!("{:?}", notify_jobs(&app.db).await)
    );
    for job in &jobs {
        assert_eq!(job.attempts, 1, "refused at once, never retried: {job:?}");
        let error = job.last_error.as_deref().unwrap_or_default().to_lowercase();
        assert!(
            error.contains("private") || error.contains("loopback"),
            "{job:?}"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(shop.received().is_empty(), "{:?}", shop.received());
}

// ---------------------------------------------------------------------------------------------
// (d) two processes on one database

const SHARED_ORDERS: u32 = 20;

// SQLite works here too: both processes open the same file in WAL mode, and a job is claimed
// inside a `BEGIN IMMEDIATE` transaction, so only one of them can claim it.
async fn two_processes_deliver_each_event_once(backend: Backend) {
    let shop = FakeShop::start(0, Duration::ZERO);
    let secret = secret();
    let signer = NotifySigner::new(&secret).unwrap();
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
        ("PAYMATCH_NOTIFY_SECRET", secret.as_str()),
        ("PAYMATCH_NOTIFY_ALLOW_PRIVATE", "true"),
    ];
    // One after the other, so that one of them applies the migrations.
    let mut first = Server::start(dir.path(), &vars).await;
    let mut second = Server::start(dir.path(), &vars).await;
    let servers = [&first, &second];

    let amount = |k: u32| 100_000 + i64::from(k) * 1_000;
    let code = |k: u32| format!("DH{}", 6000 + k);
    for k in 1..=SHARED_ORDERS {
        let body = json!({
            "code": code(k),
            "amount": amount(k).to_string(),
            "notify_url": shop.url(&format!("/orders/{}", code(k))),
        });
        let server = servers[k as usize % 2];
        let (status, order) = server
            .api(KEY, reqwest::Method::POST, "/api/v1/orders", Some(body))
            .await;
        assert_eq!(status, 201, "{order}\n{}", server.describe());
    }

    // Each webhook to both processes at once, the first copy alternating between them.
    let sends = (1..=SHARED_ORDERS).flat_map(|k| {
        let id = 940_000 + u64::from(k);
        let body = webhook_body(id, &format!("thanh toan {} cam on", code(k)), amount(k));
        let order = [k as usize % 2, (k as usize + 1) % 2];
        order.map(|i| {
            let server = servers[i];
            let body = body.clone();
            async move { (id, server.webhook(TOKEN, &body).await) }
        })
    });
    let replies = futures_util::future::join_all(sends).await;
    let mut counts: BTreeMap<u64, (i64, i64)> = BTreeMap::new();
    for (id, (status, reply)) in &replies {
        assert_eq!(*status, 200, "{reply}");
        let entry = counts.entry(*id).or_default();
        entry.0 += reply["accepted"].as_i64().unwrap();
        entry.1 += reply["duplicates"].as_i64().unwrap();
    }
    for (id, (accepted, duplicates)) in &counts {
        assert_eq!((*accepted, *duplicates), (1, 1), "transfer {id}");
    }

    let expected = SHARED_ORDERS as usize;
    wait_for!(
        format!("{expected} notifications"),
        Some(shop.answered_ok()).filter(|ok| ok.len() >= expected),
        format!(
            "{} received\n{}\n{}",
            shop.received().len(),
            first.describe(),
            second.describe()
        )
    );
    // Time for a second delivery of any of them, if a process were to send one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = shop.received();
    assert_eq!(received.len(), expected, "{received:?}");

    let mut per_order: BTreeMap<String, Vec<&Received>> = BTreeMap::new();
    for r in &received {
        assert!(r.ok(), "{r:?}");
        let body = assert_signed(r, &signer);
        assert_eq!(body["type"], "order.paid", "{body}");
        assert_eq!(r.path, format!("/orders/{}", r.order_code()), "{r:?}");
        per_order.entry(r.order_code()).or_default().push(r);
    }
    let ids: BTreeSet<Option<String>> = received.iter().map(|r| r.webhook_id.clone()).collect();
    assert_eq!(ids.len(), expected, "distinct webhook ids");
    for k in 1..=SHARED_ORDERS {
        let deliveries = per_order
            .get(&code(k))
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert_eq!(deliveries.len(), 1, "order {}: {deliveries:?}", code(k));
        let data = deliveries[0].json()["data"].clone();
        assert_eq!(data["status"], "paid", "{data}");
        assert_eq!(data["amount_received"], amount(k).to_string(), "{data}");

        let (status, order) = first.get_order(KEY, &code(k)).await;
        assert_eq!(status, 200, "{order}");
        assert_eq!(order["status"], "paid", "{order}");
        assert_eq!(order["amount_received"], amount(k).to_string(), "{order}");
        assert_eq!(
            order["transactions"].as_array().unwrap().len(),
            1,
            "{order}"
        );
    }
    assert_eq!(second.all_transactions(KEY).await.len(), expected);

    let store = Database::connect(
        &db.url,
        database_kind(backend),
        PoolPurpose::Command,
        paymatch::config::DEFAULT_SQLITE_WAL_LIMIT,
    )
    .unwrap();
    let jobs = notify_jobs(&store).await;
    assert_eq!(jobs.len(), expected, "{jobs:?}");
    for job in &jobs {
        assert_eq!((job.status.as_str(), job.attempts), ("done", 1), "{job:?}");
    }
    drop(store);
    first.stop().await;
    second.stop().await;
}

// ---------------------------------------------------------------------------------------------
// (e) a stop during a delivery

async fn stopping_the_worker_loses_no_notification(backend: Backend) {
    let delay = Duration::from_secs(3);
    let shop = FakeShop::start(0, delay);
    let secret = secret();
    let signer = NotifySigner::new(&secret).unwrap();
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
        ("PAYMATCH_NOTIFY_SECRET", secret.as_str()),
        ("PAYMATCH_NOTIFY_ALLOW_PRIVATE", "true"),
    ];
    let mut server = Server::start(dir.path(), &vars).await;
    let codes = ["DH6101", "DH6102", "DH6103"];
    for code in codes {
        let body = json!({"code": code, "amount": "50000", "notify_url": shop.url("/slow")});
        let (status, order) = server
            .api(KEY, reqwest::Method::POST, "/api/v1/orders", Some(body))
            .await;
        assert_eq!(status, 201, "{order}\n{}", server.describe());
    }
    for (n, code) in codes.iter().enumerate() {
        let body = webhook_body(950_001 + n as u64, &format!("thanh toan {code}"), 50_000);
        let (status, reply) = server.webhook(TOKEN, &body).await;
        assert_eq!(status, 200, "{reply}");
    }

    // A delivery is in flight: stop the server.
    wait_for!(
        "a delivery to reach the shop",
        shop.received().first().cloned(),
        server.describe()
    );
    assert!(
        shop.received()[0].answered.is_none(),
        "the shop answered already"
    );
    server.terminate();
    let status = server.wait_exit(WAIT).await;
    assert!(status.success(), "{}", server.describe());

    let store = Database::connect(
        &db.url,
        database_kind(backend),
        PoolPurpose::Command,
        paymatch::config::DEFAULT_SQLITE_WAL_LIMIT,
    )
    .unwrap();
    let jobs = notify_jobs(&store).await;
    assert_eq!(jobs.len(), codes.len(), "{jobs:?}");
    let event_ids: BTreeSet<String> = jobs.iter().map(event_id).collect();
    // The job in hand was finished or handed back, not left claimed by a stopped worker.
    assert!(
        jobs.iter().all(|j| j.status != "running"),
        "a job is left running by a stopped worker: {jobs:?}\n{}",
        server.describe()
    );
    let before_restart = shop.received().len();
    assert!(before_restart < codes.len(), "{:?}", shop.received());

    let mut restarted = Server::start(dir.path(), &vars).await;
    let delivered = wait_for!(
        "every event to be delivered",
        {
            let ok: BTreeSet<String> = shop
                .answered_ok()
                .iter()
                .filter_map(|r| r.webhook_id.clone())
                .collect();
            event_ids.is_subset(&ok).then_some(ok)
        },
        format!(
            "events {event_ids:?}\nshop: {:?}\njobs: {:?}\n{}",
            shop.received(),
            notify_jobs(&store).await,
            restarted.describe()
        )
    );
    assert_eq!(
        delivered, event_ids,
        "the shop got events that were never recorded"
    );
    let mut types: Vec<(String, String)> = Vec::new();
    for r in shop.answered_ok() {
        let body = assert_signed(&r, &signer);
        types.push((r.order_code(), body["type"].as_str().unwrap().to_owned()));
    }
    types.sort();
    types.dedup();
    let expected: Vec<(String, String)> = codes
        .iter()
        .map(|c| (c.to_string(), "order.paid".to_owned()))
        .collect();
    assert_eq!(types, expected);
    let jobs = wait_for!(
        "every job to be done",
        Some(notify_jobs(&store).await).filter(|jobs| jobs.iter().all(|j| j.status == "done")),
        format!("{:?}", notify_jobs(&store).await)
    );
    assert_eq!(jobs.len(), codes.len());
    drop(store);
    restarted.stop().await;
}

crate::on_both_backends!(
    a_failed_delivery_is_retried_until_the_shop_answers_2xx,
    every_status_change_is_notified_to_the_right_url,
    no_job_is_written_when_no_url_applies,
    private_addresses_are_refused_unless_allowed,
    two_processes_deliver_each_event_once,
    stopping_the_worker_loses_no_notification,
);
