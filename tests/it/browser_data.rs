//! The admin's numbers and dates in a browser: the amount filter typed as a Vietnamese user
//! types it, the bank's day, and a CSV download opened and parsed. A child of `browser`, whose
//! driver it uses.

use super::*;

const SIZES: [(&str, u32, u32); 2] = [("phone", 390, 844), ("desktop-1366", 1366, 900)];

impl Browser {
    /// Opens the list's filter box (folded on phones), fills the fields and applies them.
    async fn filter(&self, fields: &[(&str, &str)]) {
        self.js("document.querySelector('details.filter-box').open = true; return true;")
            .await;
        for (name, value) in fields {
            let selector = format!("form.filters input[name={name}]");
            if matches!(*name, "from" | "to") {
                // A date input takes its value as the browser's date picker sets it.
                let script = format!(
                    "document.querySelector({}).value = {}; return true;",
                    json!(selector),
                    json!(value)
                );
                self.js(&script).await;
            } else {
                let input = self.css(&selector).await;
                input.clear().await.unwrap();
                input.send_keys(value).await.unwrap();
            }
        }
        let before = self.js("return location.href;").await;
        self.css("form.filters button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        let changed =
            format!("return location.href !== {before} && document.readyState === 'complete';");
        self.wait_js(&changed, WAIT).await;
    }

    /// Descriptions of the rows listed now.
    async fn listed(&self) -> Vec<String> {
        let rows = self
            .js("return Array.from(document.querySelectorAll('table.list td.desc')).map(td => td.textContent.trim());")
            .await;
        serde_json::from_value(rows).unwrap()
    }

    async fn fits(&self, name: &str, layout: &mut Vec<String>) {
        for size in SIZES {
            self.screenshot(name, size, layout).await;
            self.viewport(size.1, size.2).await;
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
}

/// Amounts typed `100.000`, a field it cannot read, the bank's day, and the CSV of the list.
#[tokio::test]
async fn filters_and_a_csv_download_in_the_browser() {
    within(async {
        let app = TestApp::spawn(Backend::Sqlite).await;
        let mut elements: Vec<Value> = [99_999, 100_000, 250_000]
            .iter()
            .map(|&a| {
                let mut e = crate::helpers::element(a, &format!("khach {a}"), json!(a));
                e["when"] = json!("2026-11-03 09:00:00");
                e
            })
            .collect();
        // Dated by the bank late on 2 November, received later; and 60 more, over a page.
        let mut late = crate::helpers::element(1, "late backfill", json!(5000));
        late["when"] = json!("2026-11-02 23:50:00");
        elements.push(late);
        elements.extend((2..=61).map(|i| {
            let mut e = crate::helpers::element(i, &format!("=cmd {i}"), json!(i));
            e["when"] = json!("2026-11-04 08:00:00");
            e
        }));
        assert_eq!(app.post_webhook(&crate::helpers::envelope(elements)).await.0, 200);

        let browser = Browser::start(&app).await;
        browser.login().await;
        let mut layout = Vec::new();

        browser.goto("/admin/transactions").await;
        browser.filter(&[("min", "100.000")]).await;
        assert_eq!(browser.listed().await, vec!["khach 250000", "khach 100000"]);
        assert_eq!(
            browser.text_of("strong.money-in").await,
            "350,000 ₫",
            "money in over the filter"
        );
        browser.fits("data-amount-filter-en", &mut layout).await;

        browser.filter(&[("min", "abc")]).await;
        let marked = browser
            .js("return document.querySelector('input[name=min]').getAttribute('aria-invalid');")
            .await;
        assert_eq!(marked, json!("true"));
        assert!(browser
            .text_of("#min-error")
            .await
            .starts_with("Not an amount"));
        browser.fits("data-amount-error-en", &mut layout).await;

        browser.goto("/admin/transactions").await;
        browser
            .filter(&[("from", "2026-11-02"), ("to", "2026-11-02")])
            .await;
        assert_eq!(browser.listed().await, vec!["late backfill"]);
        assert!(browser.body_text().await.contains("02/11/2026 23:50"));
        browser.goto("/lang/vi?next=/admin/transactions?from=2026-11-02%26to=2026-11-02").await;
        browser.fits("data-bank-day-vi", &mut layout).await;
        browser.goto("/lang/en?next=/admin").await;

        // The download link of the filtered list, fetched as the browser's own download.
        browser.goto("/admin/transactions?from=2026-11-04").await;
        assert_eq!(browser.listed().await.len(), 50, "one page of the 60");
        let bytes = browser
            .js("const a = document.querySelector('a.download'); \
                 return fetch(a.href).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)));")
            .await;
        let bytes: Vec<u8> = serde_json::from_value(bytes).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "byte-order mark");
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(&header[..4], ["id", "when", "amount", "description"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 60, "every row, not one page");
        let first = rows.iter().find(|r| &r[0] == "casso:61").unwrap();
        assert_eq!((&first[1], &first[2], &first[3]), ("2026-11-04 08:00:00", "61", "'=cmd 61"));
        std::fs::write(screenshot_dir().join("data-layout.txt"), layout.join("\n")).unwrap();
        browser.quit().await;
    })
    .await
}

/// "Reconcile now" with Casso out of reach: the run is listed with its error.
#[tokio::test]
async fn reconcile_now_in_the_browser_lists_a_failed_run() {
    within(async {
        let app = TestApp::spawn_with(
            Backend::Sqlite,
            &[
                ("PAYMATCH_CASSO_API_KEY", "casso-key-for-a-closed-port"),
                ("PAYMATCH_CASSO_API_URL", "http://127.0.0.1:9"),
                ("PAYMATCH_RECONCILE_INTERVAL", "0"),
            ],
        )
        .await;
        let browser = Browser::start(&app).await;
        browser.login().await;
        browser.goto("/admin/reconcile").await;
        browser
            .css("form[action='/admin/reconcile/run'] button")
            .await
            .click()
            .await
            .unwrap();
        browser
            .wait_js(
                "return document.querySelectorAll('table.list td.desc').length > 0;",
                Duration::from_secs(40),
            )
            .await;
        let error = browser.text_of("table.list td.desc").await;
        assert!(!error.is_empty(), "the failed run shows its error");
        assert!(browser.body_text().await.contains("admin:admin"));
        let mut layout = Vec::new();
        browser.fits("data-reconcile-failed-en", &mut layout).await;
        browser.quit().await;
    })
    .await
}
