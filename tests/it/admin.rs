//! The admin web UI over HTTP: access control, login, CSRF, resolutions, audit, settings.

use reqwest::{Client, Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    every_admin_route_refuses_without_a_session,
    login_sessions_and_logout,
    failed_logins_are_limited,
    linking_a_typo_through_the_preview,
    undo_and_set_aside,
    queue_filters_and_pages,
    cancel_settings_and_rejected_elements,
    pages_escape_html_and_speak_vietnamese,
    failed_notifications_can_be_replayed,
    the_queue_pages_every_waiting_reason_newest_first,
);

/// The queue merges one query per waiting reason: pages of every size must still list each
/// waiting transaction once, newest first, and only waiting ones.
async fn the_queue_pages_every_waiting_reason_newest_first(backend: Backend) {
    use paymatch::db::{PageStart, Reports, TransferFilter};
    use paymatch::domain::TransactionStatus;
    use paymatch::with_store;

    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH71", "amount": 1000}))
        .await;
    app.create_order(json!({"code": "DH72", "amount": 1000}))
        .await;
    app.create_order(json!({"code": "DH73", "amount": 1000}))
        .await;
    let (status, _) = app
        .api(Method::POST, "/api/v1/orders/DH73/cancel", None)
        .await;
    assert_eq!(status, 200);
    let descriptions = [
        "tien nha",        // unmatched
        "DH999999 ck",     // unknown_order
        "DH71 DH72 ck",    // ambiguous
        "DH73 thanh toan", // order_closed
        "DH71 thanh toan", // matched: not waiting
    ];
    let mut waiting = Vec::new();
    for id in 1..=30u64 {
        let description = descriptions[(id as usize * 7) % descriptions.len()];
        let (status, _) = app.transfer(id, description, json!(10)).await;
        assert_eq!(status, 200);
        if !description.starts_with("DH71 thanh") {
            waiting.push(id.to_string());
        }
    }
    waiting.reverse();
    for limit in [1, 4, 7, 50] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let mut conn = app.db.get().unwrap();
            let waiting = TransferFilter {
                statuses: TransactionStatus::WAITING.to_vec(),
                ..TransferFilter::default()
            };
            let start = PageStart {
                after: cursor,
                skip: 0,
            };
            let page = with_store!(&mut conn, |s| s.transfers(&waiting, start, limit).unwrap());
            assert!(page.items.len() <= limit as usize);
            seen.extend(page.items.iter().map(|t| t.external_id.clone()));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, waiting, "page size {limit}");
    }
}

pub(crate) const PASSWORD: &str = "admin-password-for-tests";

pub(crate) fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // The pages are in Vietnamese unless the browser asks otherwise; these tests read English.
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en"),
        )]))
        .build()
        .unwrap()
}

/// The value of the first `name="csrf"` field in a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let start =
        html.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The values of the `name="seen"` fields of a link or split preview: each order's state as
