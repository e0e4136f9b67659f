//! Selling without a storefront, in a browser: the admin's new-order form (with its errors),
//! the order's sharing card, the import's preview and result, and the payment page going back
//! to the shop by itself once paid. Every page passes axe-core and is saved at a phone and a
//! desktop width in both languages. A child of `browser`, whose driver it uses.

use super::*;
use crate::pay::BANK;

const WIDE: (&str, u32, u32) = ("desktop", 1366, 900);

on_both_backends!(the_paid_page_goes_back_to_the_shop);

impl Browser {
    /// Checks the page with axe-core, saves it at both widths, and checks it fits each.
    async fn look_at(&self, name: &str, layout: &mut Vec<String>) {
        crate::axe::assert_accessible(&self.client, name).await;
        for size in [PHONE, WIDE] {
            self.screenshot(name, size, layout).await;
            let widths = self
                .js("return [document.documentElement.scrollWidth, window.innerWidth];")
                .await;
            assert!(
                widths[0].as_u64() <= widths[1].as_u64(),
                "{name} is wider than {} px: {widths}",
                size.1
            );
        }
    }

    async fn type_into(&self, selector: &str, text: &str) {
        let field = self.css(selector).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn submit(&self, selector: &str) {
        self.css(selector).await.click().await.unwrap();
    }
}

#[tokio::test]
async fn screenshots_of_selling_pages() {
    within(async {
        let mut settings = BANK.to_vec();
        settings.extend([
            ("PAYMATCH_SHOP_NAME", "Tiệm gốm Hoa Mai"),
            ("PAYMATCH_SHOP_CONTACT", "https://zalo.me/0901234567"),
        ]);
        let app = TestApp::spawn_with(Backend::Sqlite, &settings).await;
        let browser = Browser::start(&app).await;
        browser.login().await;
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "code;amount;customer_phone\nBAD1;abc;\nOK1;150.000;'0901 234 567\nOK2;89k;goi toi\n").unwrap();
        let mut layout = Vec::new();
        for (lang, code) in [("vi", "ZL1"), ("en", "ZL2")] {
            browser.goto(&format!("/lang/{lang}?next=/admin/orders")).await;
            browser.submit("#new-order-link").await;
            browser.wait_path("/admin/orders/new").await;
            browser.look_at(&format!("admin-new-order-{lang}"), &mut layout).await;

            // Wrong: each field says why, what was typed stays.
            browser.type_into("#amount", "mười nghìn").await;
            browser.type_into("#customer_phone", "gọi tôi").await;
            browser.submit("#create-order").await;
            browser.css("#amount-error").await;
            browser.css("#customer_phone-error").await;
            browser.look_at(&format!("admin-new-order-errors-{lang}"), &mut layout).await;

            // Right: the order's page, with what to send.
            browser.type_into("#amount", "1,5tr").await;
            browser.type_into("#customer_phone", "0901 234 567").await;
            browser.type_into("#customer_name", "Nguyễn Thị Mai").await;
            browser.type_into("#code", code).await;
            browser.css("input[name=expires_at][value='24h']").await.click().await.unwrap();
            browser.submit("#create-order").await;
            browser.wait_path(&format!("/admin/orders/{code}")).await;
            let message = browser
                .css("#chat-message")
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default();
            assert!(message.contains("1.500.000 ₫") && message.contains(code), "{message}");
            browser
                .wait_js(
                    "var i = document.querySelector('img.qr-png'); return i.complete && i.naturalWidth >= 400;",
                    WAIT,
                )
                .await;
            browser.look_at(&format!("admin-order-share-{lang}"), &mut layout).await;

            // Import: a bad file, shown and refused; then the good rows alone.
            browser.goto("/admin/orders/import").await;
            browser.look_at(&format!("admin-import-{lang}"), &mut layout).await;
            browser.css("#file").await.send_keys(bad.to_str().unwrap()).await.unwrap();
            browser.submit("#import-upload button[type=submit]").await;
            browser.css("#import-blocked").await;
            browser.look_at(&format!("admin-import-errors-{lang}"), &mut layout).await;
            let good = dir.path().join(format!("good-{lang}.csv"));
            std::fs::write(&good, format!("\u{feff}code;amount;customer_name\n{code}A;150.000;Trần Nam\n;89k;\n")).unwrap();
            browser.css("#file").await.send_keys(good.to_str().unwrap()).await.unwrap();
            browser.submit("#import-upload button[type=submit]").await;
            browser.css("#import-confirm").await;
            browser.look_at(&format!("admin-import-preview-{lang}"), &mut layout).await;
            browser.submit("#import-confirm button").await;
            assert_eq!(browser.text_of("#stored-new").await, "2");
            browser.look_at(&format!("admin-import-done-{lang}"), &mut layout).await;
        }
        layout.push(String::new());
        std::fs::write(screenshot_dir().join("layout-sales.txt"), layout.join("\n")).unwrap();
        browser.quit().await;
    })
    .await
}

/// A page open when the money comes shows the way back and takes it by itself after 5 s; a
/// page served paid does the same with its refresh. Both land on the shop's page with the
/// signed parameters.
async fn the_paid_page_goes_back_to_the_shop(backend: Backend) {
    within(async {
        let app = TestApp::spawn_with(backend, BANK).await;
        let shop = app.url("/?cart=9");
        for code in ["DH61", "DH62"] {
            let order = json!({"code": code, "amount": 99000, "return_url": shop});
            assert_eq!(app.create_order(order).await.0, 201);
        }
        let browser = Browser::start(&app).await;
        browser.goto("/pay/DH61").await;
        browser.css("#qr img").await;
        app.transfer(1, "DH61", json!(99000)).await;
        browser
            .wait_js(
                "var b = document.getElementById('back'); return !!b && !b.hidden;",
                WAIT,
            )
            .await;
        browser.wait_path("/").await;
        let search = browser.js("return location.search;").await;
        let search = search.as_str().unwrap();
        assert!(
            search.starts_with("?cart=9&code=DH61&status=paid&amount_received=99000&ts="),
            "{search}"
        );
        assert!(search.contains("&sig="), "{search}");

        app.transfer(2, "DH62", json!(99000)).await;
        browser.goto("/pay/DH62").await;
        browser.css("#back-to-shop").await;
        browser.wait_path("/").await;
        let search = browser.js("return location.search;").await;
        assert!(
            search.as_str().unwrap().contains("code=DH62&status=paid"),
            "{search}"
        );
        browser.quit().await;
    })
    .await
}
