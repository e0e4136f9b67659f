//! Settings read from the file and the variables: defaults, precedence, every refusal.

use std::io::Write;

use secrecy::ExposeSecret;

use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    let path = file.map(|text| {
        f.write_all(text.as_bytes()).unwrap();
        f.path().to_owned()
    });
    Settings::load(path.as_deref(), vars(env))
}

#[test]
fn defaults() {
    let s = load(None, &[]).unwrap();
    assert_eq!(s.database_url, "sqlite://paymatch.db");
    assert_eq!(s.database_kind, DatabaseKind::Sqlite);
    assert_eq!(s.bind, "127.0.0.1:8080");
    assert_eq!(s.reconcile_interval, 900);
    assert!(s.worker);
    assert!(!s.notify_allow_private);
    assert_eq!(s.matching.pattern_sources, [DEFAULT_PATTERN]);
    assert_eq!(s.matching.amount_tolerance, Money::ZERO);
    assert!(s.casso_secure_token.is_none());
    assert_eq!(s.trusted_proxies, TrustedProxies::default());
    assert_eq!(s.sqlite_wal_limit, 64 << 20);
}

#[test]
fn wal_limits_in_bytes_or_binary_units() {
    for (text, bytes) in [
        ("1048576", 1 << 20),
        ("2MiB", 2 << 20),
        ("1536 KiB", 1536 << 10),
        ("1gib", 1 << 30),
        ("4194304B", 4 << 20),
    ] {
        let s = load(None, &[("PAYMATCH_SQLITE_WAL_LIMIT", text)]).unwrap();
        assert_eq!(s.sqlite_wal_limit, bytes, "{text}");
    }
    let s = load(Some("sqlite_wal_limit = 8388608"), &[]).unwrap();
    assert_eq!(s.sqlite_wal_limit, 8 << 20);
}

