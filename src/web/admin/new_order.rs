//! Orders made by hand (`/admin/orders/new`): a sale over chat, by phone or at the counter.
//! The form checks by the API's rules (`orders::Draft`) and stores the API's way, so the order
//! behaves exactly like one a storefront made; each wrong field says why next to it.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use super::context::{redirect, render, Nav, PageContext};
use super::error::AdminError;
use super::notice::Done;
use crate::config::Accounts;
use crate::domain::{self, vietnam, Cause};
use crate::orders::{self, currency_of, read_amount, Created, Draft, Invalid};
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::web::pay::banks::bank_name;
use crate::write_store;

/// What a person reads for a wrong field, in the page's language.
pub(super) fn fault_text(fault: &Invalid) -> &'static str {
    match (fault.code, fault.field) {
        ("invalid_amount", _) => "Enter an amount more than 0, such as 150.000, 150k or 1,5tr.",
        ("invalid_code", _) => "A code is 1 to 32 letters and digits, such as DH1234.",
        ("code_generation_failed", _) => "No free order code was found; try again.",
        ("order_exists", _) => "Another order already has this code.",
        ("duplicate_code", _) => "This code is on another line of the file too.",
        ("invalid_reference", _) => "A note is at most 255 characters.",
        ("invalid_expires_at", _) if fault.message.contains("past") => {
            "The deadline must be in the future."
        }
        ("invalid_expires_at", _) => "Write the deadline as 2026-12-31 23:59 (Vietnam time).",
        (_, "customer_phone") => "A phone number is digits, with an optional leading + and spaces.",
        (_, "customer_email") => "An e-mail address looks like mai@example.vn.",
        (_, "customer_name") => "A name is at most 255 characters.",
        ("unknown_account", _) => "Choose one of the shop's accounts.",
        _ => "This value cannot be used.",
    }
}

/// The deadline choices the form offers, as (value, label).
const DEADLINES: [(&str, &str); 5] = [
    ("", "No deadline"),
    ("1h", "In 1 hour"),
    ("24h", "In 24 hours"),
    ("3d", "In 3 days"),
    ("at", "At a time I choose"),
];

pub struct AccountChoice {
    pub number: String,
    pub label: String,
}

pub fn account_choices(accounts: &Accounts) -> Vec<AccountChoice> {
    accounts
        .all()
        .iter()
        .map(|a| AccountChoice {
            number: a.number.clone(),
            label: format!("{} · {} · {}", bank_name(&a.bin), a.number, a.name),
        })
        .collect()
}

#[derive(Default, Deserialize)]
pub struct NewOrderForm {
    #[serde(default)]
    csrf: String,
    amount: Option<String>,
    code: Option<String>,
    customer_name: Option<String>,
    customer_phone: Option<String>,
    customer_email: Option<String>,
    reference: Option<String>,
    account: Option<String>,
    /// A quick choice (`1h`, `24h`, `3d`, empty for none, `at` for `expires_at_time`) or a
    /// time itself (RFC 3339, or Vietnam time as `2026-12-31 23:59`).
    expires_at: Option<String>,
    /// The time picker's value (Vietnam time) when the choice is `at`.
    expires_at_time: Option<String>,
}

fn text(value: &Option<String>) -> String {
    value
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

fn given(value: &Option<String>) -> Option<String> {
    Some(text(value)).filter(|v| !v.is_empty())
}

/// The deadline the form asks for, or what is wrong with it.
fn deadline(form: &NewOrderForm, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, Invalid> {
    let choice = text(&form.expires_at);
    let typed = match choice.as_str() {
        "" => return Ok(None),
        "1h" => return Ok(Some(now + Duration::hours(1))),
        "24h" => return Ok(Some(now + Duration::hours(24))),
        "3d" => return Ok(Some(now + Duration::days(3))),
        "at" => text(&form.expires_at_time),
        _ => choice,
    };
    let bad = || Invalid::new("expires_at", "invalid_expires_at", "not a time");
    if let Ok(t) = DateTime::parse_from_rfc3339(&typed) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    // A time picker sends `2026-12-31T23:59`, a person `2026-12-31 23:59`: Vietnam time.
    let local = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%d/%m/%Y %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&typed, f).ok())
    .ok_or_else(bad)?;
    vietnam()
        .from_local_datetime(&local)
        .single()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(bad)
}

