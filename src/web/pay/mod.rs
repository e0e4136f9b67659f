//! The customer's payment page: what to transfer, a VietQR code, and the order's status,
//! updated by itself. Public: it shows nothing but this order's payment facts.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::api::orders::wait_until;
use super::error::ApiError;
use super::i18n::Lang;
use super::pages::{render, ErrorPage};
use super::state::AppState;
use crate::domain::{self, Order, OrderCode};
use crate::vietqr::{Initiation, VietQr};
use crate::with_store;
use view::{PayView, Receiving};

mod banks;
mod view;

fn qr_for<'a>(order: &'a Order, account: &Receiving<'a>) -> VietQr<'a> {
    VietQr {
        initiation: Initiation::Dynamic,
        bank_bin: account.bin,
        account: account.number,
        amount: Some(order.amount_due()).filter(|m| m.is_positive()),
        content: order.code.as_str(),
    }
}

#[derive(Template)]
#[template(path = "pay.html")]
struct PayPage {
    lang: Lang,
    /// The shop's name: `shop_name`, else the receiving account's name.
    shop: Option<String>,
    view: PayView,
}

const NO_SUCH_ORDER: &str = "There is no order with this code. Check the link the shop gave you.";

async fn load(state: &AppState, code: &str) -> Result<Order, ApiError> {
    let missing = || ApiError::not_found("order_not_found", "there is no such order");
    let code = OrderCode::parse(code).map_err(|_| missing())?;
    let order = state
        .db
        .run(move |conn| with_store!(conn, |s| crate::db::OrderStore::order(s, &code)))
        .await?
        .ok_or_else(missing)?;
    Ok(order.seen_at(domain::now()))
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let order = match load(&state, &code).await {
        Ok(order) => order,
        // A mistyped link: a page the customer can read, not JSON.
        Err(e) if e.status == actix_web::http::StatusCode::NOT_FOUND => {
            return Ok(ErrorPage::not_found(lang, NO_SUCH_ORDER, "/").response());
        }
        Err(e) => return Err(e),
    };
    let settings = &state.settings;
    let page = PayPage {
        lang,
        shop: settings
            .shop_name
            .clone()
            .or_else(|| settings.bank_account_name.clone()),
        view: PayView::new(&order, Receiving::of(settings).as_ref(), lang),
    };
    let mut response = render(&page)?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The QR code for the amount due now, whatever the address's `due=` says (that only makes
/// each amount a new image for the browser); never stored by caches.
pub async fn qr_svg(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = load(&state, &code).await?;
    if !order.status.is_open() {
        return Err(ApiError::not_found(
            "order_closed",
            "the order takes no more payments",
        ));
    }
    let account = Receiving::of(&state.settings).ok_or_else(|| {
        ApiError::not_found(
            "no_bank_account",
            "the receiving bank account is not configured",
        )
    })?;
    let svg = qr_for(&order, &account).svg().map_err(|e| {
        ApiError::unprocessable("qr_failed", format!("the QR code could not be made: {e}"))
    })?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(svg))
}

#[derive(Deserialize)]
pub struct StatusQuery {
    wait: Option<String>,
    /// The `version` the page shows: the answer waits only while the order is still there.
    seen: Option<String>,
}

/// What the page's script polls: the payment facts, also formatted as the page shows them
/// (in the reader's language). With `wait`, the answer waits for any change the customer can
/// see (a second partial payment too, not only a new status).
pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let order = load(&state, &code).await?;
    let seen = query.seen.clone().unwrap_or_else(|| view::version(&order));
    let order = wait_until(&state, order, query.wait.as_deref(), |o| {
        view::version(o) != seen
    })
    .await?;
    let view = PayView::new(&order, Receiving::of(&state.settings).as_ref(), lang);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view.live(&order)))
}

#[derive(Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

/// The language switch: remembered in a cookie, then back to the page.
pub async fn switch_language(
    req: HttpRequest,
    lang: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang =
        Lang::parse(&lang).ok_or_else(|| ApiError::not_found("not_found", "no such language"))?;
    let next = query
        .next
        .as_deref()
        .and_then(super::security::safe_path)
        .unwrap_or_else(|| "/".to_owned());
    let mut cookie =
        super::admin::session::cookie(&req, super::i18n::LANG_COOKIE, lang.code().to_owned());
    cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(cookie)
        .finish())
}
