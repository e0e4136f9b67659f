//! Several receiving accounts: an order names its account, its pay page and VietQR use it, a
//! transfer into another of the shop's accounts still pays it (and the admin says so), and the
//! admin's lists, exports and dashboard tell the accounts apart.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::admin::{get, logged_in};
use crate::helpers::*;
use crate::on_both_backends;
use crate::pay::{decode_qr, emv_field};

on_both_backends!(
    orders_name_their_account,
    the_pay_page_and_qr_use_the_orders_account,
    a_transfer_into_another_account_still_pays,
    lists_exports_and_dashboard_by_account,
    without_accounts_orders_name_none,
    older_orders_read_as_the_default_account,
    an_orders_currency_is_its_accounts,
);

const FIRST: &str = "0011001234567";
const SECOND: &str = "113366668888";
const ACCOUNTS: &[(&str, &str)] = &[(
    "PAYMATCH_ACCOUNTS",
    r#"[{"bin": "970436", "number": "0011001234567", "name": "CONG TY ABC"},
        {"bin": "970415", "number": "113366668888", "name": "NGUYEN VAN AN"}]"#,
)];

/// A transfer that arrived in `account`.
async fn transfer_into(app: &TestApp, id: u64, description: &str, amount: u64, account: &str) {
    let mut e = element(id, description, json!(amount));
    e["bank_sub_acc_id"] = json!(account);
    e["subAccId"] = json!(account);
    // Today, Vietnam time: the dashboard counts the bank's days.
    let now = chrono::Utc::now() + chrono::Duration::hours(7);
    e["when"] = json!(now.format("%Y-%m-%d %H:%M:%S").to_string());
    let (status, body) = app.post_webhook(&envelope(vec![e])).await;
    assert_eq!(
        (status, body["accepted"].as_i64()),
        (200, Some(1)),
        "{body}"
    );
}

async fn orders_name_their_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, ACCOUNTS).await;
    let (status, order) = app
        .create_order(json!({"code": "DH1", "amount": 1000}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(order["account"], FIRST, "the first account is the default");
    let (status, order) = app
        .create_order(json!({"code": "DH2", "amount": 1000, "account": SECOND}))
        .await;
    assert_eq!((status, &order["account"]), (201, &json!(SECOND)));
    let (status, order) = app
        .create_order(json!({"code": "DH3", "amount": 1000, "account": ""}))
        .await;
    assert_eq!((status, &order["account"]), (201, &json!(FIRST)));
    assert_eq!(app.get_order("DH2").await.1["account"], SECOND);

    let (status, error) = app
        .create_order(json!({"code": "DH4", "amount": 1000, "account": "999999"}))
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["code"], "unknown_account");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("999999") && message.contains(SECOND),
        "{message}"
    );
    assert_eq!(app.get_order("DH4").await.0, 404, "nothing stored");
    let (status, _) = app
        .create_order(json!({"code": "DH5", "amount": 1000, "account": 42}))
        .await;
    assert_eq!(status, 422, "an account is a string");
}

