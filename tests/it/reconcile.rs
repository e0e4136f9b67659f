//! Reconciliation against a fake Casso API (a real HTTP server on 127.0.0.1): `paymatch
//! reconcile` run as the real binary on the database of a running server, a refused API key, and
//! the worker's scheduled reconciliation.
//!
//! The fake serves 250 records in pages of whatever size paymatch asks for. Some of them were
//! already delivered by webhook, some name open orders, one names no order, one is money going
//! out; the rest is noise. Every record's fate is known in advance, so the summary, the stored
//! transactions and the orders' sums are checked exactly.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use paymatch::config::DatabaseKind;
use paymatch::db::{AuditStore, Database, JobRow, JobStore, PoolPurpose, ReconcileRunRow};
use paymatch::with_store;
use serde_json::{json, Value};

use crate::cli::{run, Output, Server};
use crate::helpers::{num, spawn_fake_server, Backend, TestApp, TestDatabase};

pub(crate) const CASSO_KEY: &str = "casso-api-key-for-tests-8812";
const TOKEN: &str = "reconcile-test-secure-token-8812";
const KEY: &str = "reconcile-test-api-key-8812";
/// The longest any wait in these tests may take.
const WAIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// The fake Casso API

/// One request the fake received.
#[derive(Clone, Debug)]
struct CassoRequest {
    path: String,
    authorization: Option<String>,
    query: HashMap<String, String>,
}

struct CassoState {
    key: String,
    records: Vec<Value>,
    /// While false, the account looks empty (Casso has not seen the transfers yet).
    open: AtomicBool,
    requests: Mutex<Vec<CassoRequest>>,
}

/// `GET /v2/transactions` of the Casso API (v2), paged as asked.
pub(crate) struct FakeCasso {
    pub(crate) url: String,
    state: web::Data<CassoState>,
}

impl FakeCasso {
    pub(crate) fn start(records: Vec<Value>, open: bool) -> FakeCasso {
        let state = web::Data::new(CassoState {
            key: CASSO_KEY.to_owned(),
            records,
            open: AtomicBool::new(open),
            requests: Mutex::new(Vec::new()),
        });
        let url = spawn_fake_server(state.clone(), casso_handler, 1);
        FakeCasso { url, state }
    }

    pub(crate) fn open(&self) {
        self.state.open.store(true, Ordering::SeqCst);
    }

    /// Every request, whatever its path.
    fn requests(&self) -> Vec<CassoRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The requests for transaction pages.
    fn page_requests(&self) -> Vec<CassoRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == "/v2/transactions")
            .collect()
    }
}

/// A running paymatch that reconciles with `casso` every second.
pub(crate) async fn app_reconciling_every_second(backend: Backend, casso: &FakeCasso) -> TestApp {
    TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_CASSO_API_KEY", CASSO_KEY),
            ("PAYMATCH_CASSO_API_URL", &casso.url),
            ("PAYMATCH_RECONCILE_INTERVAL", "1"),
        ],
    )
    .await
}

async fn casso_handler(
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
    state: web::Data<CassoState>,
) -> HttpResponse {
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.requests.lock().unwrap().push(CassoRequest {
        path: request.path().to_owned(),
        authorization: authorization.clone(),
        query: query.0.clone(),
    });
    if authorization.as_deref() != Some(format!("Apikey {}", state.key).as_str()) {
        return HttpResponse::Unauthorized()
            .json(json!({"error": 401, "message": "Unauthorized", "data": null}));
    }
    match request.path() {
        "/v2/transactions" => {}
        "/v2/userInfo" => {
            return HttpResponse::Ok().json(json!({
                "error": 0,
                "message": "success",
                "data": {
                    "user": {"id": 7, "email": "shop@example.com"},
                    "bankAccs": [{"id": 1, "bank": {"bin": 970422}, "bankSubAccId": "0123456789"}],
                }
            }))
        }
        _ => {
            return HttpResponse::NotFound()
                .json(json!({"error": 404, "message": "not found", "data": null}))
        }
    }
    let number = |name: &str| query.get(name).and_then(|v| v.parse::<usize>().ok());
    let (Some(page), Some(size)) = (number("page"), number("pageSize")) else {
        return HttpResponse::BadRequest().json(
            json!({"error": 400, "message": "page and pageSize are required", "data": null}),
        );
    };
    if page == 0 || size == 0 {
        return HttpResponse::BadRequest()
            .json(json!({"error": 400, "message": "bad page", "data": null}));
    }
    let records: &[Value] = if state.open.load(Ordering::SeqCst) {
        &state.records
    } else {
        &[]
    };
    let total_pages = records.len().div_ceil(size);
    let start = (page - 1).saturating_mul(size).min(records.len());
    let end = (start + size).min(records.len());
    HttpResponse::Ok().json(json!({
        "error": 0,
        "message": "success",
        "data": {
            "page": page,
            "pageSize": size,
            "nextPage": if page < total_pages { json!(page + 1) } else { Value::Null },
            "prevPage": if page > 1 { json!(page - 1) } else { Value::Null },
            "totalPages": total_pages,
            "totalRecords": records.len(),
            "records": &records[start..end],
        }
    }))
}

