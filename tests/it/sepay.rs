//! SePay: `POST /webhooks/sepay` (its key, its replies, duplicates, money out, bodies that are not
//! SePay's), `paymatch simulate --source sepay`, the settings page, the admin's source filter,
//! and reconciliation against a fake SePay transactions list (pages by `since_id`, a transfer
//! already delivered by webhook, the empty-200 token refusal, `x-sepay-userapi-retry-after`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use paymatch::db::AuditStore;
use paymatch::with_store;

use crate::admin::{get, logged_in};
use crate::cli::{run, Output};
use crate::helpers::*;
use crate::on_both_backends;

const SEPAY_KEY: &str = "sepay-webhook-key-for-tests-4471";
const SEPAY_TOKEN: &str = "sepay-api-token-for-tests-4471";

on_both_backends!(
    a_delivery_pays_its_order_and_a_duplicate_changes_nothing,
    wrong_or_missing_key_stores_nothing,
    without_a_configured_key_every_delivery_is_refused,
    money_out_is_outgoing,
    a_body_that_is_not_a_sepay_transaction_gets_400,
    sepay_content_shapes_pay_their_orders,
    the_admin_shows_and_filters_by_source,
    reconcile_reads_every_page_and_stores_each_transfer_once,
    a_refused_token_is_an_error_not_zero_transactions,
    a_429_waits_for_sepays_retry_after,
    the_schedule_reconciles_with_sepay,
    simulate_posts_a_sepay_webhook,
);

async fn sepay_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &[("PAYMATCH_SEPAY_WEBHOOK_KEY", SEPAY_KEY)]).await
}

/// A SePay webhook body as SePay's documentation shows it.
fn sepay_body(id: u64, content: &str, amount: i64, direction: &str) -> Value {
    json!({
        "id": id,
        "gateway": "Vietcombank",
        "transactionDate": "2026-11-30 09:15:00",
        "accountNumber": "0071000888888",
        "subAccount": null,
        "code": null,
        "content": content,
        "transferType": direction,
        "transferAmount": amount,
        "accumulated": 19077000,
        "referenceCode": format!("MBVCB.{id}"),
        "description": format!("BankAPINotify {content}"),
    })
}

async fn post_sepay(app: &TestApp, body: &str, authorization: Option<&str>) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/webhooks/sepay"))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    reply(request.send().await.unwrap()).await
}

async fn deliver(app: &TestApp, body: &Value) -> (u16, Value) {
    post_sepay(app, &body.to_string(), Some(&format!("Apikey {SEPAY_KEY}"))).await
}

async fn a_delivery_pays_its_order_and_a_duplicate_changes_nothing(backend: Backend) {
    let app = sepay_app(backend).await;
    app.create_order(json!({"code": "DH1234", "amount": 150000}))
        .await;
    let body = sepay_body(
        92704,
        "MBVCB.3278907687.DH1234.CT tu 0123456789",
        150000,
        "in",
    );
    assert_eq!(deliver(&app, &body).await, (200, json!({"success": true})));
    // SePay retries (up to 7 times) and may send the same transaction again: stored once.
    for authorization in [format!("Apikey {SEPAY_KEY}"), format!("APIKEY {SEPAY_KEY}")] {
        let (status, reply) = post_sepay(&app, &body.to_string(), Some(&authorization)).await;
        assert_eq!((status, reply), (200, json!({"success": true})));
    }
    let (_, order) = app.get_order("DH1234").await;
    assert_eq!(order["status"], "paid", "{order}");
    assert_eq!(order["amount_received"], "150000");
    let transactions = app.all_transactions().await;
    assert_eq!(transactions.len(), 1, "{transactions:?}");
    let tx = &transactions[0];
    assert_eq!(tx["id"], "sepay:92704");
    assert_eq!(tx["source"], "sepay");
    assert_eq!(tx["external_id"], "92704");
    assert_eq!(tx["bank_ref"], "MBVCB.92704");
    assert_eq!(tx["account"], "0071000888888");
    assert_eq!(
        tx["when"], "2026-11-30T02:15:00Z",
        "SePay's time is Vietnam time"
    );
    assert_eq!(tx["status"], "matched");
    assert_eq!(tx["order_code"], "DH1234");
    assert_eq!(
        tx["description"], "MBVCB.3278907687.DH1234.CT tu 0123456789",
        "the patterns read `content`"
    );
    let (_, order) = app.get_order("DH1234").await;
    let history: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["by"].as_str())
        .collect();
    assert!(history.contains(&"sepay"), "{history:?}");
}

