//! The queue in one click: each waiting row names the order it is most likely for, as a link to
//! that order's link preview, but only when one order is strictly better than the rest; a tie
//! says so, on the row and on the transfer's page.

use serde_json::json;

use crate::admin::{get, logged_in};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(the_queue_offers_the_best_order_or_says_it_is_a_tie);

async fn the_queue_offers_the_best_order_or_says_it_is_a_tie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1023", "amount": 150000}))
        .await;
    app.create_order(json!({"code": "DH2001", "amount": 99000}))
        .await;
    app.create_order(json!({"code": "DH2002", "amount": 99000}))
        .await;
    // Paid now: orders due the same amount made around then are suggested.
    let now = chrono::Utc::now() + chrono::Duration::hours(7);
    let elements = [
        (1, "chuyen tien DH1O23", 150000),
        (2, "khong ghi ma", 99000),
    ]
    .map(|(id, description, amount)| {
        let mut e = element(id, description, json!(amount));
        e["when"] = json!(now.format("%Y-%m-%d %H:%M:%S").to_string());
        e
    })
    .to_vec();
    app.post_webhook(&envelope(elements)).await;
    let (admin, _) = logged_in(&app).await;
    let (_, queue) = get(&admin, &app, "/admin/queue").await;
    let link = queue
        .split("class=\"best-link\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a best order: {queue}"));
    assert!(link.ends_with("/link?code=DH1023"), "{link}");
    assert_eq!(queue.matches("class=\"best-link\"").count(), 1, "{queue}");
    assert!(queue.contains("Several orders fit as well"), "{queue}");
    // One click: the link preview of that order.
    let (status, preview) = get(&admin, &app, link).await;
    assert_eq!(status, 200);
    assert!(preview.contains("DH1023"));
    // The transfer's own page: no "best" on a tie.
    let tie_page = queue
        .split("href=\"/admin/transactions/")
        .filter_map(|rest| rest.split('"').next())
        .find(|id| id.chars().all(|c| c.is_ascii_digit()) && !link.contains(&format!("/{id}/")))
        .expect("the other transfer");
    let (_, page) = get(&admin, &app, &format!("/admin/transactions/{tie_page}")).await;
    assert!(
        page.contains(r#"id="tie""#) && !page.contains("badge best"),
        "{page}"
    );
}