/// previewed, which its confirm sends back.
pub(crate) fn seen_of(html: &str) -> Vec<String> {
    html.split(r#"name="seen" value=""#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

pub(crate) async fn get(client: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

pub(crate) async fn post(
    client: &Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(app.url(path)).form(form).send().await.unwrap()
}

/// A logged-in admin client and its session's CSRF token.
pub(crate) async fn logged_in(app: &TestApp) -> (Client, String) {
    logged_in_as(app, "admin", PASSWORD).await
}

/// A client logged in as `user`, and its session's CSRF token (read from the dashboard).
pub(crate) async fn logged_in_as(app: &TestApp, user: &str, password: &str) -> (Client, String) {
    let client = browser();
    let (_, page) = get(&client, app, "/admin/login").await;
    let login = post(
        &client,
        app,
        "/admin/login",
        &[
            ("user", user),
            ("password", password),
            ("csrf", &csrf_of(&page)),
        ],
    )
    .await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "{user} logs in");
    let (status, dashboard) = get(&client, app, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&dashboard);
    (client, csrf)
}

/// The internal id of the newest transaction, as the queue links it.
async fn newest_queue_id(client: &Client, app: &TestApp) -> String {
    let (_, queue) = get(client, app, "/admin/queue").await;
    let start = queue
        .find("/admin/transactions/")
        .expect("a queued transaction")
        + "/admin/transactions/".len();
    queue[start..].split('"').next().unwrap().to_owned()
}

async fn every_admin_route_refuses_without_a_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100, "reference": "secret-ref"}))
        .await;
    app.transfer(1, "secret description DH9", json!(100)).await;
    let client = browser();
    let routes = [
        (Method::GET, "/admin"),
        (Method::GET, "/admin/"),
        (Method::GET, "/admin/queue"),
        (Method::GET, "/admin/rejected"),
        (Method::GET, "/admin/transactions/1"),
        (Method::GET, "/admin/transactions/1/link?code=DH1"),
        (Method::GET, "/admin/orders"),
        (Method::GET, "/admin/orders/DH1"),
        (Method::GET, "/admin/audit"),
        (Method::GET, "/admin/settings"),
        (Method::GET, "/admin/notifications"),
        (Method::GET, "/admin/notifications?all=1"),
        (Method::GET, "/admin/reconcile"),
        (Method::POST, "/admin/notifications/1/replay"),
        (Method::POST, "/admin/logout"),
        (Method::POST, "/admin/rejected/1/dismiss"),
        (Method::POST, "/admin/transactions/1/link"),
        (Method::POST, "/admin/transactions/1/set-aside"),
        (Method::POST, "/admin/transactions/1/undo"),
        (Method::POST, "/admin/orders/DH1/cancel"),
        (Method::POST, "/admin/orders/DH1/accept"),
        (Method::POST, "/admin/orders/DH1/refund"),
        (Method::POST, "/admin/orders/DH1/undo-decision"),
        (Method::POST, "/admin/settings/reveal"),
    ];
    for (method, path) in routes {
        let r = client
            .request(method.clone(), app.url(path))
            .header("Cookie", "paymatch_session=forged")
            .form(&[("csrf", "x"), ("code", "DH1"), ("resolution", "ignored")])
            .send()
            .await
            .unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let body = r.text().await.unwrap();
        assert!(
            status == StatusCode::SEE_OTHER
                && location
                    .as_deref()
                    .is_some_and(|l| l.starts_with("/admin/login"))
                || status == StatusCode::UNAUTHORIZED
                || status == StatusCode::FORBIDDEN,
            "{method} {path}: {status}"
        );
        for secret in ["secret-ref", "secret description", SECURE_TOKEN] {
            assert!(!body.contains(secret), "{method} {path} leaked {secret}");
        }
    }
    assert_eq!(app.get_order("DH1").await.1["status"], "pending");
}

