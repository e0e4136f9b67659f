//! A confirm applies only what its preview showed: when another transfer credits an order (or
//! its deadline passes) between an admin's preview and their confirm, the confirm is refused
//! with the new preview, and nothing changes.

use reqwest::StatusCode;
use serde_json::json;

use crate::admin::{get, logged_in, post, seen_of};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_link_confirmed_after_another_credit_shows_the_new_preview,
    a_split_confirmed_after_another_credit_shows_the_new_preview,
);

async fn received(app: &TestApp, code: &str) -> (String, String) {
    let (_, order) = app.get_order(code).await;
    (
        order["status"].as_str().unwrap().to_owned(),
        order["amount_received"].as_str().unwrap().to_owned(),
    )
}

fn state(status: &str, received: &str) -> (String, String) {
    (status.to_owned(), received.to_owned())
}

async fn a_link_confirmed_after_another_credit_shows_the_new_preview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100000}))
        .await;
    app.transfer(1, "chuyen tien mua ao", json!(100000)).await;
    let (client, csrf) = logged_in(&app).await;
    let row = app.all_transactions().await[0]["id"].clone();
    assert_eq!(row, "casso:1");
    let preview_path = "/admin/transactions/1/link?code=DH1";
    let (status, preview) = get(&client, &app, preview_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(preview.contains(r#"id="status-after">Paid<"#), "{preview}");
    let seen = seen_of(&preview);
    assert_eq!(seen, ["pending:0"]);

    // Meanwhile the customer pays part of the order with its code.
    app.transfer(2, "DH1", json!(60000)).await;
    assert_eq!(
        received(&app, "DH1").await,
        state("partially_paid", "60000")
    );

    let confirm = [("csrf", csrf.as_str()), ("code", "DH1"), ("seen", &seen[0])];
    let r = post(&client, &app, "/admin/transactions/1/link", &confirm).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        "/admin/transactions/1/link?code=DH1&error=changed_since_preview"
    );
    // Nothing changed: the order keeps what it had, the transfer still waits.
    assert_eq!(
        received(&app, "DH1").await,
        state("partially_paid", "60000")
    );
    assert_eq!(app.all_transactions().await[1]["status"], "unmatched");

    // The new preview says why, and shows the overpayment the link would now make.
    let (status, again) = get(&client, &app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        again.contains(r#"id="changed""#) && again.contains("changed since this preview"),
        "{again}"
    );
    assert!(again.contains(r#"id="status-after">Overpaid<"#), "{again}");
    assert!(again.contains(r#"id="excess""#), "{again}");
    let seen = seen_of(&again);
    assert_eq!(seen, ["partially_paid:60000"]);
    let confirm = [("csrf", csrf.as_str()), ("code", "DH1"), ("seen", &seen[0])];
    let r = post(&client, &app, "/admin/transactions/1/link", &confirm).await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("done=linked"), "{location}");
    assert_eq!(received(&app, "DH1").await, state("overpaid", "160000"));
}

async fn a_split_confirmed_after_another_credit_shows_the_new_preview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH31", "amount": 100000}))
        .await;
    app.create_order(json!({"code": "DH32", "amount": 80000}))
        .await;
    app.transfer(1, "DH31 DH32 tra truoc", json!(150000)).await;
    let (client, csrf) = logged_in(&app).await;
    let rows = [
        ("csrf", csrf.as_str()),
        ("code", "DH31"),
        ("amount", "100000"),
        ("code", "DH32"),
        ("amount", "50000"),
    ];
    let r = post(&client, &app, "/admin/transactions/1/split/preview", &rows).await;
    assert_eq!(r.status(), StatusCode::OK);
    let seen = seen_of(&r.text().await.unwrap());
    assert_eq!(seen, ["pending:0", "pending:0"]);

    // Meanwhile DH32 receives 60.000 of its own: the split would now overpay it.
    app.transfer(2, "DH32", json!(60000)).await;
    let mut confirm = rows.to_vec();
    confirm.extend(seen.iter().map(|s| ("seen", s.as_str())));
    let r = post(&client, &app, "/admin/transactions/1/split", &confirm).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the new preview, not a redirect"
    );
    let again = r.text().await.unwrap();
    assert!(
        again.contains(r#"id="changed""#) && again.contains("changed since this preview"),
        "{again}"
    );
    assert!(
        again.contains(r#"<span class="badge overpaid status-after">Overpaid</span>"#),
        "{again}"
    );
    assert_eq!(received(&app, "DH31").await, state("pending", "0"));
    assert_eq!(
        received(&app, "DH32").await,
        state("partially_paid", "60000")
    );
    assert_eq!(app.all_transactions().await[1]["status"], "ambiguous");

    // A confirm without the preview's states is refused the same way.
    let r = post(&client, &app, "/admin/transactions/1/split", &rows).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains(r#"id="changed""#));
    assert_eq!(received(&app, "DH31").await, state("pending", "0"));

    // Confirming the new preview applies what it showed.
    let seen = seen_of(&again);
    assert_eq!(seen, ["pending:0", "partially_paid:60000"]);
    let mut confirm = rows.to_vec();
    confirm.extend(seen.iter().map(|s| ("seen", s.as_str())));
    let r = post(&client, &app, "/admin/transactions/1/split", &confirm).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(received(&app, "DH31").await, state("paid", "100000"));
    assert_eq!(received(&app, "DH32").await, state("overpaid", "110000"));
}
