//! The customer's payment page, its QR code and its status feed.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    payment_page_with_qr,
    payment_page_without_bank_and_unknown_orders,
    status_and_qr_follow_every_transfer,
    closed_orders_ask_for_no_money,
);

pub(crate) const BANK: &[(&str, &str)] = &[
    ("PAYMATCH_BANK_BIN", "970436"),
    ("PAYMATCH_BANK_ACCOUNT", "0011001234567"),
    ("PAYMATCH_BANK_ACCOUNT_NAME", "CONG TY ABC"),
];

async fn payment_page_with_qr(backend: Backend) {
    let app = TestApp::spawn_with(backend, BANK).await;
    app.create_order(json!({"code": "DH42", "amount": 150000, "reference": "internal-ref"}))
        .await;
    app.transfer(1, "DH42 first half", json!(50000)).await;
    let html = page_of(&app, "dh42", "en").await;
    for shown in [
        "DH42",
        "100,000 ₫",
        "Vietcombank",
        "0011001234567",
        "CONG TY ABC",
        "/pay/DH42/qr.svg?due=100000",
        "Partly paid",
        // The shop's name defaults to the receiving account's.
        "<p class=\"shop\" id=\"shop\">CONG TY ABC</p>",
        "VIET",
        "https://dl.vietqr.io/pay?app=mb&#38;am=100000&#38;tn=DH42&#38;ba=0011001234567@vcb",
    ] {
        assert!(html.contains(shown), "{shown}");
    }
    for hidden in ["internal-ref", "DH42 first half", "/admin"] {
        assert!(!html.contains(hidden), "no admin data: {hidden}");
    }
    let qr = app
        .client
        .get(app.url("/pay/DH42/qr.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().starts_with("<?xml"));

    // The status feed answers when the order is paid.
    let waiting = app.client.get(app.url("/pay/DH42/status?wait=20")).send();
    let paying = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.transfer(2, "DH42 rest", json!(100000)).await
    };
    let (status, _) = tokio::join!(waiting, paying);
    let (code, mut body) = reply(status.unwrap()).await;
    assert_eq!(code, 200);
    assert_eq!(
        body["display"],
        json!({"message": "Paid. Thank you!", "note": null, "amount": "150,000 ₫",
               "amount_received": "150,000 ₫", "amount_due": "0 ₫", "excess": null})
    );
    body.as_object_mut().unwrap().remove("display");
    assert_eq!(
        body,
        json!({"code": "DH42", "status": "paid", "paid": true, "open": false,
               "version": "paid:150000", "amount": "150000", "amount_received": "150000",
               "amount_due": "0", "expires_at": null, "qr_url": null, "app_links": {},
               "return_url": null})
    );
    let html = page_of(&app, "DH42", "vi").await;
    assert!(html.contains("Đã thanh toán"));
    assert!(!html.contains("qr.svg"), "no QR once paid");
}

async fn payment_page_without_bank_and_unknown_orders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 10})).await;
    let html = page_of(&app, "DH1", "en").await;
    assert!(html.contains("has not set up its bank account"));
    assert_eq!(
        app.client
            .get(app.url("/pay/DH1/qr.svg"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    for path in [
        "/pay/DH404",
        "/pay/DH404/status",
        "/pay/not-a-code",
        "/pay/DH404/qr.svg",
    ] {
        assert_eq!(
            app.client.get(app.url(path)).send().await.unwrap().status(),
            404,
            "{path}"
        );
    }
    // A mistyped link is a page in the reader's language, never raw JSON.
    for (path, language, text) in [
        ("/pay/DH404", "vi", "Không có đơn hàng nào với mã này"),
        ("/pay/not-a-code", "en", "There is no order with this code"),
        ("/no-such-page", "vi", "Không tìm thấy trang"),
    ] {
        let response = app
            .client
            .get(app.url(path))
            .header("Accept-Language", language)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(text), "{path}: {html}");
    }
    assert_eq!(
        app.client
            .get(app.url("/pay/DH1/status?wait=99"))
            .send()
            .await
            .unwrap()
            .status(),
        422
    );
}

/// The receiving account and a shop name of its own.
pub(crate) fn with_shop(name: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut settings = BANK.to_vec();
    settings.push(("PAYMATCH_SHOP_NAME", name));
    settings
}

/// The VietQR payload an image shows, read by `zbarimg` (Debian's zbar-tools); `extension`
/// tells it the image's format.
pub(crate) fn decode_qr(image: &[u8], extension: &str) -> String {
    let file = tempfile::Builder::new()
        .suffix(&format!(".{extension}"))
        .tempfile()
        .unwrap();
    std::fs::write(file.path(), image).unwrap();
    let out = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(file.path())
        .output()
        .unwrap_or_else(|e| panic!("zbarimg runs (apt-get install zbar-tools): {e}"));
    assert!(out.status.success(), "no QR code found in the {extension}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A top-level field of an EMV QR payload (`54`: the amount), read as id, length, value.
pub(crate) fn emv_field(payload: &str, id: &str) -> Option<String> {
    let mut rest = payload;
    while rest.len() >= 4 {
        let len: usize = rest[2..4].parse().ok()?;
        let value = rest.get(4..4 + len)?;
        if &rest[..2] == id {
            return Some(value.to_owned());
        }
        rest = &rest[4 + len..];
    }
    None
}

/// The amount the order's QR code asks for now.
async fn qr_amount(app: &TestApp, code: &str) -> Option<String> {
    let response = app
        .client
        .get(app.url(&format!("/pay/{code}/qr.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let payload = decode_qr(&response.bytes().await.unwrap(), "svg");
    assert_eq!(
        emv_field(&payload, "62"),
        Some(format!("08{:02}{code}", code.len()))
    );
    emv_field(&payload, "54")
}

async fn status_of(app: &TestApp, path: &str) -> Value {
    let response = app
        .client
        .get(app.url(path))
        .header("Accept-Language", "vi")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (code, body) = reply(response).await;
    assert_eq!(code, 200, "{path}: {body}");
    body
}

/// Each transfer, partial or not, gives a new amount due, a new QR address and a QR code of
/// exactly that amount; a waiting status feed wakes for an amount that changed without a new
/// status, and answers at once when the page's `seen` version is already stale.
async fn status_and_qr_follow_every_transfer(backend: Backend) {
    let app = TestApp::spawn_with(backend, &with_shop("Cửa hàng Hoa Mai")).await;
    let expires = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.create_order(json!({"code": "DH43", "amount": 300000, "expires_at": expires}))
        .await;
    let html = page_of(&app, "DH43", "vi").await;
    for shown in [
        "Cửa hàng Hoa Mai",
        "300.000 ₫",
        "Hạn thanh toán",
        "data-version=\"pending:0\"",
    ] {
        assert!(html.contains(shown), "{shown}");
    }
    let first = status_of(&app, "/pay/DH43/status").await;
    assert_eq!(first["version"], "pending:0");
    assert_eq!(first["open"], true);
    assert_eq!(first["qr_url"], "/pay/DH43/qr.svg?due=300000");
    assert_eq!(first["display"]["amount_due"], "300.000 ₫");
    assert!(first["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(first["app_links"]["mb"]
        .as_str()
        .unwrap()
        .contains("&am=300000&tn=DH43&ba=0011001234567@vcb"));
    assert_eq!(qr_amount(&app, "DH43").await.as_deref(), Some("300000"));

    // The page still shows "pending:0": a stale version is answered without waiting.
    app.transfer(1, "DH43 lan 1", json!(100000)).await;
    let started = std::time::Instant::now();
    let second = status_of(&app, "/pay/DH43/status?wait=20&seen=pending:0").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered at once"
    );
    assert_eq!(second["version"], "partially_paid:100000");
    assert_eq!(second["qr_url"], "/pay/DH43/qr.svg?due=200000");
    assert_eq!(second["display"]["amount_due"], "200.000 ₫");
    assert_eq!(second["display"]["amount_received"], "100.000 ₫");
    assert!(second["app_links"]["icb"]
        .as_str()
        .unwrap()
        .contains("&am=200000&"));
    assert_eq!(qr_amount(&app, "DH43").await.as_deref(), Some("200000"));

    // A second partial payment: the status stays `partially_paid`, the waiting feed answers.
    let waiting = status_of(&app, "/pay/DH43/status?wait=20&seen=partially_paid:100000");
    let paying = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.transfer(2, "DH43 lan 2", json!(50000)).await
    };
    let (third, _) = tokio::join!(waiting, paying);
    assert_eq!(third["status"], "partially_paid");
    assert_eq!(third["version"], "partially_paid:150000");
    assert_eq!(third["qr_url"], "/pay/DH43/qr.svg?due=150000");
    assert_eq!(third["amount_due"], "150000");
    assert_eq!(qr_amount(&app, "DH43").await.as_deref(), Some("150000"));
    let html = page_of(&app, "DH43", "en").await;
    assert!(html.contains("/pay/DH43/qr.svg?due=150000"));
    assert!(html.contains("data-copy=\"150000\""), "the amount to copy");
}

async fn page_of(app: &TestApp, code: &str, language: &str) -> String {
    let response = app
        .client
        .get(app.url(&format!("/pay/{code}")))
        .header("Accept-Language", language)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Paid, overpaid, cancelled and expired pages state the outcome and ask for nothing: no
/// account, no QR, no app link; their QR address is 404 and their feed says closed.
async fn closed_orders_ask_for_no_money(backend: Backend) {
    let app = TestApp::spawn_with(backend, &with_shop("Hoa Mai")).await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    for (code, expires) in [
        ("DH51", None),
        ("DH52", None),
        ("DH53", None),
        ("DH54", Some(soon)),
    ] {
        app.create_order(json!({"code": code, "amount": 100000, "expires_at": expires}))
            .await;
    }
    app.transfer(1, "DH51", json!(100000)).await;
    app.transfer(2, "DH52", json!(130000)).await;
    app.api(reqwest::Method::POST, "/api/v1/orders/DH53/cancel", None)
        .await;
    // DH54 expires in two seconds: its feed, waiting, says so by itself.
    let expired = status_of(&app, "/pay/DH54/status?wait=15&seen=pending:0").await;
    assert_eq!(expired["status"], "expired");

    for (code, status, says) in [
        ("DH51", "paid", "Đã thanh toán"),
        ("DH52", "overpaid", "cửa hàng sẽ liên hệ"),
        ("DH53", "cancelled", "Vui lòng không chuyển tiền"),
        ("DH54", "expired", "Vui lòng không chuyển tiền"),
    ] {
        let html = page_of(&app, code, "vi").await;
        assert!(html.contains(says), "{code}: {says}");
        assert!(
            html.contains(&format!("data-status=\"{status}\"")),
            "{code}"
        );
        for asked in [
            "0011001234567",
            "CONG TY ABC",
            "qr.svg",
            "dl.vietqr.io",
            "Số tiền cần chuyển",
        ] {
            assert!(!html.contains(asked), "{code} shows {asked}");
        }
        let feed = status_of(&app, &format!("/pay/{code}/status")).await;
        assert_eq!(feed["open"], false, "{code}");
        assert_eq!(feed["qr_url"], Value::Null, "{code}");
        assert_eq!(feed["app_links"], json!({}), "{code}");
        let qr = app
            .client
            .get(app.url(&format!("/pay/{code}/qr.svg")))
            .send()
            .await
            .unwrap();
        assert_eq!(qr.status(), 404, "{code}");
    }
    let overpaid = status_of(&app, "/pay/DH52/status").await;
    assert_eq!(overpaid["display"]["excess"], "30.000 ₫");
}
