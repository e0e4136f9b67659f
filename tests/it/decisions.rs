//! An owner's decisions on an order's money: accept a partly paid order as paid (with a
//! reason), record that an overpaid excess was refunded, and undo either exactly.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::admin::{get, logged_in, post};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    accepting_short_is_recorded_and_undone_exactly,
    a_refunded_excess_is_recorded_once_and_undone
);

/// Posts a decision form and returns where it led (`?error=…` or `?done=…`).
async fn decide(client: &Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> String {
    let r = post(client, app, path, form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    r.headers()["location"].to_str().unwrap().to_owned()
}

fn events(order: &Value) -> Vec<&str> {
    order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

/// The admin page of the transfer that paid the order, read from its history.
fn transfer_page(order_page: &str) -> String {
    let at = order_page.find("href=\"/admin/transactions/").unwrap() + "href=\"".len();
    order_page[at..].split('"').next().unwrap().to_owned()
}

async fn accepting_short_is_recorded_and_undone_exactly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 420000}))
        .await;
    app.create_order(json!({"code": "DH2", "amount": 10000}))
        .await;
    app.transfer(1, "DH1", num("400000")).await;
    let (admin, csrf) = logged_in(&app).await;
    let (_, before) = app.get_order("DH1").await;
    assert_eq!(before["status"], "partially_paid");

    // Refused, changing nothing: no confirm, no reason, an order with nothing received.
    let accept = "/admin/orders/DH1/accept";
    let location = decide(&admin, &app, accept, &[("csrf", &csrf), ("note", "fee")]).await;
    assert!(
        location.ends_with("?error=confirm_first#decisions"),
        "{location}"
    );
    let no_reason = [("csrf", csrf.as_str()), ("note", "  "), ("confirm", "1")];
    let location = decide(&admin, &app, accept, &no_reason).await;
    assert!(
        location.ends_with("?error=no_reason#decisions"),
        "{location}"
    );
    let nothing_in = [("csrf", csrf.as_str()), ("note", "x"), ("confirm", "1")];
    let location = decide(&admin, &app, "/admin/orders/DH2/accept", &nothing_in).await;
    assert!(
        location.ends_with("?error=not_partly_paid#decisions"),
        "{location}"
    );
    assert_eq!(app.get_order("DH1").await.1, before);

    let form = [
        ("csrf", csrf.as_str()),
        ("note", "bank fee"),
        ("confirm", "1"),
    ];
    let location = decide(&admin, &app, accept, &form).await;
    assert_eq!(location, "/admin/orders/DH1?done=accepted");
    let (_, accepted) = app.get_order("DH1").await;
    assert_eq!(accepted["status"], "paid");
    assert_eq!(accepted["amount_received"], before["amount_received"]);
    let last = accepted["history"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (
            &last["event"],
            &last["by"],
            &last["status_before"],
            &last["status_after"]
        ),
        (
            &json!("accepted"),
            &json!("admin:admin"),
            &json!("partially_paid"),
            &json!("paid")
        )
    );
    let (_, page) = get(&admin, &app, "/admin/orders/DH1").await;
    assert!(page.contains("Accepted as paid: bank fee"), "{page}");
    assert!(
        page.contains(r#"<dd id="order-shortfall">20,000 ₫</dd>"#),
        "{page}"
    );

    // The credit it was made on cannot be undone under it.
    let tx = transfer_page(&page);
    let confirm = [("csrf", csrf.as_str()), ("confirm", "1")];
    let location = decide(&admin, &app, &format!("{tx}/undo"), &confirm).await;
    assert!(location.contains("error=later_decision"), "{location}");
    assert_eq!(app.get_order("DH1").await.1["status"], "paid");

    // Undone: exactly as before, then the credit can go too.
    let undo = "/admin/orders/DH1/undo-decision";
    let location = decide(&admin, &app, undo, &confirm).await;
    assert_eq!(location, "/admin/orders/DH1?done=decision_undone");
    let (_, undone) = app.get_order("DH1").await;
    assert_eq!(undone["status"], before["status"]);
    assert_eq!(undone["amount_received"], before["amount_received"]);
    assert_eq!(undone["paid_at"], before["paid_at"]);
    assert_eq!(
        events(&undone),
        ["created", "credited", "accepted", "undone"]
    );
    let location = decide(&admin, &app, undo, &confirm).await;
    assert!(
        location.ends_with("?error=nothing_to_undo#decisions"),
        "{location}"
    );
    let location = decide(&admin, &app, &format!("{tx}/undo"), &confirm).await;
    assert!(location.contains("done=undone"), "{location}");
    assert_eq!(app.get_order("DH1").await.1["status"], "pending");
}

async fn a_refunded_excess_is_recorded_once_and_undone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH7", "amount": 100000}))
        .await;
    app.transfer(1, "DH7", num("150000")).await;
    let (admin, csrf) = logged_in(&app).await;
    let (_, page) = get(&admin, &app, "/admin/orders/DH7").await;
    assert!(
        page.contains(r#"action="/admin/orders/DH7/refund""#),
        "{page}"
    );
    assert!(
        !page.contains("/accept\""),
        "an overpaid order is not accepted short"
    );

    let refund = "/admin/orders/DH7/refund";
    let form = [
        ("csrf", csrf.as_str()),
        ("note", "sent back"),
        ("confirm", "1"),
    ];
    let location = decide(&admin, &app, refund, &form).await;
    assert_eq!(location, "/admin/orders/DH7?done=refunded");
    let (_, order) = app.get_order("DH7").await;
    assert_eq!(order["status"], "overpaid", "the money did arrive");
    assert_eq!(events(&order), ["created", "credited", "refunded"]);
    let (_, page) = get(&admin, &app, "/admin/orders/DH7").await;
    assert!(
        page.contains(r#"<dd id="order-excess">50,000 ₫ · Refunded</dd>"#),
        "{page}"
    );
    assert!(!page.contains(r#"action="/admin/orders/DH7/refund""#));
    let location = decide(&admin, &app, refund, &form).await;
    assert!(
        location.ends_with("?error=already_refunded#decisions"),
        "{location}"
    );

    let confirm = [("csrf", csrf.as_str()), ("confirm", "1")];
    let location = decide(&admin, &app, "/admin/orders/DH7/undo-decision", &confirm).await;
    assert_eq!(location, "/admin/orders/DH7?done=decision_undone");
    let (_, order) = app.get_order("DH7").await;
    assert_eq!(
        events(&order),
        ["created", "credited", "refunded", "undone"]
    );
    let (_, page) = get(&admin, &app, "/admin/orders/DH7").await;
    assert!(
        page.contains(r#"<dd id="order-excess">50,000 ₫</dd>"#),
        "{page}"
    );
    // Every decision is in the audit log with who made it.
    let (_, audit) = get(&admin, &app, "/admin/audit").await;
    for action in ["order.refund", "order.undo_decision"] {
        assert!(audit.contains(action), "{action}");
    }
}
