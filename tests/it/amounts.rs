//! Amounts: exact sums, statuses, tolerance, concurrency, outgoing money and closed orders.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    tenths_add_up_exactly,
    partial_paid_and_overpaid,
    tolerance_counts_a_small_shortfall_as_paid,
    a_concurrent_burst_sums_exactly,
    outgoing_money_is_recorded_never_applied,
    closed_orders_hold_transfers_for_an_admin,
    unclear_transfers_wait_with_their_reason,
);

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

async fn tenths_add_up_exactly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, order) = app
        .create_order(json!({"code": "DH6", "amount": "0.6"}))
        .await;
    assert_eq!((status, order["amount"].as_str()), (201, Some("0.6")));
    app.transfer(1, "DH6", num("0.1")).await;
    app.transfer(2, "DH6", json!("0.2")).await;
    let (_, order) = app.get_order("DH6").await;
    assert_eq!(order["status"], "partially_paid");
    assert_eq!(order["amount_received"], "0.3");
    assert_eq!(order["amount_due"], "0.3");
    app.transfer(3, "DH6", num("0.3")).await;
    let (_, order) = app.get_order("DH6").await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["amount_received"], "0.6");
    assert_eq!(order["amount_due"], "0");
    assert!(order["paid_at"].is_string());
}

async fn partial_paid_and_overpaid(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 150000}))
        .await;
    app.transfer(1, "DH1", json!(50000)).await;
    let (_, order) = app.get_order("DH1").await;
    assert_eq!(
        (order["status"].as_str(), order["paid"].as_bool()),
        (Some("partially_paid"), Some(false))
    );
    assert_eq!(order["amount_due"], "100000");
    assert_eq!(order["paid_at"], Value::Null);
    app.transfer(2, "DH1", json!(100000)).await;
    let (_, order) = app.get_order("DH1").await;
    assert_eq!(
        (order["status"].as_str(), order["paid"].as_bool()),
        (Some("paid"), Some(true))
    );
    let paid_at = order["paid_at"].clone();
    app.transfer(3, "DH1", num("0.0001")).await;
    let (_, order) = app.get_order("DH1").await;
    assert_eq!(
        (order["status"].as_str(), order["paid"].as_bool()),
        (Some("overpaid"), Some(true))
    );
    assert_eq!(order["amount_received"], "150000.0001");
    assert_eq!(order["amount_due"], "0");
    assert_eq!(
        order["paid_at"], paid_at,
        "paid_at is when it was first paid"
    );
    assert_eq!(order["transactions"].as_array().unwrap().len(), 3);
}

async fn tolerance_counts_a_small_shortfall_as_paid(backend: Backend) {
    let app =
        TestApp::spawn_with(backend, &[("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "1000")]).await;
    app.create_order(json!({"code": "DH1", "amount": 100000}))
        .await;
    app.create_order(json!({"code": "DH2", "amount": 100000}))
        .await;
    app.transfer(1, "DH1", json!(99000)).await;
    app.transfer(2, "DH2", num("98999.9999")).await;
    assert_eq!(app.get_order("DH1").await.1["status"], "paid");
    assert_eq!(app.get_order("DH1").await.1["amount_due"], "1000");
    assert_eq!(app.get_order("DH2").await.1["status"], "partially_paid");
}

async fn a_concurrent_burst_sums_exactly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH77", "amount": "1000000"}))
        .await;
    // Forty transfers with awkward decimals, all at once, some in shared deliveries.
    let amounts: Vec<String> = (0..40)
        .map(|i| format!("{}.{:04}", 1000 + i * 37, (i * 7919) % 10000))
        .collect();
    let bodies: Vec<Value> = amounts
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            envelope(
                pair.iter()
                    .enumerate()
                    .map(|(j, a)| element((i * 2 + j) as u64 + 1, "thanh toan DH77", json!(a)))
                    .collect(),
            )
        })
        .collect();
    let replies = futures_util::future::join_all(bodies.iter().map(|b| app.post_webhook(b))).await;
    assert!(
        replies.iter().all(|(s, r)| *s == 200 && r["accepted"] == 2),
        "{replies:?}"
    );
    let expected: Decimal = amounts.iter().map(|a| a.parse::<Decimal>().unwrap()).sum();
    let (_, order) = app.get_order("DH77").await;
    assert_eq!(dec(&order["amount_received"]), expected);
    assert_eq!(order["transactions"].as_array().unwrap().len(), 40);
    let listed: Decimal = order["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| dec(&t["amount"]))
        .sum();
    assert_eq!(listed, expected);
}

async fn outgoing_money_is_recorded_never_applied(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100}))
        .await;
    let (status, reply) = app.transfer(1, "Hoan tien DH1", json!(-100)).await;
    assert_eq!((status, reply["accepted"].as_i64()), (200, Some(1)));
    let txs = app.all_transactions().await;
    assert_eq!(txs[0]["status"], "outgoing");
    assert_eq!(txs[0]["amount"], "-100");
    let (_, order) = app.get_order("DH1").await;
    assert_eq!(
        (order["status"].as_str(), order["amount_received"].as_str()),
        (Some("pending"), Some("0"))
    );
}

async fn closed_orders_hold_transfers_for_an_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100}))
        .await;
    let (status, _) = app
        .api(reqwest::Method::POST, "/api/v1/orders/DH1/cancel", None)
        .await;
    assert_eq!(status, 200);
    app.transfer(1, "DH1", json!(100)).await;
    let (_, order) = app.get_order("DH1").await;
    assert_eq!(
        (order["status"].as_str(), order["amount_received"].as_str()),
        (Some("cancelled"), Some("0"))
    );
    assert_eq!(order["transactions"][0]["status"], "order_closed");

    // An order past its expiry is closed when a transfer names it, even before any sweep.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let (status, _) = app
        .create_order(json!({"code": "DH2", "amount": 100, "expires_at": soon}))
        .await;
    assert_eq!(status, 201);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    app.transfer(2, "DH2", json!(100)).await;
    let (_, order) = app.get_order("DH2").await;
    assert_eq!(
        (order["status"].as_str(), order["amount_received"].as_str()),
        (Some("expired"), Some("0"))
    );
    assert_eq!(order["transactions"][0]["status"], "order_closed");
    assert_eq!(order["transactions"][0]["order_code"], "DH2");
}

async fn unclear_transfers_wait_with_their_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100}))
        .await;
    app.create_order(json!({"code": "DH2", "amount": 100}))
        .await;
    app.transfer(1, "DH1 va DH2", json!(100)).await;
    app.transfer(2, "DH404", json!(100)).await;
    app.transfer(3, "chuyen tien", json!(100)).await;
    app.transfer(4, "DH12", json!(100)).await;
    let txs = app.all_transactions().await;
    let statuses: Vec<&str> = txs
        .iter()
        .rev()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["ambiguous", "unknown_order", "unmatched", "unknown_order"]
    );
    assert_eq!(txs[3]["candidates"], json!(["DH1", "DH2"]));
    for code in ["DH1", "DH2"] {
        assert_eq!(app.get_order(code).await.1["status"], "pending");
    }
    let (_, waiting) = app
        .api(
            reqwest::Method::GET,
            "/api/v1/transactions?status=unknown_order",
            None,
        )
        .await;
    assert_eq!(waiting["data"].as_array().unwrap().len(), 2);
}
