//! A new order as its maker typed it, checked by the rules every way in shares: the API, the
//! admin's form and a CSV import.

use chrono::{DateTime, Utc};

use crate::config::{is_currency_code, Account, Accounts, DEFAULT_CURRENCY};
use crate::domain::{parse_amount_input, Customer, Money, Order, OrderCode};

const MAX_REFERENCE_LEN: usize = 255;
const MAX_URL_LEN: usize = 2048;

/// One field that is wrong: its name as the API, the form and the CSV spell it, a code for
/// machines (`invalid_amount`) and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Invalid {
        Invalid {
            field,
            code,
            message: message.into(),
        }
    }
}

/// What a maker gave; the amount and the deadline already read by the way in (each reads them
/// its own way), the rest as typed. Empty texts count as left out, except the code: an empty
/// code is a bad one (a way in that offers an empty field leaves it out).
#[derive(Debug, Default, Clone)]
pub struct Draft {
    pub code: Option<String>,
    pub amount: Option<Money>,
    pub currency: Option<String>,
    pub reference: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub notify_url: Option<String>,
    /// The number of one of the shop's receiving accounts; the default when left out.
    pub account: Option<String>,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub customer_email: Option<String>,
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
}

/// A checked new order, with its code if one was given.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub code: Option<OrderCode>,
    pub amount: Money,
    pub currency: String,
    pub reference: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub notify_url: Option<String>,
    /// The account's number as configured: the default when the maker named none.
    pub account: Option<String>,
    pub customer: Customer,
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
}

impl NewOrder {
    pub fn into_order(&self, code: OrderCode, now: DateTime<Utc>) -> Order {
        Order {
            reference: self.reference.clone(),
            notify_url: self.notify_url.clone(),
            account: self.account.clone(),
            expires_at: self.expires_at,
            customer: self.customer.clone(),
            return_url: self.return_url.clone(),
            cancel_url: self.cancel_url.clone(),
            ..Order::pending(code, self.amount, &self.currency, now)
        }
    }
}

fn given(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty())
}

/// An amount as the admin's form and an import read it: in dong as a Vietnamese user types it
/// (`150.000`, `150k`, `1,5tr`); in another currency, a plain decimal (`12.345` is not twelve
/// thousand dollars).
pub fn read_amount(text: &str, currency: &str) -> Option<Money> {
    let amount = if currency.eq_ignore_ascii_case(DEFAULT_CURRENCY) {
        parse_amount_input(text).ok()
    } else {
        Money::parse(text.trim()).ok()
    };
    amount.filter(|m| m.is_positive())
}

/// The currency an order paid into `account` (a number as typed, or the default) is in.
pub fn currency_of(accounts: &Accounts, account: Option<&str>) -> String {
    receiving_account(accounts, account)
        .ok()
        .flatten()
        .map_or(DEFAULT_CURRENCY, |a| a.currency.as_str())
        .to_owned()
}

