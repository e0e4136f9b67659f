//! Transfers without a code, matched by the payer (contract: "Transfers without a code"): the
//! payer as the provider or the description names them, every clause of the rule failing on
//! its own, the switch, and an undo.

use serde_json::{json, Value};

use crate::admin::{get, logged_in, post};
use crate::helpers::*;
use crate::on_both_backends;
use crate::webhook_v2::{post_v2, signed, KEY};

on_both_backends!(
    a_payer_named_in_the_description_pays_their_order,
    a_v2_counter_account_names_the_payer,
    each_clause_failing_alone_leaves_it_waiting,
    the_switch_off_only_suggests,
    a_payer_match_is_undone_like_any_other
);

/// A transfer made now (Vietnam time), as the bank dates it.
fn paid_now(id: u64, description: &str, amount: i64) -> Value {
    let mut e = element(id, description, json!(amount));
    let now = chrono::Utc::now() + chrono::Duration::hours(7);
    e["when"] = json!(now.format("%Y-%m-%d %H:%M:%S").to_string());
    e
}

async fn order_for(app: &TestApp, code: &str, amount: i64, customer: Option<&str>) {
    let mut body = json!({"code": code, "amount": amount});
    if let Some(name) = customer {
        body["customer"] = json!({"name": name});
    }
    assert_eq!(app.create_order(body).await.0, 201);
}

async fn transaction(app: &TestApp, external_id: &str) -> Value {
    app.all_transactions()
        .await
        .into_iter()
        .find(|t| t["external_id"] == external_id)
        .unwrap_or_else(|| panic!("transaction {external_id} stored"))
}

async fn status_of(app: &TestApp, code: &str) -> Value {
    app.get_order(code).await.1["status"].clone()
}

async fn a_payer_named_in_the_description_pays_their_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    order_for(&app, "DH1", 279000, Some("Nguyễn Thị Mai")).await;
    order_for(&app, "DH2", 150000, Some("Trần Văn Bình")).await;
    let body = envelope(vec![paid_now(
        1,
        "NGUYEN THI MAI chuyen khoan mua ao",
        279000,
    )]);
    assert_eq!(app.post_webhook(&body).await.0, 200);
    assert_eq!(status_of(&app, "DH1").await, "paid");
    let t = transaction(&app, "1").await;
    assert_eq!(t["status"], "matched");
    assert_eq!(t["matched_by"], "payer");
    assert_eq!(t["order_code"], "DH1");
    assert_eq!(
        t["payer"],
        json!({"name": "NGUYEN THI MAI", "account": null, "bank": null})
    );
    // A code found is `code`; the evidence of a payer match is in the audit log.
    app.transfer(2, "DH2", json!(150000)).await;
    assert_eq!(transaction(&app, "2").await["matched_by"], "code");
    let (admin, _) = logged_in(&app).await;
    let (_, audit) = get(&admin, &app, "/admin/audit").await;
    assert!(audit.contains("transaction.payer_match"), "{audit}");
    assert!(audit.contains("the only open order due 279000"), "{audit}");
    // The admin finds the transfer by its payer.
    let (_, found) = get(&admin, &app, "/admin/transactions?q=thi+mai").await;
    assert!(found.contains("chuyen khoan mua ao"), "{found}");
}

