//! PostgreSQL over TLS with the libpq and OpenSSL compiled into paymatch (no system library):
//! `sslmode=verify-full` connects to this machine's server (Debian's, with its snakeoil
//! certificate for `localhost`) when given that certificate as the root, and refuses it with
//! another root, so certificates really are checked.

use crate::cli::run;
use crate::helpers::{Backend, TestDatabase};

/// The certificate Debian's PostgreSQL serves by default: self-signed, for `localhost`.
const SERVER_CERTIFICATE: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
/// The system's roots: they do not hold the snakeoil certificate.
const OTHER_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

#[tokio::test]
async fn postgres_over_tls_verifies_the_server() {
    let database = TestDatabase::new(Backend::Postgres);
    let (_, rest) = database.url.split_once('@').expect("a user in the URL");
    let (_, name) = rest.rsplit_once('/').expect("a database in the URL");
    let (_, port) = rest
        .split_once('/')
        .and_then(|(host, _)| host.rsplit_once(':'))
        .unwrap_or(("", "5432"));
    let base = format!("postgres://postgres@localhost:{port}/{name}");
    let verify = |root: &str| format!("{base}?sslmode=verify-full&sslrootcert={root}");
    let dir = tempfile::tempdir().unwrap();
    // (`require` with a root file would check it too: libpq then acts as `verify-ca`.)
    for url in [
        format!("{base}?sslmode=require"),
        verify(SERVER_CERTIFICATE),
    ] {
        let out = run(
            dir.path(),
            &["migrate"],
            &[("PAYMATCH_DATABASE_URL", &url)],
            "",
        )
        .await;
        out.assert_success();
    }
    let refused = run(
        dir.path(),
        &["migrate"],
        &[("PAYMATCH_DATABASE_URL", &verify(OTHER_ROOTS))],
        "",
    )
    .await;
    let reason = refused.assert_failure_line();
    assert!(reason.contains("certificate"), "{reason}");
}