async fn login_sessions_and_logout(backend: Backend) {
    // The test client plays the reverse proxy for the HTTPS part.
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let client = browser();
    let r = client
        .get(app.url("/admin/queue?reason=unmatched"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/admin/login?next=/admin/queue%3Freason%3Dunmatched"
    );
    let (_, page) = get(&client, &app, "/admin/login").await;
    // A login without the form's token is refused.
    let r = post(
        &client,
        &app,
        "/admin/login",
        &[("user", "admin"), ("password", PASSWORD), ("csrf", "wrong")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, page2) = get(&client, &app, "/admin/login").await;
    assert_ne!(
        csrf_of(&page),
        csrf_of(&page2),
        "a fresh form token each time"
    );
    let r = post(
        &client,
        &app,
        "/admin/login",
        &[
            ("user", "admin"),
            ("password", "nope-nope-nope"),
            ("csrf", &csrf_of(&page2)),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Wrong user name or password."));

    let (_, page3) = get(&client, &app, "/admin/login").await;
    let r = post(
        &client,
        &app,
        "/admin/login",
        &[
            ("user", "admin"),
            ("password", PASSWORD),
            ("csrf", &csrf_of(&page3)),
            ("next", "/admin/queue"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/queue");
    let set_cookie: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("paymatch_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain HTTP here");

    // Over HTTPS (as a trusted proxy reports it) the cookie is Secure.
    let other = browser();
    let (_, page4) = get(&other, &app, "/admin/login").await;
    let r = other
        .post(app.url("/admin/login"))
        .header("X-Forwarded-Proto", "https")
        .form(&[
            ("user", "admin"),
            ("password", PASSWORD),
            ("csrf", &csrf_of(&page4)),
        ])
        .send()
        .await
        .unwrap();
    let secure = r.headers().get_all("set-cookie").iter().any(|c| {
        let c = c.to_str().unwrap();
        c.starts_with("paymatch_session=") && c.contains("Secure")
    });
    assert!(secure);
    let session_value = |c: &str| c.split(';').next().unwrap().to_owned();
    let second = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("paymatch_session="))
        .unwrap();
    assert_ne!(
        session_value(session),
        session_value(&second),
        "each login gets a new session"
    );

    let (status, dashboard) = get(&client, &app, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&dashboard);
    let r = post(&client, &app, "/admin/logout", &[("csrf", "forged")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(&client, &app, "/admin").await.0,
        StatusCode::OK,
        "still logged in"
    );
    let r = post(&client, &app, "/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&client, &app, "/admin").await.0,
        StatusCode::SEE_OTHER,
        "session ended"
    );
}

async fn failed_logins_are_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = browser();
    for _ in 0..5 {
        let (_, page) = get(&client, &app, "/admin/login").await;
        let r = post(
            &client,
            &app,
            "/admin/login",
            &[
                ("user", "admin"),
                ("password", "guess-guess-guess"),
                ("csrf", &csrf_of(&page)),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now.
    let (_, page) = get(&client, &app, "/admin/login").await;
    let r = post(
        &client,
        &app,
        "/admin/login",
        &[
            ("user", "admin"),
            ("password", PASSWORD),
            ("csrf", &csrf_of(&page)),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many failed attempts"));
    // From this address, other accounts still get their own count until the address limit.
    let (_, page) = get(&client, &app, "/admin/login").await;
    let r = post(
        &client,
        &app,
        "/admin/login",
        &[
            ("user", "bob"),
            ("password", "guess-guess-guess"),
            ("csrf", &csrf_of(&page)),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn linking_a_typo_through_the_preview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1023", "amount": 150000}))
        .await;
    app.transfer(1, "chuyen tien DH1O23", json!(150000)).await;
    let (client, csrf) = logged_in(&app).await;
    let id = newest_queue_id(&client, &app).await;
    let (status, page) = get(&client, &app, &format!("/admin/transactions/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("link?code=DH1023"),
        "DH1023 is suggested for DH1O23"
    );
    let (status, preview) = get(
        &client,
        &app,
        &format!("/admin/transactions/{id}/link?code=dh1023"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        preview.contains(r#"<span class="badge paid" id="status-after">Paid</span>"#),
        "{preview}"
    );
    assert_eq!(
        app.get_order("DH1023").await.1["status"],
        "pending",
        "a preview changes nothing"
    );
    // Without the token nothing happens.
    let r = post(
        &client,
        &app,
        &format!("/admin/transactions/{id}/link"),
        &[
            ("csrf", "nope"),
            ("code", "DH1023"),
            ("seen", &seen_of(&preview)[0]),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_order("DH1023").await.1["status"], "pending");
    let r = post(
        &client,
        &app,
        &format!("/admin/transactions/{id}/link"),
        &[
            ("csrf", &csrf),
            ("code", "DH1023"),
            ("seen", &seen_of(&preview)[0]),
            ("note", "typo O for 0"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, order) = app.get_order("DH1023").await;
    assert_eq!(
        (order["status"].as_str(), order["amount_received"].as_str()),
        (Some("paid"), Some("150000"))
    );
    let tx = &order["transactions"][0];
    assert_eq!(
        (tx["status"].as_str(), tx["resolution"].as_str()),
        (Some("matched"), Some("linked"))
    );
    assert_eq!(tx["resolution_note"], "typo O for 0");
    let (_, audit) = get(&client, &app, "/admin/audit").await;
    assert!(
        audit.contains("transaction.link")
            && audit.contains("order.credit")
            && audit.contains("typo O for 0")
    );
    // Linking twice is refused with a reason.
    let r = post(
        &client,
        &app,
        &format!("/admin/transactions/{id}/link"),
        &[
            ("csrf", &csrf),
            ("code", "DH1023"),
            ("seen", &seen_of(&preview)[0]),
        ],
    )
    .await;
    assert!(r.headers()["location"].to_str().unwrap().contains("error="));
    assert_eq!(app.get_order("DH1023").await.1["amount_received"], "150000");
    let (_, page) = get(&client, &app, "/admin/queue").await;
    assert!(
        !page.contains("DH1O23"),
        "resolved transfers leave the queue"
    );
}

async fn undo_and_set_aside(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH5", "amount": 100}))
        .await;
    app.transfer(1, "DH5", json!(100)).await;
    app.transfer(2, "no code at all", json!(70)).await;
    let (client, csrf) = logged_in(&app).await;
    let txs = app.all_transactions().await;
    // Row ids follow insertion: the automatic match is 1.
    assert_eq!(txs[1]["status"], "matched");
    let r = post(
        &client,
        &app,
        "/admin/transactions/1/undo",
        &[("csrf", &csrf), ("note", "wrong order"), ("confirm", "1")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, order) = app.get_order("DH5").await;
    assert_eq!(
        (order["status"].as_str(), order["amount_received"].as_str()),
        (Some("pending"), Some("0"))
    );
    let txs = app.all_transactions().await;
    assert_eq!(txs[1]["status"], "unmatched", "it waits again");
    // Set the other aside as refunded, then reopen it.
    let r = post(
        &client,
        &app,
        "/admin/transactions/2/set-aside",
        &[
            ("csrf", &csrf),
            ("resolution", "refunded"),
            ("note", "sent back"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let txs = app.all_transactions().await;
    assert_eq!(
        (txs[0]["status"].as_str(), txs[0]["resolution"].as_str()),
        (Some("ignored"), Some("refunded"))
    );
    let r = post(
        &client,
        &app,
        "/admin/transactions/2/set-aside",
        &[("csrf", &csrf), ("resolution", "matched")],
    )
    .await;
    assert!(r.headers()["location"].to_str().unwrap().contains("error="));
    post(
        &client,
        &app,
        "/admin/transactions/2/undo",
        &[("csrf", &csrf), ("confirm", "1")],
    )
    .await;
    assert_eq!(app.all_transactions().await[0]["status"], "unmatched");
    let (_, audit) = get(&client, &app, "/admin/audit").await;
    for action in [
        "transaction.unlink",
        "order.debit",
        "transaction.refunded",
        "transaction.reopen",
    ] {
        assert!(audit.contains(action), "{action}");
    }
}

async fn queue_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 10})).await;
    app.create_order(json!({"code": "DH2", "amount": 10})).await;
    let mut elements: Vec<serde_json::Value> = (1..=60)
        .map(|i| element(i, &format!("khach hang {i} chuyen khoan"), json!(1000 + i)))
        .collect();
    elements.push(element(61, "DH404", json!(5)));
    elements.push(element(62, "DH1 DH2", json!(5)));
    elements.push(element(63, "Special 50%_off", json!(7)));
    app.post_webhook(&envelope(elements)).await;
    let (client, _) = logged_in(&app).await;
    let rows = |html: &str| html.matches("data-href=\"/admin/transactions/").count();
    let (_, first) = get(&client, &app, "/admin/queue").await;
    assert_eq!(rows(&first), 50);
    assert!(
        first.contains(r#"href="/admin/queue?page=2""#),
        "numbered pages"
    );
    let (_, second) = get(&client, &app, "/admin/queue?page=2").await;
    assert_eq!(rows(&second), 13);
    let (_, unknown) = get(&client, &app, "/admin/queue?reason=unknown_order").await;
    assert_eq!(rows(&unknown), 1);
    assert!(unknown.contains("DH404"));
    let (_, ambiguous) = get(&client, &app, "/admin/queue?reason=ambiguous").await;
    assert_eq!(rows(&ambiguous), 1);
    let (_, by_amount) = get(&client, &app, "/admin/queue?min=1050&max=1055").await;
    assert_eq!(rows(&by_amount), 6);
    let (_, search) = get(&client, &app, "/admin/queue?q=KHACH+HANG+42+").await;
    assert_eq!(rows(&search), 1);
    let (_, literal) = get(&client, &app, "/admin/queue?q=50%25_").await;
    assert_eq!(rows(&literal), 1, "% and _ are searched as text");
    // Dates in the filter are Vietnam days.
    let today = (chrono::Utc::now() + chrono::Duration::hours(7))
        .format("%Y-%m-%d")
        .to_string();
    let (_, dated) = get(
        &client,
        &app,
        &format!("/admin/queue?from=2000-01-01&to={today}"),
    )
    .await;
    assert_eq!(rows(&dated), 50);
    let (_, none) = get(&client, &app, "/admin/queue?to=2000-01-01").await;
    assert_eq!(rows(&none), 0);
    let (status, bad) = get(&client, &app, "/admin/queue?min=abc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(bad.contains(r#"aria-invalid="true" aria-describedby="min-error""#));
}

async fn cancel_settings_and_rejected_elements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH8", "amount": 10})).await;
    app.post_webhook(
        &json!({"error": 0, "data": [{"id": 1, "amount": "lots", "description": "DH8"}]}),
    )
    .await;
    let (client, csrf) = logged_in(&app).await;
    let r = post(
        &client,
        &app,
        "/admin/orders/DH8/cancel",
        &[("csrf", &csrf), ("confirm", "1")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get_order("DH8").await.1["status"], "cancelled");
    let (_, order) = get(&client, &app, "/admin/orders/DH8").await;
    // The order page shows the order's history: the cancel, and who did it.
    assert!(
        order.contains(r#"data-event="cancelled""#) && order.contains(r#"class="by">admin<"#),
        "{order}"
    );
    let (_, orders) = get(&client, &app, "/admin/orders?q=dh8").await;
    assert!(orders.contains("/admin/orders/DH8"));

    let (_, settings) = get(&client, &app, "/admin/settings").await;
    assert!(settings.contains("/webhooks/casso"));
    assert!(!settings.contains(SECURE_TOKEN), "hidden until revealed");
    assert!(!settings.contains(METRICS_TOKEN), "hidden until revealed");
    let reveal = [("csrf", csrf.as_str()), ("secret", "casso_secure_token")];
    let r = post(&client, &app, "/admin/settings/reveal", &reveal).await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let shown = r.text().await.unwrap();
    assert!(shown.contains(SECURE_TOKEN) && !shown.contains(METRICS_TOKEN));
    let reveal = [("csrf", csrf.as_str()), ("secret", "metrics_token")];
    let r = post(&client, &app, "/admin/settings/reveal", &reveal).await;
    let shown = r.text().await.unwrap();
    assert!(shown.contains(METRICS_TOKEN) && !shown.contains(SECURE_TOKEN));
    let reveal = [("csrf", csrf.as_str()), ("secret", "api_key")];
    let r = post(&client, &app, "/admin/settings/reveal", &reveal).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "the API key is not kept"
    );
    let (_, tester) = get(
        &client,
        &app,
        "/admin/settings?description=Thanh+to%C3%A1n+%C4%91%C6%A1n+h%C3%A0ng+dh+8",
    )
    .await;
    assert!(tester.contains("THANH TOAN DON HANG DH 8"));
    assert!(tester.contains("<code>DH8</code>"));

    let (_, rejected) = get(&client, &app, "/admin/rejected").await;
    assert!(rejected.contains("Bad or missing amount") && rejected.contains("lots"));
    let r = post(
        &client,
        &app,
        "/admin/rejected/1/dismiss",
        &[("csrf", &csrf), ("note", "garbage")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, rejected) = get(&client, &app, "/admin/rejected").await;
    assert!(!rejected.contains("lots"));
    let (_, audit) = get(&client, &app, "/admin/audit").await;
    for action in ["order.cancel", "settings.reveal_token", "rejected.dismiss"] {
        assert!(audit.contains(action), "{action}");
    }
}

async fn pages_escape_html_and_speak_vietnamese(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.transfer(1, "<script>alert(1)</script> DH77", json!(5))
        .await;
    let (client, _) = logged_in(&app).await;
    for path in ["/admin/queue", "/admin/transactions/1"] {
        let (_, page) = get(&client, &app, path).await;
        assert!(
            page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}: {page}"
        );
        assert!(!page.contains("<script>alert"), "{path}");
    }
    let vi = browser()
        .get(app.url("/admin/login"))
        .header("Accept-Language", "vi-VN,vi;q=0.9,en;q=0.8")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(vi.contains("Đăng nhập") && vi.contains(r#"lang="vi""#));
    let r = client
        .get(app.url("/lang/vi?next=/admin/queue"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/admin/queue");
    let (_, queue) = get(&client, &app, "/admin/queue").await;
    assert!(queue.contains("Giao dịch chờ quyết định"));
    let r = client
        .get(app.url("/lang/en?next=https://evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
}

async fn failed_notifications_can_be_replayed(backend: Backend) {
    // A loopback target is refused (private addresses are not allowed here): the job fails.
    let app = TestApp::spawn_with(
        backend,
        &[("PAYMATCH_NOTIFY_URL", "http://127.0.0.1:9/hook")],
    )
    .await;
    app.create_order(json!({"code": "DH3", "amount": 10})).await;
    app.transfer(1, "DH3", json!(10)).await;
    let (client, csrf) = logged_in(&app).await;
    let mut page = String::new();
    for _ in 0..100 {
        page = get(&client, &app, "/admin/notifications").await.1;
        if page.contains("/replay") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        page.contains("order.paid") && page.contains("private"),
        "{page}"
    );
    let start = page.find("/admin/notifications/").unwrap() + "/admin/notifications/".len();
    let id = page[start..].split('/').next().unwrap().to_owned();
    let r = post(
        &client,
        &app,
        &format!("/admin/notifications/{id}/replay"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, audit) = get(&client, &app, "/admin/audit").await;
    assert!(audit.contains("notification.replay"));
    let (status, runs) = get(&client, &app, "/admin/reconcile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        runs.contains("PAYMATCH_CASSO_API_KEY"),
        "reconciliation is off here"
    );
}
