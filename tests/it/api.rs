//! The storefront API: orders, transactions, auth, validation, long-poll, health.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    create_with_a_generated_code,
    create_is_idempotent_and_conflicts_on_another_amount,
    invalid_orders_get_422,
    malformed_bodies_get_clear_errors,
    every_api_route_needs_the_key,
    get_and_cancel,
    lists_page_newest_first,
    long_poll_answers_when_the_order_changes,
    health_and_unknown_routes,
    other_methods_get_405_with_allow,
);

async fn other_methods_get_405_with_allow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/orders", "GET, POST"),
        (Method::PUT, "/api/v1/orders/DH1", "GET"),
        (Method::GET, "/api/v1/orders/DH1/cancel", "POST"),
        (Method::POST, "/api/v1/transactions", "GET"),
        (Method::GET, "/webhooks/casso", "POST"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .header("Authorization", format!("Bearer {API_KEY}"))
            .send()
            .await
            .unwrap();
        let allowed = response.headers().get("allow").cloned();
        let (status, body) = reply(response).await;
        assert_eq!(status, 405, "{method} {path}: {body}");
        assert_eq!(
            body["error"]["code"], "method_not_allowed",
            "{method} {path}"
        );
        assert_eq!(allowed.unwrap().to_str().unwrap(), allow, "{method} {path}");
    }
    assert!(app.all_transactions().await.is_empty(), "nothing stored");
}

async fn create_with_a_generated_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let expires = "2099-01-31T23:59:00+07:00";
    let (status, order) = app
        .create_order(json!({"amount": 150000, "reference": "shop-42", "currency": "vnd", "expires_at": expires, "notify_url": "https://shop.example/hook"}))
        .await;
    assert_eq!(status, 201, "{order}");
    let code = order["code"].as_str().unwrap();
    assert!(
        code.starts_with("DH") && code[2..].bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    assert_eq!(order["transfer_content"], code);
    assert_eq!(order["amount"], "150000");
    assert_eq!(order["currency"], "VND");
    assert_eq!(order["reference"], "shop-42");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["paid"], false);
    assert_eq!(order["amount_received"], "0");
    assert_eq!(order["amount_due"], "150000");
    assert_eq!(order["expires_at"], "2099-01-31T16:59:00Z");
    assert_eq!(order["transactions"], json!([]));
    for key in ["created_at", "updated_at"] {
        assert!(chrono::DateTime::parse_from_rfc3339(order[key].as_str().unwrap()).is_ok());
    }
    // A generated code is matched by the default pattern.
    app.transfer(1, &format!("Thanh toan {code}"), json!(150000))
        .await;
    assert_eq!(app.get_order(code).await.1["status"], "paid");
    // Codes differ.
    let (_, other) = app.create_order(json!({"amount": 1})).await;
    assert_ne!(other["code"], order["code"]);
}

async fn create_is_idempotent_and_conflicts_on_another_amount(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, first) = app
        .create_order(json!({"code": "dh100", "amount": "100.50"}))
        .await;
    assert_eq!((status, first["code"].as_str()), (201, Some("DH100")));
    let (status, again) = app
        .create_order(json!({"code": "DH100", "amount": 100.5}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["created_at"], first["created_at"]);
    let (status, conflict) = app
        .create_order(json!({"code": "DH100", "amount": 101}))
        .await;
    assert_eq!(status, 409);
    assert_eq!(conflict["error"]["code"], "order_exists");
    // Simultaneous creates of one code: one 201, the rest 200, one order.
    let replies = futures_util::future::join_all(
        (0..10).map(|_| app.create_order(json!({"code": "DH200", "amount": 5}))),
    )
    .await;
    let created = replies.iter().filter(|(s, _)| *s == 201).count();
    let replayed = replies.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((created, replayed), (1, 9));
}

