//! Orders carry their customer and the storefront's return and cancel pages, and a pay link:
//! through the API, the admin (page, search, export) and shop notifications; never on the
//! public payment page or its status.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::admin::{get, logged_in};
use crate::helpers::*;
use crate::notifications::notify_jobs;
use crate::on_both_backends;

on_both_backends!(
    orders_carry_their_customer_and_links,
    bad_customers_and_links_are_refused,
    the_customer_is_the_shops_alone,
    the_pay_link_starts_with_the_public_url,
);

fn mai() -> Value {
    json!({"name": "Nguyễn Thị Mai", "phone": "+84 901 234 567", "email": "mai@example.vn"})
}

async fn orders_carry_their_customer_and_links(backend: Backend) {
    // Notification jobs are written only where a URL applies.
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_NOTIFY_URL", SHOP_HOOK)]).await;
    let (status, order) = app
        .create_order(json!({
            "code": "DH1", "amount": 150000, "customer": mai(),
            "return_url": "https://shop.example/done?cart=42",
            "cancel_url": "https://shop.example/checkout",
        }))
        .await;
    assert_eq!(status, 201, "{order}");
    let (_, order) = app.get_order("DH1").await;
    assert_eq!(order["customer"], mai());
    assert_eq!(order["return_url"], "https://shop.example/done?cart=42");
    assert_eq!(order["cancel_url"], "https://shop.example/checkout");
    assert_eq!(
        order["pay_url"], "/pay/DH1",
        "a path without PAYMATCH_PUBLIC_URL"
    );
    // Left out: nulls, and the same code again is the same order.
    let (_, plain) = app
        .create_order(json!({"code": "DH2", "amount": 1000}))
        .await;
    assert_eq!(
        plain["customer"],
        json!({"name": null, "phone": null, "email": null})
    );
    assert_eq!(
        (&plain["return_url"], &plain["cancel_url"]),
        (&Value::Null, &Value::Null)
    );
    let (status, again) = app
        .create_order(json!({"code": "DH1", "amount": 150000, "customer": mai()}))
        .await;
    assert_eq!((status, &again["customer"]), (200, &mai()));

    // The shop's notification carries them too.
    app.transfer(1, "DH1", json!(150000)).await;
    let jobs = notify_jobs(&app.db).await;
    let payload: Value = serde_json::from_str(&jobs[0].payload).unwrap();
    let body: Value = serde_json::from_str(payload["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["customer"], mai(), "{body}");
    assert_eq!(body["data"]["pay_url"], "/pay/DH1");
    assert_eq!(
        body["data"]["return_url"],
        "https://shop.example/done?cart=42"
    );

    // The admin finds the order by the customer's name (without accents) or phone, shows it,
    // and exports it.
    let (client, _) = logged_in(&app).await;
    for q in ["nguyen thi mai", "Mai", "901 234"] {
        let (_, page) = get(&client, &app, &format!("/admin/orders?q={q}")).await;
        assert!(page.contains("/admin/orders/DH1\""), "{q}: {page}");
        assert!(!page.contains("/admin/orders/DH2\""), "{q}");
    }
    let (_, page) = get(&client, &app, "/admin/orders/DH1").await;
    assert!(page.contains(r#"id="order-customer""#), "{page}");
    assert!(
        page.contains(r#"<a href="tel:+84901234567">+84 901 234 567</a>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<a href="mailto:mai@example.vn">"#),
        "{page}"
    );
    let csv = client
        .get(app.url("/admin/orders.csv"))
        .send()
        .await
        .unwrap();
    let csv = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let row = rows.iter().find(|r| r[at("code")] == "DH1").unwrap();
    assert_eq!(row[at("customer_name")], "Nguyễn Thị Mai");
    // Kept as text: a spreadsheet would read a leading + as a formula.
    assert_eq!(row[at("customer_phone")], "'+84 901 234 567");
    assert_eq!(row[at("customer_email")], "mai@example.vn");
}

async fn bad_customers_and_links_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let long = "a".repeat(256);
    for (body, code) in [
        (
            json!({"customer": {"phone": "090-123-4567"}}),
            "invalid_customer",
        ),
        (json!({"customer": {"phone": "+"}}), "invalid_customer"),
        (
            json!({"customer": {"email": "mai.example.vn"}}),
            "invalid_customer",
        ),
        (json!({"customer": {"email": "a@b@c"}}), "invalid_customer"),
        (json!({"customer": {"name": long}}), "invalid_customer"),
        (json!({"customer": "Mai"}), "invalid_customer"),
        (json!({"customer": {"name": 7}}), "invalid_customer"),
        (
            json!({"return_url": "javascript:alert(1)"}),
            "invalid_return_url",
        ),
        (json!({"return_url": "/done"}), "invalid_return_url"),
        (
            json!({"cancel_url": "ftp://shop.example/"}),
            "invalid_cancel_url",
        ),
    ] {
        let mut order = json!({"code": "DH1", "amount": 1000});
        for (key, value) in body.as_object().unwrap() {
            order[key] = value.clone();
        }
        let (status, error) = app.create_order(order.clone()).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (422, Some(code)),
            "{order}"
        );
    }
    assert_eq!(app.get_order("DH1").await.0, 404, "nothing stored");
}

async fn the_customer_is_the_shops_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 150000, "customer": mai()}))
        .await;
    let client = reqwest::Client::new();
    for path in ["/pay/DH1", "/pay/DH1/status"] {
        let r = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let text = r.text().await.unwrap();
        for private in ["Mai", "MAI", "901", "mai@example.vn"] {
            assert!(!text.contains(private), "{path} shows {private}: {text}");
        }
    }
}

async fn the_pay_link_starts_with_the_public_url(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[("PAYMATCH_PUBLIC_URL", "https://pay.example.vn/")],
    )
    .await;
    let (_, order) = app
        .create_order(json!({"code": "DH1", "amount": 1000}))
        .await;
    assert_eq!(order["pay_url"], "https://pay.example.vn/pay/DH1");
    // Whatever Host the storefront's request names.
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/orders/DH1"))
        .header("Host", "evil.example")
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["pay_url"], "https://pay.example.vn/pay/DH1");
}