async fn wrong_or_missing_key_stores_nothing(backend: Backend) {
    let app = sepay_app(backend).await;
    app.create_order(json!({"code": "DH77", "amount": 50000}))
        .await;
    let body = sepay_body(1, "DH77", 50000, "in").to_string();
    for authorization in [
        None,
        Some("Apikey wrong-key"),
        Some(SEPAY_KEY),
        Some(&*format!("Bearer {SEPAY_KEY}")),
        Some("Apikey "),
    ] {
        let (status, reply) = post_sepay(&app, &body, authorization).await;
        assert_eq!(status, 401, "{authorization:?}: {reply}");
        assert_eq!(reply["success"], false);
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert!(app.all_transactions().await.is_empty());
    assert_eq!(app.get_order("DH77").await.1["status"], "pending");
}

async fn without_a_configured_key_every_delivery_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = sepay_body(2, "DH77", 50000, "in").to_string();
    let (status, reply) = post_sepay(&app, &body, Some(&format!("Apikey {SEPAY_KEY}"))).await;
    assert_eq!(status, 401, "{reply}");
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("PAYMATCH_SEPAY_WEBHOOK_KEY"),
        "{reply}"
    );
    assert!(app.all_transactions().await.is_empty());
}

async fn money_out_is_outgoing(backend: Backend) {
    let app = sepay_app(backend).await;
    app.create_order(json!({"code": "DH5", "amount": 20000}))
        .await;
    let (status, _) = deliver(&app, &sepay_body(3, "hoan tien DH5", 20000, "out")).await;
    assert_eq!(status, 200);
    let tx = &app.all_transactions().await[0];
    assert_eq!(tx["status"], "outgoing");
    assert_eq!(tx["amount"], "-20000");
    assert_eq!(app.get_order("DH5").await.1["status"], "pending");
}

async fn a_body_that_is_not_a_sepay_transaction_gets_400(backend: Backend) {
    let app = sepay_app(backend).await;
    let casso = envelope(vec![element(4, "DH1", json!(1000))]).to_string();
    for body in ["not json", "[]", "{}", casso.as_str()] {
        let (status, reply) = post_sepay(&app, body, Some(&format!("Apikey {SEPAY_KEY}"))).await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert_eq!(reply["error"]["code"], "invalid_envelope", "{reply}");
    }
    // A SePay transaction with a bad value is kept for admins with its reason: SePay gets its
    // 200 (sending it again would not help).
    let (status, _) = deliver(&app, &sepay_body(5, "DH1", 0, "in")).await;
    assert_eq!(status, 200);
    assert!(app.all_transactions().await.is_empty());
}

/// SePay passes the bank's content, sometimes behind its own or the bank's prefix.
async fn sepay_content_shapes_pay_their_orders(backend: Backend) {
    let app = sepay_app(backend).await;
    let shapes = [
        "SEPAY12345 {C}",
        "TKThe :0123456789, tai MB. {C} chuyen khoan",
        "MBVCB.3278907687.{C}.CT tu 0123456789 NGUYEN VAN A toi 0071000888888",
        "BankAPINotify {C} thanh toan don hang",
        "CT DEN:0123456789 {C} CHUYEN TIEN",
        "REM Tfr Ac: 12345678901 {C} O@L_FAST",
        "{C}-Ma GD ACSP/ 339176",
    ];
    for (i, shape) in shapes.iter().enumerate() {
        let code = format!("DH{}", 2000 + i);
        app.create_order(json!({"code": code, "amount": 100000}))
            .await;
        let content = shape.replace("{C}", &code);
        let id = 100 + u64::try_from(i).unwrap();
        assert_eq!(
            deliver(&app, &sepay_body(id, &content, 100000, "in"))
                .await
                .0,
            200
        );
        assert_eq!(app.get_order(&code).await.1["status"], "paid", "{content}");
    }
}