async fn invalid_orders_get_422(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (json!({"amount": 0}), "invalid_amount"),
        (json!({"amount": -5}), "invalid_amount"),
        (json!({"amount": "abc"}), "invalid_amount"),
        (json!({"amount": num("0.00001")}), "invalid_amount"),
        (json!({"amount": num("1e30")}), "invalid_amount"),
        (json!({"amount": true}), "invalid_amount"),
        (json!({}), "invalid_amount"),
        (json!({"amount": null}), "invalid_amount"),
        (json!({"amount": 1, "code": "DH-1"}), "invalid_code"),
        (json!({"amount": 1, "code": ""}), "invalid_code"),
        (json!({"amount": 1, "code": "Đ1"}), "invalid_code"),
        (json!({"amount": 1, "code": "X".repeat(33)}), "invalid_code"),
        (json!({"amount": 1, "code": 5}), "invalid_body"),
        (json!({"amount": 1, "currency": "dong"}), "invalid_currency"),
        (
            json!({"amount": 1, "expires_at": "tomorrow"}),
            "invalid_expires_at",
        ),
        (
            json!({"amount": 1, "expires_at": "2001-01-01T00:00:00Z"}),
            "invalid_expires_at",
        ),
        (
            json!({"amount": 1, "notify_url": "ftp://x"}),
            "invalid_notify_url",
        ),
        (
            json!({"amount": 1, "reference": "r".repeat(256)}),
            "invalid_reference",
        ),
        (json!([1, 2]), "invalid_body"),
    ];
    for (body, code) in cases {
        let (status, reply) = app.create_order(body.clone()).await;
        assert_eq!(status, 422, "{body}: {reply}");
        assert_eq!(reply["error"]["code"], code, "{body}");
        assert!(reply["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let (_, list) = app.api(Method::GET, "/api/v1/orders", None).await;
    assert_eq!(list["data"], json!([]), "nothing was created");
}

async fn malformed_bodies_get_clear_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(API_KEY)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let (status, body) = reply(post("{\"amount\": 1", "application/json").await.unwrap()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
    let (status, _) = reply(
        post("amount=1", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 415);
    let big = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(API_KEY)
        .json(&json!({"amount": 1, "reference": "x".repeat(2 * 1024 * 1024)}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply(big).await.0, 413);
}

async fn every_api_route_needs_the_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 1})).await;
    let routes = [
        (Method::POST, "/api/v1/orders"),
        (Method::GET, "/api/v1/orders"),
        (Method::GET, "/api/v1/orders/DH1"),
        (Method::POST, "/api/v1/orders/DH1/cancel"),
        (Method::GET, "/api/v1/transactions"),
    ];
    for (method, path) in routes {
        for key in [None, Some("wrong"), Some("")] {
            let mut request = app
                .client
                .request(method.clone(), app.url(path))
                .json(&json!({"amount": 1}));
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            let (status, body) = reply(request.send().await.unwrap()).await;
            assert_eq!(status, 401, "{method} {path} {key:?}");
            assert_eq!(body["error"]["code"], "unauthorized");
        }
    }
    assert_eq!(
        app.get_order("DH1").await.1["status"],
        "pending",
        "the cancel was refused"
    );
}

async fn get_and_cancel(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, missing) = app.get_order("DH404").await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (404, Some("order_not_found"))
    );
    assert_eq!(app.get_order("not-a-code").await.0, 404);
    app.create_order(json!({"code": "DH1", "amount": 100}))
        .await;
    assert_eq!(
        app.get_order("dh1").await.0,
        200,
        "codes are case-insensitive"
    );
    let (status, cancelled) = app
        .api(Method::POST, "/api/v1/orders/DH1/cancel", None)
        .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled"))
    );
    let (status, _) = app
        .api(Method::POST, "/api/v1/orders/DH1/cancel", None)
        .await;
    assert_eq!(status, 200, "cancelling twice is harmless");
    assert_eq!(
        app.api(Method::POST, "/api/v1/orders/DH404/cancel", None)
            .await
            .0,
        404
    );

    app.create_order(json!({"code": "DH2", "amount": 100}))
        .await;
    app.transfer(1, "DH2", json!(100)).await;
    let (status, refused) = app
        .api(Method::POST, "/api/v1/orders/DH2/cancel", None)
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("order_paid"))
    );
    assert_eq!(app.get_order("DH2").await.1["status"], "paid");
}