// ---------------------------------------------------------------------------------------------
// The account's transactions and what must become of them

const RECORDS: u64 = 250;
const FIRST_ID: u64 = 7_100_001;

/// Orders: code, amount, and what they hold once every record is in.
const ORDERS: &[(&str, &str, &str, &str)] = &[
    // code, amount, status afterwards, amount_received afterwards
    ("DH9101", "300000", "paid", "300000"),
    ("DH9102", "150000", "paid", "150000"),
    ("DH9103", "0.3", "paid", "0.3"),
    ("DH9104", "500000", "partially_paid", "123456.7"),
    ("DH9105", "5000", "pending", "0"),
    ("DH9106", "1000", "overpaid", "1500"),
];

struct Planned {
    record: Value,
    /// Delivered by webhook before reconciliation.
    known: bool,
    status: &'static str,
    order: Option<&'static str>,
}

pub(crate) fn record(id: u64, description: &str, amount: Value) -> Value {
    json!({
        "id": id,
        "tid": format!("FT24276{id}"),
        "description": description,
        "amount": amount,
        "cusum_balance": 0,
        "when": "2024-10-02 09:15:00",
        "bankSubAccId": "0123456789",
    })
}

/// The same transfer as Casso's webhook v1 sends it.
fn webhook_element(record: &Value) -> Value {
    let mut element = record.clone();
    let map = element.as_object_mut().unwrap();
    let account = map.remove("bankSubAccId").unwrap();
    map.insert("bank_sub_acc_id".into(), account.clone());
    map.insert("subAccId".into(), account);
    element
}

fn plan() -> Vec<Planned> {
    (0..RECORDS)
        .map(|i| {
            let id = FIRST_ID + i;
            let known = i < 30 || (100..105).contains(&i) || i >= 245;
            let (description, amount, status, order) = match i {
                3 => (
                    format!("MBVCB.{id}.NGUYEN VAN A thanh toan DH9101 cam on"),
                    num("100000"),
                    "matched",
                    Some("DH9101"),
                ),
                40 => (
                    format!("MBVCB.{id}.NGUYEN VAN A thanh toan DH9101 lan 2"),
                    num("200000"),
                    "matched",
                    Some("DH9101"),
                ),
                41 => (
                    format!("{id}-TRAN THI B chuyen tien DH9102"),
                    num("100000"),
                    "matched",
                    Some("DH9102"),
                ),
                230 => (
                    format!("{id} ck don dh 9102 con lai"),
                    num("50000"),
                    "matched",
                    Some("DH9102"),
                ),
                120 => (
                    format!("thanh toan DH9103 phan 1 {id}"),
                    num("0.1"),
                    "matched",
                    Some("DH9103"),
                ),
                121 => (
                    format!("thanh toan DH9103 phan 2 {id}"),
                    num("0.2"),
                    "matched",
                    Some("DH9103"),
                ),
                150 => (
                    format!("IBFT {id} DH9104 dat coc"),
                    num("123456.7"),
                    "matched",
                    Some("DH9104"),
                ),
                200 => (
                    format!("DH9106 {id}"),
                    num("1500"),
                    "matched",
                    Some("DH9106"),
                ),
                210 => (
                    format!("thanh toan DH999999 {id}"),
                    num("70000"),
                    "unknown_order",
                    None,
                ),
                220 => (
                    format!("rut tien mat {id}"),
                    num("-20000"),
                    "outgoing",
                    None,
                ),
                _ => (
                    format!("chuyen tien an trua {id}"),
                    json!(1000 + i),
                    "unmatched",
                    None,
                ),
            };
            Planned {
                record: record(id, &description, amount),
                known,
                status,
                order,
            }
        })
        .collect()
}

