//! The client of a request as the trusted-proxy rule sees it (`crate::proxies`): its address
//! for login limits and logs, and whether it came over HTTPS.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::{web, HttpMessage, HttpRequest};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::proxies::{Forwarding, TrustedProxies};
use crate::state::AppState;

fn values<'a>(req: &'a HttpRequest, name: &HeaderName) -> Vec<&'a str> {
    req.headers()
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .collect()
}

fn forwarding(req: &HttpRequest) -> Forwarding<'_> {
    Forwarding {
        forwarded: values(req, &header::FORWARDED),
        x_forwarded_for: values(req, &HeaderName::from_static("x-forwarded-for")),
        x_forwarded_proto: values(req, &HeaderName::from_static("x-forwarded-proto")),
    }
}

fn with_proxies<T>(req: &HttpRequest, f: impl FnOnce(&TrustedProxies, IpAddr) -> T) -> T {
    // Without a peer (a test request) there is nothing to believe headers from.
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    match req.app_data::<web::Data<AppState>>() {
        Some(state) => f(&state.settings.trusted_proxies, peer),
        None => f(&TrustedProxies::default(), peer),
    }
}

/// The client's address: the TCP peer, or what a trusted proxy says it forwarded for.
pub fn address(req: &HttpRequest) -> IpAddr {
    with_proxies(req, |proxies, peer| proxies.client(peer, &forwarding(req)))
}

/// HTTPS directly, or as a trusted proxy reports it in the believed header's twin
/// (`X-Forwarded-Proto`, or `Forwarded: proto=`).
pub fn is_https(req: &HttpRequest) -> bool {
    let direct = req.app_config().secure();
    with_proxies(req, |proxies, peer| {
        proxies.is_https(peer, &forwarding(req), direct)
    })
}

/// The request span of `TracingLogger`, with the client address by the trusted-proxy rule
/// (the default span logs whatever `X-Forwarded-For` a client sends).
pub struct ClientSpan;

impl RootSpanBuilder for ClientSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let req = request.request();
        let route = req.match_pattern().unwrap_or_else(|| "default".to_owned());
        let request_id = req.extensions().get::<RequestId>().copied();
        tracing::info_span!(
            "HTTP request",
            http.method = %req.method(),
            http.route = %route,
            http.scheme = if is_https(req) { "https" } else { "http" },
            http.client_ip = %address(req),
            http.target = %req.uri().path(),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = request_id.map(tracing::field::display),
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
