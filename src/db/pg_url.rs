//! The PostgreSQL URL as paymatch connects with it.

use std::borrow::Cow;

/// The URL with `sslmode=disable` added when the server is on this machine (a loopback
/// address or `localhost`) and neither the URL nor `PGSSLMODE` chooses a mode. libpq's default
/// (`prefer`) would otherwise set up TLS over loopback, where it protects nothing and costs
/// every round trip. Any other host, a Unix socket, or a mode given keeps libpq's behaviour.
pub fn with_loopback_defaults(url: &str) -> Cow<'_, str> {
    if std::env::var_os("PGSSLMODE").is_some() || !is_loopback(url) {
        return Cow::Borrowed(url);
    }
    let query = url.split_once('?').map(|(_, q)| q);
    let chosen = query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.starts_with("sslmode=") || pair.starts_with("host="))
    });
    if chosen {
        return Cow::Borrowed(url);
    }
    let separator = if query.is_some() { '&' } else { '?' };
    Cow::Owned(format!("{url}{separator}sslmode=disable"))
}

/// Whether the URL's host is this machine over TCP.
fn is_loopback(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // Several hosts (`h1,h2`) are left alone: one of them may be remote.
    if host_port.contains(',') {
        return false;
    }
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.split(':').next().unwrap_or(host_port),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::with_loopback_defaults;

    #[test]
    fn loopback_urls_go_without_tls_unless_they_say_otherwise() {
        if std::env::var_os("PGSSLMODE").is_some() {
            return;
        }
        for (url, expected) in [
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
            ),
            (
                "postgresql://u:p@localhost/db?application_name=pm",
                "postgresql://u:p@localhost/db?application_name=pm&sslmode=disable",
            ),
            (
                "postgres://u@[::1]:5433/db",
                "postgres://u@[::1]:5433/db?sslmode=disable",
            ),
            (
                "postgres://u@127.0.0.1/db?sslmode=require",
                "postgres://u@127.0.0.1/db?sslmode=require",
            ),
            ("postgres://u@db.example/db", "postgres://u@db.example/db"),
            (
                "postgres://u@10.0.0.5:5432/db",
                "postgres://u@10.0.0.5:5432/db",
            ),
            (
                "postgres://u@localhost/db?host=/run/postgresql",
                "postgres://u@localhost/db?host=/run/postgresql",
            ),
            (
                "postgres://u@127.0.0.1,db.example/db",
                "postgres://u@127.0.0.1,db.example/db",
            ),
        ] {
            assert_eq!(with_loopback_defaults(url), expected, "{url}");
        }
    }
}