fn records(plan: &[Planned]) -> Vec<Value> {
    plan.iter().map(|p| p.record.clone()).collect()
}

fn known_count(plan: &[Planned]) -> usize {
    plan.iter().filter(|p| p.known).count()
}

/// Records that were missing and are applied to an order once reconciled.
fn new_matched_count(plan: &[Planned]) -> usize {
    plan.iter()
        .filter(|p| !p.known && p.status == "matched")
        .count()
}

/// The known records, as a few webhook deliveries of up to 10 transfers.
fn known_deliveries(plan: &[Planned]) -> Vec<Value> {
    let known: Vec<Value> = plan
        .iter()
        .filter(|p| p.known)
        .map(|p| webhook_element(&p.record))
        .collect();
    known
        .chunks(10)
        .map(|chunk| json!({"error": 0, "data": chunk}))
        .collect()
}

/// Every planned record is stored exactly once, with its planned status and order.
#[track_caller]
fn assert_transactions(plan: &[Planned], transactions: &[Value]) {
    let mut by_id: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for t in transactions {
        by_id
            .entry(t["external_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(t);
    }
    assert_eq!(
        transactions.len(),
        plan.len(),
        "stored transactions: {} for {} records",
        transactions.len(),
        plan.len()
    );
    for p in plan {
        let id = p.record["id"].to_string();
        let stored = by_id.get(&id).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(
            stored.len(),
            1,
            "transaction {id} is stored {} times",
            stored.len()
        );
        let t = stored[0];
        assert_eq!(t["status"], p.status, "transaction {id}: {t}");
        assert_eq!(t["order_code"].as_str(), p.order, "transaction {id}: {t}");
        assert_eq!(
            t["amount"],
            p.record["amount"].to_string().trim_matches('"'),
            "{t}"
        );
    }
}

/// An order as the plan says it ends.
#[track_caller]
fn assert_order_final(code: &str, order: &Value) {
    let (_, amount, status, received) = ORDERS.iter().find(|o| o.0 == code).unwrap();
    assert_eq!(order["code"], *code, "{order}");
    assert_eq!(order["amount"], *amount, "{order}");
    assert_eq!(order["status"], *status, "{order}");
    assert_eq!(order["amount_received"], *received, "{order}");
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The numbers of `reconciled … : P pages, R records, N new, K already known, M matched, X
/// rejected`.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    pages: u64,
    records: u64,
    new: u64,
    already_known: u64,
    matched: u64,
    rejected: u64,
}

#[track_caller]
fn summary(out: &Output) -> Summary {
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("already known"))
        .collect();
    assert_eq!(lines.len(), 1, "one summary line\n{}", out.describe());
    let line = lines[0];
    let number = |label: &str| -> u64 {
        let pattern = regex::Regex::new(&format!(r"(\d+) {label}\b")).unwrap();
        let captures = pattern
            .captures(line)
            .unwrap_or_else(|| panic!("no `N {label}` in the summary {line:?}"));
        captures[1].parse().unwrap()
    };
    Summary {
        pages: number("pages"),
        records: number("records"),
        new: number("new"),
        already_known: number("already known"),
        matched: number("matched"),
        rejected: number("rejected"),
    }
}

fn database_kind(backend: Backend) -> DatabaseKind {
    match backend {
        Backend::Sqlite => DatabaseKind::Sqlite,
        Backend::Postgres => DatabaseKind::Postgres,
    }
}

async fn reconcile_runs(db: &Database) -> Vec<ReconcileRunRow> {
    db.run(|conn| with_store!(conn, |s| AuditStore::reconcile_runs_page(s, None, 100)))
        .await
        .unwrap()
        .items
}

async fn reconcile_jobs(db: &Database) -> Vec<JobRow> {
    db.run(|conn| {
        with_store!(conn, |s| JobStore::jobs_page(
            s,
            "reconcile",
            &[],
            None,
            100
        ))
    })
    .await
    .unwrap()
    .items
}

async fn create_orders_on_server(server: &Server) {
    for (code, amount, ..) in ORDERS {
        let (status, order) = server.create_order(KEY, code, amount).await;
        assert_eq!(status, 201, "{order}\n{}", server.describe());
    }
}

async fn create_orders_on_app(app: &TestApp) {
    for (code, amount, ..) in ORDERS {
        let (status, order) = app
            .create_order(json!({"code": code, "amount": amount}))
            .await;
        assert_eq!(status, 201, "{order}");
    }
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

// ---------------------------------------------------------------------------------------------
// (a) the command

async fn reconcile_command_adds_exactly_the_missing_transactions(backend: Backend) {
    let plan = plan();
    let casso = FakeCasso::start(records(&plan), true);
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let server_vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
    ];
    let mut server = Server::start(dir.path(), &server_vars).await;
    create_orders_on_server(&server).await;

    // What the webhooks brought before.
    for delivery in known_deliveries(&plan) {
        let (status, reply) = server.webhook(TOKEN, &delivery.to_string()).await;
        assert_eq!(status, 200, "{reply}\n{}", server.describe());
        assert_eq!(reply["duplicates"], 0, "{reply}");
        assert_eq!(reply["rejected"], 0, "{reply}");
    }
    let known = known_count(&plan);
    assert_eq!(server.all_transactions(KEY).await.len(), known);
    let (_, first) = server.get_order(KEY, "DH9101").await;
    assert_eq!(first["status"], "partially_paid", "{first}");
    assert_eq!(first["amount_received"], "100000", "{first}");

    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_API_KEY", CASSO_KEY),
        ("PAYMATCH_CASSO_API_URL", casso.url.as_str()),
    ];
    let args = ["reconcile", "--from", "2024-10-01", "--to", "2024-10-03"];
    let out = run(dir.path(), &args, &vars, "").await;
    out.assert_success();

    // The fake saw paymatch read every page once, with the key and the window.
    let expected_auth = format!("Apikey {CASSO_KEY}");
    for r in casso.requests() {
        assert_eq!(r.authorization.as_deref(), Some(expected_auth.as_str()));
    }
    let requests = casso.page_requests();
    assert!(!requests.is_empty(), "no page was asked of the fake Casso");
    let page_size: usize = requests[0].query["pageSize"].parse().unwrap();
    let pages = plan.len().div_ceil(page_size);
    assert!(
        pages >= 2,
        "page size {page_size} leaves a single page: paging is not exercised"
    );
    let asked: Vec<String> = requests.iter().map(|r| r.query["page"].clone()).collect();
    let expected_pages: Vec<String> = (1..=pages).map(|p| p.to_string()).collect();
    assert_eq!(asked, expected_pages, "pages asked: {requests:?}");
    for r in &requests {
        assert_eq!(r.query["fromDate"], "2024-10-01", "{r:?}");
        assert_eq!(r.query["toDate"], "2024-10-03", "{r:?}");
        assert_eq!(r.query["pageSize"], page_size.to_string(), "{r:?}");
    }

    let missing = plan.len() - known;
    assert_eq!(
        summary(&out),
        Summary {
            pages: pages as u64,
            records: plan.len() as u64,
            new: missing as u64,
            already_known: known as u64,
            matched: new_matched_count(&plan) as u64,
            rejected: 0,
        },
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("2024-10-01") && out.stdout.contains("2024-10-03"),
        "{}",
        out.describe()
    );

    assert_transactions(&plan, &server.all_transactions(KEY).await);
    for (code, ..) in ORDERS {
        let (status, order) = server.get_order(KEY, code).await;
        assert_eq!(status, 200, "{order}");
        assert_order_final(code, &order);
    }
    let (_, order) = server.get_order(KEY, "DH9104").await;
    assert_eq!(order["amount_due"], "376543.3", "{order}");
    let (_, order) = server.get_order(KEY, "DH9101").await;
    assert_eq!(
        order["transactions"].as_array().unwrap().len(),
        2,
        "{order}"
    );

    // Again: everything is known now, nothing changes.
    let again = run(dir.path(), &args, &vars, "").await;
    again.assert_success();
    assert_eq!(
        summary(&again),
        Summary {
            pages: pages as u64,
            records: plan.len() as u64,
            new: 0,
            already_known: plan.len() as u64,
            matched: 0,
            rejected: 0,
        },
        "{}",
        again.describe()
    );
    assert_eq!(casso.page_requests().len(), 2 * pages);
    assert_transactions(&plan, &server.all_transactions(KEY).await);
    for (code, ..) in ORDERS {
        let (_, order) = server.get_order(KEY, code).await;
        assert_order_final(code, &order);
    }

    // Both runs are recorded for admins, with the same numbers.
    let store = Database::connect(
        &db.url,
        database_kind(backend),
        PoolPurpose::Command,
        paymatch::config::DEFAULT_SQLITE_WAL_LIMIT,
    )
    .unwrap();
    let mut runs = reconcile_runs(&store).await;
    runs.sort_by_key(|r| r.id);
    assert_eq!(runs.len(), 2, "{runs:?}");
    for (r, new) in runs.iter().zip([missing, 0]) {
        assert_eq!(r.trigger_source, "cli", "{r:?}");
        assert_eq!(
            (r.from_date.as_str(), r.to_date.as_str()),
            ("2024-10-01", "2024-10-03")
        );
        assert!(r.finished_at.is_some() && r.error.is_none(), "{r:?}");
        assert_eq!(r.pages as usize, pages, "{r:?}");
        assert_eq!(r.records as usize, plan.len(), "{r:?}");
        assert_eq!(r.new_transactions as usize, new, "{r:?}");
        assert_eq!(r.already_known as usize, plan.len() - new, "{r:?}");
    }
    drop(store);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// (b) a refused key

async fn reconcile_with_a_wrong_key_fails_in_one_line(backend: Backend) {
    let plan = plan();
    let casso = FakeCasso::start(records(&plan), true);
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let args = ["reconcile", "--from", "2024-10-01", "--to", "2024-10-03"];

    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_API_KEY", "not-the-right-key"),
        ("PAYMATCH_CASSO_API_URL", casso.url.as_str()),
    ];
    let out = run(dir.path(), &args, &vars, "").await;
    let reason = out.assert_failure_line();
    assert!(
        reason.to_lowercase().contains("key"),
        "the reason does not mention the key: {reason}\n{}",
        out.describe()
    );
    assert!(
        !reason.contains("not-the-right-key"),
        "the key itself is printed: {reason}"
    );
    // A refused key is not retried, and no page is asked with it.
    let requests = casso.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(casso.page_requests().is_empty() || requests[0].path == "/v2/transactions");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some("Apikey not-the-right-key")
    );

    // No key at all: refused before any request.
    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_API_URL", casso.url.as_str()),
    ];
    let out = run(dir.path(), &args, &vars, "").await;
    let reason = out.assert_failure_line();
    assert!(
        reason.contains("PAYMATCH_CASSO_API_KEY"),
        "{reason}\n{}",
        out.describe()
    );
    assert_eq!(casso.requests().len(), 1);

    // Nothing was stored.
    let server_vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
    ];
    let mut server = Server::start(dir.path(), &server_vars).await;
    assert_eq!(server.all_transactions(KEY).await.len(), 0);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// (c) the scheduled reconciliation