/// The configured account that `requested` names (the default when it names none).
fn receiving_account<'a>(
    accounts: &'a Accounts,
    requested: Option<&str>,
) -> Result<Option<&'a Account>, Invalid> {
    let Some(requested) = requested.filter(|a| !a.trim().is_empty()) else {
        return Ok(accounts.default_account());
    };
    match accounts.find(requested) {
        Some(account) => Ok(Some(account)),
        None if accounts.all().is_empty() => Err(Invalid::new(
            "account",
            "unknown_account",
            "`account`: the shop has no receiving account configured",
        )),
        None => Err(Invalid::new(
            "account",
            "unknown_account",
            format!(
                "`account` {requested:?} is not one of the shop's receiving accounts ({})",
                accounts
                    .all()
                    .iter()
                    .map(|a| a.number.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// An absolute http or https URL with a host (a query is kept), or none when left out.
fn web_url(
    field: &'static str,
    code: &'static str,
    value: Option<String>,
) -> Result<Option<String>, Invalid> {
    let Some(url) = given(value) else {
        return Ok(None);
    };
    let valid = url.len() <= MAX_URL_LEN
        && reqwest::Url::parse(&url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !valid {
        return Err(Invalid::new(
            field,
            code,
            format!("`{field}` must be an http:// or https:// URL"),
        ));
    }
    Ok(Some(url))
}

/// The value, or none with its fault noted.
fn keep<T>(wrong: &mut Vec<Invalid>, result: Result<T, Invalid>) -> Option<T> {
    result.map_err(|e| wrong.push(e)).ok()
}

impl Draft {
    /// Every rule, each wrong field reported (in the order of the fields); `Ok` only when
    /// nothing is wrong.
    pub fn check(self, now: DateTime<Utc>, accounts: &Accounts) -> Result<NewOrder, Vec<Invalid>> {
        let mut wrong = Vec::new();
        let code = keep(
            &mut wrong,
            self.code
                .map(|c| {
                    OrderCode::parse(&c)
                        .map_err(|e| Invalid::new("code", "invalid_code", e.to_string()))
                })
                .transpose(),
        )
        .flatten();
        let amount = keep(
            &mut wrong,
            match self.amount {
                None => Err(Invalid::new(
                    "amount",
                    "invalid_amount",
                    "`amount` is required",
                )),
                Some(m) if !m.is_positive() => Err(Invalid::new(
                    "amount",
                    "invalid_amount",
                    "`amount` must be more than 0",
                )),
                Some(m) => Ok(m),
            },
        );
        let currency = self
            .currency
            .unwrap_or_else(|| DEFAULT_CURRENCY.to_owned())
            .to_ascii_uppercase();
        let currency_ok = keep(
            &mut wrong,
            if is_currency_code(&currency) {
                Ok(())
            } else {
                Err(Invalid::new(
                    "currency",
                    "invalid_currency",
                    "`currency` is a 3-letter code such as VND",
                ))
            },
        );
        let reference = given(self.reference);
        keep(
            &mut wrong,
            if reference
                .as_ref()
                .is_some_and(|r| r.chars().count() > MAX_REFERENCE_LEN || r.contains('\0'))
            {
                Err(Invalid::new(
                    "reference",
                    "invalid_reference",
                    format!("`reference` is at most {MAX_REFERENCE_LEN} characters"),
                ))
            } else {
                Ok(())
            },
        );
        keep(
            &mut wrong,
            if self.expires_at.is_some_and(|t| t <= now) {
                Err(Invalid::new(
                    "expires_at",
                    "invalid_expires_at",
                    "`expires_at` is in the past",
                ))
            } else {
                Ok(())
            },
        );
        let notify_url = keep(
            &mut wrong,
            web_url("notify_url", "invalid_notify_url", self.notify_url),
        );
        let return_url = keep(
            &mut wrong,
            web_url("return_url", "invalid_return_url", self.return_url),
        );
        let cancel_url = keep(
            &mut wrong,
            web_url("cancel_url", "invalid_cancel_url", self.cancel_url),
        );
        // Each field on its own, so that every wrong one is told.
        let (name, phone, email) = (
            self.customer_name.as_deref(),
            self.customer_phone.as_deref(),
            self.customer_email.as_deref(),
        );
        let mut customer_ok = true;
        for part in [
            Customer::parse(name, None, None),
            Customer::parse(None, phone, None),
            Customer::parse(None, None, email),
        ] {
            if let Err(e) = part {
                customer_ok = false;
                wrong.push(Invalid::new(
                    e.field(),
                    "invalid_customer",
                    format!("`customer`: {e}"),
                ));
            }
        }
        let customer = customer_ok
            .then(|| Customer::parse(name, phone, email).ok())
            .flatten();
        let account = keep(
            &mut wrong,
            receiving_account(accounts, self.account.as_deref()),
        );
        // The bank account receives one currency; an order in another would be paid by the
        // same number of dong (49.99 USD by 49.99 VND).
        if let (Some(account), Some(())) = (&account, currency_ok) {
            let account_currency = account.map_or(DEFAULT_CURRENCY, |a| a.currency.as_str());
            if currency != account_currency {
                wrong.push(Invalid::new(
                    "currency",
                    "currency_mismatch",
                    format!(
                        "`currency` {currency} is not the currency of the receiving account{} \
                         ({account_currency})",
                        account
                            .map(|a| format!(" {}", a.number))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
        match (
            amount, notify_url, return_url, cancel_url, customer, account,
        ) {
            (
                Some(amount),
                Some(notify_url),
                Some(return_url),
                Some(cancel_url),
                Some(customer),
                Some(account),
            ) if wrong.is_empty() => Ok(NewOrder {
                code,
                amount,
                currency,
                reference,
                expires_at: self.expires_at,
                notify_url,
                account: account.map(|a| a.number.clone()),
                customer,
                return_url,
                cancel_url,
            }),
            _ => Err(wrong),
        }
    }
}