/// The account the QR code pays into: (BIN, number), from the VietQR payload.
async fn qr_account(app: &TestApp, code: &str) -> (String, String) {
    let response = app
        .client
        .get(app.url(&format!("/pay/{code}/qr.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let payload = decode_qr(&response.bytes().await.unwrap(), "svg");
    let merchant = emv_field(&payload, "38").expect("VietQR merchant field");
    let beneficiary = emv_field(&merchant, "01").expect("beneficiary");
    (
        emv_field(&beneficiary, "00").unwrap(),
        emv_field(&beneficiary, "01").unwrap(),
    )
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

async fn the_pay_page_and_qr_use_the_orders_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, ACCOUNTS).await;
    app.create_order(json!({"code": "DH10", "amount": 150000, "account": SECOND}))
        .await;
    app.create_order(json!({"code": "DH11", "amount": 150000}))
        .await;

    let html = page(&app, "/pay/DH10").await;
    for shown in [
        "<code id=\"account\">113366668888</code>",
        "NGUYEN VAN AN",
        "VietinBank",
        "ba=113366668888@icb",
    ] {
        assert!(html.contains(shown), "{shown}");
    }
    for hidden in [FIRST, "Vietcombank"] {
        assert!(!html.contains(hidden), "not the default account: {hidden}");
    }
    // The shop's name stays the default account's holder, whichever account an order uses.
    assert!(html.contains("<p class=\"shop\" id=\"shop\">CONG TY ABC</p>"));
    assert_eq!(
        qr_account(&app, "DH10").await,
        ("970415".to_owned(), SECOND.to_owned())
    );
    let status: Value = app
        .client
        .get(app.url("/pay/DH10/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(status["app_links"]["mb"]
        .as_str()
        .unwrap()
        .contains("ba=113366668888@icb"));

    let html = page(&app, "/pay/DH11").await;
    assert!(html.contains(FIRST) && html.contains("CONG TY ABC"));
    assert_eq!(
        qr_account(&app, "DH11").await,
        ("970436".to_owned(), FIRST.to_owned())
    );
}

/// The admin's link to the one transfer whose description holds `text`.
async fn row_of(app: &TestApp, client: &reqwest::Client, text: &str) -> String {
    let (_, html) = get(client, app, &format!("/admin/transactions?q={text}")).await;
    let rows: Vec<&str> = html
        .split("data-href=\"/admin/transactions/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(rows.len(), 1, "{text}: {html}");
    rows[0].to_owned()
}

async fn a_transfer_into_another_account_still_pays(backend: Backend) {
    let app = TestApp::spawn_with(backend, ACCOUNTS).await;
    app.create_order(json!({"code": "DH20", "amount": 200000, "account": SECOND}))
        .await;
    app.create_order(json!({"code": "DH21", "amount": 50000}))
        .await;
    app.create_order(json!({"code": "DH22", "amount": 70000, "account": SECOND}))
        .await;
    transfer_into(&app, 1, "DH20 thanh toan", 200000, FIRST).await;
    transfer_into(&app, 2, "DH21 thanh toan", 50000, "555000111").await;
    transfer_into(&app, 3, "DH22 thanh toan", 70000, SECOND).await;

    let (_, order) = app.get_order("DH20").await;
    assert_eq!(order["status"], "paid", "the money is the shop's");
    assert_eq!(order["account"], SECOND);
    assert_eq!(order["transactions"][0]["account"], FIRST);
    assert_eq!(app.get_order("DH21").await.1["status"], "paid");

    let (client, _) = logged_in(&app).await;
    let row = row_of(&app, &client, "DH20").await;
    let (_, html) = get(&client, &app, &format!("/admin/transactions/{row}")).await;
    let note = html
        .split("id=\"account-note\">")
        .nth(1)
        .expect("a note on the account")
        .split("</p>")
        .next()
        .unwrap();
    for said in [
        "Arrived in account",
        "0011001234567 · Vietcombank · CONG TY ABC",
        "the order asked for",
        "113366668888 · VietinBank · NGUYEN VAN AN",
        "still pays the order",
    ] {
        assert!(note.contains(said), "{said}: {note}");
    }

    let row = row_of(&app, &client, "DH21").await;
    let (_, html) = get(&client, &app, &format!("/admin/transactions/{row}")).await;
    assert!(
        html.contains("not one of the shop&#39;s receiving accounts")
            || html.contains("not one of the shop&#x27;s receiving accounts"),
        "{html}"
    );

    // Into the account it asked for: nothing to say.
    let row = row_of(&app, &client, "DH22").await;
    let (_, html) = get(&client, &app, &format!("/admin/transactions/{row}")).await;
    assert!(!html.contains("account-note"));

    // The Vietnamese page says it too.
    let row = row_of(&app, &client, "DH20").await;
    get(&client, &app, "/lang/vi?next=/admin").await;
    let (_, html) = get(&client, &app, &format!("/admin/transactions/{row}")).await;
    assert!(html.contains("đơn hàng yêu cầu tài khoản"), "{html}");
}

fn listed(html: &str) -> usize {
    html.matches("data-href=\"/admin/transactions/").count()
}

async fn lists_exports_and_dashboard_by_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, ACCOUNTS).await;
    app.create_order(json!({"code": "DH30", "amount": 100000, "account": SECOND}))
        .await;
    transfer_into(&app, 1, "DH30", 100000, SECOND).await;
    transfer_into(&app, 2, "no code here", 5000, SECOND).await;
    transfer_into(&app, 3, "no code either", 7000, FIRST).await;
    transfer_into(&app, 4, "DH999", 9000, FIRST).await;
    let (client, _) = logged_in(&app).await;

    let (status, all) = get(&client, &app, "/admin/transactions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&all), 4);
    assert!(
        all.contains("id=\"account-filter\""),
        "several accounts: a filter"
    );
    let (_, second) = get(
        &client,
        &app,
        &format!("/admin/transactions?account={SECOND}"),
    )
    .await;
    assert_eq!(listed(&second), 2);
    assert!(second.contains(&format!("<option value=\"{SECOND}\" selected>")));
    let (_, queue) = get(&client, &app, &format!("/admin/queue?account={FIRST}")).await;
    assert_eq!(
        listed(&queue),
        2,
        "both of the first account's transfers wait"
    );
    let (_, queue) = get(&client, &app, &format!("/admin/queue?account={SECOND}")).await;
    assert_eq!(listed(&queue), 1);
    assert!(
        queue.contains(&format!("/admin/queue.csv?account={SECOND}")),
        "the download keeps the filter"
    );

    let (_, csv) = get(
        &client,
        &app,
        &format!("/admin/transactions.csv?account={SECOND}"),
    )
    .await;
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines.iter().all(|l| l.contains(SECOND)), "{csv}");
    let (_, csv) = get(&client, &app, &format!("/admin/queue.csv?account={FIRST}")).await;
    assert_eq!(csv.lines().count(), 3, "{csv}");

    // The orders list names each order's account; its export too.
    let (_, orders) = get(&client, &app, "/admin/orders").await;
    assert!(orders.contains(&format!("class=\"order-account\">{SECOND}<")));
    let (_, csv) = get(&client, &app, "/admin/orders.csv").await;
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = header
        .iter()
        .position(|h| *h == "account")
        .expect("an account column");
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[column], SECOND, "{csv}");

    // The dashboard: money received per account (only DH30 was matched).
    let (_, dashboard) = get(&client, &app, "/admin").await;
    let table = dashboard
        .split("id=\"per-account\"")
        .nth(1)
        .expect("a table per account")
        .split("</table>")
        .next()
        .unwrap();
    let second_row = table
        .split("<tr>")
        .find(|row| row.contains("113366668888 · VietinBank"))
        .expect("the second account's row");
    assert!(second_row.contains("100,000 ₫"), "{second_row}");
    let first_row = table
        .split("<tr>")
        .find(|row| row.contains("0011001234567 · Vietcombank"))
        .expect("the first account's row");
    assert!(!first_row.contains("100,000"), "{first_row}");
}

async fn without_accounts_orders_name_none(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, order) = app
        .create_order(json!({"code": "DH40", "amount": 1000}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(order["account"], Value::Null);
    let (status, error) = app
        .create_order(json!({"code": "DH41", "amount": 1000, "account": FIRST}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(error["error"]["code"], "unknown_account");

    // The one account of PAYMATCH_BANK_* is the default.
    let app = TestApp::spawn_with(backend, crate::pay::BANK).await;
    let (_, order) = app
        .create_order(json!({"code": "DH42", "amount": 1000}))
        .await;
    assert_eq!(order["account"], FIRST);
    let (client, _) = logged_in(&app).await;
    let (_, list) = get(&client, &app, "/admin/transactions").await;
    assert!(!list.contains("account-filter"), "one account: no filter");
    let (_, orders) = get(&client, &app, "/admin/orders").await;
    assert!(!orders.contains("order-account"), "one account: no column");
}

/// Orders made before accounts were configured name none: at the next start they read as the
/// default account, in the API and on the pay page.
async fn older_orders_read_as_the_default_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH50", "amount": 1000}))
        .await;
    assert_eq!(app.get_order("DH50").await.1["account"], Value::Null);
    let restarted = paymatch::startup::Application::build(settings_for(app.db_url(), ACCOUNTS))
        .await
        .expect("a start with accounts");
    let address = format!("http://127.0.0.1:{}", restarted.port());
    tokio::spawn(restarted.run_until_stopped());
    assert_eq!(app.get_order("DH50").await.1["account"], FIRST);
    let html = reqwest::get(format!("{address}/pay/DH50"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(FIRST), "{html}");
}

async fn an_orders_currency_is_its_accounts(backend: Backend) {
    // A shop with a VND account (no currency named) and a USD one.
    let accounts = [(
        "PAYMATCH_ACCOUNTS",
        r#"[{"bin": "970436", "number": "0011001234567", "name": "CONG TY ABC"},
            {"bin": "970415", "number": "113366668888", "name": "ABC USD", "currency": "usd"}]"#,
    )];
    let app = TestApp::spawn_with(backend, &accounts).await;
    // 49.99 USD into the VND account would be paid by a transfer of 49.99 dong.
    for body in [
        json!({"code": "DH1", "amount": "49.99", "currency": "USD"}),
        json!({"code": "DH1", "amount": "49.99", "currency": "usd", "account": FIRST}),
        json!({"code": "DH1", "amount": 150000, "account": SECOND}),
        json!({"code": "DH1", "amount": 150000, "currency": "VND", "account": SECOND}),
    ] {
        let (status, error) = app.create_order(body.clone()).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["error"]["code"], "currency_mismatch", "{body}");
    }
    assert_eq!(app.get_order("DH1").await.0, 404, "nothing stored");
    let (status, order) = app
        .create_order(
            json!({"code": "DH1", "amount": "49.99", "currency": "USD", "account": SECOND}),
        )
        .await;
    assert_eq!(
        (status, &order["currency"]),
        (201, &json!("USD")),
        "{order}"
    );
    let (status, order) = app
        .create_order(json!({"code": "DH2", "amount": 150000}))
        .await;
    assert_eq!(
        (status, &order["currency"]),
        (201, &json!("VND")),
        "{order}"
    );

    // Without accounts the shop receives dong only.
    let app = TestApp::spawn(backend).await;
    let (status, error) = app
        .create_order(json!({"code": "DH1", "amount": "49.99", "currency": "USD"}))
        .await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (422, &json!("currency_mismatch"))
    );
}
