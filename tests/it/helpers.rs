//! A running paymatch per test, on a fresh SQLite file or a fresh PostgreSQL database.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::str::FromStr;
use std::sync::OnceLock;

use actix_web::{web, App, FromRequest, Handler, HttpServer, Responder};
use diesel::{Connection, PgConnection, RunQueryDsl};
use paymatch::config::Settings;
use paymatch::db::Database;
use paymatch::Application;
use rust_decimal::Decimal;
use serde_json::{json, Value};

pub const SECURE_TOKEN: &str = "test-secure-token-0123456789";
pub const API_KEY: &str = "test-api-key-0123456789";
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The server to create test databases on; each test gets its own database there.
pub fn postgres_admin_url() -> String {
    std::env::var("PM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A fresh, empty database of the backend; dropped (PostgreSQL) or deleted (SQLite) on drop.
pub struct TestDatabase {
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("paymatch.db").display());
                TestDatabase {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let name = format!("paymatch_test_{}", uuid_like());
                let admin = postgres_admin_url();
                let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} is needed for these tests: {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                TestDatabase {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut conn) = PgConnection::establish(&postgres_admin_url()) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(b'a' + rng.random_range(0..26)))
        .collect()
}

pub fn settings_for(url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut vars: Vec<(String, String)> = vec![
        ("PAYMATCH_DATABASE_URL".into(), url.into()),
        ("PAYMATCH_BIND".into(), "127.0.0.1:0".into()),
        ("PAYMATCH_CASSO_SECURE_TOKEN".into(), SECURE_TOKEN.into()),
        ("PAYMATCH_API_KEY".into(), API_KEY.into()),
        ("PAYMATCH_METRICS_TOKEN".into(), METRICS_TOKEN.into()),
        (
            "PAYMATCH_ADMIN_PASSWORD".into(),
            "admin-password-for-tests".into(),
        ),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load(None, vars).expect("test settings")
}

/// A shop's notification URL for tests that read the jobs written, not what is sent.
pub const SHOP_HOOK: &str = "https://shop.example.vn/paymatch-hook";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Database,
    _database: TestDatabase,
}

static TRACING: OnceLock<()> = OnceLock::new();

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, &[]).await
    }

    /// `extra` are `PAYMATCH_*` variables on top of the test defaults.
    pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
        TestApp::spawn_on(TestDatabase::new(backend), extra).await
    }

    /// On a database made (and perhaps filled) beforehand.
    pub async fn spawn_on(database: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
        // Logs only when asked for (TEST_LOG=1), to keep test output quiet.
        TRACING.get_or_init(|| {
            if std::env::var_os("TEST_LOG").is_some() {
                paymatch::telemetry::init(paymatch::config::LogFormat::Text);
            }
        });
        let app = Application::build(settings_for(&database.url, extra))
            .await
            .expect("application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db.clone();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            // Pages are in Vietnamese unless asked otherwise; the tests read English ones.
            client: reqwest::Client::builder()
                .default_headers(reqwest::header::HeaderMap::from_iter([(
                    reqwest::header::ACCEPT_LANGUAGE,
                    reqwest::header::HeaderValue::from_static("en"),
                )]))
                .build()
                .expect("a client"),
            db,
            _database: database,
        }
    }

    pub fn db_url(&self) -> &str {
        &self._database.url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The database this app runs on, for a second process or the CLI on the same data.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// Posts a raw webhook body with the given token (None: no header).
    pub async fn post_webhook_raw(
        &self,
        body: impl Into<reqwest::Body>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/webhooks/casso"))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.header("Secure-Token", token);
        }
        request.send().await.expect("webhook request")
    }

    /// Posts a v1 envelope with the right token; returns status and JSON reply.
    pub async fn post_webhook(&self, envelope: &Value) -> (u16, Value) {
        let response = self
            .post_webhook_raw(envelope.to_string(), Some(SECURE_TOKEN))
            .await;
        reply(response).await
    }

    /// One transfer in its own delivery.
    pub async fn transfer(&self, id: u64, description: &str, amount: Value) -> (u16, Value) {
        self.post_webhook(&envelope(vec![element(id, description, amount)]))
            .await
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(API_KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.expect("api request")).await
    }

    pub async fn create_order(&self, body: Value) -> (u16, Value) {
        self.api(reqwest::Method::POST, "/api/v1/orders", Some(body))
            .await
    }

    pub async fn get_order(&self, code: &str) -> (u16, Value) {
        self.api(
            reqwest::Method::GET,
            &format!("/api/v1/orders/{code}"),
            None,
        )
        .await
    }

    /// Every transaction stored, newest first (follows the cursor).
    pub async fn all_transactions(&self) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/transactions?limit=200&cursor={c}"),
                None => "/api/v1/transactions?limit=200".to_owned(),
            };
            let (status, page) = self.api(reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "{page}");
            all.extend(page["data"].as_array().expect("data").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return all,
            }
        }
    }
}

pub async fn reply(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

pub fn envelope(data: Vec<Value>) -> Value {
    json!({"error": 0, "data": data})
}

pub fn element(id: u64, description: &str, amount: Value) -> Value {
    json!({
        "id": id,
        "tid": format!("TF{id}"),
        "description": description,
        "amount": amount,
        "cusum_balance": 15900500,
        "when": "2024-10-03 15:06:37",
        "bank_sub_acc_id": "123456789",
        "subAccId": "123456789",
    })
}

/// Parses a JSON number literal exactly (e.g. "0.1"), as Casso would send it.
pub fn num(text: &str) -> Value {
    serde_json::from_str(text).expect("a JSON number")
}

/// An amount as the API writes it (a JSON string), read exactly.
#[track_caller]
pub fn decimal(value: &Value) -> Decimal {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("an amount is a JSON string: {value}"));
    Decimal::from_str(text).unwrap_or_else(|e| panic!("amount {text:?}: {e}"))
}

/// Stored transactions by external id (read as a `K`), with how many times each is there.
pub fn count_ids<K>(transactions: &[Value]) -> BTreeMap<K, usize>
where
    K: FromStr + Ord,
    K::Err: Debug,
{
    let mut counts = BTreeMap::new();
    for t in transactions {
        let id = t["external_id"].as_str().unwrap().parse().unwrap();
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// Starts a fake HTTP service on 127.0.0.1 (a shop, the Casso API…) on `workers` threads:
/// `handler` answers every request, and may take `state` as a `web::Data<T>` argument. Returns
/// its base URL, `http://127.0.0.1:PORT`. It runs until the test's runtime goes away; it leaves
/// the process's signals alone, and a stop waits at most a second for requests in hand.
pub fn spawn_fake_server<T, H, Args>(state: web::Data<T>, handler: H, workers: usize) -> String
where
    T: Send + Sync + 'static,
    H: Handler<Args> + Send,
    Args: FromRequest + 'static,
    H::Output: Responder + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .default_service(web::to(handler.clone()))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    base
}

/// Runs an async test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}