async fn the_admin_shows_and_filters_by_source(backend: Backend) {
    let app = sepay_app(backend).await;
    assert_eq!(
        deliver(&app, &sepay_body(7, "no code here", 30000, "in"))
            .await
            .0,
        200
    );
    assert_eq!(app.transfer(8, "no code either", json!(40000)).await.0, 200);
    let (client, _) = logged_in(&app).await;

    let (_, page) = get(&client, &app, "/admin/settings").await;
    // A path: without PAYMATCH_PUBLIC_URL no absolute link is written.
    assert!(
        page.contains(r#"<code id="sepay-webhook-url">/webhooks/sepay</code>"#),
        "the settings page shows SePay's webhook URL"
    );
    assert!(page.contains("Apikey"));

    let (_, all) = get(&client, &app, "/admin/queue").await;
    assert!(all.contains("no code here") && all.contains("no code either"));
    assert!(
        all.contains(r#"class="source">SePay<"#),
        "each row names its provider"
    );
    assert!(all.contains(r#"class="source">Casso<"#));
    let (_, sepay_only) = get(&client, &app, "/admin/queue?source=sepay").await;
    assert!(sepay_only.contains("no code here"));
    assert!(!sepay_only.contains("no code either"));
    let (_, casso_only) = get(&client, &app, "/admin/transactions?source=casso").await;
    assert!(casso_only.contains("no code either"));
    assert!(!casso_only.contains("no code here"));

    let (status, csv) = get(&client, &app, "/admin/transactions.csv?source=sepay").await;
    assert_eq!(status, 200);
    assert!(csv.contains("sepay:7"), "{csv}");
    assert!(!csv.contains("casso:8"), "{csv}");
    let header = csv.trim_start_matches('\u{feff}').lines().next().unwrap();
    assert!(
        header.ends_with(",source,payer_name,payer_account,payer_bank,matched_by"),
        "{header}"
    );
}

// ---------------------------------------------------------------------------------------------
// Reconciliation against a fake SePay

/// How the fake answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// A refused token: HTTP 200 and an empty body, as SePay does.
    EmptyReply,
    /// The first request gets a 429 asking to wait a second.
    RateLimitedOnce,
}

struct SepayState {
    /// Sorted by id.
    records: Vec<Value>,
    mode: Mode,
    requests: Mutex<Vec<(Instant, HashMap<String, String>)>>,
    served: AtomicUsize,
}

struct FakeSepay {
    url: String,
    state: web::Data<SepayState>,
}

impl FakeSepay {
    fn start(records: Vec<Value>, mode: Mode) -> FakeSepay {
        let state = web::Data::new(SepayState {
            records,
            mode,
            requests: Mutex::new(Vec::new()),
            served: AtomicUsize::new(0),
        });
        let url = spawn_fake_server(state.clone(), sepay_handler, 1);
        FakeSepay { url, state }
    }

    fn requests(&self) -> Vec<(Instant, HashMap<String, String>)> {
        self.state.requests.lock().unwrap().clone()
    }
}

async fn sepay_handler(
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
    state: web::Data<SepayState>,
) -> HttpResponse {
    state
        .requests
        .lock()
        .unwrap()
        .push((Instant::now(), query.0.clone()));
    let number = state.served.fetch_add(1, Ordering::SeqCst);
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {SEPAY_TOKEN}").as_str());
    if state.mode == Mode::EmptyReply || !authorized {
        return HttpResponse::Ok().finish();
    }
    if state.mode == Mode::RateLimitedOnce && number == 0 {
        return HttpResponse::TooManyRequests()
            .insert_header(("x-sepay-userapi-retry-after", "1"))
            .json(json!({"status": 429, "error": "too many requests"}));
    }
    if request.path() != "/userapi/transactions/list" {
        return HttpResponse::NotFound().finish();
    }
    let since: u64 = query
        .get("since_id")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let limit: usize = query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let page: Vec<Value> = state
        .records
        .iter()
        .filter(|r| r["id"].as_str().unwrap().parse::<u64>().unwrap() >= since)
        .take(limit)
        .cloned()
        .collect();
    HttpResponse::Ok().json(json!({
        "status": 200,
        "error": null,
        "messages": {"success": true},
        "transactions": page,
    }))
}

/// A record of SePay's transactions list.
fn record(id: u64, content: &str, amount_in: &str) -> Value {
    json!({
        "id": id.to_string(),
        "bank_brand_name": "Vietcombank",
        "account_number": "0071000888888",
        "transaction_date": "2026-11-29 10:00:00",
        "amount_out": "0.00",
        "amount_in": amount_in,
        "accumulated": "1200541768.00",
        "transaction_content": content,
        "reference_number": format!("FT{id}"),
        "code": null,
        "sub_account": null,
        "bank_account_id": "19",
    })
}

fn reconcile_vars<'a>(app: &'a TestApp, sepay: &'a FakeSepay) -> Vec<(&'a str, &'a str)> {
    vec![
        ("PAYMATCH_DATABASE_URL", app.database_url()),
        ("PAYMATCH_SEPAY_API_TOKEN", SEPAY_TOKEN),
        ("PAYMATCH_SEPAY_API_URL", sepay.url.as_str()),
    ]
}

async fn reconcile(app: &TestApp, sepay: &FakeSepay) -> Output {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        &[
            "reconcile",
            "--source",
            "sepay",
            "--from",
            "2026-11-28",
            "--to",
            "2026-11-30",
        ],
        &reconcile_vars(app, sepay),
        "",
    )
    .await
}

async fn reconcile_reads_every_page_and_stores_each_transfer_once(backend: Backend) {
    let app = sepay_app(backend).await;
    app.create_order(json!({"code": "DH10", "amount": 70000}))
        .await;
    app.create_order(json!({"code": "DH20", "amount": 80000}))
        .await;
    // 230 transfers in pages of 100: three pages. Id 1005 was delivered by webhook already.
    let records: Vec<Value> = (1000..1230)
        .map(|id| match id {
            1005 => record(id, "thanh toan DH10", "70000.00"),
            1201 => record(id, "TKThe :0123456789, tai MB. DH20", "80000.00"),
            _ => record(id, "chuyen tien", "1000.00"),
        })
        .collect();
    let mut delivered = sepay_body(1005, "thanh toan DH10", 70000, "in");
    delivered["accountNumber"] = json!("0071000888888");
    assert_eq!(deliver(&app, &delivered).await.0, 200);
    assert_eq!(app.get_order("DH10").await.1["amount_received"], "70000");

    let sepay = FakeSepay::start(records, Mode::Normal);
    let out = reconcile(&app, &sepay).await;
    out.assert_success();
    assert!(
        out.stdout.contains(
            "with sepay: 3 pages, 230 records, 229 new, 1 already known, 1 matched, 0 rejected"
        ),
        "{}",
        out.describe()
    );
    let requests = sepay.requests();
    let since: Vec<&str> = requests
        .iter()
        .map(|(_, q)| q["since_id"].as_str())
        .collect();
    assert_eq!(since, ["0", "1100", "1200"]);
    assert!(requests.iter().all(|(_, q)| q["limit"] == "100"
        && q["transaction_date_min"] == "2026-11-28"
        && q["transaction_date_max"] == "2026-11-30"));
    // SePay allows 3 requests a second.
    for pair in requests.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= Duration::from_millis(300));
    }

    let transactions = app.all_transactions().await;
    assert_eq!(transactions.len(), 230);
    assert_eq!(
        count_ids::<u64>(&transactions).values().max(),
        Some(&1),
        "each transfer stored once"
    );
    // Paid once, not twice, by the transfer that came both ways; the missed one is applied now.
    assert_eq!(app.get_order("DH10").await.1["amount_received"], "70000");
    let (_, order) = app.get_order("DH20").await;
    assert_eq!(order["status"], "paid");
    assert!(order["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["by"] == "reconcile"));

    // Run again: everything is known.
    let again = reconcile(&app, &sepay).await;
    again.assert_success();
    assert!(
        again.stdout.contains("0 new, 230 already known"),
        "{}",
        again.describe()
    );

    let (client, _) = logged_in(&app).await;
    let (_, runs) = get(&client, &app, "/admin/reconcile").await;
    assert!(runs.contains("SePay"), "the run shows its provider");
}

async fn a_refused_token_is_an_error_not_zero_transactions(backend: Backend) {
    let app = sepay_app(backend).await;
    let sepay = FakeSepay::start(vec![record(1, "DH1", "1000.00")], Mode::EmptyReply);
    let out = reconcile(&app, &sepay).await;
    let reason = out.assert_failure_line();
    assert!(
        reason.contains("PAYMATCH_SEPAY_API_TOKEN"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("0 records"), "{}", out.describe());
    assert_eq!(sepay.requests().len(), 1, "a refusal is not retried");
    assert!(app.all_transactions().await.is_empty());

    let (client, _) = logged_in(&app).await;
    let (_, runs) = get(&client, &app, "/admin/reconcile").await;
    assert!(
        runs.contains("PAYMATCH_SEPAY_API_TOKEN"),
        "the run keeps its error"
    );
}

async fn a_429_waits_for_sepays_retry_after(backend: Backend) {
    let app = sepay_app(backend).await;
    let sepay = FakeSepay::start(
        vec![record(1, "chuyen tien", "1000.00")],
        Mode::RateLimitedOnce,
    );
    let out = reconcile(&app, &sepay).await;
    out.assert_success();
    assert!(out.stdout.contains("1 new"), "{}", out.describe());
    let requests = sepay.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1].0 - requests[0].0 >= Duration::from_millis(950),
        "waited {:?}",
        requests[1].0 - requests[0].0
    );
}

