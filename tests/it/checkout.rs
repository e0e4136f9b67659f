//! The storefront's checkout: the payment page sends the customer back once paid, with a
//! signature the shop checks without calling the API; while open it offers a way back to
//! choose another way to pay; once closed it shows the shop's contact. A pasted pay link
//! shows a card (Open Graph). No link is made from the request's `Host`.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pay::BANK;

on_both_backends!(
    a_paid_order_returns_to_the_shop_signed,
    an_open_order_offers_another_way_and_closed_ones_the_contact,
    a_pasted_link_shows_a_card,
);

/// `whsec_` and base64 of the key the test checks signatures with.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn settings(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut settings = BANK.to_vec();
    settings.extend([
        ("PAYMATCH_NOTIFY_SECRET", SECRET),
        ("PAYMATCH_PUBLIC_URL", "https://pay.shop.vn"),
        ("PAYMATCH_SHOP_NAME", "Tiệm Mai"),
    ]);
    settings.extend_from_slice(extra);
    settings
}

/// The page as a client naming a hostile `Host` sees it.
async fn page(app: &TestApp, code: &str) -> String {
    let r = reqwest::Client::new()
        .get(app.url(&format!("/pay/{code}")))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(!page.contains("evil.example"), "{page}");
    page
}

fn attribute_after<'a>(page: &'a str, marker: &str, attribute: &str) -> &'a str {
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {page}"));
    let rest = &page[at..];
    let start = rest.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
    &rest[start..start + rest[start..].find('"').unwrap()]
}

fn unescape(html: &str) -> String {
    html.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
}

async fn a_paid_order_returns_to_the_shop_signed(backend: Backend) {
    let app = TestApp::spawn_with(backend, &settings(&[])).await;
    let (status, _) = app
        .create_order(json!({"code": "DH5", "amount": 150000,
            "return_url": "https://shop.example/done?cart=42&code=keep",
            "customer": {"name": "Nguyễn Thị Mai"}}))
        .await;
    assert_eq!(status, 201);
    // Open: no way back yet, and nothing refreshes to the shop.
    let open = page(&app, "DH5").await;
    assert!(
        open.contains(r#"<div id="back" hidden>"#) && !open.contains("shop.example"),
        "{open}"
    );
    assert!(!open.contains("http-equiv=\"refresh\" content=\"5"));

    app.transfer(1, "DH5", num("200000")).await;
    let paid = page(&app, "DH5").await;
    assert!(
        paid.contains(r#"aria-labelledby="status">"#) && paid.contains("Tiệm Mai"),
        "{paid}"
    );
    assert!(paid.contains(r#"<div id="back">"#));
    // A page that was open when the money came gets the same way back from its feed.
    let status: serde_json::Value = reqwest::get(app.url("/pay/DH5/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fed = status["return_url"].as_str().unwrap();
    assert!(
        fed.starts_with("https://shop.example/done?cart=42&code=keep&code=DH5&status=overpaid"),
        "{fed}"
    );
    assert!(paid.contains("200.000 ₫"));
    assert!(
        !paid.contains("Nguyễn Thị Mai"),
        "the customer stays the shop's"
    );
    let button = unescape(attribute_after(&paid, r#"id="back-to-shop""#, "href"));
    let refresh = unescape(attribute_after(&paid, r#"http-equiv="refresh""#, "content"));
    assert_eq!(refresh, format!("5;url={button}"));

    let url = reqwest::Url::parse(&button).unwrap();
    assert_eq!(
        (url.host_str(), url.path()),
        (Some("shop.example"), "/done")
    );
    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let get = |name: &str| -> Vec<&str> {
        params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(get("cart"), ["42"], "the shop's own parameters are kept");
    assert_eq!(get("code"), ["keep", "DH5"]);
    assert_eq!(get("status"), ["overpaid"]);
    assert_eq!(get("amount_received"), ["200000"]);
    let ts: i64 = get("ts")[0].parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
    // What the README tells a shop to do.
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("DH5.overpaid.200000.{ts}").as_bytes());
    let expected =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    assert_eq!(get("sig"), [expected.as_str()]);
}

async fn an_open_order_offers_another_way_and_closed_ones_the_contact(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &settings(&[("PAYMATCH_SHOP_CONTACT", "0901 234 567")]),
    )
    .await;
    app.create_order(json!({"code": "DH6", "amount": 100000,
        "cancel_url": "https://shop.example/checkout?cart=7"}))
        .await;
    let open = page(&app, "DH6").await;
    let cancel = unescape(attribute_after(&open, r#"id="cancel-link""#, "href"));
    assert_eq!(
        cancel,
        "https://shop.example/checkout?cart=7&code=DH6&status=pending"
    );
    assert!(
        open.contains(r#"id="shop-contact" hidden"#),
        "an open page has the payment to show"
    );

    // Partly paid: what came and what is asked, above the QR.
    app.transfer(1, "DH6", num("40000")).await;
    let partly = page(&app, "DH6").await;
    let progress = partly.find(r#"id="progress""#).unwrap();
    assert!(progress < partly.find(r#"id="qr""#).unwrap());
    assert!(!partly[progress..progress + 40].contains("hidden"));
    assert!(partly.contains("40.000 ₫") && partly.contains("60.000 ₫"));
    assert!(
        unescape(attribute_after(&partly, r#"id="cancel-link""#, "href"))
            .ends_with("status=partially_paid")
    );

    // Cancelled with money received: the shop's contact, as a number to call.
    app.api(reqwest::Method::POST, "/api/v1/orders/DH6/cancel", None)
        .await;
    let closed = page(&app, "DH6").await;
    assert!(!closed.contains("cancel-link"));
    assert_eq!(
        attribute_after(&closed, r#"id="shop-contact""#, "href"),
        "tel:0901234567"
    );
    // Following the cancel link changed nothing here: it is the shop's page.
    assert_eq!(app.get_order("DH6").await.1["status"], "cancelled");
}

async fn a_pasted_link_shows_a_card(backend: Backend) {
    let app = TestApp::spawn_with(backend, &settings(&[])).await;
    app.create_order(json!({"code": "DH8", "amount": 150000}))
        .await;
    app.transfer(1, "DH8", num("50000")).await;
    let open = page(&app, "DH8").await;
    let og = |property: &str| {
        unescape(attribute_after(
            &open,
            &format!(r#"property="og:{property}""#),
            "content",
        ))
    };
    assert!(
        og("title").contains("Tiệm Mai") && og("title").contains("100.000 ₫"),
        "{}",
        og("title")
    );
    assert!(!og("description").is_empty());
    assert_eq!(og("url"), "https://pay.shop.vn/pay/DH8");
    assert_eq!(og("image"), "https://pay.shop.vn/static/og.png");
    let image = reqwest::get(app.url("/static/og.png")).await.unwrap();
    assert_eq!(image.headers()["content-type"], "image/png");
}
