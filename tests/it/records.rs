//! Records that tell the truth: an order's page lists each transfer with the order's share of
//! it (and the whole beside it), transfer lists name every order a transfer paid, an overpaid
//! order shows its excess, and a date not set reads "–".

use serde_json::json;

use crate::admin::{get, logged_in, post};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    shares_orders_and_excess_are_shown,
    the_dashboard_links_and_a_cancel_names_the_money,
    the_audit_reads_as_people_write
);

fn squash(html: &str) -> String {
    html.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn shares_orders_and_excess_are_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1036", "amount": 420000}))
        .await;
    app.create_order(json!({"code": "DH1037", "amount": 159000}))
        .await;
    app.create_order(json!({"code": "DH1040", "amount": 100000}))
        .await;
    app.create_order(json!({"code": "DH1041", "amount": 5000}))
        .await;
    app.transfer(1, "DH1036 DH1037", num("579000")).await;
    app.transfer(2, "DH1040", num("150000")).await;
    let (admin, _) = logged_in(&app).await;

    let (_, order) = get(&admin, &app, "/admin/orders/DH1036").await;
    let order = squash(&order);
    assert!(
        order.contains("420,000 ₫<small class=\"received\">of a transfer of 579,000 ₫</small>"),
        "{order}"
    );
    let (_, list) = get(&admin, &app, "/admin/transactions").await;
    let list = squash(&list);
    assert!(
        list.contains(r#"<a href="/admin/orders/DH1036">DH1036</a> + <a href="/admin/orders/DH1037">DH1037</a>"#),
        "{list}"
    );

    let (_, overpaid) = get(&admin, &app, "/admin/orders/DH1040").await;
    assert!(
        overpaid.contains(r#"<dd id="order-excess">50,000 ₫</dd>"#),
        "{overpaid}"
    );
    let (_, orders) = get(&admin, &app, "/admin/orders").await;
    assert!(
        squash(&orders).contains("Paid in excess 50,000 ₫"),
        "{orders}"
    );

    let (_, open) = get(&admin, &app, "/admin/orders/DH1041").await;
    let open = squash(&open);
    assert!(
        open.contains("<dt>Paid at</dt><dd>–</dd>") && open.contains("<dt>Expires</dt><dd>–</dd>"),
        "{open}"
    );
}

async fn the_dashboard_links_and_a_cancel_names_the_money(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH7", "amount": 300000}))
        .await;
    app.create_order(json!({"code": "DH8", "amount": 1000}))
        .await;
    app.transfer(1, "DH7", num("100000")).await;
    let (admin, _) = logged_in(&app).await;
    let (_, dashboard) = get(&admin, &app, "/admin").await;
    assert!(
        dashboard.contains(r#"<a href="/admin/orders?status=partially_paid">"#),
        "{dashboard}"
    );
    assert!(dashboard.contains(r#"<a href="/admin/transactions?status=matched">"#));
    // The chart's figures as a table too, today's first.
    assert!(
        dashboard.contains(r#"<details id="chart-table">"#),
        "{dashboard}"
    );
    let (_, partly) = get(&admin, &app, "/admin/orders/DH7").await;
    assert!(
        squash(&partly).contains("This order has received <strong>100,000 ₫</strong>"),
        "{partly}"
    );
    let (_, nothing) = get(&admin, &app, "/admin/orders/DH8").await;
    assert!(nothing.contains(r#"id="cancel""#) && !nothing.contains("cancel-money"));
}

async fn the_audit_reads_as_people_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH9", "amount": 50000}))
        .await;
    app.transfer(41, "no code", num("50000")).await;
    let (admin, csrf) = logged_in(&app).await;
    let (_, queue) = get(&admin, &app, "/admin/queue").await;
    let at = queue.find("/admin/transactions/").unwrap();
    let id: String = queue[at + "/admin/transactions/".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let seen = "pending:0";
    let form = [("csrf", csrf.as_str()), ("code", "DH9"), ("seen", seen)];
    post(
        &admin,
        &app,
        &format!("/admin/transactions/{id}/link"),
        &form,
    )
    .await;

    let (_, audit) = get(&admin, &app, "/admin/audit").await;
    let transfer = r#"<a href="/admin/transactions/named/casso%3A41">Transfer casso:41</a>"#;
    assert!(audit.contains(transfer), "{audit}");
    assert!(audit.contains(r#"<a href="/admin/orders/DH9">Order DH9</a>"#));
    assert!(audit.contains("Money added to the order"));
    // The subject's link leads to the transfer's page; an unknown name is not found.
    let r = admin
        .get(app.url("/admin/transactions/named/casso%3A41"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], format!("/admin/transactions/{id}"));
    let (status, _) = get(&admin, &app, "/admin/transactions/named/casso:999").await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    let (_, vi) = get(&admin, &app, "/admin/audit?lang=vi").await;
    assert!(!vi.contains("Ghi có") && !vi.contains("Ghi nợ"));
}
