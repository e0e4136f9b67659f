//! Owner alerts end to end: a fake Telegram Bot API on loopback (it records what it is sent and
//! can answer 429, 403, 502, or not at all) and a real SMTP server (aiosmtpd, installed by
//! scripts/test under target/py) started by the tests. Every alert reaches every chat and
//! address once, hostile text never forms markup, 429's retry_after is honoured, a refusal
//! stops and shows in the admin, an outage loses nothing, and a webhook never waits for any of it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::admin::{csrf_of, get, logged_in, post};
use crate::cli::{webhook_body, Server};
use crate::helpers::*;
use crate::on_both_backends;

const BOT: &str = "123456:test-bot-token";
const WAIT: Duration = Duration::from_secs(30);

on_both_backends!(
    every_alert_reaches_every_chat_and_address_once,
    telegram_429_is_honoured_and_a_refusal_stops,
    an_outage_delays_nothing_and_loses_nothing,
    a_killed_process_sends_its_alert_once_after_restart,
    failures_are_told,
    the_daily_summary_and_the_test_alert,
);

// ---------------------------------------------------------------------------------------------
// The fake Telegram

#[derive(Clone, Copy, Debug, PartialEq)]
enum Answer {
    Ok,
    /// 429 with `retry_after` seconds, this many times, then Ok.
    TooMany(u64, usize),
    Forbidden,
    /// 502 this many times, then Ok.
    Down(usize),
    Hang,
}

/// One request the fake Telegram got: when, chat, text, parse_mode, and the status it answered.
type Request = (Instant, String, String, String, u16);

#[derive(Default)]
struct TelegramState {
    answer: Mutex<Option<Answer>>,
    requests: Mutex<Vec<Request>>,
}

struct FakeTelegram {
    base: String,
    state: web::Data<TelegramState>,
}

impl FakeTelegram {
    fn start(answer: Answer) -> FakeTelegram {
        let state = web::Data::new(TelegramState::default());
        *state.answer.lock().unwrap() = Some(answer);
        let base = spawn_fake_server(state.clone(), telegram, 2);
        FakeTelegram { base, state }
    }

    fn answer(&self, answer: Answer) {
        *self.state.answer.lock().unwrap() = Some(answer);
    }

    fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Messages accepted, as (chat, text).
    fn delivered(&self) -> Vec<(String, String)> {
        self.requests()
            .into_iter()
            .filter(|r| r.4 == 200)
            .map(|r| (r.1, r.2))
            .collect()
    }

