//! Safe on the open internet: the metrics endpoint, secrets at rest, authorization schemes,
//! request methods and what Casso webhooks must prove before their body is read.

use std::os::unix::fs::PermissionsExt;

use paymatch::config::Settings;
use paymatch::db::{AdminStore, Database, PoolPurpose};
use paymatch::ingest::casso_v2::signature_header;
use paymatch::{with_store, Application};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;
use crate::webhook_v2::post_v2;

on_both_backends!(
    metrics_need_their_token_and_random_paths_add_no_series,
    authorization_schemes_in_any_case,
    head_answers_as_get_and_unknown_methods_are_refused,
    the_api_key_is_kept_as_a_digest_only,
    v2_header_is_checked_before_the_body_is_read,
    v2_body_with_a_repeated_key_is_refused,
    v1_can_be_switched_off,
);

const V2_KEY: &str = "v2-key-for-security-tests-0123456789";

async fn get_metrics(app: &TestApp, authorization: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn metrics_need_their_token_and_random_paths_add_no_series(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(get_metrics(&app, None).await.0, 401);
    assert_eq!(get_metrics(&app, Some("Bearer wrong-token")).await.0, 401);
    assert_eq!(
        get_metrics(&app, Some(&format!("Basic {METRICS_TOKEN}")))
            .await
            .0,
        401
    );
    let authorized = format!("Bearer {METRICS_TOKEN}");

    // Every route pattern, method and status this test uses gets its series in the first round.
    random_paths(&app, 0..150).await;
    made_up_methods(&app, 0..1).await;
    let (status, before) = get_metrics(&app, Some(&authorized)).await;
    assert_eq!(status, 200);
    // Made-up methods all count as one.
    made_up_methods(&app, 1..21).await;
    // 300 more random paths: the same series as before, only their counts move.
    random_paths(&app, 1000..1300).await;
    let (_, after) = get_metrics(&app, Some(&authorized)).await;
    assert_eq!(series(&before), series(&after));
    for n in (0..150).chain(1000..1300) {
        assert!(!after.contains(&format!("-{n}")), "path {n} became a label");
    }
    assert!(after.contains(r#"endpoint="unmatched""#), "{after}");
    assert!(after.len() < 64 * 1024, "{} bytes", after.len());
}

/// Requests with methods HTTP does not define: refused as no route's method.
async fn made_up_methods(app: &TestApp, numbers: std::ops::Range<u32>) {
    for i in numbers {
        let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), app.url("/webhooks/casso"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(response.headers()["allow"], "POST");
        let response = app
            .client
            .request(method, app.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    }
}

/// GETs and POSTs to paths that match no route, inside and outside the route scopes.
async fn random_paths(app: &TestApp, numbers: std::ops::Range<u32>) {
    for n in numbers {
        let path = match n % 3 {
            0 => format!("/no-such-page-{n}"),
            1 => format!("/admin/no-such-page-{n}"),
            _ => format!("/api/v1/no-such-{n}?q={n}"),
        };
        let get = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(get.status(), 404, "{path}");
        let post = app.client.post(app.url(&path)).send().await.unwrap();
        assert!(post.status().is_client_error(), "{path}");
    }
}

/// The metric lines without their values: which series exist.
fn series(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.contains("/metrics"))
        .filter_map(|l| l.rsplit_once(' ').map(|(name, _)| name.to_owned()))
        .collect();
    names.sort();
    names
}

async fn authorization_schemes_in_any_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = app
            .client
            .get(app.url("/api/v1/orders"))
            .header("Authorization", format!("{scheme} {API_KEY}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
        let metrics = get_metrics(&app, Some(&format!("{scheme} {METRICS_TOKEN}"))).await;
        assert_eq!(metrics.0, 200, "{scheme}");
    }
    for header in [
        format!("Basic {API_KEY}"),
        format!("Bearer{API_KEY}"),
        API_KEY.to_owned(),
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/orders"))
            .header("Authorization", header.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
    }
}

async fn head_answers_as_get_and_unknown_methods_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, _) = app
        .create_order(json!({"code": "DH77", "amount": 150000}))
        .await;
    assert_eq!(status, 201);
    for (path, bearer) in [
        ("/healthz", false),
        ("/pay/DH77", false),
        ("/pay/DH77/status", false),
        ("/api/v1/orders/DH77", true),
        ("/api/openapi.json", false),
    ] {
        let mut get = app.client.get(app.url(path));
        let mut head = app.client.head(app.url(path));
        if bearer {
            get = get.bearer_auth(API_KEY);
            head = head.bearer_auth(API_KEY);
        }
        let get = get.send().await.unwrap();
        let head = head.send().await.unwrap();
        assert_eq!(get.status(), 200, "GET {path}");
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} sent a body"
        );
    }
    let head = app
        .client
        .head(app.url("/pay/NOPE99"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 404);
    // HEAD is no way around the API key.
    let head = app
        .client
        .head(app.url("/api/v1/orders/DH77"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 401);
}

#[tokio::test]
async fn sqlite_files_are_owner_only_and_sqlite_is_current() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, _) = app.transfer(1, "DH1 thanh toan", json!(5)).await;
    assert_eq!(status, 200);
    let path = app.db_url().trim_start_matches("sqlite://").to_owned();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} is {mode:o}");
    }
    let mut conn = app.db.get().unwrap();
    let version: String = with_store!(&mut conn, |s| {
        use diesel::RunQueryDsl;
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "sqlite_version()",
        ))
        .get_result(s)
        .unwrap()
    });
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(parts[..2] >= [3, 50][..], "bundled SQLite {version}");
}

