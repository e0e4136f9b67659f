//! Browser-facing defences: security headers on every response, and redirect targets taken
//! from a request (`next=`) kept to paths on this site.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

use super::client;

/// No inline script or style (the pages load /static files only), no framing, forms and
/// fetches to this site only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Adds the headers every response carries; admin pages are never cached; HSTS only when the
/// request came over HTTPS (directly or through a trusted proxy).
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = client::is_https(req.request());
    let admin = req.path() == "/admin" || req.path().starts_with("/admin/");
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if admin {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    Ok(response)
}

/// A redirect target from a request, if it is a path on this site: one leading `/`, no `//`,
/// no `\`, no control characters or whitespace (browsers skip some of these and read
/// `/\t/evil.example` as `//evil.example`). Letters beyond ASCII are percent-encoded, so the
/// result is always a valid `Location`.
pub fn safe_path(next: &str) -> Option<String> {
    let acceptable = next.starts_with('/')
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    acceptable.then(|| {
        next.chars()
            .map(|c| match c {
                c if c.is_ascii() => c.to_string(),
                c => c.to_string().bytes().map(|b| format!("%{b:02X}")).collect(),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site() {
        for good in [
            "/",
            "/admin/queue?reason=unmatched&q=a%20b",
            "/pay/DH1",
            "/admin/orders?q=x#top",
        ] {
            assert_eq!(safe_path(good).as_deref(), Some(good), "{good}");
        }
        assert_eq!(
            safe_path("/admin/orders?q=đơn").as_deref(),
            Some("/admin/orders?q=%C4%91%C6%A1n")
        );
        for bad in [
            "",
            "admin",
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/admin/\r\nSet-Cookie: x=1",
            "https://evil.example",
            "/x//y",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "/\u{85}/evil.example",
            "/\u{7f}x",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_path(bad), None, "{bad:?}");
        }
    }
}