    async fn wait_for(&self, count: usize) -> Vec<(String, String)> {
        let deadline = Instant::now() + WAIT;
        loop {
            let delivered = self.delivered();
            if delivered.len() >= count {
                return delivered;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} messages: {delivered:?}",
                delivered.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn telegram(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<TelegramState>,
) -> HttpResponse {
    assert_eq!(request.path(), format!("/bot{BOT}/sendMessage"));
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let answer = {
        let mut answer = state.answer.lock().unwrap();
        let now = answer.unwrap_or(Answer::Ok);
        *answer = Some(match now {
            Answer::TooMany(s, n) if n > 1 => Answer::TooMany(s, n - 1),
            Answer::Down(n) if n > 1 => Answer::Down(n - 1),
            Answer::TooMany(..) | Answer::Down(_) => Answer::Ok,
            other => other,
        });
        now
    };
    let (status, reply) = match answer {
        Answer::Ok => (200, json!({"ok": true, "result": {"message_id": 1}})),
        Answer::TooMany(seconds, _) => (
            429,
            json!({"ok": false, "error_code": 429,
            "description": format!("Too Many Requests: retry after {seconds}"),
            "parameters": {"retry_after": seconds}}),
        ),
        Answer::Forbidden => (
            403,
            json!({"ok": false, "error_code": 403,
            "description": "Forbidden: bot was blocked by the user"}),
        ),
        Answer::Down(_) => (502, json!({"ok": false})),
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            (200, json!({"ok": true}))
        }
    };
    let field = |name: &str| match &body[name] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    state.requests.lock().unwrap().push((
        Instant::now(),
        field("chat_id"),
        field("text"),
        field("parse_mode"),
        status,
    ));
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(reply)
}

// ---------------------------------------------------------------------------------------------
// The real SMTP server

struct SmtpSink {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// The tests' Python, with aiosmtpd and openpyxl (scripts/test installs them under target/py).
pub(crate) fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/py/bin/python");
    assert!(venv.exists(), "{} (scripts/test makes it)", venv.display());
    venv
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpSink {
    /// A port with nothing listening yet: `listen` starts the server there.
    fn reserved() -> SmtpSink {
        SmtpSink {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn listen(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let child = Command::new(python())
            .arg(script)
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the SMTP server starts");
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "the SMTP server did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn started() -> SmtpSink {
        let mut sink = SmtpSink::reserved();
        sink.listen().await;
        sink
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Messages received, as (recipient, subject, plain text), decoded by Python's `email`.
    fn received(&self) -> Vec<(String, String, String)> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let out = Command::new(python())
                    .arg("-c")
                    .arg("import email,sys,json\nm=email.message_from_binary_file(open(sys.argv[1],'rb'))\n\
                          from email.header import decode_header,make_header\n\
                          p=[x for x in m.walk() if x.get_content_type()=='text/plain'][0]\n\
                          print(json.dumps([str(make_header(decode_header(m['Subject']))),p.get_payload(decode=True).decode(p.get_content_charset())]))")
                    .arg(&path)
                    .output()
                    .unwrap();
                let parsed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
                let name = path.file_name().unwrap().to_string_lossy();
                let to = name.split_once('-').unwrap().1.trim_end_matches(".eml").to_owned();
                (to, parsed[0].as_str().unwrap().to_owned(), parsed[1].as_str().unwrap().to_owned())
            })
            .collect()
    }

    async fn wait_for(&self, count: usize) -> Vec<(String, String, String)> {
        let deadline = Instant::now() + WAIT;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} e-mails: {received:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn telegram_vars(telegram: &FakeTelegram, chats: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PAYMATCH_TELEGRAM_BOT_TOKEN", BOT.to_owned()),
        ("PAYMATCH_TELEGRAM_CHAT_IDS", chats.to_owned()),
        ("PAYMATCH_TELEGRAM_API_URL", telegram.base.clone()),
    ]
}

fn email_vars(sink: &SmtpSink, to: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PAYMATCH_SMTP_URL", sink.url()),
        ("PAYMATCH_ALERT_EMAIL_TO", to.to_owned()),
        (
            "PAYMATCH_ALERT_EMAIL_FROM",
            "paymatch@shop.example".to_owned(),
        ),
    ]
}

async fn spawn(backend: Backend, vars: Vec<(&'static str, String)>) -> TestApp {
    let mut vars = vars;
    vars.push(("PAYMATCH_PUBLIC_URL", "https://pay.shop.vn".to_owned()));
    let borrowed: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestApp::spawn_with(backend, &borrowed).await
}

// ---------------------------------------------------------------------------------------------

async fn every_alert_reaches_every_chat_and_address_once(backend: Backend) {
    let telegram = FakeTelegram::start(Answer::Ok);
    let sink = SmtpSink::started().await;
    let mut vars = telegram_vars(&telegram, "1001, -2002");
    vars.extend(email_vars(&sink, "owner@shop.example, staff@shop.example"));
    let app = spawn(backend, vars).await;
    app.create_order(json!({"code": "DH1", "amount": 150000,
        "customer": {"name": "Mai <b>VIP</b> & co"}}))
        .await;
    app.transfer(1, "DH1 tra truoc", num("50000")).await;
    app.transfer(2, "DH1 phan con lai", num("100000")).await;
    app.transfer(3, "<b>chuyen</b> & <a href=\"x\">tien</a>", num("20000"))
        .await;
    app.create_order(json!({"code": "DH9", "amount": 10000}))
        .await;
    app.transfer(4, "DH9", num("15000")).await;

    let messages = telegram.wait_for(8).await;
    let mails = sink.wait_for(8).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        telegram.delivered().len(),
        8,
        "once each: {:?}",
        telegram.delivered()
    );
    assert_eq!(sink.received().len(), 8);
    for chat in ["1001", "-2002"] {
        let texts: Vec<&String> = messages
            .iter()
            .filter(|(c, _)| c == chat)
            .map(|(_, t)| t)
            .collect();
        assert_eq!(texts.len(), 4, "{chat}: {texts:?}");
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("<b>🔵 Thanh toán thừa · DH9</b>")
                    && t.contains("Thừa: 5.000 ₫")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("<b>🟡 Thanh toán một phần · DH1</b>")
                    && t.contains("Chuyển khoản: 50.000 ₫")
                    && t.contains("Còn thiếu: 100.000 ₫")
                    && t.contains("Khách hàng: Mai &lt;b&gt;VIP&lt;/b&gt; &amp; co")
                    && t.contains("https://pay.shop.vn/admin/orders/DH1")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("<b>✅ Đã thanh toán · DH1</b>")),
            "{texts:?}"
        );
        let waiting = texts
            .iter()
            .find(|t| t.contains("⏳"))
            .expect("a waiting alert");
        assert!(waiting.contains("Nội dung: &lt;b&gt;chuyen&lt;/b&gt; &amp; &lt;a href=&quot;x&quot;&gt;tien&lt;/a&gt;"), "{waiting}");
        assert!(waiting.contains("https://pay.shop.vn/admin/transactions/"));
        // The only markup is ours: one bold title.
        for text in &texts {
            assert_eq!(text.matches('<').count(), 2, "{text}");
        }
    }
    assert!(telegram.requests().iter().all(|r| r.3 == "HTML"));
    for to in ["owner@shop.example", "staff@shop.example"] {
        let mine: Vec<_> = mails.iter().filter(|m| m.0 == to).collect();
        assert_eq!(mine.len(), 4, "{to}: {mails:?}");
        let paid = mine
            .iter()
            .find(|m| m.1.contains("Đã thanh toán DH1"))
            .expect("the paid e-mail");
        assert!(
            paid.2.contains("Khách hàng: Mai <b>VIP</b> & co"),
            "plain text stays as written: {}",
            paid.2
        );
    }

    // PAYMATCH_ALERTS: only what is asked for.
    let telegram = FakeTelegram::start(Answer::Ok);
    let mut vars = telegram_vars(&telegram, "1001");
    vars.push(("PAYMATCH_ALERTS", "paid".to_owned()));
    let app = spawn(backend, vars).await;
    app.create_order(json!({"code": "DH2", "amount": 100000}))
        .await;
    app.transfer(5, "DH2", num("40000")).await;
    app.transfer(6, "khong ma", num("1000")).await;
    app.transfer(7, "DH2", num("60000")).await;
    let messages = telegram.wait_for(1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(telegram.delivered().len(), 1, "{messages:?}");
    assert!(messages[0].1.contains("Đã thanh toán · DH2"));
}

async fn telegram_429_is_honoured_and_a_refusal_stops(backend: Backend) {
    let telegram = FakeTelegram::start(Answer::TooMany(3, 1));
    let app = spawn(backend, telegram_vars(&telegram, "1001")).await;
    app.create_order(json!({"code": "DH3", "amount": 1000}))
        .await;
    app.transfer(1, "DH3", num("1000")).await;
    telegram.wait_for(1).await;
    let requests = telegram.requests();
    assert_eq!(requests.len(), 2, "one 429, then the message");
    let waited = requests[1].0 - requests[0].0;
    assert!(
        waited >= Duration::from_secs(3),
        "retry_after honoured: {waited:?}"
    );

    // A bot the chat blocked: 403 stops the alert, and the admin shows why.
    telegram.answer(Answer::Forbidden);
    let sink = SmtpSink::started().await;
    let mut vars = telegram_vars(&telegram, "1001");
    vars.extend(email_vars(&sink, "refused@shop.example"));
    let app = spawn(backend, vars).await;
    let before = telegram.requests().len();
    app.create_order(json!({"code": "DH4", "amount": 1000}))
        .await;
    app.transfer(2, "DH4", num("1000")).await;
    let (admin, _) = logged_in(&app).await;
    let deadline = Instant::now() + WAIT;
    let settings = loop {
        let (_, page) = get(&admin, &app, "/admin/settings").await;
        if page.matches("đã dừng").count() + page.matches("stopped").count() >= 2 {
            break page;
        }
        assert!(Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        settings.contains("Forbidden: bot was blocked by the user"),
        "{settings}"
    );
    assert!(settings.contains("550"), "{settings}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        telegram.requests().len(),
        before + 1,
        "a refusal is not retried"
    );
    assert!(sink.received().is_empty());
}

async fn an_outage_delays_nothing_and_loses_nothing(backend: Backend) {
    // Telegram hangs: the webhook answers as fast as ever.
    let telegram = FakeTelegram::start(Answer::Hang);
    let app = spawn(backend, telegram_vars(&telegram, "1001")).await;
    app.create_order(json!({"code": "DH5", "amount": 1000}))
        .await;
    for id in 1..=3 {
        let started = Instant::now();
        let (status, _) = app.transfer(id, "DH5", num("100")).await;
        assert_eq!(status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    // Telegram down (502) and the mail server not there yet: both recover, once each.
    let telegram = FakeTelegram::start(Answer::Down(1));
    let mut sink = SmtpSink::reserved();
    let mut vars = telegram_vars(&telegram, "1001");
    vars.extend(email_vars(&sink, "owner@shop.example"));
    let app = spawn(backend, vars).await;
    app.create_order(json!({"code": "DH6", "amount": 1000}))
        .await;
    app.transfer(10, "DH6", num("1000")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    sink.listen().await;
    telegram.wait_for(1).await;
    sink.wait_for(1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(telegram.delivered().len(), 1);
    assert_eq!(telegram.requests().len(), 2, "one 502, then the message");
    assert_eq!(sink.received().len(), 1);
}

async fn a_killed_process_sends_its_alert_once_after_restart(backend: Backend) {
    let telegram = FakeTelegram::start(Answer::Ok);
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let (token, key) = ("alerts-test-secure-token-5501", "alerts-test-api-key-5501");
    let mut vars = vec![
        ("PAYMATCH_DATABASE_URL", db.url.clone()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", token.to_owned()),
        ("PAYMATCH_API_KEY", key.to_owned()),
        (
            "PAYMATCH_ADMIN_PASSWORD",
            "alerts-test-admin-password".to_owned(),
        ),
    ];
    vars.extend(telegram_vars(&telegram, "1001"));
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(extra);
        all
    };
    // The payment is stored by a process without a worker, then it is killed.
    let mut server = Server::start(dir.path(), &with(&[("PAYMATCH_WORKER", "false")])).await;
    server.create_order(key, "DH7", "1000").await;
    let (status, _) = server.webhook(token, &webhook_body(1, "DH7", 1000)).await;
    assert_eq!(status, 200);
    server.kill();
    assert!(telegram.requests().is_empty());
    for _ in 0..2 {
        let mut server = Server::start(dir.path(), &with(&[])).await;
        telegram.wait_for(1).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        server.kill();
    }
    let delivered = telegram.delivered();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert!(delivered[0].1.contains("DH7"));
}

async fn the_daily_summary_and_the_test_alert(backend: Backend) {
    let telegram = FakeTelegram::start(Answer::Ok);
    let mut vars = telegram_vars(&telegram, "1001");
    vars.extend([
        ("PAYMATCH_LANGUAGE", "en".to_owned()),
        ("PAYMATCH_ALERTS", "daily".to_owned()),
    ]);
    let app = spawn(backend, vars).await;
    // Yesterday in Vietnam, by the bank's time.
    let vietnam = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let yesterday = chrono::Utc::now().with_timezone(&vietnam) - chrono::Duration::days(1);
    let when = yesterday.format("%Y-%m-%d 12:00:00").to_string();
    for (id, amount) in [(1, 150000), (2, 50000)] {
        let mut element = element(id, "khong ma", json!(amount));
        element["when"] = json!(when);
        app.post_webhook(&envelope(vec![element])).await;
    }
    // The summary is due now (it is normally at PAYMATCH_ALERT_DAILY_AT).
    let deadline = Instant::now() + WAIT;
    loop {
        let db = app.db.clone();
        let updated = db
            .run(move |conn| {
                use diesel::prelude::*;
                paymatch::with_store!(conn, |s| diesel::sql_query(
                    "UPDATE jobs SET run_at = created_at WHERE kind = 'alert_daily'"
                )
                .execute(s)
                .map_err(paymatch::db::StoreError::from))
            })
            .await
            .unwrap();
        if updated == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker scheduled no daily summary"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let messages = telegram.wait_for(1).await;
    let text = &messages[0].1;
    assert!(
        text.starts_with(&format!(
            "<b>📊 Summary of {}</b>",
            yesterday.format("%d/%m/%Y")
        )),
        "{text}"
    );
    assert!(text.contains("2 transfers · 200,000 ₫"), "{text}");
    assert!(text.contains("Waiting for you: 2"), "{text}");

    // The settings' button sends a test alert, and the page shows it sent.
    let (admin, _) = logged_in(&app).await;
    let (_, page) = get(&admin, &app, "/admin/settings").await;
    let r = post(
        &admin,
        &app,
        "/admin/settings/test-alert",
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    assert_eq!(r.status(), 303);
    let messages = telegram.wait_for(2).await;
    assert!(
        messages[1].1.contains("Test alert from paymatch"),
        "{messages:?}"
    );
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, page) = get(&admin, &app, "/admin/settings").await;
        if !page.contains(r#"<td data-label="Last sent" class="last-sent">–"#) {
            break;
        }
        assert!(Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A shop notification that gives up (here at once: its address is a private one) and a
/// reconciliation that fails (Casso's API answers 500) each reach the owner.
async fn failures_are_told(backend: Backend) {
    let telegram = FakeTelegram::start(Answer::Ok);
    let casso = spawn_fake_server(
        web::Data::new(()),
        || async { HttpResponse::InternalServerError().finish() },
        1,
    );
    let mut vars = telegram_vars(&telegram, "1001");
    vars.extend([
        ("PAYMATCH_ALERTS", "failing".to_owned()),
        ("PAYMATCH_CASSO_API_KEY", "casso-api-key".to_owned()),
        ("PAYMATCH_CASSO_API_URL", casso),
    ]);
    let app = spawn(backend, vars).await;
    app.create_order(
        json!({"code": "DH8", "amount": 1000, "notify_url": "http://127.0.0.1:9/hook"}),
    )
    .await;
    app.transfer(1, "DH8", num("1000")).await;
    let messages = telegram.wait_for(2).await;
    let gave_up = messages
        .iter()
        .find(|(_, t)| t.contains("Thông báo cho cửa hàng đã dừng gửi · DH8"));
    assert!(
        gave_up.is_some_and(|(_, t)| t.contains("https://pay.shop.vn/admin/notifications")),
        "{messages:?}"
    );
    let reconcile = messages
        .iter()
        .find(|(_, t)| t.contains("Đối soát thất bại"));
    assert!(
        reconcile.is_some_and(|(_, t)| t.contains("/admin/reconcile")),
        "{messages:?}"
    );
}
