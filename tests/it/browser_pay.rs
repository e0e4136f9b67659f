//! The customer's payment page in headless Chromium: it follows every transfer by itself (text,
//! QR code read back with zbarimg, app links), closes by itself, and passes axe-core in every
//! state, in both languages, at phone and desktop widths (screenshots in target/screenshots/).

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use crate::axe;
use crate::browser::{screenshot_dir, within, Browser, PHONE, WAIT};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pay::{decode_qr, emv_field, with_shop, BANK};

const DESKTOP: (&str, u32, u32) = ("desktop", 1366, 900);
const ACCOUNT: &str = "0011001234567";

on_both_backends!(
    the_page_follows_two_partial_payments,
    an_open_page_expires_by_itself
);

impl Browser {
    /// Waits until the QR image shown is the one for `due` and has loaded.
    async fn wait_for_qr(&self, due: &str) {
        self.wait_js(
            &format!(
                "var i = document.querySelector('#qr img'); \
                 return !!i && i.getAttribute('src').endsWith('?due={due}') \
                 && i.complete && i.naturalWidth > 0;"
            ),
            Duration::from_secs(15),
        )
        .await;
    }

    /// The amount (EMV tag 54) of the QR code as the browser draws it.
    async fn qr_amount(&self) -> Option<String> {
        let png = self.css("#qr img").await.screenshot().await.unwrap();
        emv_field(&decode_qr(&png, "png"), "54")
    }

    async fn has(&self, selector: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(selector))
            .await
            .unwrap()
            .is_empty()
    }

    async fn assert_accessible(&self, what: &str) {
        axe::assert_accessible(&self.client, what).await;
    }

    /// A closed order's page: the outcome, and nothing to pay with.
    async fn assert_asks_for_nothing(&self, what: &str) {
        for selector in ["#qr", "#instructions", "#due", "a[data-app]", "button.copy"] {
            assert!(!self.has(selector).await, "{what} shows {selector}");
        }
        let text = self.body_text().await;
        assert!(!text.contains(ACCOUNT), "{what} shows the account: {text}");
    }
}

/// An order of 300,000 paid in two parts and then in full, on a page that is never reloaded:
/// after each transfer the amount due, the QR code (decoded from the screen) and the app links
/// name the new amount; then the page shows the outcome only.
async fn the_page_follows_two_partial_payments(backend: Backend) {
    within(async {
        let app = TestApp::spawn_with(backend, BANK).await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
        let (status, order) = app
            .create_order(json!({"code": "DH700", "amount": 300000, "expires_at": expires}))
            .await;
        assert_eq!(status, 201, "{order}");

        let browser = Browser::start(&app).await;
        browser.goto("/pay/DH700").await;
        browser.wait_for_qr("300000").await;
        assert_eq!(browser.text_of("#due").await, "300,000 ₫");
        assert_eq!(browser.qr_amount().await.as_deref(), Some("300000"));
        browser
            .wait_js(
                "return document.getElementById('countdown').textContent.indexOf('time left') > 0;",
                WAIT,
            )
            .await;
        browser.assert_accessible("the open page").await;
        browser.js("window.__notReloaded = 'still here';").await;

        for (id, paid, due, received) in [
            (7701, 100000, "200000", "100,000 ₫"),
            (7702, 50000, "150000", "150,000 ₫"),
        ] {
            let (status, reply) = app.transfer(id, "DH700 tra mot phan", json!(paid)).await;
            assert_eq!((status, &reply["accepted"]), (200, &json!(1)), "{reply}");
            browser.wait_for_qr(due).await;
            let shown = format!("{},{} ₫", &due[..3], &due[3..]);
            assert_eq!(browser.text_of("#due").await, shown);
            assert_eq!(browser.text_of("#received").await, received);
            assert_eq!(browser.qr_amount().await.as_deref(), Some(due));
            let link = browser
                .css("a[data-app=mb]")
                .await
                .attr("href")
                .await
                .unwrap();
            assert!(link.unwrap().contains(&format!("am={due}&")), "app link");
            assert!(browser
                .class_of("#status")
                .await
                .split_whitespace()
                .any(|c| c == "partially_paid"));
        }

        // Copy buttons copy the amount due now and say so.
        browser
            .js(
                "window.__copied = []; navigator.clipboard.writeText = function (t) { \
                 window.__copied.push(t); return Promise.resolve(); };",
            )
            .await;
        browser.css("#copy-due").await.click().await.unwrap();
        browser
            .wait_js(
                "return document.getElementById('copy-due').textContent === 'Copied';",
                WAIT,
            )
            .await;
        assert_eq!(
            browser.js("return window.__copied;").await,
            json!(["150000"])
        );

        let (status, reply) = app
            .transfer(7703, "DH700 phan con lai", json!(150000))
            .await;
        assert_eq!((status, &reply["accepted"]), (200, &json!(1)), "{reply}");
        browser
            .wait_js(
                "return document.getElementById('status').classList.contains('paid');",
                Duration::from_secs(15),
            )
            .await;
        assert_eq!(browser.text_of("#status").await, "Paid. Thank you!");
        assert_eq!(browser.text_of("#received").await, "300,000 ₫");
        browser
            .assert_asks_for_nothing("the page turned paid")
            .await;
        assert_eq!(
            browser.js("return window.__notReloaded;").await,
            json!("still here"),
            "the page was reloaded"
        );
        browser.assert_accessible("the page turned paid").await;
        browser.quit().await;
    })
    .await
}

