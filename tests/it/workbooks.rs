//! The Excel exports, read back with openpyxl: amounts are numbers, times are dates (Vietnam
//! time), codes and account numbers text with their leading zeros, headers and statuses in the
//! reader's language; the same rows as the CSV.

use reqwest::Client;
use serde_json::{json, Value};

use crate::admin::{csrf_of, get, post};
use crate::alerts::python;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(workbooks_are_for_accountants);

/// Every row of the workbook's first sheet, each cell as `[type, value]`.
fn read(bytes: &[u8]) -> Vec<Vec<Value>> {
    let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(
            "import json,sys,openpyxl\n\
             ws=openpyxl.load_workbook(sys.argv[1]).active\n\
             print(json.dumps([[[type(c.value).__name__, None if c.value is None else str(c.value), c.number_format] for c in r] for r in ws.iter_rows()]))",
        )
        .arg(file.path())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

async fn vietnamese_admin(app: &TestApp) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (_, page) = get(&client, app, "/admin/login").await;
    let r = post(
        &client,
        app,
        "/admin/login",
        &[
            ("user", "admin"),
            ("password", crate::admin::PASSWORD),
            ("csrf", &csrf_of(&page)),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    client
}

async fn workbooks_are_for_accountants(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[(
            "PAYMATCH_ACCOUNTS",
            r#"[{"bin": "970436", "number": "0011001234567", "name": "SHOP"}]"#,
        )],
    )
    .await;
    app.create_order(
        json!({"code": "DH0123", "amount": 150000, "customer": {"phone": "+84 901 234 567"}}),
    )
    .await;
    app.create_order(json!({"code": "DH0124", "amount": 99000}))
        .await;
    app.transfer(1, "DH0123", num("150000")).await;
    app.transfer(2, "khong ma", num("5000")).await;
    let admin = vietnamese_admin(&app).await;

    let r = admin
        .get(app.url("/admin/orders.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("orders-"));
    let rows = read(&r.bytes().await.unwrap());
    assert_eq!(rows.len(), 3, "a header and two orders: {rows:?}");
    assert_eq!(rows[0][0][1], "Mã đơn hàng");
    let paid = rows.iter().find(|r| r[0][1] == "DH0123").expect("DH0123");
    assert_eq!(paid[2][0], "int", "the amount is a number: {paid:?}");
    assert_eq!(paid[2][1], "150000");
    assert_eq!(paid[4][1], "đã thanh toán", "{paid:?}");
    assert_eq!(paid[7][0], "datetime", "created is a date: {paid:?}");
    assert_eq!(paid[10][1], "0011001234567", "the account keeps its zeros");
    assert_eq!(paid[10][0], "str");
    assert_eq!(paid[12][1], "+84 901 234 567", "a phone stays text");

    let r = admin
        .get(app.url("/admin/transactions.xlsx"))
        .send()
        .await
        .unwrap();
    let rows = read(&r.bytes().await.unwrap());
    assert_eq!(rows.len(), 3, "{rows:?}");
    let credited = rows
        .iter()
        .find(|r| r[5][1] == "DH0123")
        .expect("the transfer to DH0123");
    assert_eq!(credited[2][0], "int");
    assert_eq!(
        credited[1][0], "datetime",
        "the bank's time is a date: {credited:?}"
    );
    let r = admin
        .get(app.url("/admin/queue.xlsx"))
        .send()
        .await
        .unwrap();
    let queue = read(&r.bytes().await.unwrap());
    assert_eq!(queue.len(), 2, "the one waiting transfer: {queue:?}");
    assert_eq!(queue[1][3][1], "khong ma");

    // English for an English reader; filters apply as on the page.
    let (english, _) = crate::admin::logged_in(&app).await;
    let r = english
        .get(app.url("/admin/orders.xlsx?status=pending"))
        .send()
        .await
        .unwrap();
    let rows = read(&r.bytes().await.unwrap());
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0][1], "Order code");
    assert_eq!(rows[1][4][1], "Pending");
}
