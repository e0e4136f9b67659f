//! The queue in one click: each waiting row names the order it is most likely for, as a link to
//! that order's link preview, but only when one order is strictly better than the rest; a tie
//! says so, on the row and on the transfer's page.

use serde_json::json;

use crate::admin::{get, logged_in, post};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_queue_offers_the_best_order_or_says_it_is_a_tie,
    the_queue_runs_by_bank_time_and_a_decision_opens_the_next
);

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

/// The ids of the transfers a list page links to, in its order.
fn listed(page: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for rest in page.split("href=\"/admin/transactions/").skip(1) {
        let id = rest.split(['"', '/', '?']).next().unwrap_or_default();
        if id.chars().all(|c| c.is_ascii_digit()) && ids.last().map(String::as_str) != Some(id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

async fn the_queue_runs_by_bank_time_and_a_decision_opens_the_next(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Arrival order is not the bank's: the last to arrive happened first (a late pull).
    let elements = [
        (1, "first to arrive", "2026-12-01 10:00:00"),
        (2, "second to arrive", "2026-12-01 12:00:00"),
        (3, "pulled late", "2026-12-01 08:00:00"),
    ]
    .map(|(id, description, when)| {
        let mut e = element(id, description, json!(5000));
        e["when"] = json!(when);
        e
    });
    app.post_webhook(&envelope(elements.to_vec())).await;
    let (admin, csrf) = logged_in(&app).await;
    let badge = |n: usize| {
        format!(r#"<span class="badge-count" title="waiting for a decision">{n}</span>"#)
    };
    let (_, dashboard) = get(&admin, &app, "/admin").await;
    assert!(
        dashboard.contains(&badge(3)),
        "the menu counts what waits: {dashboard}"
    );
    let (_, queue) = get(&admin, &app, "/admin/queue").await;
    let order: Vec<usize> = ["second to arrive", "first to arrive", "pulled late"]
        .iter()
        .map(|d| queue.find(d).unwrap_or_else(|| panic!("{d} listed")))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "newest bank time first"
    );
    let ids = listed(&queue);
    assert_eq!(ids.len(), 3, "{ids:?}");
    // A page of one row continues by bank time too.
    let (_, second) = get(
        &admin,
        &app,
        &format!("/admin/queue?cursor={}&limit=1", ids[0]),
    )
    .await;
    assert_eq!(listed(&second).first(), Some(&ids[1]), "{second}");

    let decide = |id: String| {
        let (admin, csrf, app) = (&admin, &csrf, &app);
        async move {
            let path = format!("/admin/transactions/{id}/set-aside");
            let form = [("csrf", csrf.as_str()), ("resolution", "ignored")];
            let r = post(admin, app, &path, &form).await;
            r.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        decide(ids[0].clone()).await,
        format!(
            "/admin/transactions/{}?done=set_aside&prev={}",
            ids[1], ids[0]
        )
    );
    let (_, next) = get(
        &admin,
        &app,
        &format!(
            "/admin/transactions/{}?done=set_aside&prev={}",
            ids[1], ids[0]
        ),
    )
    .await;
    assert!(next.contains(r#"id="next-waiting">"#), "{next}");
    assert!(next.contains(&format!(r#"href="/admin/transactions/{}""#, ids[0])));
    decide(ids[1].clone()).await;
    assert_eq!(decide(ids[2].clone()).await, "/admin/queue?done=set_aside");
    // Counted again after the decisions: nothing waits, so no badge.
    let (_, empty) = get(&admin, &app, "/admin/queue?done=set_aside").await;
    assert!(!empty.contains("badge-count"), "{empty}");
}