/// An open page whose order reaches `expires_at` closes by itself: the countdown runs out and
/// the page shows "expired" and no way to pay, without a reload.
async fn an_open_page_expires_by_itself(backend: Backend) {
    within(async {
        let app = TestApp::spawn_with(backend, BANK).await;
        let browser = Browser::start(&app).await;
        // Long enough for the page to load while still open on a busy machine.
        let expires = (chrono::Utc::now() + chrono::Duration::seconds(8)).to_rfc3339();
        let (status, order) = app
            .create_order(json!({"code": "DH701", "amount": 99000, "expires_at": expires}))
            .await;
        assert_eq!(status, 201, "{order}");
        browser.goto("/pay/DH701").await;
        browser.css("#countdown").await;
        browser.js("window.__notReloaded = 'still here';").await;
        browser
            .wait_js(
                "return document.getElementById('status').classList.contains('expired');",
                Duration::from_secs(30),
            )
            .await;
        assert_eq!(browser.text_of("#status").await, "This order has expired.");
        browser
            .assert_asks_for_nothing("the page turned expired")
            .await;
        assert_eq!(
            browser.js("return window.__notReloaded;").await,
            json!("still here")
        );
        browser.quit().await;
    })
    .await
}

/// Waits (bounded) until the API reads the order as `status`.
async fn wait_for_status(app: &TestApp, code: &str, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, order) = app.get_order(code).await;
        if order["status"] == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{code} never became {status}: {order}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every state of the page, in Vietnamese and English, at 390 and 1366 px: screenshots
/// `pay-<state>-<lang>-<size>.png`, no page wider than its viewport, 0 axe-core violations,
/// and closed pages without account or QR. SQLite only: this is about the page.
#[tokio::test]
async fn screenshots_of_the_pay_page_states() {
    within(async {
        let mut shop = with_shop("Cửa hàng Hoa Mai — đồ gốm thủ công");
        shop.push(("PAYMATCH_SHOP_CONTACT", "0901 234 567"));
        let app = TestApp::spawn_with(Backend::Sqlite, &shop).await;
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
        let later = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        for (code, amount, expires) in [
            ("DH8001", 1250000, Some(&later)),
            ("DH8002", 300000, Some(&later)),
            ("DH8003", 79000, None),
            ("DH8004", 100000, None),
            ("DH8005", 450000, None),
            ("DH8006", 150000, Some(&soon)),
        ] {
            // The open one offers another way to pay.
            let cancel = (code == "DH8001").then_some("https://shop.example/checkout?cart=1");
            let (status, order) = app
                .create_order(json!({"code": code, "amount": amount, "expires_at": expires, "cancel_url": cancel}))
                .await;
            assert_eq!(status, 201, "{order}");
        }
        for (id, description, amount) in [
            (8101, "DH8002 tra truoc", 100000),
            (8102, "DH8003", 79000),
            (8103, "DH8004 chuyen du", 150000),
        ] {
            let (status, reply) = app.transfer(id, description, json!(amount)).await;
            assert_eq!(status, 200, "{reply}");
        }
        let (status, order) = app
            .api(reqwest::Method::POST, "/api/v1/orders/DH8005/cancel", None)
            .await;
        assert_eq!(status, 200, "{order}");
        wait_for_status(&app, "DH8006", "expired").await;

        let browser = Browser::start(&app).await;
        let mut layout = Vec::new();
        for lang in ["vi", "en"] {
            for (state, code, open) in [
                ("open", "DH8001", true),
                ("partly-paid", "DH8002", true),
                ("paid", "DH8003", false),
                ("overpaid", "DH8004", false),
                ("cancelled", "DH8005", false),
                ("expired", "DH8006", false),
                ("unknown", "DH404404", false),
            ] {
                let what = format!("{state} ({lang})");
                browser
                    .goto(&format!("/lang/{lang}?next=/pay/{code}"))
                    .await;
                browser.wait_path(&format!("/pay/{code}")).await;
                if open {
                    browser.css("#qr img").await;
                    browser
                        .wait_js(
                            "var i = document.querySelector('#qr img'); \
                             return i.complete && i.naturalWidth > 0;",
                            WAIT,
                        )
                        .await;
                } else {
                    browser.assert_asks_for_nothing(&what).await;
                }
                browser.assert_accessible(&what).await;
                for size in [PHONE, DESKTOP] {
                    browser
                        .screenshot(&format!("pay-{state}-{lang}"), size, &mut layout)
                        .await;
                    let widths = browser
                        .js("return [document.documentElement.scrollWidth, window.innerWidth];")
                        .await;
                    assert!(
                        widths[0].as_u64() <= widths[1].as_u64(),
                        "{what} at {} px is wider than the window: {widths}",
                        size.1
                    );
                }
            }
        }
        layout.push(String::new());
        std::fs::write(screenshot_dir().join("layout-pay.txt"), layout.join("\n")).unwrap();
        browser.quit().await;
    })
    .await
}
