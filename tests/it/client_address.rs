//! Who the client is behind a trusted proxy, as the login limits count it: only the one header
//! the proxy is said to write is believed, whatever else the client sends beside it, and an
//! IPv6 client is its /64.

use reqwest::StatusCode;

use crate::admin::PASSWORD;
use crate::admin_security::log_in_through;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_client_cannot_choose_its_address_beside_the_proxy_header,
    ipv6_clients_are_counted_per_64,
);

const GUESS: &str = "guess-guess-guess";

/// A login attempt through a proxy that writes `proxy_header`, from a client that adds
/// `client_header` with its own value.
async fn attempt(
    app: &TestApp,
    password: &str,
    proxy_header: (&str, &str),
    client_header: (&str, &str),
) -> StatusCode {
    log_in_through(app, "admin", password, &[proxy_header, client_header]).await
}

async fn a_client_cannot_choose_its_address_beside_the_proxy_header(backend: Backend) {
    // The setting unset (X-Forwarded-For believed), then set to `forwarded`.
    let cases = [
        (
            None,
            ("X-Forwarded-For", "203.0.113.66"),
            ("Forwarded", "for=198.51.100."),
        ),
        (
            Some("forwarded"),
            ("Forwarded", "for=203.0.113.66"),
            ("X-Forwarded-For", "198.51.100."),
        ),
    ];
    for (setting, proxy_header, client_header) in cases {
        let mut vars = vec![("PAYMATCH_TRUSTED_PROXIES", "127.0.0.1")];
        vars.extend(setting.map(|header| ("PAYMATCH_TRUSTED_PROXY_HEADER", header)));
        let app = TestApp::spawn_with(backend, &vars).await;
        let (client_header, client_prefix) = client_header;
        let rotated = |n: usize| format!("{client_prefix}{n}");
        for n in 0..5 {
            let status = attempt(&app, GUESS, proxy_header, (client_header, &rotated(n))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{setting:?}: attempt {n}");
        }
        // The address the proxy wrote is limited, whatever the client wrote beside it.
        let status = attempt(&app, PASSWORD, proxy_header, (client_header, &rotated(5))).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{setting:?}");
    }
}

/// An attempt from `address` as the trusted proxy reports it.
async fn attempt_from(app: &TestApp, user: &str, password: &str, address: &str) -> StatusCode {
    log_in_through(app, user, password, &[("X-Forwarded-For", address)]).await
}

async fn ipv6_clients_are_counted_per_64(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_TRUSTED_PROXIES", "127.0.0.1")]).await;
    // Every guess from a new address of one /64: five at the owner's account, then others.
    for n in 0..20 {
        let user = if n < 5 {
            "admin".to_owned()
        } else {
            format!("user{n}")
        };
        let address = format!("2001:db8:7:7::{n:x}");
        let status = attempt_from(&app, &user, GUESS, &address).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    // The /64 is limited per account and as a whole…
    assert_eq!(
        attempt_from(&app, "admin", PASSWORD, "2001:db8:7:7:abcd::1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        attempt_from(&app, "someone", GUESS, "2001:db8:7:7:beef::2").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …the next /64 is not.
    assert_eq!(
        attempt_from(&app, "admin", PASSWORD, "2001:db8:7:8::1").await,
        StatusCode::SEE_OTHER
    );
}
