//! Notifications and the worker on the open internet: shops that never answer, however many,
//! delay no other shop nor order expiry; an overdue order reads as expired before any sweep; loopback
//! disguised as IPv6 (or behind a host name) is never contacted, and the recorded reason shows
//! no token from the URL.

use std::time::{Duration, Instant};

use chrono::Utc;
use paymatch::db::JobRow;
use paymatch::domain::{OrderCode, OrderStatus};
use paymatch::{db::OrderStore, with_store};
use serde_json::{json, Value};

use crate::helpers::{reply, Backend, TestApp};
use crate::notifications::{notify_jobs, secret, wait_for, FakeShop, WAIT};
use crate::on_both_backends;

on_both_backends!(
    a_shop_that_never_answers_delays_no_other_shop,
    many_silent_shops_delay_no_other_shop,
    overdue_orders_read_as_expired_before_any_sweep,
    loopback_in_disguise_is_never_contacted,
);

const SILENT_SHOPS: usize = 4;
/// More notifications for silent shops than the worker has delivery slots (16).
const ORDERS_PER_SILENT_SHOP: usize = 5;
/// More silent shops than the worker has delivery slots.
const MANY_SILENT_SHOPS: usize = 20;

/// A shop that accepts connections and never answers; returns its base URL.
async fn silent_shop() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    base
}

async fn cancel(app: &TestApp, code: &str) {
    let (status, order) = app
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{code}/cancel"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{order}");
}

async fn create(app: &TestApp, body: Value) {
    let (status, order) = app.create_order(body).await;
    assert_eq!(status, 201, "{order}");
}

/// An app that notifies shops on loopback.
async fn notifying_app(backend: Backend) -> TestApp {
    let secret = secret();
    TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_NOTIFY_SECRET", &secret),
            ("PAYMATCH_NOTIFY_ALLOW_PRIVATE", "true"),
        ],
    )
    .await
}

/// `shops` silent shops, each sent `orders_each` notifications (orders `<prefix><shop><n>`,
/// made and cancelled).
async fn notify_silent_shops(app: &TestApp, shops: usize, orders_each: usize, prefix: &str) {
    for shop in 0..shops {
        let url = format!("{}/hook", silent_shop().await);
        for n in 0..orders_each {
            let code = format!("{prefix}{shop:02}{n}");
            create(
                app,
                json!({"code": code, "amount": 1000, "notify_url": url}),
            )
            .await;
            cancel(app, &code).await;
        }
    }
}

async fn a_shop_that_never_answers_delays_no_other_shop(backend: Backend) {
    let app = notifying_app(backend).await;
    notify_silent_shops(&app, SILENT_SHOPS, ORDERS_PER_SILENT_SHOP, "DH71").await;
    let fast = FakeShop::start(0, Duration::ZERO);
    let expires_at = Utc::now() + chrono::Duration::seconds(2);
    create(
        &app,
        json!({"code": "DH7201", "amount": 1000, "notify_url": fast.url("/expiry"),
               "expires_at": expires_at.to_rfc3339()}),
    )
    .await;
    create(
        &app,
        json!({"code": "DH7200", "amount": 1000, "notify_url": fast.url("/cancel")}),
    )
    .await;
    let cancelled = Instant::now();
    cancel(&app, "DH7200").await;
    let received = wait_for!(
        "the fast shop's notification",
        fast.received()
            .into_iter()
            .find(|r| r.order_code() == "DH7200"),
        format!("{:?}", fast.received())
    );
    assert!(
        cancelled.elapsed() < Duration::from_secs(5),
        "the fast shop waited {:?} behind silent shops",
        cancelled.elapsed()
    );
    assert_eq!(received.event_type(), "order.cancelled");
    // The sweep runs every 5 s on its own: the expiry is stored and sent soon after it is due.
    wait_for!(
        "the expiry's notification",
        fast.received()
            .into_iter()
            .find(|r| r.order_code() == "DH7201"),
        format!("{:?}", fast.received())
    );
    let late = Utc::now() - expires_at;
    assert!(
        late < chrono::Duration::seconds(10),
        "the expiry came {late} late"
    );
}

async fn many_silent_shops_delay_no_other_shop(backend: Backend) {
    let app = notifying_app(backend).await;
    notify_silent_shops(&app, MANY_SILENT_SHOPS, 1, "DH75").await;
    let healthy = FakeShop::start(0, Duration::ZERO);
    create(
        &app,
        json!({"code": "DH7600", "amount": 1000, "notify_url": healthy.url("/hook")}),
    )
    .await;
    let cancelled = Instant::now();
    cancel(&app, "DH7600").await;
    wait_for!(
        "the healthy shop's notification",
        healthy
            .received()
            .into_iter()
            .find(|r| r.order_code() == "DH7600"),
        format!("{:?}", healthy.received())
    );
    // Well under the 15 s each silent shop is waited for.
    assert!(
        cancelled.elapsed() < Duration::from_secs(8),
        "the healthy shop waited {:?} behind silent shops",
        cancelled.elapsed()
    );
    // Each silent shop was waited for its 15 s, all at once, and is retried later.
    let silent = wait_for!(
        "every silent shop's attempt to time out",
        silent_shops_awaiting_retry(&app).await,
        format!("{:?}", notify_jobs(&app.db).await)
    );
    for job in silent {
        let error = job.last_error.unwrap_or_default();
        assert!(error.contains("timed out"), "{error}");
    }
}