async fn the_schedule_reconciles_with_sepay(backend: Backend) {
    let sepay = FakeSepay::start(vec![record(1, "chuyen tien", "1000.00")], Mode::Normal);
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_SEPAY_API_TOKEN", SEPAY_TOKEN),
            ("PAYMATCH_SEPAY_API_URL", &sepay.url),
            ("PAYMATCH_RECONCILE_INTERVAL", "1"),
        ],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let runs = app
            .db
            .run(|conn| with_store!(conn, |s| AuditStore::reconcile_runs_page(s, None, 10)))
            .await
            .unwrap()
            .items;
        if let Some(run) = runs.iter().find(|r| r.finished_at.is_some()) {
            assert_eq!(run.source, "sepay");
            assert_eq!(run.trigger_source, "schedule");
            assert_eq!(run.error, None);
            break;
        }
        assert!(Instant::now() < deadline, "no scheduled SePay run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.all_transactions().await[0]["id"], "sepay:1");
}

async fn simulate_posts_a_sepay_webhook(backend: Backend) {
    let app = sepay_app(backend).await;
    app.create_order(json!({"code": "DH42", "amount": 42000}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "simulate",
        "--source",
        "sepay",
        "--code",
        "DH42",
        "--amount",
        "42000",
        "--id",
        "4242",
        "--url",
        &app.address,
    ];
    let out = run(
        dir.path(),
        &args,
        &[("PAYMATCH_SEPAY_WEBHOOK_KEY", SEPAY_KEY)],
        "",
    )
    .await;
    out.assert_success();
    assert!(
        out.stdout.contains(r#"{"success":true}"#),
        "{}",
        out.describe()
    );
    assert_eq!(app.get_order("DH42").await.1["status"], "paid");
    assert_eq!(app.all_transactions().await[0]["id"], "sepay:4242");
    // Without the key the command says what is missing.
    let out = run(dir.path(), &args, &[], "").await;
    assert!(out
        .assert_failure_line()
        .contains("PAYMATCH_SEPAY_WEBHOOK_KEY"));
}
