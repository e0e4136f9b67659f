//! The login form (no session yet: a double-submit CSRF cookie) and logging out.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::context::{render, PageContext};
use super::error::AdminError;
use super::notice::Done;
use super::session::{self, LoginForm, LoginOutcome};
use crate::state::AppState;
use crate::web::i18n::Lang;

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    lang: Lang,
    error: Option<&'static str>,
    done: Option<&'static str>,
    csrf: String,
    next: String,
    user: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

fn login_form(
    req: &HttpRequest,
    lang: Lang,
    error: Option<&'static str>,
    done: Option<&'static str>,
    user: String,
    next: String,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AdminError> {
    let csrf = session::random_token();
    let page = LoginPage {
        lang,
        error,
        done,
        csrf: csrf.clone(),
        next,
        user,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    response
        .add_cookie(&session::cookie(req, session::LOGIN_CSRF_COOKIE, csrf))
        .map_err(|_| AdminError::Internal)?;
    Ok(response)
}

pub async fn login_page(
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AdminError> {
    let next = session::safe_next(query.next.as_deref());
    let lang = Lang::of(&req);
    login_form(
        &req,
        lang,
        None,
        Done::message_for(query.done.as_deref(), lang),
        String::new(),
        next,
        actix_web::http::StatusCode::OK,
    )
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AdminError> {
    let lang = Lang::of(&req);
    let form = form.into_inner();
    let next = session::safe_next(form.next.as_deref());
    let expected = req
        .cookie(session::LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty()
        || !constant_time_eq::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes())
    {
        return login_form(
            &req,
            lang,
            Some("The form has expired. Reload the page and try again."),
            None,
            form.user,
            next,
            actix_web::http::StatusCode::FORBIDDEN,
        );
    }
    let address = crate::web::client::address(&req);
    let outcome = session::log_in(&state, form.user.clone(), form.password, address).await?;
    match outcome {
        LoginOutcome::LoggedIn { token } => {
            let (session_cookie, clear_csrf) = session::login_cookies(&req, token);
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .cookie(session_cookie)
                .cookie(clear_csrf)
                .finish())
        }
        LoginOutcome::WrongCredentials => login_form(
            &req,
            lang,
            Some("Wrong user name or password."),
            None,
            form.user,
            next,
            actix_web::http::StatusCode::UNAUTHORIZED,
        ),
        LoginOutcome::TooManyAttempts => login_form(
            &req,
            lang,
            Some("Too many failed attempts. Try again in 15 minutes."),
            None,
            form.user,
            next,
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        ),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
    /// "Log out everywhere": every session of this admin (other browsers, a lost laptop).
    everywhere: Option<String>,
}

pub async fn logout(
    req: HttpRequest,
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_csrf(&form.csrf)?;
    let done = if form.everywhere.is_some() {
        session::end_all_sessions(&state, &ctx.session).await?;
        Done::LoggedOutEverywhere
    } else {
        session::log_out(&state, &ctx.session).await?;
        Done::LoggedOut
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/admin/login?done={}", done.code()),
        ))
        .cookie(session::logout_cookie(&req))
        .finish())
}
