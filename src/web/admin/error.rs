//! The one error type of admin handlers: an HTML page in the reader's language (templates/
//! error.html) for 400, 403, 404, 500 and 503. Not being logged in is not an error page but a
//! redirect to the login (`session::LoginRequired`).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use super::session::CsrfRefused;
use crate::db::StoreError;
use crate::web::error::ApiError;
use crate::web::i18n::Lang;
use crate::web::pages::ErrorPage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminError {
    /// What is missing, as an English key of `i18n`.
    NotFound(&'static str),
    BadRequest,
    /// A form without this session's CSRF token: nothing was changed.
    CsrfRefused,
    /// The user's role may not do this: nothing was changed.
    Forbidden,
    Internal,
    /// The database did not answer; nothing was changed.
    Unavailable,
}

impl AdminError {
    pub const NO_PAGE: AdminError = AdminError::NotFound("There is no page at this address.");

    fn from_status(status: StatusCode) -> AdminError {
        match status.as_u16() {
            404 => AdminError::NO_PAGE,
            403 => AdminError::CsrfRefused,
            503 => AdminError::Unavailable,
            400..=499 => AdminError::BadRequest,
            _ => AdminError::Internal,
        }
    }

    pub fn page(self, lang: Lang) -> ErrorPage {
        let (status, title, message) = match self {
            AdminError::NotFound(message) => (404, "Page not found", message),
            AdminError::BadRequest => (
                400,
                "Bad request",
                "The address or the form could not be read.",
            ),
            AdminError::Forbidden => (
                403,
                "Not allowed",
                "Your role does not allow this; nothing was changed. Ask the shop's owner.",
            ),
            AdminError::CsrfRefused => (
                403,
                "Request refused",
                "The form has expired. Reload the page and try again.",
            ),
            AdminError::Internal => (
                500,
                "Something went wrong",
                "The page could not be shown. Try again later.",
            ),
            AdminError::Unavailable => (
                503,
                "Try again soon",
                "The database is unavailable; nothing was changed. Try again in a moment.",
            ),
        };
        ErrorPage {
            lang,
            status,
            title,
            message,
            back: "/admin",
            back_label: "Go back",
        }
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let page = self.page(Lang::En);
        write!(f, "{} {}", page.status, page.message)
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.page(Lang::En).status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    /// In Vietnamese, the default; `error_pages` shows it in the reader's language.
    fn error_response(&self) -> HttpResponse {
        self.page(Lang::Vi).response()
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> AdminError {
        AdminError::from(ApiError::from(error))
    }
}

impl From<ApiError> for AdminError {
    fn from(error: ApiError) -> AdminError {
        AdminError::from_status(error.status)
    }
}

impl From<CsrfRefused> for AdminError {
    fn from(_: CsrfRefused) -> AdminError {
        AdminError::CsrfRefused
    }
}

/// Every failed admin request (a handler's, an extractor's such as a bad path or query, the
/// session lookup's) as an error page in the reader's language.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let lang = Lang::of(req.request());
    let res = next.call(req).await?;
    let Some(error) = res.response().error() else {
        return Ok(res.map_into_left_body());
    };
    if !(res.status().is_client_error() || res.status().is_server_error()) {
        return Ok(res.map_into_left_body());
    }
    let error = error
        .as_error::<AdminError>()
        .copied()
        .unwrap_or_else(|| AdminError::from_status(res.status()));
    let page = error.page(lang).response();
    Ok(res.into_response(page).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_page_is_translated() {
        for error in [
            AdminError::NO_PAGE,
            AdminError::BadRequest,
            AdminError::CsrfRefused,
            AdminError::Internal,
            AdminError::Unavailable,
        ] {
            let page = error.page(Lang::En);
            assert_eq!(error.status_code().as_u16(), page.status);
            for text in [page.title, page.message] {
                assert_ne!(Lang::Vi.t(text), text, "{text} has a Vietnamese text");
            }
        }
    }
}
