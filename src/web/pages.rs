//! Server-rendered pages (askama) and the static files they use, built into the binary so it
//! runs from any directory.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::error::ApiError;
use super::i18n::Lang;
use crate::state::AppState;

/// The public front page: nothing that tells a visitor which version or database runs here.
#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    webhook_url: String,
}

pub async fn index(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    render(&IndexPage {
        webhook_url: state.settings.public_url.link("/webhooks/casso"),
    })
}

/// An HTML error page in the reader's language, for pages people open (`/pay`, `/admin`); the
/// API and webhooks answer errors in JSON.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub lang: Lang,
    pub status: u16,
    /// English keys of `i18n`.
    pub title: &'static str,
    pub message: &'static str,
    pub back: &'static str,
    pub back_label: &'static str,
}

impl ErrorPage {
    /// "Not found", with a way back to `back`.
    pub fn not_found(lang: Lang, message: &'static str, back: &'static str) -> ErrorPage {
        ErrorPage {
            lang,
            status: 404,
            title: "Page not found",
            message,
            back,
            back_label: "Go back",
        }
    }

    pub fn response(&self) -> HttpResponse {
        let status = actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        match self.render() {
            Ok(html) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(e) => {
                tracing::error!(error = %e, "error page failed");
                HttpResponse::build(status)
                    .content_type("text/plain; charset=utf-8")
                    .body(self.title)
            }
        }
    }
}

pub fn render(page: &impl Template) -> Result<HttpResponse, ApiError> {
    let html = page.render().map_err(|e| {
        tracing::error!(error = %e, "template failed");
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the page could not be rendered",
        )
    })?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

const STATIC_FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/style.css"),
    ),
    (
        "pay.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/pay.css"),
    ),
    (
        "pay.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/pay.js"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/admin.js"),
    ),
    ("og.png", "image/png", include_bytes!("../../static/og.png")),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
];

pub async fn static_file(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (_, content_type, body) = STATIC_FILES
        .iter()
        .find(|(file, _, _)| *file == name.as_str())
        .ok_or_else(|| ApiError::not_found("not_found", "no such file"))?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(*body))
}