#[test]
fn trusted_proxies_from_text_or_an_array() {
    let expected = TrustedProxies::parse("10.0.0.0/8,::1").unwrap();
    let s = load(None, &[("PAYMATCH_TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap();
    assert_eq!(s.trusted_proxies, expected);
    let s = load(Some(r#"trusted_proxies = ["10.0.0.0/8", "::1"]"#), &[]).unwrap();
    assert_eq!(s.trusted_proxies, expected);
    let s = load(
        Some(r#"trusted_proxies = "::1""#),
        &[("PAYMATCH_TRUSTED_PROXY_HEADER", "Forwarded")],
    )
    .unwrap();
    let forwarded = TrustedProxies::parse("::1")
        .unwrap()
        .believing(ProxyHeader::Forwarded);
    assert_eq!(s.trusted_proxies, forwarded);
}

#[test]
fn variables_win_over_the_file() {
    let file = r#"
        bind = "127.0.0.1:9000"
        worker = false
        casso_secure_token = "from-file"
        [matching]
        amount_tolerance = 0.1
        patterns = ["ORDER(?P<code>[0-9]+)"]
    "#;
    let s = load(Some(file), &[]).unwrap();
    assert_eq!(s.bind, "127.0.0.1:9000");
    assert!(!s.worker);
    assert_eq!(s.matching.amount_tolerance.to_string(), "0.1");
    assert_eq!(s.casso_secure_token.unwrap().expose_secret(), "from-file");

    let s = load(
        Some(file),
        &[
            ("PAYMATCH_BIND", "127.0.0.1:9001"),
            ("PAYMATCH_WORKER", "true"),
            ("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "500"),
            (
                "PAYMATCH_MATCHING__PATTERNS",
                r#"["DH(?P<code>\\d+)", "HD\\d+"]"#,
            ),
            ("PAYMATCH_RECONCILE_INTERVAL", "0"),
            ("PAYMATCH_CONFIG", "ignored-here"),
            ("OTHER_VAR", "ignored"),
        ],
    )
    .unwrap();
    assert_eq!(s.bind, "127.0.0.1:9001");
    assert!(s.worker);
    assert_eq!(s.reconcile_interval, 0);
    assert_eq!(s.matching.amount_tolerance.to_string(), "500");
    assert_eq!(s.matching.pattern_sources, [r"DH(?P<code>\d+)", r"HD\d+"]);
}

fn error_of(file: Option<&str>, env: &[(&str, &str)]) -> String {
    load(file, env).unwrap_err().to_string()
}

#[test]
fn bad_values_name_their_key() {
    type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (None, &[("PAYMATCH_WORKER", "maybe")], "`worker`"),
        (
            None,
            &[("PAYMATCH_RECONCILE_INTERVAL", "-5")],
            "`reconcile_interval`",
        ),
        (
            None,
            &[("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "abc")],
            "`matching.amount_tolerance`",
        ),
        (
            None,
            &[("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "-1")],
            "`matching.amount_tolerance`",
        ),
        (
            None,
            &[("PAYMATCH_MATCHING__PATTERNS", "DH")],
            "`matching.patterns`",
        ),
        (
            None,
            &[("PAYMATCH_MATCHING__PATTERNS", r#"["DH["]"#)],
            "`matching.patterns`",
        ),
        (
            None,
            &[("PAYMATCH_MATCHING__PATTERNS", "[]")],
            "`matching.patterns`",
        ),
        (
            None,
            &[("PAYMATCH_DATABASE_URL", "mysql://x")],
            "`database_url`",
        ),
        (None, &[("PAYMATCH_BIND", "nonsense")], "`bind`"),
        (
            None,
            &[("PAYMATCH_SQLITE_WAL_LIMIT", "64MB")],
            "`sqlite_wal_limit` (PAYMATCH_SQLITE_WAL_LIMIT): expected a size",
        ),
        (
            None,
            &[("PAYMATCH_SQLITE_WAL_LIMIT", "512KiB")],
            "`sqlite_wal_limit` (PAYMATCH_SQLITE_WAL_LIMIT): must be at least 1MiB",
        ),
        (Some("sqlite_wal_limit = -1"), &[], "`sqlite_wal_limit`"),
        (
            None,
            &[("PAYMATCH_NOTIFY_SECRET", "plain")],
            "`notify_secret`",
        ),
        (None, &[("PAYMATCH_BANK_BIN", "12")], "`bank_bin`"),
        (
            None,
            &[("PAYMATCH_ADMIN_PASSWORD", "a")],
            "`admin_password` (PAYMATCH_ADMIN_PASSWORD)",
        ),
        (
            None,
            &[("PAYMATCH_TRUSTED_PROXIES", "10.0.0.1, proxy.local")],
            "`trusted_proxies` (PAYMATCH_TRUSTED_PROXIES)",
        ),
        (
            None,
            &[("PAYMATCH_TRUSTED_PROXY_HEADER", "x-real-ip")],
            "`trusted_proxy_header` (PAYMATCH_TRUSTED_PROXY_HEADER)",
        ),
        (
            None,
            &[("PAYMATCH_PUBLIC_URL", "pay.example.vn")],
            "`public_url` (PAYMATCH_PUBLIC_URL)",
        ),
        (None, &[("PAYMATCH_NO_SUCH_KEY", "1")], "`no_such_key`"),
        (None, &[("PAYMATCH_MATCHING__NOPE", "1")], "`matching.nope`"),
        (Some("colour = 1"), &[], "`colour`"),
        (
            Some("[matching]\namount_tolerance = [1]"),
            &[],
            "`matching.amount_tolerance`",
        ),
    ];
    for (file, env, key) in cases {
        let message = error_of(*file, env);
        assert!(message.contains(key), "{env:?}: {message}");
    }
    assert!(error_of(None, &[("PAYMATCH_NO_SUCH_KEY", "1")]).contains("PAYMATCH_NO_SUCH_KEY"));
    assert!(error_of(Some("bind = "), &[]).contains("not valid TOML"));
    for (file, env, _) in cases {
        assert!(!error_of(*file, env).contains('\n'), "{env:?}: one line");
    }
}

#[test]
fn empty_variables_count_as_unset() {
    let s = load(
        None,
        &[("PAYMATCH_CASSO_API_KEY", ""), ("PAYMATCH_BIND", "")],
    )
    .unwrap();
    assert!(s.casso_api_key.is_none());
    assert_eq!(s.bind, "127.0.0.1:8080");
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    let err = Settings::load(Some(Path::new("/nonexistent/paymatch.toml")), vars(&[])).unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
}