/// Settings with no storefront API key configured, so one is generated.
fn settings_without_api_key(url: &str) -> Settings {
    settings_for(url, &[("PAYMATCH_API_KEY", "")])
}

async fn api_status(address: &str, key: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{address}/api/v1/orders"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn stored_settings(db: &Database) -> Vec<(String, Option<String>)> {
    let mut conn = db.get().unwrap();
    ["api_key", "api_key_sha256"]
        .into_iter()
        .map(|key| {
            let value = with_store!(&mut conn, |s| s.setting(key).unwrap());
            (key.to_owned(), value)
        })
        .collect()
}

async fn the_api_key_is_kept_as_a_digest_only(backend: Backend) {
    // A fresh database: the key is printed once, works, and only its digest is stored.
    let database = TestDatabase::new(backend);
    let app = Application::build(settings_without_api_key(&database.url))
        .await
        .unwrap();
    let key = app
        .generated
        .iter()
        .find(|g| g.what.contains("PAYMATCH_API_KEY"))
        .map(|g| g.value.clone())
        .expect("a generated API key");
    let db = app.db.clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    assert_eq!(api_status(&address, &key).await, 200);
    assert_eq!(api_status(&address, "another-key").await, 401);
    let stored = stored_settings(&db);
    assert_eq!(stored[0].1, None, "the key itself is stored");
    let digest = stored[1].1.clone().expect("a digest");
    assert_eq!(digest.len(), 64);
    assert!(!digest.contains(&key));

    // A database of an earlier version, holding the key itself: moved to its digest at start.
    let legacy = TestDatabase::new(backend);
    let db = Database::connect(
        &legacy.url,
        settings_for(&legacy.url, &[]).database_kind,
        PoolPurpose::Command,
        paymatch::config::DEFAULT_SQLITE_WAL_LIMIT,
    )
    .unwrap();
    db.migrate().unwrap();
    {
        let mut conn = db.get().unwrap();
        with_store!(&mut conn, |s| s
            .setting_or_insert("api_key", "legacy-api-key-0123456789")
            .unwrap());
    }
    let app = Application::build(settings_without_api_key(&legacy.url))
        .await
        .unwrap();
    assert!(
        !app.generated
            .iter()
            .any(|g| g.what.contains("PAYMATCH_API_KEY")),
        "a new key was generated over the stored one"
    );
    let db = app.db.clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    assert_eq!(api_status(&address, "legacy-api-key-0123456789").await, 200);
    let stored = stored_settings(&db);
    assert_eq!(stored[0].1, None, "the legacy key was left in place");
    assert!(stored[1].1.is_some());
}

