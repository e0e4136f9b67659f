//! Links paymatch writes never come from a request's `Host`: with `PAYMATCH_PUBLIC_URL` they
//! start with it, without it they are paths and the admin says so. The public front page tells
//! no version and no database.

use reqwest::Client;

use crate::admin::logged_in;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(a_hostile_host_never_becomes_a_link);

const HOSTILE: &str = "evil.example";

/// A page as a client that writes its own `Host` sees it.
async fn page_for_hostile_host(client: &Client, app: &TestApp, path: &str) -> String {
    let response = client
        .get(app.url(path))
        .header("Host", HOSTILE)
        .header("X-Forwarded-Host", HOSTILE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let page = response.text().await.unwrap();
    assert!(!page.contains(HOSTILE), "{path}: {page}");
    page
}

async fn a_hostile_host_never_becomes_a_link(backend: Backend) {
    // Unset: paths, and the admin says why.
    let app = TestApp::spawn(backend).await;
    let front = page_for_hostile_host(&app.client, &app, "/").await;
    assert!(front.contains("<code>/webhooks/casso</code>"), "{front}");
    let lower = front.to_lowercase();
    for telltale in [env!("CARGO_PKG_VERSION"), "sqlite", "postgres"] {
        assert!(!lower.contains(telltale), "{telltale}: {front}");
    }
    let (admin, _) = logged_in(&app).await;
    let settings = page_for_hostile_host(&admin, &app, "/admin/settings").await;
    assert!(
        settings.contains(r#"<code id="webhook-url">/webhooks/casso</code>"#),
        "{settings}"
    );
    assert!(settings.contains(r#"id="public-url-notice""#), "{settings}");

    // Set: every absolute link starts with it.
    let public = "https://pay.example.vn";
    let app = TestApp::spawn_with(
        backend,
        &[("PAYMATCH_PUBLIC_URL", "https://pay.example.vn/")],
    )
    .await;
    let front = page_for_hostile_host(&app.client, &app, "/").await;
    assert!(
        front.contains(&format!("<code>{public}/webhooks/casso</code>")),
        "{front}"
    );
    let (admin, _) = logged_in(&app).await;
    let settings = page_for_hostile_host(&admin, &app, "/admin/settings").await;
    for (id, path) in [
        ("webhook-url", "/webhooks/casso"),
        ("sepay-webhook-url", "/webhooks/sepay"),
    ] {
        let shown = format!(r#"<code id="{id}">{public}{path}</code>"#);
        assert!(settings.contains(&shown), "{shown}: {settings}");
    }
    assert!(!settings.contains("public-url-notice"), "{settings}");
}
