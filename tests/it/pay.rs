//! The customer's payment page, its QR code and its status feed.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    payment_page_with_qr,
    payment_page_without_bank_and_unknown_orders
);

const BANK: &[(&str, &str)] = &[
    ("PAYMATCH_BANK_BIN", "970436"),
    ("PAYMATCH_BANK_ACCOUNT", "0011001234567"),
    ("PAYMATCH_BANK_ACCOUNT_NAME", "CONG TY ABC"),
];

async fn payment_page_with_qr(backend: Backend) {
    let app = TestApp::spawn_with(backend, BANK).await;
    app.create_order(json!({"code": "DH42", "amount": 150000, "reference": "internal-ref"}))
        .await;
    app.transfer(1, "DH42 first half", json!(50000)).await;
    let page = app
        .client
        .get(app.url("/pay/dh42"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for shown in [
        "DH42",
        "100,000",
        "Vietcombank",
        "0011001234567",
        "CONG TY ABC",
        "/pay/DH42/qr.svg",
        "Partly paid",
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
        json!({"amount_received": "150,000 VND", "amount_due": "0 VND"})
    );
    body.as_object_mut().unwrap().remove("display");
    assert_eq!(
        body,
        json!({"code": "DH42", "status": "paid", "paid": true, "amount": "150000", "amount_received": "150000", "amount_due": "0"})
    );
    let html = app
        .client
        .get(app.url("/pay/DH42"))
        .header("Accept-Language", "vi")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Đã thanh toán"));
    assert!(!html.contains("qr.svg"), "no QR once paid");
}

async fn payment_page_without_bank_and_unknown_orders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 10})).await;
    let html = app
        .client
        .get(app.url("/pay/DH1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
