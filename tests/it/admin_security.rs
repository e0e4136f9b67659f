//! The admin's security over HTTP and the CLI: password changes end sessions, "log out
//! everywhere", login limits per (user, client address) behind trusted proxies only, redirect
//! targets, security headers, the password minimum and `?error=` codes.

use paymatch::Application;
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::admin::{browser, csrf_of, get, logged_in, post, PASSWORD};
use crate::cli::run;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_password_change_ends_every_session,
    log_out_everywhere_ends_other_sessions,
    an_attacker_address_does_not_lock_the_owner_out,
    forwarding_headers_are_ignored_from_an_untrusted_peer,
);

const TRUSTED_LOCALHOST: &[(&str, &str)] = &[("PAYMATCH_TRUSTED_PROXIES", "127.0.0.1")];

/// Posts the login form (with a fresh form token) plus `extra` fields and headers.
async fn log_in_with(
    client: &Client,
    app: &TestApp,
    password: &str,
    extra: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let (_, page) = get(client, app, "/admin/login").await;
    let csrf = csrf_of(&page);
    let mut form = vec![("user", "admin"), ("password", password), ("csrf", &csrf)];
    form.extend_from_slice(extra);
    let mut request = client.post(app.url("/admin/login")).form(&form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Attempts from `address` as a proxy in front of the app reports it.
async fn log_in_from(app: &TestApp, user: &str, password: &str, address: &str) -> StatusCode {
    log_in_through(app, user, password, &[("X-Forwarded-For", address)]).await
}

/// An attempt in a fresh browser, with `headers` as they reach the app.
pub(crate) async fn log_in_through(
    app: &TestApp,
    user: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> StatusCode {
    let client = browser();
    let (_, page) = get(&client, app, "/admin/login").await;
    let mut request = client.post(app.url("/admin/login")).form(&[
        ("user", user),
        ("password", password),
        ("csrf", &csrf_of(&page)),
    ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status()
}

async fn settings_status(client: &Client, app: &TestApp) -> StatusCode {
    get(client, app, "/admin/settings").await.0
}

/// A start of another process on the same database with this admin password.
async fn start_with_admin_password(app: &TestApp, password: &str) {
    let settings = settings_for(app.database_url(), &[("PAYMATCH_ADMIN_PASSWORD", password)]);
    drop(Application::build(settings).await.expect("a second start"));
}

async fn a_password_change_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client, _) = logged_in(&app).await;

    // A restart with the same PAYMATCH_ADMIN_PASSWORD keeps the session.
    start_with_admin_password(&app, PASSWORD).await;
    assert_eq!(settings_status(&client, &app).await, StatusCode::OK);

    // A restart with another one ends it; only the new password opens a session.
    let changed = "changed-at-restart-42";
    start_with_admin_password(&app, changed).await;
    assert_eq!(settings_status(&client, &app).await, StatusCode::SEE_OTHER);
    let old = log_in_with(&browser(), &app, PASSWORD, &[], &[]).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let client = browser();
    let new = log_in_with(&client, &app, changed, &[], &[]).await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
    assert_eq!(settings_status(&client, &app).await, StatusCode::OK);

    // `paymatch admin set-password` ends it too.
    let dir = tempfile::tempdir().unwrap();
    let vars = [("PAYMATCH_DATABASE_URL", app.database_url())];
    run(
        dir.path(),
        &["admin", "set-password", "admin"],
        &vars,
        "set-from-the-cli-42\n",
    )
    .await
    .assert_success();
    assert_eq!(settings_status(&client, &app).await, StatusCode::SEE_OTHER);
}

async fn log_out_everywhere_ends_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (laptop, csrf) = logged_in(&app).await;
    let (phone, _) = logged_in(&app).await;

    let (_, settings) = get(&laptop, &app, "/admin/settings").await;
    assert!(settings.contains(r#"name="everywhere""#));
    let forged = post(
        &laptop,
        &app,
        "/admin/logout",
        &[("csrf", "x"), ("everywhere", "1")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(settings_status(&phone, &app).await, StatusCode::OK);

    let r = post(
        &laptop,
        &app,
        "/admin/logout",
        &[("csrf", &csrf), ("everywhere", "1")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/admin/login?done=logged_out_everywhere"
    );
    assert_eq!(settings_status(&phone, &app).await, StatusCode::SEE_OTHER);
    assert_eq!(settings_status(&laptop, &app).await, StatusCode::SEE_OTHER);

    let (again, _) = logged_in(&app).await;
    let (_, audit) = get(&again, &app, "/admin/audit").await;
    assert!(audit.contains("sessions.end_all"), "{audit}");
}

async fn an_attacker_address_does_not_lock_the_owner_out(backend: Backend) {
    let app = TestApp::spawn_with(backend, TRUSTED_LOCALHOST).await;
    let (attacker, owner) = ("203.0.113.66", "198.51.100.7");
    for _ in 0..5 {
        let status = log_in_from(&app, "admin", "guess-guess-guess", attacker).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The attacker's address is limited, even with the right password…
    assert_eq!(
        log_in_from(&app, "admin", PASSWORD, attacker).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …the owner's is not.
    assert_eq!(
        log_in_from(&app, "admin", PASSWORD, owner).await,
        StatusCode::SEE_OTHER
    );
    // Per address, whatever the user name: 20 failures in all close the address.
    for i in 0..15 {
        let status = log_in_from(&app, &format!("user{i}"), "guess-guess-guess", attacker).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(
        log_in_from(&app, "someone", "guess-guess-guess", attacker).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        log_in_from(&app, "admin", PASSWORD, owner).await,
        StatusCode::SEE_OTHER
    );
}

async fn forwarding_headers_are_ignored_from_an_untrusted_peer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for _ in 0..5 {
        let status = log_in_from(&app, "admin", "guess-guess-guess", "203.0.113.66").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Every attempt came from 127.0.0.1, whatever X-Forwarded-For said.
    assert_eq!(
        log_in_from(&app, "admin", PASSWORD, "198.51.100.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Nor is X-Forwarded-Proto believed: no HSTS, no Secure cookie.
    let r = log_in_with(
        &browser(),
        &app,
        "wrong-but-long-enough",
        &[],
        &[("X-Forwarded-Proto", "https")],
    )
    .await;
    assert!(r.headers().get("strict-transport-security").is_none());
    let secure_cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().contains("Secure"));
    assert!(!secure_cookie);
}

/// Query-encoded `next` values that must not leave the site, and ones that stay.
const BAD_NEXT: &[&str] = &[
    "/%09/evil.example",
    "/admin%0d%0aSet-Cookie:%20x=1",
    "%0d%0a",
    "//x",
    "/%5Cx",
    "%5C%5Cx",
    "https://x",
    "https%3A%2F%2Fx",
    "/%20/x",
    "x",
];
const GOOD_NEXT: &[(&str, &str)] = &[
    ("/admin/queue", "/admin/queue"),
    (
        "%2Fadmin%2Fqueue%3Freason%3Dunmatched",
        "/admin/queue?reason=unmatched",
    ),
    ("/pay/DH1", "/pay/DH1"),
];

#[tokio::test]
async fn redirects_stay_on_this_site() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = browser();
    let location = |r: &reqwest::Response| {
        r.headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
    };
    for next in BAD_NEXT {
        let r = client
            .get(app.url(&format!("/lang/en?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&r).as_deref(), Some("/"), "{next}");
    }
    for (next, kept) in GOOD_NEXT {
        let r = client
            .get(app.url(&format!("/lang/en?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&r).as_deref(), Some(*kept), "{next}");
    }

    // The login form keeps only a safe `next`, and the login follows only a safe one.
    let (_, page) = get(&client, &app, "/admin/login?next=/%09/evil.example").await;
    assert!(page.contains(r#"name="next" value="/""#), "{page}");
    for next in [
        "/\t/evil.example",
        "/\r\n",
        "//x",
        "/\\x",
        "https://x",
        " /x",
    ] {
        let r = log_in_with(&browser(), &app, PASSWORD, &[("next", next)], &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&r).as_deref(), Some("/"), "{next:?}");
    }
    for next in ["/admin/queue?reason=unmatched", "/pay/DH1"] {
        let r = log_in_with(&browser(), &app, PASSWORD, &[("next", next)], &[]).await;
        assert_eq!(location(&r).as_deref(), Some(next));
    }
}

#[track_caller]
fn assert_security_headers(headers: &HeaderMap, what: &str, admin: bool) {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_else(|| panic!("{what}: no script-src in {csp}"));
    assert!(!script_src.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert!(!header("referrer-policy").is_empty(), "{what}");
    if admin {
        assert_eq!(header("cache-control"), "no-store", "{what}");
    }
}

#[tokio::test]
async fn security_headers_on_every_page() {
    let app = TestApp::spawn_with(Backend::Sqlite, TRUSTED_LOCALHOST).await;
    let (status, _) = app
        .create_order(json!({"code": "DH1", "amount": 1000}))
        .await;
    assert_eq!(status, 201);
    let (client, _) = logged_in(&app).await;
    let pages = [
        ("/admin/login", true),
        ("/admin", true),
        ("/admin/settings", true),
        ("/admin/orders/DH1", true),
        ("/admin/no-such-page", true),
        ("/pay/DH1", false),
        ("/pay/NOSUCH", false),
        ("/", false),
    ];
    for (path, admin) in pages {
        let r = client.get(app.url(path)).send().await.unwrap();
        assert_security_headers(r.headers(), path, admin);
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "{path}: plain HTTP"
        );
        // Over HTTPS, as the trusted proxy in front reports it.
        let r = client
            .get(app.url(path))
            .header("X-Forwarded-Proto", "https")
            .send()
            .await
            .unwrap();
        assert_security_headers(r.headers(), path, admin);
        assert!(
            r.headers().get("strict-transport-security").is_some(),
            "{path}: HTTPS"
        );
    }
}

#[tokio::test]
async fn a_short_or_blank_admin_password_stops_the_start() {
    for password in ["a", "            ", " \t  \u{3000}\u{a0}     "] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("paymatch.db").display());
        let out = run(
            dir.path(),
            &["serve"],
            &[
                ("PAYMATCH_DATABASE_URL", &url),
                ("PAYMATCH_BIND", "127.0.0.1:0"),
                ("PAYMATCH_ADMIN_PASSWORD", password),
            ],
            "",
        )
        .await;
        let reason = out.assert_failure_line();
        assert!(reason.contains("PAYMATCH_ADMIN_PASSWORD"), "{reason}");
        assert!(reason.contains("not only spaces"), "{password:?}: {reason}");
    }
}

#[tokio::test]
async fn error_codes_show_fixed_messages_only() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_order(json!({"code": "DH1", "amount": 1000}))
        .await;
    app.transfer(1, "no code at all", json!(70)).await;
    let (client, csrf) = logged_in(&app).await;
    let attack = "%3Cscript%3Ealert(1)%3C%2Fscript%3EWire+the+money+to+9999";
    for path in ["/admin/transactions/1", "/admin/orders/DH1"] {
        let (status, page) = get(&client, &app, &format!("{path}?error={attack}")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            !page.contains("alert(1)") && !page.contains("Wire the money"),
            "{path}: {page}"
        );
        assert!(!page.contains(r#"class="error""#), "{path}: nothing shown");
    }
    // A refusal redirects with its code; the page shows the code's fixed message.
    let r = post(
        &client,
        &app,
        "/admin/transactions/1/set-aside",
        &[("csrf", &csrf), ("resolution", "matched")],
    )
    .await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/admin/transactions/1?error=choose_resolution");
    let (_, page) = get(&client, &app, &location).await;
    assert!(page.contains("Choose: not a payment for an order, or refunded."));
}