fn v2_body(id: u64, description: &str, amount: i64) -> Value {
    json!({"error": 0, "data": {
        "id": id, "reference": format!("FT{id}"), "description": description, "amount": amount,
        "runningBalance": 25000000, "transactionDateTime": "2024-10-03 15:06:37",
        "accountNumber": "88888888"
    }})
}

async fn v2_header_is_checked_before_the_body_is_read(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_CASSO_WEBHOOK_KEY", V2_KEY)]).await;
    let now = chrono::Utc::now().timestamp_millis();
    // Over the 1 MiB limit: a 413 would mean the body was read before the header was judged.
    let big = " ".repeat(2 * 1024 * 1024);
    let stale = format!("t={},v1={}", now - 3_600_000, "ab".repeat(64));
    for header in ["nonsense", "t=abc,v1=00", &stale] {
        let (status, reply) = post_v2(&app, &big, header).await;
        assert_eq!(status, 401, "{header}: {reply}");
    }
    let (_, reply) = post_v2(&app, &big, &stale).await;
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("5 minutes"),
        "{reply}"
    );
    // A fresh, well-formed header gets its body read: the limit then applies.
    let fresh = format!("t={now},v1={}", "ab".repeat(64));
    assert_eq!(post_v2(&app, &big, &fresh).await.0, 413);
    assert!(app.all_transactions().await.is_empty());
}

async fn v2_body_with_a_repeated_key_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_CASSO_WEBHOOK_KEY", V2_KEY)]).await;
    let (status, _) = app
        .create_order(json!({"code": "DH42", "amount": 500000}))
        .await;
    assert_eq!(status, 201);
    let now = chrono::Utc::now().timestamp_millis();
    // Signed as the canonical form, which keeps one of the two amounts: whichever copy a parser
    // keeps, the signed and the applied one could differ.
    let signed_value = v2_body(42, "DH42 thanh toan", 500000);
    let signature = signature_header(&signed_value, V2_KEY.as_bytes(), now).unwrap();
    let body = signed_value.to_string().replacen(
        r#""amount":500000"#,
        r#""amount":5000,"amount":500000"#,
        1,
    );
    let (status, reply) = post_v2(&app, &body, &signature).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["error"]["code"], "duplicate_key");
    assert!(app.all_transactions().await.is_empty());
    let (_, order) = app.get_order("DH42").await;
    assert_eq!(order["status"], "pending");
    // The same delivery without the repeated key goes through.
    let (status, reply) = post_v2(&app, &signed_value.to_string(), &signature).await;
    assert_eq!(status, 200, "{reply}");
    let (_, order) = app.get_order("DH42").await;
    assert_eq!(order["status"], "paid");
}

async fn v1_can_be_switched_off(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_CASSO_WEBHOOK_V1", "false"),
            ("PAYMATCH_CASSO_WEBHOOK_KEY", V2_KEY),
        ],
    )
    .await;
    let (status, reply) = app.transfer(1, "DH1 thanh toan", json!(100)).await;
    assert_eq!(status, 401, "{reply}");
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("PAYMATCH_CASSO_WEBHOOK_V1"));
    assert!(app.all_transactions().await.is_empty());
    let body = v2_body(2, "DH2 thanh toan", 100);
    let signature = signature_header(
        &body,
        V2_KEY.as_bytes(),
        chrono::Utc::now().timestamp_millis(),
    )
    .unwrap();
    let (status, reply) = post_v2(&app, &body.to_string(), &signature).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(app.all_transactions().await.len(), 1);
}
