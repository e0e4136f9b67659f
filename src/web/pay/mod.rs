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
use crate::config::Account;
use crate::domain::{self, Order, OrderCode};
use crate::state::AppState;
use crate::vietqr::{Initiation, VietQr};
use crate::with_store;
use view::{receiving, PayView};

pub(crate) mod banks;
mod shop_links;
mod view;
use shop_links::{cancel_link, contact, signed_return, ContactView, OpenGraph};

fn qr_for<'a>(order: &'a Order, account: &'a Account) -> VietQr<'a> {
    VietQr {
        initiation: Initiation::Dynamic,
        bank_bin: &account.bin,
        account: &account.number,
        amount: Some(order.amount_due()).filter(|m| m.is_positive()),
        content: order.code.as_str(),
    }
}

#[derive(Template)]
#[template(path = "pay.html")]
struct PayPage {
    lang: Lang,
    /// The shop's name: `shop_name`, else the default account's name (the same on every
    /// order, whichever account it is paid into).
    shop: Option<String>,
    view: PayView,
    og: OpenGraph,
    /// The signed return to the shop, once paid: a button, and where the page goes by itself.
    back: Option<String>,
    /// "Choose another way to pay", while open.
    cancel: Option<String>,
    contact: Option<ContactView>,
    /// Seconds before the page returns to the shop by itself.
    return_after: u32,
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
    let account = receiving(settings, &order);
    let view = PayView::new(&order, account, lang);
    let page = PayPage {
        lang,
        shop: settings.shop(),
        og: OpenGraph::new(&order, &view, settings, lang),
        back: signed_return(&order, &state.secrets, domain::now()),
        cancel: cancel_link(&order),
        contact: contact(settings),
        return_after: 5,
        view,
    };
    let mut response = render(&page)?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The open order and its account, for a QR code; 404 once it takes no more payments.
async fn payable(state: &AppState, code: &str) -> Result<(Order, Account), ApiError> {
    let order = load(state, code).await?;
    if !order.status.is_open() {
        return Err(ApiError::not_found(
            "order_closed",
            "the order takes no more payments",
        ));
    }
    let account = receiving(&state.settings, &order).cloned().ok_or_else(|| {
        ApiError::not_found(
            "no_bank_account",
            "the receiving bank account is not configured",
        )
    })?;
    Ok((order, account))
}

fn qr_failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable("qr_failed", format!("the QR code could not be made: {e}"))
}

fn qr_response(
    content_type: &'static str,
    body: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The QR code for the amount due now, whatever the address's `due=` says (that only makes
/// each amount a new image for the browser); never stored by caches.
pub async fn qr_svg(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (order, account) = payable(&state, &code).await?;
    let svg = qr_for(&order, &account).svg().map_err(qr_failed)?;
    Ok(qr_response("image/svg+xml", svg))
}

/// Narrowest `qr.png`: wide enough for a chat app's preview and for printing.
const QR_PNG_MIN_WIDTH: usize = 480;

/// The same QR code as a PNG, for chat apps and e-mail, which show no SVG.
pub async fn qr_png(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (order, account) = payable(&state, &code).await?;
    let png = qr_for(&order, &account)
        .png(QR_PNG_MIN_WIDTH)
        .map_err(qr_failed)?;
    Ok(qr_response("image/png", png))
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
    let view = PayView::new(&order, receiving(&state.settings, &order), lang);
    let mut live = view.live(&order);
    // The signed way back, for a page that sees its order paid while open.
    live["return_url"] = serde_json::json!(signed_return(&order, &state.secrets, domain::now()));
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(live))
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