/// The jobs of the silent shops, once each has failed its first attempt and waits for a retry.
async fn silent_shops_awaiting_retry(app: &TestApp) -> Option<Vec<JobRow>> {
    let undelivered: Vec<JobRow> = notify_jobs(&app.db)
        .await
        .into_iter()
        .filter(|job| job.status != "done")
        .collect();
    let retried = undelivered.len() == MANY_SILENT_SHOPS
        && undelivered
            .iter()
            .all(|job| job.attempts == 1 && job.status == "queued");
    retried.then_some(undelivered)
}

async fn overdue_orders_read_as_expired_before_any_sweep(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_WORKER", "false"),
            ("PAYMATCH_BANK_BIN", "970436"),
            ("PAYMATCH_BANK_ACCOUNT", "0011001234567"),
            ("PAYMATCH_BANK_ACCOUNT_NAME", "CONG TY ABC"),
        ],
    )
    .await;
    let expires_at = Utc::now() + chrono::Duration::seconds(2);
    create(
        &app,
        json!({"code": "DH7301", "amount": 1000, "expires_at": expires_at.to_rfc3339()}),
    )
    .await;
    create(&app, json!({"code": "DH7302", "amount": 1000})).await;
    let get = |path: &str| app.client.get(app.url(path)).send();
    assert_eq!(get("/pay/DH7301/qr.svg").await.unwrap().status(), 200);

    // A long poll begun while the order is open answers when it expires.
    let (status, order) = app
        .api(reqwest::Method::GET, "/api/v1/orders/DH7301?wait=30", None)
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "expired", "{order}");
    assert!(Utc::now() < expires_at + chrono::Duration::seconds(5));

    let (_, order) = app.get_order("DH7301").await;
    assert_eq!(order["status"], "expired", "{order}");
    assert_eq!(order["paid"], false, "{order}");
    let codes = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["code"].as_str().unwrap().to_owned())
            .collect()
    };
    for (status, expected) in [("expired", "DH7301"), ("pending", "DH7302")] {
        let (code, page) = app
            .api(
                reqwest::Method::GET,
                &format!("/api/v1/orders?status={status}"),
                None,
            )
            .await;
        assert_eq!(code, 200, "{page}");
        assert_eq!(codes(&page), [expected], "status={status}: {page}");
    }
    let (_, all) = app.api(reqwest::Method::GET, "/api/v1/orders", None).await;
    assert_eq!(all["data"][1]["status"], "expired", "{all}");

    let page = get("/pay/DH7301").await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("This order has expired."), "{html}");
    assert!(!html.contains("qr.svg"), "no QR once expired: {html}");
    assert!(!html.contains("0011001234567"), "no account once expired");
    let (status, state) = reply(get("/pay/DH7301/status").await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(state["status"], "expired", "{state}");
    assert_eq!(get("/pay/DH7301/qr.svg").await.unwrap().status(), 404);

    // Reads change nothing: storing the expiry (and notifying it) is the sweep's job.
    let stored = app
        .db
        .run(|conn| with_store!(conn, |s| s.order(&OrderCode::parse("DH7301").unwrap())))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, OrderStatus::Pending);
}

async fn loopback_in_disguise_is_never_contacted(backend: Backend) {
    let shop = FakeShop::start(0, Duration::ZERO);
    let port = shop.url("").rsplit(':').next().unwrap().to_owned();
    let secret = secret();
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_NOTIFY_SECRET", &secret)]).await;
    let targets = [
        format!("http://[::ffff:127.0.0.1]:{port}/hook?token=s3cret"),
        format!("http://[::7f00:1]:{port}/hook"),
        format!("http://[64:ff9b::7f00:1]:{port}/hook"),
        format!("http://[2002:7f00:1::]:{port}/hook"),
        format!("http://user:s3cret@[::1]:{port}/hook"),
        // A host name goes through the resolver, which keeps no loopback address.
        format!("http://localhost:{port}/hook?token=s3cret"),
    ];
    for (n, url) in targets.iter().enumerate() {
        let code = format!("DH740{n}");
        create(
            &app,
            json!({"code": code, "amount": 1000, "notify_url": url}),
        )
        .await;
        cancel(&app, &code).await;
    }
    let jobs = wait_for!(
            "every notification to fail",
            Some(notify_jobs(&app.db).await).filter(
                |jobs| jobs.len() == targets.len() && jobs.iter().all(|j| j.status == "failed")
            ),
            format!("{:?}", notify_jobs(&app.db).await)
        );
    for job in &jobs {
        assert_eq!(job.attempts, 1, "refused at once, never retried: {job:?}");
        let error = job.last_error.as_deref().unwrap_or_default();
        assert!(error.contains("is not a public address"), "{job:?}");
        assert!(!error.contains("s3cret"), "{job:?}");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(shop.received().is_empty(), "{:?}", shop.received());
}
