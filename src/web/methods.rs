//! Request methods, before any route or metric sees them.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use super::error::ApiError;

/// The methods HTTP defines. Anything else is refused here, so that a client cannot mint new
/// metric series (the `method` label) with made-up method names.
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

/// Answers HEAD as GET: the route runs as for GET, and actix-http, which saw the request as
/// HEAD, sends the headers (with the GET body's length) and no body.
pub async fn normalise(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let method = req.method().clone();
    if !KNOWN.contains(&method) {
        let refused = ApiError::new(
            actix_web::http::StatusCode::NOT_IMPLEMENTED,
            "unknown_method",
            "this server does not know that request method",
        );
        let response: HttpResponse = actix_web::ResponseError::error_response(&refused);
        return Ok(req.into_response(response));
    }
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
