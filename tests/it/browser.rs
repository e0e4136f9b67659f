//! End-to-end tests in a real browser: headless Chromium driven through chromedriver (WebDriver).
//!
//! Each test starts its own chromedriver on a free port, in a process group of its own, with a
//! fresh Chromium profile; the group is ended when the test ends, also on a panic or a timeout.
//! Every wait is bounded, and each test as a whole too.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages `chromium` and
//! `chromium-driver`; `scripts/test` installs them).

use std::future::Future;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// The longest one test may take, browser start included.
pub(crate) const TEST_LIMIT: Duration = Duration::from_secs(300);
/// The longest wait for a page, an element or a condition.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

const BANK: &[(&str, &str)] = &[
    ("PAYMATCH_BANK_BIN", "970436"),
    ("PAYMATCH_BANK_ACCOUNT", "0011001234567"),
    ("PAYMATCH_BANK_ACCOUNT_NAME", "CONG TY ABC"),
];

/// Runs a test body with an overall time limit; dropping it on timeout ends its browser.
pub(crate) async fn within<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .expect("the browser test took too long");
}

/// A chromedriver process group (chromedriver and the Chromium it starts) and its profile.
struct Driver {
    child: Child,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (process_group(0)); Chromium inherits it.
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Browser {
    pub(crate) client: Client,
    base: String,
    // Dropped after `client`: ends the processes, then removes the profile.
    _driver: Driver,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Browser {
    pub(crate) async fn start(app: &TestApp) -> Browser {
        let port = free_port();
        let profile = tempfile::tempdir().expect("profile dir");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{CHROMEDRIVER} starts (apt-get install chromium-driver): {e}")
            });
        let driver = Driver {
            child,
            _profile: profile,
        };
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({
            "browserName": "chrome",
            "timeouts": {"pageLoad": 60_000, "script": 60_000, "implicit": 0},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-dev-shm-usage",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    format!("--user-data-dir={}", driver._profile.path().display()),
                    "--window-size=1280,900",
                    // Phones overlay their scrollbars: none in screenshots either.
                    "--hide-scrollbars",
                ],
                "prefs": {"intl.accept_languages": "en-US,en"},
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = tokio::time::timeout(
            Duration::from_secs(30),
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .expect("a browser session within 30 s")
        .expect("a browser session");
        let browser = Browser {
            client,
            base: app.address.clone(),
            _driver: driver,
        };
        // English pages whatever the machine's locale: the language cookie.
        browser.goto("/lang/en?next=/admin/login").await;
        browser
    }

    /// Ends the session cleanly (Chromium quits), then the driver.
    pub(crate) async fn quit(self) {
        let Browser {
            client, _driver, ..
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
    }

    pub(crate) async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub(crate) async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// Waits until `script` (a function body) returns true; errors (a page loading) count as
    /// not yet.
    pub(crate) async fn wait_js(&self, script: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Value::Bool(true)) = self.client.execute(script, Vec::new()).await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for `{script}` on {:?}",
                self.client.current_url().await.map(|u| u.to_string())
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// After a link, split or set-aside of the transfer at `decided`: the next transfer waiting
    /// (or the empty queue) opens with the outcome; this goes back to the decided one, by the
    /// next one's link to it when there is one.
    pub(crate) async fn back_to_decided(&self, decided: &str) {
        self.wait_js(
            &format!(
                "return !!document.querySelector('#done') && location.pathname !== {};",
                json!(decided)
            ),
            WAIT,
        )
        .await;
        let path = self.js("return location.pathname;").await;
        if path != "/admin/queue" {
            self.click("#next-waiting a").await;
        } else {
            self.goto(decided).await;
        }
        self.wait_path(decided).await;
    }

    pub(crate) async fn wait_path(&self, path: &str) {
        self.wait_js(
            &format!("return location.pathname === {};", json!(path)),
            WAIT,
        )
        .await;
    }

    pub(crate) async fn find(&self, locator: Locator<'_>) -> Element {
        match self.client.wait().at_most(WAIT).for_element(locator).await {
            Ok(element) => element,
            Err(e) => {
                let url = self.client.current_url().await.map(|u| u.to_string());
                let text = self.client.source().await.unwrap_or_default();
                panic!("{locator:?} not found on {url:?}: {e}\n{text}")
            }
        }
    }

    pub(crate) async fn css(&self, selector: &str) -> Element {
        self.find(Locator::Css(selector)).await
    }

    /// The element's text as written in the page (no CSS text-transform), trimmed.
    pub(crate) async fn text_of(&self, selector: &str) -> String {
        let element = self.css(selector).await;
        element
            .prop("textContent")
            .await
            .unwrap()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    pub(crate) async fn class_of(&self, selector: &str) -> String {
        self.css(selector)
            .await
            .attr("class")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    pub(crate) async fn body_text(&self) -> String {
        self.js("return document.body.innerText;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The HTTP status of the page now shown.
    pub(crate) async fn response_status(&self) -> u64 {
        self.js("return performance.getEntriesByType('navigation')[0].responseStatus;")
            .await
            .as_u64()
            .expect("a navigation status")
    }

    pub(crate) async fn login(&self) {
        self.goto("/admin/login").await;
        self.css("input[name=user]")
            .await
            .send_keys("admin")
            .await
            .unwrap();
        self.css("input[name=password]")
            .await
            .send_keys(ADMIN_PASSWORD)
            .await
            .unwrap();
        self.css("form[action='/admin/login'] button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        self.wait_path("/admin").await;
    }

    /// From the queue, opens the transaction whose description contains `needle`; returns its
    /// page's path.
    async fn open_from_queue(&self, needle: &str) -> String {
        self.goto("/admin/queue").await;
        let xpath = format!(
            "//tr[td[contains(@class,'desc')][contains(., {})]]//a[starts-with(@href,'/admin/transactions/')]",
            xpath_literal(needle)
        );
        let link = self.find(Locator::XPath(&xpath)).await;
        let href = link.attr("href").await.unwrap().expect("a link");
        link.click().await.unwrap();
        self.wait_path(&href).await;
        href
    }
}

/// An XPath string literal for a text without both quote kinds.
fn xpath_literal(text: &str) -> String {
    if text.contains('\'') {
        format!("\"{text}\"")
    } else {
        format!("'{text}'")
    }
}

async fn order_status(app: &TestApp, code: &str) -> String {
    let (status, order) = app.get_order(code).await;
    assert_eq!(status, 200, "{order}");
    order["status"].as_str().unwrap().to_owned()
}

// ---------- the tests ----------

on_both_backends!(
    admin_links_a_transfer_to_an_order,
    a_post_without_the_csrf_token_is_refused,
    the_payment_page_turns_paid_by_itself,
    descriptions_are_shown_as_text,
);

/// Login, queue, suggestions, link preview, confirmation, order and audit pages.
async fn admin_links_a_transfer_to_an_order(backend: Backend) {
    within(async {
        let app = TestApp::spawn(backend).await;
        let (status, order) = app
            .create_order(json!({"code": "DH1023", "amount": 150000}))
            .await;
        assert_eq!(status, 201, "{order}");
        let (status, reply) = app
            .transfer(7001, "chuyen tien DH1O23", json!(150000))
            .await;
        assert_eq!((status, &reply["accepted"]), (200, &json!(1)), "{reply}");

        let browser = Browser::start(&app).await;
        browser.login().await;
        let transaction_page = browser.open_from_queue("DH1O23").await;
        assert!(
            browser.body_text().await.contains("chuyen tien DH1O23"),
            "{}",
            browser.body_text().await
        );

        // The near code is suggested; following it leads to the preview.
        let suggestion = browser
            .css(".suggestions a[href$='/link?code=DH1023']")
            .await;
        assert_eq!(suggestion.text().await.unwrap().trim(), "DH1023");
        suggestion.click().await.unwrap();
        browser.wait_path(&format!("{transaction_page}/link")).await;
        assert_eq!(browser.text_of("#status-after").await, "Paid");
        assert!(browser
            .class_of("#status-after")
            .await
            .split_whitespace()
            .any(|c| c == "paid"));
        assert_eq!(
            order_status(&app, "DH1023").await,
            "pending",
            "a preview changes nothing"
        );

        browser.css("#confirm-link").await.click().await.unwrap();
        browser
            .expect_done("The transfer was linked to the order.")
            .await;
        browser.back_to_decided(&transaction_page).await;
        assert_eq!(browser.text_of("#tx-status").await, "Matched");
        browser
            .css("a[href='/admin/orders/DH1023']")
            .await
            .click()
            .await
            .unwrap();
        browser.wait_path("/admin/orders/DH1023").await;
        assert_eq!(browser.text_of("#order-status").await, "Paid");
        assert_eq!(browser.text_of("#order-received").await, "150,000 ₫");

        browser.goto("/admin/audit").await;
        let actor = browser
            .find(Locator::XPath(
                "//table[contains(@class,'audit')]//tr[td[@data-action='transaction.link']]/td[2]",
            ))
            .await;
        assert_eq!(actor.text().await.unwrap().trim(), "admin");

        assert_eq!(order_status(&app, "DH1023").await, "paid");
        browser.quit().await;
    })
    .await
}

/// A form posted with a blanked or altered CSRF token changes nothing: 403.
async fn a_post_without_the_csrf_token_is_refused(backend: Backend) {
    within(async {
        let app = TestApp::spawn(backend).await;
        let (status, reply) = app
            .transfer(7101, "tien hang thang nay", json!(50000))
            .await;
        assert_eq!((status, &reply["accepted"]), (200, &json!(1)), "{reply}");
        let waiting = app.all_transactions().await[0]["status"].clone();
        assert_eq!(waiting, json!("unmatched"));

        let browser = Browser::start(&app).await;
        browser.login().await;
        for forged in ["", "forged-token"] {
            let page = browser.open_from_queue("tien hang thang nay").await;
            let form = "form[action$='/set-aside']";
            browser
                .js(&format!(
                    "document.querySelector(\"{form} input[name=csrf]\").value = {};",
                    json!(forged)
                ))
                .await;
            browser
                .css(&format!("{form} button[type=submit]"))
                .await
                .click()
                .await
                .unwrap();
            browser.wait_path(&format!("{page}/set-aside")).await;
            assert_eq!(browser.response_status().await, 403, "token {forged:?}");
            assert!(browser.body_text().await.contains("The form has expired"));

            let transactions = app.all_transactions().await;
            assert_eq!(transactions.len(), 1);
            assert_eq!(transactions[0]["status"], "unmatched", "token {forged:?}");
        }
        // The session is still good, and the page still offers the decision.
        browser.open_from_queue("tien hang thang nay").await;
        browser.css("form[action$='/set-aside']").await;
        browser.quit().await;
    })
    .await
}

/// The payment page shows the QR code and follows the order to paid without a reload.
async fn the_payment_page_turns_paid_by_itself(backend: Backend) {
    within(async {
        let app = TestApp::spawn_with(backend, BANK).await;
        let (status, order) = app.create_order(json!({"amount": 250000})).await;
        assert_eq!(status, 201, "{order}");
        let code = order["code"].as_str().unwrap().to_owned();

        let browser = Browser::start(&app).await;
        browser.goto(&format!("/pay/{code}")).await;
        browser
            .wait_js(
                "var i = document.querySelector('#qr img'); \
                 return !!i && i.complete && i.naturalWidth > 0;",
                WAIT,
            )
            .await;
        assert_eq!(browser.text_of("#due").await, "250,000 ₫");
        assert_eq!(browser.text_of("#content").await, code);
        let text = browser.body_text().await;
        for expected in ["Vietcombank", "0011001234567", "CONG TY ABC"] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        assert!(browser
            .class_of("#status")
            .await
            .split_whitespace()
            .any(|c| c == "pending"));

        browser.js("window.__notReloaded = 'still here';").await;
        let (status, reply) = app
            .transfer(7201, &format!("thanh toan {code}"), json!(250000))
            .await;
        assert_eq!((status, &reply["accepted"]), (200, &json!(1)), "{reply}");
        browser
            .wait_js(
                "return document.getElementById('status').classList.contains('paid');",
                Duration::from_secs(15),
            )
            .await;
        assert_eq!(
            browser.js("return window.__notReloaded;").await,
            json!("still here"),
            "the page was reloaded"
        );
        assert_eq!(
            browser.css("#pay").await.attr("data-status").await.unwrap(),
            Some("paid".to_owned())
        );
        assert!(
            browser
                .client
                .find_all(Locator::Css("#qr"))
                .await
                .unwrap()
                .is_empty(),
            "the QR code is gone once paid"
        );
        assert_eq!(order_status(&app, &code).await, "paid");
        browser.quit().await;
    })
    .await
}

/// A description with markup shows as that text, never as markup.
async fn descriptions_are_shown_as_text(backend: Backend) {
    within(async {
        let app = TestApp::spawn(backend).await;
        let description = "<script>window.__pwned=1</script><b>x</b>";
        let (status, reply) = app.transfer(7301, description, json!(10000)).await;
        assert_eq!((status, &reply["accepted"]), (200, &json!(1)), "{reply}");

        let browser = Browser::start(&app).await;
        browser.login().await;
        browser.goto("/admin/queue").await;
        browser.css("td.desc").await;
        assert!(browser.body_text().await.contains(description));
        assert!(browser.body_text().await.contains("<script>"));
        assert_eq!(
            browser.js("return typeof window.__pwned;").await,
            json!("undefined")
        );
        assert!(browser
            .client
            .find_all(Locator::Css("td.desc b, td.desc script"))
            .await
            .unwrap()
            .is_empty());

        browser.open_from_queue("window.__pwned").await;
        assert_eq!(browser.text_of("dd.desc").await, description);
        assert_eq!(
            browser.js("return typeof window.__pwned;").await,
            json!("undefined")
        );
        assert!(browser
            .client
            .find_all(Locator::Css("main b, main script"))
            .await
            .unwrap()
            .is_empty());
        browser.quit().await;
    })
    .await
}

// ---------- screenshots ----------

pub(crate) const PHONE: (&str, u32, u32) = ("phone", 390, 844);
const DESKTOP: (&str, u32, u32) = ("desktop", 1280, 900);

pub(crate) fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// Sizes the window so that the page's viewport is `width` × `height` CSS pixels.
    pub(crate) async fn viewport(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let inner = self
            .js("return [window.innerWidth, window.innerHeight];")
            .await;
        let (w, h) = (inner[0].as_u64().unwrap(), inner[1].as_u64().unwrap());
        let outer_w = 2 * width - u32::try_from(w).unwrap().min(width);
        let outer_h = 2 * height - u32::try_from(h).unwrap().min(height);
        self.client.set_window_size(outer_w, outer_h).await.unwrap();
    }

    /// Saves `<name>-<size>.png`: the whole page at that width (at least the viewport tall),
    /// and one line about horizontal overflow in `layout.txt`.
    pub(crate) async fn screenshot(
        &self,
        name: &str,
        size: (&str, u32, u32),
        layout: &mut Vec<String>,
    ) {
        let (label, width, height) = size;
        self.viewport(width, height).await;
        let full = self
            .js("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);")
            .await
            .as_u64()
            .unwrap();
        let tall = u32::try_from(full).unwrap().clamp(height, 6000);
        if tall > height {
            self.viewport(width, tall).await;
        }
        let overflow = self
            .js(
                "return [document.documentElement.scrollWidth, window.innerWidth, \
                 document.documentElement.scrollHeight, window.innerHeight];",
            )
            .await;
        layout.push(format!(
            "{name}-{label}: scrollWidth {} innerWidth {}, scrollHeight {} innerHeight {}",
            overflow[0], overflow[1], overflow[2], overflow[3]
        ));
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(screenshot_dir().join(format!("{name}-{label}.png")), png).unwrap();
        self.viewport(width, height).await;
    }

    async fn shoot_both(&self, name: &str, layout: &mut Vec<String>) {
        for size in [PHONE, DESKTOP] {
            self.screenshot(name, size, layout).await;
        }
    }
}

/// Screenshots of the main pages at a phone and a desktop width, into `target/screenshots/`,
/// with data in place. SQLite only: this is about the pages, not the storage.
#[tokio::test]
async fn screenshots_of_the_main_pages() {
    within(async {
        let app = TestApp::spawn_with(Backend::Sqlite, BANK).await;
        for (code, amount, reference) in [
            ("DH1023", "150000", "Đơn #1023 — Nguyễn Văn An"),
            ("DH2001", "99000", "shop-order-2001"),
            ("DH2002", "1250000.5", "a-rather-long-reference-from-the-storefront-2002"),
            ("DH3000", "4990000", "Đơn hàng 3000"),
            ("DH3001", "75000", ""),
        ] {
            let (status, order) = app
                .create_order(json!({"code": code, "amount": amount, "reference": reference}))
                .await;
            assert_eq!(status, 201, "{order}");
        }
        let (status, order) = app
            .api(reqwest::Method::POST, "/api/v1/orders/DH3001/cancel", None)
            .await;
        assert_eq!(status, 200, "{order}");
        for (id, description, amount) in [
            (8001, "DH2001 thanh toan don hang", json!(99000)),
            (8002, "chuyen tien DH1O23", json!(150000)),
            (
                8003,
                "CT DEN:0123456789012345 MBVCB.7654321.012345.NGUYEN VAN BINH chuyen tien mua hang qua ung dung ngan hang so dien thoai 0901234567",
                json!(500000),
            ),
            (8004, "DH2002 DH3000 gop hai don", json!(5000000)),
            (8005, "DH3000 tra truoc mot phan", json!(1000000)),
            (8006, "hoan tien cho khach", json!(-200000)),
            (8007, "<script>window.__pwned=1</script><b>x</b>", json!(10000)),
            (8008, "DH3001 thanh toan", json!(75000)),
        ] {
            let (status, reply) = app.transfer(id, description, amount).await;
            assert_eq!(status, 200, "{reply}");
        }

        let browser = Browser::start(&app).await;
        let mut layout = Vec::new();
        browser.goto("/admin/login").await;
        browser.shoot_both("login", &mut layout).await;
        browser.login().await;
        browser.shoot_both("dashboard", &mut layout).await;
        browser.goto("/admin/queue").await;
        browser.shoot_both("queue", &mut layout).await;
        let transaction = browser.open_from_queue("DH1O23").await;
        browser.shoot_both("transaction", &mut layout).await;
        browser
            .goto(&format!("{transaction}/link?code=DH1023"))
            .await;
        browser.css("#confirm-link").await;
        browser.shoot_both("link-preview", &mut layout).await;
        browser.css("#confirm-link").await.click().await.unwrap();
        browser.back_to_decided(&transaction).await;
        browser.shoot_both("transaction-matched", &mut layout).await;
        browser.goto("/admin/orders").await;
        browser.shoot_both("orders", &mut layout).await;
        browser.goto("/admin/orders/DH1023").await;
        browser.shoot_both("order", &mut layout).await;
        browser.goto("/admin/audit").await;
        browser.shoot_both("audit", &mut layout).await;
        browser
            .goto("/admin/settings?description=Chuy%E1%BB%83n%20ti%E1%BB%81n%20%C4%91%C6%A1n%20DH%201023")
            .await;
        browser.shoot_both("settings", &mut layout).await;
        browser.goto("/pay/DH3000").await;
        browser
            .wait_js(
                "var i = document.querySelector('#qr img'); \
                 return !!i && i.complete && i.naturalWidth > 0;",
                WAIT,
            )
            .await;
        browser.shoot_both("pay", &mut layout).await;
        browser.goto("/pay/DH1023").await;
        browser.shoot_both("pay-paid", &mut layout).await;
        layout.push(String::new());
        std::fs::write(screenshot_dir().join("layout.txt"), layout.join("\n")).unwrap();
        browser.quit().await;
    })
    .await
}

#[path = "browser_admin.rs"]
mod browser_admin;

#[path = "browser_data.rs"]
mod browser_data;

#[path = "browser_sales.rs"]
mod browser_sales;
