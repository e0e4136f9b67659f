//! The admin's numbers, dates and exports over HTTP: Vietnamese amounts in filters, the bank's
//! day, status tabs and numbered pages, in/out totals, CSV downloads, reconcile-now and the
//! skipped notifications toggle.

use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::admin::{get, logged_in, post};
use crate::helpers::*;
use crate::on_both_backends;
use paymatch::Application;

on_both_backends!(
    amount_filters_read_vietnamese_numbers,
    the_day_filter_uses_the_banks_time,
    the_chart_puts_money_on_the_banks_day,
    tabs_count_and_pages_are_numbered,
    totals_of_money_in_and_out,
    csv_downloads_hold_every_row,
    reconcile_now_runs_the_reconciliation,
    skipped_notifications_are_hidden_until_asked_for,
);

/// A logged-in admin who reads the pages in `lang` (amounts: `200,000` in English).
pub(crate) async fn admin_in(app: &TestApp, lang: &str) -> reqwest::Client {
    let (client, _) = logged_in(app).await;
    in_language(&client, app, lang).await;
    client
}

/// Switches a logged-in admin's pages to `lang`.
pub(crate) async fn in_language(client: &reqwest::Client, app: &TestApp, lang: &str) {
    let r = client
        .get(app.url(&format!("/lang/{lang}?next=/admin")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

fn rows(html: &str) -> usize {
    html.matches("data-href=\"/admin/transactions/").count()
}

/// One transfer as Casso's webhook v1 sends it, dated by the bank (`None`: no `when`).
fn dated(id: u64, description: &str, amount: Value, when: Option<&str>) -> Value {
    let mut e = element(id, description, amount);
    match when {
        Some(when) => e["when"] = json!(when),
        None => {
            e.as_object_mut().unwrap().remove("when");
        }
    }
    e
}

async fn amount_filters_read_vietnamese_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let amounts = [99_999, 100_000, 250_000, 1_000_001];
    let elements = amounts
        .iter()
        .map(|&a| element(a, &format!("tien hang so{a}x"), json!(a)))
        .collect();
    assert_eq!(app.post_webhook(&envelope(elements)).await.0, 200);
    let client = admin_in(&app, "en").await;
    let shown = |html: &str| -> Vec<u64> {
        amounts
            .iter()
            .copied()
            .filter(|a| html.contains(&format!("so{a}x")))
            .collect()
    };
    for (query, expected) in [
        ("min=100.000", vec![100_000, 250_000, 1_000_001]),
        ("min=100%2C000", vec![100_000, 250_000, 1_000_001]),
        ("min=100000", vec![100_000, 250_000, 1_000_001]),
        ("min=100k", vec![100_000, 250_000, 1_000_001]),
        ("min=100k&max=1tr", vec![100_000, 250_000]),
        ("max=0%2C25tr", vec![99_999, 100_000, 250_000]),
        ("min=1.000.001", vec![1_000_001]),
    ] {
        for page in ["/admin/queue", "/admin/transactions"] {
            let (status, html) = get(&client, &app, &format!("{page}?{query}")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(shown(&html), expected, "{page}?{query}");
            assert!(!html.contains("aria-invalid"), "{page}?{query}");
        }
    }
    // What cannot be read is an error by its field; the page still renders, that field marked.
    let (status, html) = get(&client, &app, "/admin/queue?min=abc&max=100k").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"name="min" inputmode="decimal" placeholder="100.000" value="abc" aria-invalid="true" aria-describedby="min-error""#));
    assert!(html.contains(r#"id="min-error">Not an amount: write 100000, 100.000 or 100k<"#));
    assert!(!html.contains("max-error"));
    assert_eq!(shown(&html), vec![99_999, 100_000]);
    let client = admin_in(&app, "vi").await;
    let (_, vietnamese) = get(&client, &app, "/admin/queue?max=1.2.3").await;
    assert!(vietnamese.contains(r#"id="max-error">Không đọc được số tiền"#));
}

async fn the_day_filter_uses_the_banks_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    // Dated by the bank late on 2 November (Vietnam), received weeks later (a backfill).
    let elements = vec![
        dated(
            1,
            "late backfill",
            json!(150000),
            Some("2026-11-02 23:50:00"),
        ),
        dated(2, "next morning", json!(1000), Some("2026-11-03 00:10:00")),
        dated(3, "no bank time", json!(2000), None),
    ];
    assert_eq!(app.post_webhook(&envelope(elements)).await.0, 200);
    let (client, _) = logged_in(&app).await;
    let (_, day) = get(
        &client,
        &app,
        "/admin/transactions?from=2026-11-02&to=2026-11-02",
    )
    .await;
    assert_eq!(rows(&day), 1, "{day}");
    assert!(day.contains("late backfill"));
    // The list shows the bank's time, and paymatch's too where they differ.
    assert!(day.contains("02/11/2026 23:50"));
    assert!(day.contains(r#"class="received""#));
    let (_, queue) = get(&client, &app, "/admin/queue?from=2026-11-03&to=2026-11-03").await;
    assert_eq!(rows(&queue), 1);
    assert!(queue.contains("next morning"));
    // Without the bank's time, the receive time stands in.
    let (_, now) = get(
        &client,
        &app,
        &format!("/admin/transactions?from={today}&to={today}"),
    )
    .await;
    assert_eq!(rows(&now), 1);
    assert!(now.contains("no bank time"));
    assert!(!now.contains(r#"class="received""#));
    let (_, csv) = get(&client, &app, "/admin/transactions.csv?to=2026-11-02").await;
    assert_eq!(csv.lines().count(), 2, "header and the one transfer: {csv}");
    let (status, bad) = get(&client, &app, "/admin/transactions?from=02/11/2026").await;
    assert_eq!(status, StatusCode::OK);
    assert!(bad.contains(r#"id="from-error""#));
}

async fn the_chart_puts_money_on_the_banks_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH31", "amount": 150000}))
        .await;
    let vietnam_now = chrono::Utc::now() + chrono::Duration::hours(7);
    let (today, three_days_ago) = (
        vietnam_now.date_naive(),
        (vietnam_now - chrono::Duration::days(3)).date_naive(),
    );
    // A reconciliation brings in today what the bank dated three days ago.
    let when = format!("{three_days_ago} 10:00:00");
    let transfer = dated(1, "DH31 thanh toan", json!(150000), Some(&when));
    assert_eq!(app.post_webhook(&envelope(vec![transfer])).await.0, 200);
    let client = admin_in(&app, "en").await;
    let (_, dashboard) = get(&client, &app, "/admin").await;
    assert!(
        dashboard.contains(&format!("<title>{three_days_ago}: 150,000")),
        "{dashboard}"
    );
    assert!(dashboard.contains(&format!("<title>{today}: 0")));
}

/// Links as written in a page, with `&` as it is in the URL.
fn unescaped(html: &str) -> String {
    html.replace("&#38;", "&").replace("&amp;", "&")
}

/// The count on the tab that links to `href`, as shown (`1,234`, `10,000+` in English).
pub(crate) fn tab_text(html: &str, href: &str) -> String {
    let html = unescaped(html);
    let at = html
        .find(&format!("href=\"{href}\""))
        .unwrap_or_else(|| panic!("a tab {href}"));
    html[at..]
        .split("class=\"count\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(str::to_owned)
        .unwrap()
}

/// The count on the tab that links to `href` (English grouping read back).
pub(crate) fn tab_count(html: &str, href: &str) -> i64 {
    tab_text(html, href).replace(',', "").parse().unwrap()
}

async fn tabs_count_and_pages_are_numbered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 10})).await;
    app.create_order(json!({"code": "DH2", "amount": 50})).await;
    app.create_order(json!({"code": "DH3", "amount": 70})).await;
    app.api(reqwest::Method::POST, "/api/v1/orders/DH3/cancel", None)
        .await;
    let mut elements: Vec<Value> = (1..=120)
        .map(|i| element(i, &format!("khach {i} ck"), json!(1000 + i)))
        .collect();
    elements.push(element(121, "DH404", json!(5)));
    elements.push(element(122, "DH1", json!(10)));
    assert_eq!(app.post_webhook(&envelope(elements)).await.0, 200);
    let (client, _) = logged_in(&app).await;

    let (_, queue) = get(&client, &app, "/admin/queue").await;
    assert_eq!(tab_count(&queue, "/admin/queue"), 121);
    assert_eq!(tab_count(&queue, "/admin/queue?status=unmatched"), 120);
    assert_eq!(tab_count(&queue, "/admin/queue?status=unknown_order"), 1);
    assert_eq!(tab_count(&queue, "/admin/queue?status=ambiguous"), 0);
    assert!(
        !queue.contains("status=matched"),
        "the queue has no matched tab"
    );
    let (_, all) = get(&client, &app, "/admin/transactions").await;
    assert_eq!(tab_count(&all, "/admin/transactions"), 122);
    assert_eq!(tab_count(&all, "/admin/transactions?status=matched"), 1);
    // Counts follow the other filters.
    let (_, some) = get(&client, &app, "/admin/queue?min=1.100").await;
    assert_eq!(
        tab_count(&some, "/admin/queue?status=unmatched&min=1.100"),
        21
    );

    // Numbered pages: 120 unmatched are pages 1 to 3, each row once.
    let (_, first) = get(&client, &app, "/admin/queue?status=unmatched").await;
    for n in [2, 3] {
        let link = format!("href=\"/admin/queue?status=unmatched&page={n}\"");
        assert!(unescaped(&first).contains(&link));
    }
    assert!(!first.contains("page=4"));
    let mut seen = Vec::new();
    for n in 1..=3 {
        let (_, page) = get(
            &client,
            &app,
            &format!("/admin/queue?status=unmatched&page={n}"),
        )
        .await;
        assert!(page.contains(&format!("<span aria-current=\"page\">{n}</span>")));
        seen.extend((1..=120).filter(|i| page.contains(&format!(">khach {i} ck<"))));
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=120).collect::<Vec<_>>());
    let (_, past) = get(&client, &app, "/admin/queue?status=unmatched&page=99999").await;
    assert!(
        past.contains("<span aria-current=\"page\">3</span>"),
        "the last page"
    );
    assert_eq!(rows(&past), 20);

    let (_, orders) = get(&client, &app, "/admin/orders").await;
    assert_eq!(tab_count(&orders, "/admin/orders"), 3);
    assert_eq!(tab_count(&orders, "/admin/orders?status=paid"), 1);
    assert_eq!(tab_count(&orders, "/admin/orders?status=pending"), 1);
    assert_eq!(tab_count(&orders, "/admin/orders?status=cancelled"), 1);
    let (_, searched) = get(&client, &app, "/admin/orders?q=DH2").await;
    assert_eq!(tab_count(&searched, "/admin/orders?q=DH2"), 1);
    assert_eq!(tab_count(&searched, "/admin/orders?status=paid&q=DH2"), 0);
}

async fn totals_of_money_in_and_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let elements = vec![
        dated(1, "in one", json!(150000), Some("2026-11-02 10:00:00")),
        dated(2, "in two", json!(50000), Some("2026-11-02 11:00:00")),
        dated(3, "rut tien", json!(-30000), Some("2026-11-02 12:00:00")),
        dated(
            4,
            "giao dich thu nghiem",
            json!(7000),
            Some("2026-11-02 13:00:00"),
        ),
        dated(5, "another day", json!(999), Some("2026-11-05 10:00:00")),
    ];
    assert_eq!(app.post_webhook(&envelope(elements)).await.0, 200);
    let client = admin_in(&app, "en").await;
    let (_, day) = get(
        &client,
        &app,
        "/admin/transactions?from=2026-11-02&to=2026-11-02",
    )
    .await;
    assert!(day.contains(r#"class="money-in">200,000"#), "{day}");
    assert!(day.contains(r#"class="money-out">-30,000"#));
    let (_, all) = get(&client, &app, "/admin/transactions").await;
    assert!(all.contains(r#"class="money-in">200,999"#));
    let (_, queue) = get(&client, &app, "/admin/queue?to=2026-11-02").await;
    assert!(
        queue.contains(r#"class="money-in">200,000"#),
        "waiting only"
    );
    assert!(queue.contains(r#"class="money-out">0"#));
}

/// Parses a CSV download: (header, rows), after checking the byte-order mark.
fn parse_csv(body: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

async fn download(client: &reqwest::Client, app: &TestApp, path: &str) -> Vec<u8> {
    let r = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let headers = r.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename="));
    r.bytes().await.unwrap().to_vec()
}

async fn csv_downloads_hold_every_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH7", "amount": 150000, "reference": "=cmd|' /C calc'!A0"}))
        .await;
    // More rows than a page of the list and than a chunk of the download.
    for batch in 0..3u64 {
        let elements = (1..=400)
            .map(|i| {
                let id = batch * 1000 + i;
                dated(
                    id,
                    &format!("khach {id}"),
                    json!(1000 + id),
                    Some("2026-11-02 23:50:00"),
                )
            })
            .collect();
        assert_eq!(app.post_webhook(&envelope(elements)).await.0, 200);
    }
    let formulas = vec![
        dated(9001, "=HYPERLINK(\"http://x\")", json!(5), None),
        dated(9002, "+84 912", json!(6), None),
        dated(9003, "@SUM(A1)", json!(7), None),
        dated(9004, "\tTab đầu", json!(8), None),
        dated(
            9005,
            "DH7 Thanh toán đơn hàng",
            json!(150000),
            Some("2026-11-03 08:00:00"),
        ),
        dated(9006, "-rut", json!(-20000.5), None),
    ];
    assert_eq!(app.post_webhook(&envelope(formulas)).await.0, 200);

    let guest = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let refused = guest
        .get(app.url("/admin/transactions.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::SEE_OTHER,
        "an admin session is required"
    );

    let (client, _) = logged_in(&app).await;
    let (header, rows) = parse_csv(&download(&client, &app, "/admin/transactions.csv").await);
    for column in [
        "id",
        "when",
        "amount",
        "description",
        "status",
        "order_code",
        "account",
        "bank_ref",
        "received_at",
    ] {
        assert!(header.iter().any(|h| h == column), "{column} in {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 1206, "every row");
    let mut ids: Vec<&str> = rows.iter().map(|r| r[col("id")].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1206, "each row once");
    let by_id = |id: &str| rows.iter().find(|r| r[col("id")] == id).unwrap();
    let row = by_id("casso:1400");
    assert_eq!(row[col("amount")], "2400");
    assert_eq!(
        row[col("when")],
        "2026-11-02 23:50:00",
        "Vietnam time, as the bank dated it"
    );
    assert_eq!(row[col("status")], "unmatched");
    assert_eq!(row[col("account")], "123456789");
    assert_eq!(row[col("bank_ref")], "TF1400");
    let paid = by_id("casso:9005");
    assert_eq!(
        (
            paid[col("amount")].as_str(),
            paid[col("order_code")].as_str()
        ),
        ("150000", "DH7")
    );
    assert_eq!(paid[col("description")], "DH7 Thanh toán đơn hàng");
    let received =
        chrono::NaiveDateTime::parse_from_str(&paid[col("received_at")], "%Y-%m-%d %H:%M:%S")
            .unwrap();
    let vietnam_now = (chrono::Utc::now() + chrono::Duration::hours(7)).naive_utc();
    assert!(
        (vietnam_now - received).num_minutes().abs() < 5,
        "received_at in Vietnam time"
    );
    assert_eq!(
        by_id("casso:9001")[col("description")],
        "'=HYPERLINK(\"http://x\")"
    );
    assert_eq!(by_id("casso:9002")[col("description")], "'+84 912");
    assert_eq!(by_id("casso:9003")[col("description")], "'@SUM(A1)");
    assert_eq!(by_id("casso:9004")[col("description")], "'\tTab đầu");
    assert_eq!(by_id("casso:9006")[col("description")], "'-rut");
    assert_eq!(
        by_id("casso:9006")[col("amount")],
        "-20000.5",
        "amounts stay numbers"
    );

    // The same filters as the pages.
    let (_, queue) = parse_csv(&download(&client, &app, "/admin/queue.csv?min=1.100&max=2k").await);
    assert_eq!(
        queue.len(),
        301,
        "1,100 to 2,000 of the waiting: 1100..=1400"
    );
    let (_, day) =
        parse_csv(&download(&client, &app, "/admin/transactions.csv?from=2026-11-03").await);
    assert_eq!(
        day.len(),
        6,
        "the bank's 3 November, and the five without a bank time (today)"
    );
    let (_, matched) =
        parse_csv(&download(&client, &app, "/admin/transactions.csv?status=matched").await);
    assert_eq!(matched.len(), 1);

    let (header, orders) = parse_csv(&download(&client, &app, "/admin/orders.csv").await);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0][col("code")], "DH7");
    assert_eq!(orders[0][col("amount")], "150000");
    assert_eq!(orders[0][col("status")], "paid");
    assert_eq!(orders[0][col("reference")], "'=cmd|' /C calc'!A0");
}

struct FakeCasso {
    key: &'static str,
}

/// Casso's API with one transfer on the account.
async fn casso(request: HttpRequest, state: web::Data<FakeCasso>) -> HttpResponse {
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Apikey {}", state.key));
    if !authorized {
        return HttpResponse::Unauthorized()
            .json(json!({"error": 401, "message": "Unauthorized", "data": null}));
    }
    let when = (chrono::Utc::now() + chrono::Duration::hours(7))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    HttpResponse::Ok().json(json!({"error": 0, "message": "success", "data": {
        "page": 1, "pageSize": 100, "nextPage": null, "prevPage": null, "totalPages": 1, "totalRecords": 1,
        "records": [{"id": 4242, "tid": "FT4242", "description": "DH42 thanh toan", "amount": 42000,
                     "cusum_balance": 0, "when": when, "bankSubAccId": "0123456789"}]
    }}))
}

async fn reconcile_now_runs_the_reconciliation(backend: Backend) {
    let fake = spawn_fake_server(
        web::Data::new(FakeCasso {
            key: "right-key-4242",
        }),
        casso,
        1,
    );
    let settings = |key: &'static str| {
        [
            ("PAYMATCH_CASSO_API_KEY", key),
            ("PAYMATCH_CASSO_API_URL", fake.as_str()),
            ("PAYMATCH_RECONCILE_INTERVAL", "0"),
        ]
    };
    let app = TestApp::spawn_with(backend, &settings("right-key-4242")).await;
    app.create_order(json!({"code": "DH42", "amount": 42000}))
        .await;
    let (client, csrf) = logged_in(&app).await;
    let (_, page) = get(&client, &app, "/admin/reconcile").await;
    assert!(page.contains(r#"action="/admin/reconcile/run""#));

    let refused = post(&client, &app, "/admin/reconcile/run", &[("csrf", "wrong")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_order("DH42").await.1["status"], "pending");

    let r = post(&client, &app, "/admin/reconcile/run", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/reconcile");
    assert_eq!(
        app.get_order("DH42").await.1["status"],
        "paid",
        "the missing transfer is in"
    );
    let (_, runs) = get(&client, &app, "/admin/reconcile").await;
    assert!(runs.contains("admin:admin"), "{runs}");

    // A failed run is listed with its error.
    let wrong = TestApp::spawn_with(backend, &settings("wrong-key")).await;
    let (client, csrf) = logged_in(&wrong).await;
    let r = post(&client, &wrong, "/admin/reconcile/run", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, runs) = get(&client, &wrong, "/admin/reconcile").await;
    assert!(runs.contains("admin:admin"));
    assert!(
        runs.contains("PAYMATCH_CASSO_API_KEY"),
        "the error says which key: {runs}"
    );

    // Without an API key the page says why there is nothing to run.
    let off = TestApp::spawn(backend).await;
    let (client, csrf) = logged_in(&off).await;
    let (_, page) = get(&client, &off, "/admin/reconcile").await;
    assert!(!page.contains(r#"action="/admin/reconcile/run""#));
    assert!(page.contains("PAYMATCH_CASSO_API_KEY"));
    let r = post(&client, &off, "/admin/reconcile/run", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, runs) = get(&client, &off, "/admin/reconcile").await;
    assert!(!runs.contains("admin:admin"), "nothing ran");
}

async fn skipped_notifications_are_hidden_until_asked_for(backend: Backend) {
    // Recorded while PAYMATCH_NOTIFY_URL was set (no worker sends it), then worked by a process
    // started without it: the notification has nowhere to go and is skipped.
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_NOTIFY_URL", "https://shop.example.vn/hook"),
            ("PAYMATCH_WORKER", "false"),
        ],
    )
    .await;
    app.create_order(json!({"code": "DH55", "amount": 1000}))
        .await;
    assert_eq!(app.transfer(1, "DH55", json!(1000)).await.0, 200);
    let without_url = Application::build(settings_for(app.database_url(), &[]))
        .await
        .expect("a second process");
    tokio::spawn(without_url.run_until_stopped());
    let (client, _) = logged_in(&app).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, shown) = get(&client, &app, "/admin/notifications?all=1&skipped=1").await;
        if shown.contains("/admin/orders/DH55") && shown.contains(r#"class="badge skipped""#) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the notification is skipped within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, all) = get(&client, &app, "/admin/notifications?all=1").await;
    assert!(
        !all.contains("/admin/orders/DH55"),
        "skipped ones are hidden"
    );
    assert!(all.contains("skipped=1"), "a toggle shows them");
    let (_, failed) = get(&client, &app, "/admin/notifications").await;
    assert!(!failed.contains("/admin/orders/DH55"));
}
