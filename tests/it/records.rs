//! Records that tell the truth: an order's page lists each transfer with the order's share of
//! it (and the whole beside it), transfer lists name every order a transfer paid, an overpaid
//! order shows its excess, and a date not set reads "–".

use serde_json::json;

use crate::admin::{get, logged_in};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    shares_orders_and_excess_are_shown,
    the_dashboard_links_and_a_cancel_names_the_money
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
    let (_, partly) = get(&admin, &app, "/admin/orders/DH7").await;
    assert!(
        squash(&partly).contains("This order has received <strong>100,000 ₫</strong>"),
        "{partly}"
    );
    let (_, nothing) = get(&admin, &app, "/admin/orders/DH8").await;
    assert!(nothing.contains(r#"id="cancel""#) && !nothing.contains("cancel-money"));
}