async fn a_v2_counter_account_names_the_payer(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_CASSO_WEBHOOK_KEY", KEY)]).await;
    order_for(&app, "DH5", 420000, Some("Nông Thị Hoa")).await;
    let now = chrono::Utc::now() + chrono::Duration::hours(7);
    let body = json!({"error": 0, "data": {
        "id": 77, "reference": "FT77", "description": "chuyen tien", "amount": 420000,
        "transactionDateTime": now.format("%Y-%m-%d %H:%M:%S").to_string(),
        "accountNumber": "88888888", "counterAccountName": "NONG THI HOA",
        "counterAccountNumber": "0071000123456", "counterAccountBankName": "Vietcombank"
    }});
    let (status, reply) = post_v2(&app, &body.to_string(), &signed(&body)).await;
    assert_eq!(status, 200, "{reply}");
    let t = transaction(&app, "77").await;
    assert_eq!(
        t["payer"],
        json!({"name": "NONG THI HOA", "account": "0071000123456", "bank": "Vietcombank"})
    );
    assert_eq!(
        (&t["matched_by"], &t["order_code"]),
        (&json!("payer"), &json!("DH5"))
    );
    assert_eq!(status_of(&app, "DH5").await, "paid");

    // Her husband pays her next order from the same account, without a code: two orders are
    // due the amount, so it waits, with hers ranked first because this account paid her before.
    order_for(&app, "DH6", 99000, Some("Nông Thị Hoa")).await;
    order_for(&app, "DH7", 99000, Some("Lý Văn Tám")).await;
    let body = json!({"error": 0, "data": {
        "id": 78, "reference": "FT78", "description": "chuyen tien", "amount": 99000,
        "transactionDateTime": now.format("%Y-%m-%d %H:%M:%S").to_string(),
        "accountNumber": "88888888", "counterAccountName": "TRAN VAN CHONG",
        "counterAccountNumber": "0071000123456", "counterAccountBankName": "Vietcombank"
    }});
    let (status, reply) = post_v2(&app, &body.to_string(), &signed(&body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(transaction(&app, "78").await["status"], "unmatched");
    let (admin, _) = logged_in(&app).await;
    let (_, queue) = get(&admin, &app, "/admin/queue").await;
    assert!(
        queue.contains(r#"class="best-link" href="/admin/transactions/"#),
        "{queue}"
    );
    assert!(
        queue.contains(
            "/link?code=DH6\" title=\"This account paid its customer before, exact amount due\""
        ),
        "{queue}"
    );
}

async fn each_clause_failing_alone_leaves_it_waiting(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Two orders due the same amount (only one of them hers).
    order_for(&app, "DH10", 99000, Some("Lê Thị Lan")).await;
    order_for(&app, "DH11", 99000, Some("Phạm Văn Dũng")).await;
    // No customer name.
    order_for(&app, "DH12", 186000, None).await;
    // A customer whose name is not the payer's (An is not Anh).
    order_for(&app, "DH13", 66000, Some("Nguyễn Văn An")).await;
    // A namesake with another order, of another amount.
    order_for(&app, "DH14", 311000, Some("Trần Thị Hà")).await;
    order_for(&app, "DH15", 5000, Some("Hà")).await;
    // Due a different amount than sent.
    order_for(&app, "DH16", 250000, Some("Đỗ Minh Khôi")).await;
    // Paid long after the order: the bank's time is 4 days later.
    order_for(&app, "DH17", 77000, Some("Hoàng Văn Nam")).await;
    let mut late = paid_now(7, "HOANG VAN NAM chuyen tien", 77000);
    let later = chrono::Utc::now() + chrono::Duration::hours(7 + 96);
    late["when"] = json!(later.format("%Y-%m-%d %H:%M:%S").to_string());
    let body = envelope(vec![
        paid_now(1, "LE THI LAN chuyen tien", 99000),
        paid_now(2, "NGUYEN VAN B chuyen tien", 186000),
        paid_now(3, "NGUYEN VAN ANH chuyen tien", 66000),
        paid_now(4, "TRAN THI HA chuyen tien", 311000),
        paid_now(5, "DO MINH KHOI chuyen tien", 250001),
        // No payer named at all.
        paid_now(6, "thanh toan", 250000),
        late,
    ]);
    assert_eq!(app.post_webhook(&body).await.0, 200);
    for id in 1..=7 {
        let t = transaction(&app, &id.to_string()).await;
        assert_eq!(t["status"], "unmatched", "{t}");
        assert_eq!(t["matched_by"], Value::Null);
    }
    for code in [
        "DH10", "DH11", "DH12", "DH13", "DH14", "DH15", "DH16", "DH17",
    ] {
        assert_eq!(status_of(&app, code).await, "pending", "{code}");
    }
    // Her second order, of an amount due once: still refused, as her first is open too (a
    // payer with two open orders cannot say which one this pays).
    order_for(&app, "DH18", 123000, Some("Lê Thị Lan")).await;
    let body = envelope(vec![paid_now(8, "LE THI LAN chuyen tien", 123000)]);
    app.post_webhook(&body).await;
    assert_eq!(status_of(&app, "DH18").await, "pending");
    // In the same shop, a payer with nothing in the way is applied: the clauses were the cause.
    order_for(&app, "DH19", 124000, Some("Vũ Thị Thu")).await;
    let body = envelope(vec![paid_now(9, "VU THI THU chuyen tien", 124000)]);
    app.post_webhook(&body).await;
    assert_eq!(status_of(&app, "DH19").await, "paid");
}

async fn the_switch_off_only_suggests(backend: Backend) {
    let off = [("PAYMATCH_MATCHING__MATCH_WITHOUT_CODE", "false")];
    let app = TestApp::spawn_with(backend, &off).await;
    order_for(&app, "DH1", 279000, Some("Nguyễn Thị Mai")).await;
    let body = envelope(vec![paid_now(1, "NGUYEN THI MAI chuyen khoan", 279000)]);
    app.post_webhook(&body).await;
    assert_eq!(transaction(&app, "1").await["status"], "unmatched");
    assert_eq!(status_of(&app, "DH1").await, "pending");
    // It waits with her order offered first, and why; another order of the amount is ranked
    // after it.
    order_for(&app, "DH2", 279000, None).await;
    let (admin, _) = logged_in(&app).await;
    let (_, queue) = get(&admin, &app, "/admin/queue").await;
    assert!(queue.contains("link?code=DH1"), "{queue}");
    assert!(
        queue.contains("The payer is its customer, exact amount due"),
        "{queue}"
    );
}

async fn a_payer_match_is_undone_like_any_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    order_for(&app, "DH1", 279000, Some("Nguyễn Thị Mai")).await;
    let body = envelope(vec![paid_now(1, "NGUYEN THI MAI chuyen khoan", 279000)]);
    app.post_webhook(&body).await;
    assert_eq!(status_of(&app, "DH1").await, "paid");
    let (admin, csrf) = logged_in(&app).await;
    let (_, order) = get(&admin, &app, "/admin/orders/DH1").await;
    let at = order.find("href=\"/admin/transactions/").unwrap() + "href=\"".len();
    let page = order[at..].split('"').next().unwrap().to_owned();
    let (_, transfer) = get(&admin, &app, &page).await;
    assert!(
        transfer.contains(r#"<dd id="tx-payer">NGUYEN THI MAI</dd>"#),
        "{transfer}"
    );
    assert!(transfer.contains(
        r#"<dd id="tx-matched-by">the payer: the one open order&#39;s customer, due exactly this amount</dd>"#
    ));
    let confirm = [("csrf", csrf.as_str()), ("confirm", "1")];
    let r = post(&admin, &app, &format!("{page}/undo"), &confirm).await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "DH1").await, "pending");
    let t = transaction(&app, "1").await;
    assert_eq!(
        (&t["status"], &t["matched_by"]),
        (&json!("unmatched"), &Value::Null)
    );
}