async fn lists_page_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 1..=7 {
        app.create_order(json!({"code": format!("DH{i}"), "amount": 10}))
            .await;
    }
    app.transfer(1, "DH2", json!(10)).await;
    app.transfer(2, "DH3", json!(10)).await;
    app.transfer(3, "nothing", json!(10)).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/orders?limit=3".to_owned();
    loop {
        let (status, page) = app.api(Method::GET, &path, None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["code"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/orders?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["DH7", "DH6", "DH5", "DH4", "DH3", "DH2", "DH1"]);
    let (_, paid) = app
        .api(Method::GET, "/api/v1/orders?status=paid", None)
        .await;
    let paid: Vec<&Value> = paid["data"].as_array().unwrap().iter().collect();
    assert_eq!(paid.len(), 2);
    assert_eq!(paid[0]["code"], "DH3");
    assert_eq!(paid[0]["transactions"][0]["external_id"], "2");
    let (_, matched) = app
        .api(
            Method::GET,
            "/api/v1/transactions?status=matched&limit=1",
            None,
        )
        .await;
    assert_eq!(matched["data"][0]["external_id"], "2");
    assert!(matched["next_cursor"].is_string());
    for bad in [
        "/api/v1/orders?status=done",
        "/api/v1/orders?limit=0",
        "/api/v1/orders?limit=201",
        "/api/v1/orders?limit=x",
        "/api/v1/orders?cursor=abc",
        "/api/v1/transactions?status=rejected",
    ] {
        assert_eq!(app.api(Method::GET, bad, None).await.0, 422, "{bad}");
    }
}

async fn long_poll_answers_when_the_order_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100}))
        .await;
    let started = Instant::now();
    let waiting = app.api(Method::GET, "/api/v1/orders/DH1?wait=20", None);
    let paying = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.transfer(1, "DH1", json!(100)).await
    };
    let ((status, order), _) = tokio::join!(waiting, paying);
    assert_eq!((status, order["status"].as_str()), (200, Some("paid")));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered on the change, not at the deadline"
    );
    // Nothing changes: the reply comes at the deadline with the same status.
    let started = Instant::now();
    let (status, order) = app
        .api(Method::GET, "/api/v1/orders/DH1?wait=1", None)
        .await;
    assert_eq!((status, order["status"].as_str()), (200, Some("paid")));
    assert!(started.elapsed() >= Duration::from_millis(900));
    for bad in ["61", "-1", "x"] {
        assert_eq!(
            app.api(Method::GET, &format!("/api/v1/orders/DH1?wait={bad}"), None)
                .await
                .0,
            422
        );
    }
}

async fn health_and_unknown_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = reply(app.client.get(app.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, body) = reply(
        app.client
            .get(app.url("/api/v1/nope"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, doc) = reply(
        app.client
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{code}",
        "/api/v1/orders/{code}/cancel",
        "/api/v1/transactions",
        "/webhooks/casso",
        "/webhooks/sepay",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert!(doc["components"]["securitySchemes"]["sepay_api_key"].is_object());
    assert!(doc["components"]["schemas"]["OrderView"]["properties"]["amount_due"].is_object());
    let transaction = &doc["components"]["schemas"]["TransactionView"];
    assert_eq!(
        transaction["properties"]["allocations"]["items"]["$ref"],
        "#/components/schemas/AllocationView"
    );
    let allocation = &doc["components"]["schemas"]["AllocationView"];
    assert_eq!(allocation["required"], json!(["order_code", "amount"]));
    app.transfer(1, "DH1", json!(5)).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"paymatch_transactions_total{channel="casso_v1",result="accepted"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("paymatch_http_requests_total"));
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/webhooks/casso"));
}
