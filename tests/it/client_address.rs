//! Who the client is behind a trusted proxy, as the login limits count it: only the one header
//! the proxy is said to write is believed, whatever else the client sends beside it.

use reqwest::StatusCode;

use crate::admin::PASSWORD;
use crate::admin_security::log_in_through;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(a_client_cannot_choose_its_address_beside_the_proxy_header);

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
