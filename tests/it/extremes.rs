//! What a hostile or careless hand puts in front of the admin's lists: control characters in a
//! search (PostgreSQL refuses a NUL), and the largest amounts the webhook accepts, whose sum no
//! longer fits one amount. No page or export fails on them.

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::admin::logged_in;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    searches_with_control_characters_never_fail,
    totals_of_the_largest_amounts_never_fail,
);

/// The largest amount one transfer can carry: 2^63 - 1 ten-thousandths.
const LARGEST: &str = "922337203685477.5807";

async fn fetch(client: &Client, app: &TestApp, path: &str, q: Option<&str>) -> String {
    let mut request = client.get(app.url(path));
    if let Some(q) = q {
        request = request.query(&[("q", q)]);
    }
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path} q={q:?}");
    String::from_utf8(r.bytes().await.unwrap().to_vec()).unwrap()
}

async fn searches_with_control_characters_never_fail(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1006", "amount": 150000, "reference": "ao thun"}))
        .await;
    app.transfer(1, "thanh toan DH1006 abc", json!(100)).await;
    app.transfer(2, "chuyen tien mua ao", json!(200)).await;
    let (client, _) = logged_in(&app).await;
    for q in [
        "\u{0}",
        "\u{0}\u{0}\u{0}\u{0}",
        "DH\u{0}1006",
        "\u{1}\u{1f}\u{7f}\u{85}",
        "mua\tao",
        "\u{0}ao",
    ] {
        for path in [
            "/admin/queue",
            "/admin/transactions",
            "/admin/orders",
            "/admin/queue.csv",
            "/admin/transactions.csv",
            "/admin/orders.csv",
        ] {
            let body = fetch(&client, &app, path, Some(q)).await;
            assert!(!body.contains('\u{0}'), "{path} q={q:?} echoed a NUL");
            if path.ends_with(".csv") {
                // A whole CSV: the header and complete lines, nothing cut off.
                assert!(body.starts_with('\u{feff}'), "{path} q={q:?}");
                assert!(body.ends_with('\n'), "{path} q={q:?}: {body:?}");
            }
        }
    }
    // A NUL is not there for a person: `DH<NUL>1006` finds DH1006.
    let found = fetch(
        &client,
        &app,
        "/admin/transactions.csv",
        Some("DH\u{0}1006"),
    )
    .await;
    assert!(found.contains("thanh toan DH1006 abc"), "{found}");
    assert!(!found.contains("chuyen tien mua ao"), "{found}");
    let found = fetch(&client, &app, "/admin/orders", Some("\u{0}DH1006")).await;
    assert!(found.contains("/admin/orders/DH1006"), "{found}");
}

async fn totals_of_the_largest_amounts_never_fail(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Two waiting transfers of the largest amount (no code), and money going out.
    for (id, amount) in [(1, LARGEST), (2, LARGEST)] {
        let (status, reply) = app
            .post_webhook(&envelope(vec![element(id, "khong ma", json!(amount))]))
            .await;
        assert_eq!(
            (status, reply["accepted"].as_i64()),
            (200, Some(1)),
            "{reply}"
        );
    }
    let (status, reply) = app
        .post_webhook(&envelope(vec![element(
            3,
            "rut",
            json!(format!("-{LARGEST}")),
        )]))
        .await;
    assert_eq!(
        (status, reply["accepted"].as_i64()),
        (200, Some(1)),
        "{reply}"
    );
    let (client, _) = logged_in(&app).await;
    // 2 × (2^63 - 1) ten-thousandths, exactly: past what one amount may be.
    let twice = "1,844,674,407,370,955.1614";
    for path in ["/admin/queue", "/admin/transactions"] {
        let page = fetch(&client, &app, path, None).await;
        assert!(page.contains(twice), "{path}: {page}");
    }
    let page = fetch(&client, &app, "/admin/transactions", None).await;
    assert!(page.contains("-922,337,203,685,477.5807"), "{page}");
    for path in ["/admin", "/admin/queue.csv", "/admin/transactions.csv"] {
        fetch(&client, &app, path, None).await;
    }
}