async fn scheduled_reconciliation_brings_the_missing_transactions(backend: Backend) {
    let plan = plan();
    // Casso does not show the transfers yet: the first scheduled runs find nothing.
    let casso = FakeCasso::start(records(&plan), false);
    let app = app_reconciling_every_second(backend, &casso).await;
    create_orders_on_app(&app).await;
    for delivery in known_deliveries(&plan) {
        let (status, reply) = app.post_webhook(&delivery).await;
        assert_eq!(status, 200, "{reply}");
    }
    casso.open();

    let deadline = Instant::now() + WAIT;
    let transactions = loop {
        let transactions = app.all_transactions().await;
        if transactions.len() >= plan.len() {
            break transactions;
        }
        assert!(
            Instant::now() < deadline,
            "after {WAIT:?}, {} of {} transactions are stored; runs: {:?}; Casso requests: {}",
            transactions.len(),
            plan.len(),
            reconcile_runs(&app.db).await,
            casso.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_transactions(&plan, &transactions);
    for (code, ..) in ORDERS {
        let (_, order) = app.get_order(code).await;
        assert_order_final(code, &order);
    }

    // Runs are recorded, and they keep coming: wait for one that found everything known.
    let missing = plan.len() - known_count(&plan);
    let deadline = Instant::now() + WAIT;
    let runs = loop {
        let runs = reconcile_runs(&app.db).await;
        if runs.iter().any(|r| {
            r.finished_at.is_some()
                && r.already_known as usize == plan.len()
                && r.new_transactions == 0
        }) {
            break runs;
        }
        assert!(
            Instant::now() < deadline,
            "no later scheduled run within {WAIT:?}: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let finished: Vec<&ReconcileRunRow> = runs.iter().filter(|r| r.finished_at.is_some()).collect();
    assert!(finished.len() >= 2, "{runs:?}");
    for r in &finished {
        assert_eq!(r.trigger_source, "schedule", "{r:?}");
        assert!(r.error.is_none(), "{r:?}");
        let (from, to) = (day(&r.from_date), day(&r.to_date));
        assert_eq!((to - from).num_days(), 3, "{r:?}");
    }
    // Whatever runs saw them, the missing transactions were added once in all.
    let added: i64 = finished.iter().map(|r| i64::from(r.new_transactions)).sum();
    assert_eq!(added as usize, missing, "{runs:?}");
    let matched: i64 = finished.iter().map(|r| i64::from(r.matched)).sum();
    assert_eq!(matched as usize, new_matched_count(&plan), "{runs:?}");
    for r in casso.requests() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Apikey {CASSO_KEY}").as_str())
        );
    }

    // One recurring job for the database.
    let jobs = reconcile_jobs(&app.db).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
}

async fn no_scheduled_reconciliation_when_it_is_off(backend: Backend) {
    let plan = plan();
    let casso = FakeCasso::start(records(&plan), true);
    let off = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_CASSO_API_KEY", CASSO_KEY),
            ("PAYMATCH_CASSO_API_URL", &casso.url),
            ("PAYMATCH_RECONCILE_INTERVAL", "0"),
        ],
    )
    .await;
    let other = FakeCasso::start(records(&plan), true);
    let no_worker = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_CASSO_API_KEY", CASSO_KEY),
            ("PAYMATCH_CASSO_API_URL", &other.url),
            ("PAYMATCH_RECONCILE_INTERVAL", "1"),
            ("PAYMATCH_WORKER", "false"),
        ],
    )
    .await;
    // The worker polls every second and a due run starts at once: give it several chances.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        casso.requests().len(),
        0,
        "interval 0: {:?}",
        casso.requests()
    );
    assert!(reconcile_runs(&off.db).await.is_empty());
    assert!(reconcile_jobs(&off.db).await.is_empty());
    assert!(off.all_transactions().await.is_empty());
    assert_eq!(
        other.requests().len(),
        0,
        "no worker: {:?}",
        other.requests()
    );
    assert!(reconcile_runs(&no_worker.db).await.is_empty());
    // The apps are up all the same.
    let (status, reply) = off.api(reqwest::Method::GET, "/healthz", None).await;
    assert_eq!(status, 200, "{reply}");
}

crate::on_both_backends!(
    reconcile_command_adds_exactly_the_missing_transactions,
    reconcile_with_a_wrong_key_fails_in_one_line,
    scheduled_reconciliation_brings_the_missing_transactions,
    no_scheduled_reconciliation_when_it_is_off,
);