impl NewOrderForm {
    /// The order the form describes, or every wrong field.
    fn check(
        &self,
        now: DateTime<Utc>,
        accounts: &Accounts,
    ) -> Result<orders::NewOrder, Vec<Invalid>> {
        let mut wrong = Vec::new();
        let account = given(&self.account);
        let currency = currency_of(accounts, account.as_deref());
        let amount = given(&self.amount).and_then(|a| read_amount(&a, &currency));
        if amount.is_none() {
            wrong.push(Invalid::new("amount", "invalid_amount", "not an amount"));
        }
        let expires_at = deadline(self, now)
            .map_err(|e| wrong.push(e))
            .ok()
            .flatten();
        let draft = Draft {
            code: given(&self.code),
            amount,
            currency: Some(currency),
            reference: given(&self.reference),
            expires_at,
            account,
            customer_name: given(&self.customer_name),
            customer_phone: given(&self.customer_phone),
            customer_email: given(&self.customer_email),
            ..Draft::default()
        };
        match draft.check(now, accounts) {
            Ok(new) if wrong.is_empty() => Ok(new),
            Ok(_) => Err(wrong),
            Err(more) => {
                // The amount's own fault is told once.
                let told: Vec<&str> = wrong.iter().map(|w| w.field).collect();
                wrong.extend(more.into_iter().filter(|m| !told.contains(&m.field)));
                Err(wrong)
            }
        }
    }
}

pub struct Field {
    pub value: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "admin/new_order.html")]
struct NewOrderPage {
    lang: Lang,
    nav: Nav,
    amount: Field,
    code: Field,
    customer_name: Field,
    customer_phone: Field,
    customer_email: Field,
    reference: Field,
    account: Field,
    expires_at: Field,
    expires_at_time: String,
    accounts: Vec<AccountChoice>,
    deadlines: Vec<(&'static str, &'static str)>,
    /// Something wrong that belongs to no field (no free code).
    problem: Option<&'static str>,
}

impl NewOrderPage {
    fn new(ctx: PageContext, state: &AppState, form: &NewOrderForm, wrong: &[Invalid]) -> Self {
        let lang = ctx.lang;
        let field = |name: &str, value: &Option<String>| Field {
            value: text(value),
            error: wrong
                .iter()
                .find(|w| w.field == name)
                .map(|w| lang.t(fault_text(w))),
        };
        NewOrderPage {
            amount: field("amount", &form.amount),
            code: field("code", &form.code),
            customer_name: field("customer_name", &form.customer_name),
            customer_phone: field("customer_phone", &form.customer_phone),
            customer_email: field("customer_email", &form.customer_email),
            reference: field("reference", &form.reference),
            account: field("account", &form.account),
            expires_at: field("expires_at", &form.expires_at),
            expires_at_time: text(&form.expires_at_time),
            accounts: account_choices(&state.settings.accounts),
            deadlines: DEADLINES.to_vec(),
            problem: None,
            nav: ctx.nav,
            lang,
        }
    }
}

pub async fn new_order_form(
    ctx: PageContext,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    ctx.require(Action::Work)?;
    let form = NewOrderForm::default();
    render(&NewOrderPage::new(ctx, &state, &form, &[]))
}

pub async fn create_order(
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<NewOrderForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let now = domain::now();
    let new = match form.check(now, &state.settings.accounts) {
        Ok(new) => new,
        Err(wrong) => {
            return Ok(with_status(render(&NewOrderPage::new(
                ctx, &state, &form, &wrong,
            ))?));
        }
    };
    let cause = Cause::Admin(ctx.user());
    let created = write_store!(state.db, |s| orders::create(s, &new, &cause, now))?;
    let fault = |field, code| vec![Invalid::new(field, code, "")];
    let wrong = match created {
        Created::New(order) => {
            return Ok(redirect(&format!(
                "/admin/orders/{}?done={}",
                order.code,
                Done::Created.code()
            )))
        }
        Created::Existing(_) | Created::AmountConflict(_) => fault("code", "order_exists"),
        Created::NoFreeCode => {
            let mut page = NewOrderPage::new(ctx, &state, &form, &[]);
            page.problem = Some(page.lang.t("No free order code was found; try again."));
            return Ok(with_status(render(&page)?));
        }
    };
    Ok(with_status(render(&NewOrderPage::new(
        ctx, &state, &form, &wrong,
    ))?))
}

/// A form sent back with its faults: `422`, so that nothing reads it as done.
fn with_status(mut response: HttpResponse) -> HttpResponse {
    *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    response
}
