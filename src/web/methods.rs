//! Request methods, before any route or metric sees them.

use std::sync::LazyLock;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// The methods HTTP defines. A request with any other method is handled as the method
/// `UNKNOWN` (which no route takes: 404, or 405 with `Allow` on resources that list theirs), so
/// that a client cannot mint new metric series (the `method` label) with made-up names.
const KNOWN: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
    Method::CONNECT,
    Method::TRACE,
];

static UNKNOWN: LazyLock<Method> =
    LazyLock::new(|| Method::from_bytes(b"UNKNOWN").expect("UNKNOWN is a valid method token"));

/// Answers HEAD as GET: the route runs as for GET, and actix-http, which saw the request as
/// HEAD, sends the headers (with the GET body's length) and no body.
pub async fn normalise(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let method = req.method().clone();
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
    } else if !KNOWN.contains(&method) {
        req.head_mut().method = UNKNOWN.clone();
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
