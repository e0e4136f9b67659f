//! Admin text search (`q=`): the same results on both backends, whatever the typing —
//! diacritics or none, parts of codes, names, bank references, short searches and
//! characters that mean something to LIKE or FTS5.

use std::collections::BTreeSet;

use serde_json::json;

use crate::admin::{get, logged_in};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    queue_search_finds_what_people_type,
    order_search_finds_codes_and_references,
    a_search_finds_amounts_as_typed
);

const DESCRIPTIONS: [&str; 8] = [
    "Nguyễn Văn An chuyen tien",
    "NGUYEN THI HOA ck",
    "thanh toan DH1006",
    "Giam 50% phi",
    "ma_so 77",
    "noi \"trich dan\" day",
    "sao * nhe",
    "Đặng Đức",
];

async fn queue_search_finds_what_people_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let elements = (1..)
        .zip(DESCRIPTIONS)
        .map(|(id, description)| element(id, description, json!(5000)))
        .collect();
    app.post_webhook(&envelope(elements)).await;
    let (client, _) = logged_in(&app).await;
    // Which of the descriptions a page lists, by their cells.
    let found = |html: String| -> BTreeSet<usize> {
        let html = html.replace("&#34;", "\"").replace("&quot;", "\"");
        (1..)
            .zip(DESCRIPTIONS)
            .filter(|(_, d)| html.contains(&format!("tabindex=\"-1\">{d}</a>")))
            .map(|(i, _)| i)
            .collect()
    };
    let cases: &[(&str, &[usize])] = &[
        ("Nguy%E1%BB%85n", &[1, 2]),
        ("nguyen", &[1, 2]),
        ("NGUYEN+VAN", &[1]),
        ("1006", &[3]),
        ("dh1006", &[3]),
        ("TF5", &[5]),
        ("dang+duc", &[8]),
        ("%C4%90%E1%BA%B7ng", &[8]),
        ("50%25", &[4]),
        ("%25", &[4]),
        ("5_%25", &[]),
        ("_", &[5]),
        ("a_s", &[5]),
        ("%22", &[6]),
        ("%22trich", &[6]),
        ("*", &[7]),
        ("sao+*", &[7]),
        ("77", &[5]),
        ("ck", &[2]),
        ("zz", &[]),
        ("khong+co", &[]),
    ];
    for (q, expected) in cases {
        let (status, html) = get(&client, &app, &format!("/admin/queue?q={q}")).await;
        assert_eq!(status, 200, "q={q}");
        assert_eq!(found(html), expected.iter().copied().collect(), "q={q}");
    }
}

async fn order_search_finds_codes_and_references(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH2006", "amount": 10, "reference": "Nguyễn Thị Hoa"}))
        .await;
    app.create_order(json!({"code": "DH3007", "amount": 10, "reference": "don 42_b"}))
        .await;
    let (client, _) = logged_in(&app).await;
    let cases: &[(&str, &[&str])] = &[
        ("2006", &["DH2006"]),
        ("dh3", &["DH3007"]),
        ("DH", &["DH2006", "DH3007"]),
        ("nguyen+thi", &["DH2006"]),
        ("Nguy%E1%BB%85n", &["DH2006"]),
        ("hoa", &["DH2006"]),
        ("42_", &["DH3007"]),
        ("n_4", &[]),
        ("%25", &[]),
    ];
    for (q, expected) in cases {
        let (status, html) = get(&client, &app, &format!("/admin/orders?q={q}")).await;
        assert_eq!(status, 200, "q={q}");
        let listed: Vec<&str> = ["DH2006", "DH3007"]
            .into_iter()
            .filter(|code| html.contains(&format!("/admin/orders/{code}\"")))
            .collect();
        assert_eq!(&listed, expected, "q={q}");
    }
}

/// `279.000`, `279000`, `279k` find the transfers and orders of that amount beside the text;
/// `1,5tr` is a million and a half.
async fn a_search_finds_amounts_as_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH500", "amount": 279000}))
        .await;
    app.create_order(json!({"code": "DH501", "amount": 1500000}))
        .await;
    app.create_order(json!({"code": "DH502", "amount": 5000}))
        .await;
    let elements = vec![
        element(1, "chuyen khoan lan mot", json!(279000)),
        element(2, "chuyen khoan lan hai", json!(1500000)),
        element(3, "tien 279 nghin", json!(5000)),
    ];
    app.post_webhook(&envelope(elements)).await;
    let (client, _) = logged_in(&app).await;
    for (typed, transfer, order) in [
        ("279.000", "lan mot", "DH500"),
        ("279000", "lan mot", "DH500"),
        ("279k", "lan mot", "DH500"),
        ("1,5tr", "lan hai", "DH501"),
    ] {
        let q: String = form_urlencoded::byte_serialize(typed.as_bytes()).collect();
        let (status, list) = get(&client, &app, &format!("/admin/transactions?q={q}")).await;
        assert_eq!(status, 200);
        assert!(list.contains(transfer), "{typed}: {list}");
        let (_, orders) = get(&client, &app, &format!("/admin/orders?q={q}")).await;
        assert!(orders.contains(order), "{typed}: {orders}");
        assert!(!orders.contains("DH502"), "{typed}: only that amount");
    }
    // Text still finds text: `279` is in a description, and is no amount of these.
    let (_, list) = get(&client, &app, "/admin/transactions?q=279").await;
    assert!(
        list.contains("279 nghin") && !list.contains("lan hai"),
        "{list}"
    );
}
