//! The customer's payment page: what to transfer, a VietQR code, and the order's status,
//! updated by itself. Public: it shows nothing but this order's payment facts.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::admin::views::amount;
use super::api::orders::wait_for_change;
use super::error::ApiError;
use super::i18n::Lang;
use super::pages::{render, ErrorPage};
use super::state::AppState;
use crate::config::Settings;
use crate::domain::{self, Order, OrderCode, OrderStatus};
use crate::vietqr::{Initiation, VietQr};
use crate::with_store;

/// Banks' short names by BIN (NAPAS), for the page; an unknown BIN shows as the number.
const BANKS: &[(&str, &str)] = &[
    ("970436", "Vietcombank"),
    ("970415", "VietinBank"),
    ("970418", "BIDV"),
    ("970405", "Agribank"),
    ("970407", "Techcombank"),
    ("970422", "MB Bank"),
    ("970416", "ACB"),
    ("970432", "VPBank"),
    ("970423", "TPBank"),
    ("970403", "Sacombank"),
    ("970437", "HDBank"),
    ("970441", "VIB"),
    ("970443", "SHB"),
    ("970426", "MSB"),
    ("970448", "OCB"),
    ("970431", "Eximbank"),
    ("970449", "LPBank"),
    ("970440", "SeABank"),
    ("970428", "Nam A Bank"),
    ("970454", "Viet Capital Bank"),
];

fn bank_name(bin: &str) -> String {
    BANKS
        .iter()
        .find(|(b, _)| *b == bin)
        .map_or_else(|| bin.to_owned(), |(_, name)| (*name).to_owned())
}

struct Account<'a> {
    bin: &'a str,
    number: &'a str,
    name: &'a str,
}

fn account(settings: &Settings) -> Option<Account<'_>> {
    Some(Account {
        bin: settings.bank_bin.as_deref()?,
        number: settings.bank_account.as_deref()?,
        name: settings.bank_account_name.as_deref().unwrap_or(""),
    })
}

fn qr_for<'a>(order: &'a Order, account: &Account<'a>) -> VietQr<'a> {
    VietQr {
        initiation: Initiation::Dynamic,
        bank_bin: account.bin,
        account: account.number,
        amount: Some(order.amount_due()).filter(|m| m.is_positive()),
        content: order.code.as_str(),
    }
}

/// The message a customer reads for each status.
fn status_message(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "Waiting for your transfer…",
        OrderStatus::PartiallyPaid => "Partly paid: please transfer the rest.",
        OrderStatus::Paid | OrderStatus::Overpaid => "Paid. Thank you!",
        OrderStatus::Cancelled => "This order was cancelled.",
        OrderStatus::Expired => "This order has expired.",
    }
}

#[derive(Template)]
#[template(path = "pay.html")]
struct PayPage {
    lang: Lang,
    code: String,
    status: &'static str,
    message: &'static str,
    open: bool,
    amount: String,
    due: String,
    received: String,
    currency: String,
    bank: Option<(String, String, String)>,
    messages: Vec<(&'static str, &'static str)>,
}

const NO_SUCH_ORDER: &str = "There is no order with this code. Check the link the shop gave you.";

async fn load(state: &AppState, code: &str) -> Result<Order, ApiError> {
    let missing = || ApiError::not_found("order_not_found", "there is no such order");
    let code = OrderCode::parse(code).map_err(|_| missing())?;
    let order = state
        .db
        .run(move |conn| with_store!(conn, |s| crate::db::Store::order(s, &code)))
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
    let open = order.status.is_open();
    let page = PayPage {
        code: order.code.to_string(),
        status: order.status.as_str(),
        message: lang.t(status_message(order.status)),
        open,
        amount: amount(order.amount, lang),
        due: amount(order.amount_due(), lang),
        received: amount(order.amount_received, lang),
        currency: order.currency.clone(),
        // A closed order takes no more payments: no account to pay into.
        bank: account(&state.settings)
            .filter(|_| open)
            .map(|a| (bank_name(a.bin), a.number.to_owned(), a.name.to_owned())),
        // The script swaps these in when the status changes.
        messages: OrderStatus::ALL
            .iter()
            .map(|s| (s.as_str(), lang.t(status_message(*s))))
            .collect(),
        lang,
    };
    let mut response = render(&page)?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

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
    let account = account(&state.settings).ok_or_else(|| {
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
}

/// What the page's script polls: the payment facts only, with the amounts also formatted as
/// the page shows them (in the reader's language).
pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let order = load(&state, &code).await?;
    let order = wait_for_change(&state, order, query.wait.as_deref()).await?;
    let with_currency = |m| format!("{} {}", amount(m, lang), order.currency);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "code": order.code,
            "status": order.status.as_str(),
            "paid": order.status.is_paid(),
            "amount": order.amount,
            "amount_received": order.amount_received,
            "amount_due": order.amount_due(),
            "display": {
                "amount_received": with_currency(order.amount_received),
                "amount_due": with_currency(order.amount_due()),
            },
        })))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_banks_by_bin() {
        assert_eq!(bank_name("970436"), "Vietcombank");
        assert_eq!(bank_name("999999"), "999999");
    }
}
