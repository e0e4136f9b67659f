//! What a storefront sends to create an order, read and checked before anything is stored.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::config::Accounts;
use crate::domain::Money;
use crate::orders::{Draft, NewOrder};
use crate::web::error::ApiError;

/// An amount as we receive it: a JSON number or a decimal string, more than 0, at most 4
/// decimal places, parsed exactly.
pub struct AmountInput;

/// The largest amount: the exact decimals are kept as 64-bit counts of 1/10000.
const MAX_AMOUNT: i64 = 922_337_203_685_477;
/// A positive decimal string of at most 14 digits before the point and 4 after.
const AMOUNT_INPUT_PATTERN: &str = "^(?:[1-9][0-9]{0,13}(?:\\.[0-9]{1,4})?|0?\\.(?:[1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$";

impl utoipa::PartialSchema for AmountInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .description(Some(
                "An exact decimal amount, more than 0, at most 4 decimal places: a JSON number \
                 (`150000`, `79000.0`) or a string (`\"0.1\"`).",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .exclusive_minimum(Some(0))
                    .maximum(Some(MAX_AMOUNT))
                    .multiple_of(Some(0.0001)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(AMOUNT_INPUT_PATTERN)),
            )
            .examples([serde_json::json!(150000)])
            .into()
    }
}

impl ToSchema for AmountInput {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("AmountInput")
    }
}

/// A new order. `amount` is a JSON number or a decimal string, positive, at most 4 places.
/// Empty `reference` and `notify_url` count as left out.
#[derive(Deserialize, ToSchema)]
pub struct CreateOrder {
    /// 1 to 32 letters and digits (upper-cased); generated (`DH` and digits) when left out.
    #[schema(example = "DH1234", pattern = "^[A-Za-z0-9]{1,32}$")]
    code: Option<String>,
    #[schema(value_type = AmountInput, required = true)]
    amount: Option<Value>,
    /// A 3-letter label, default `VND`; upper-cased, never converted. It must be the currency of
    /// the receiving account (`VND` unless the account names another): else `422
    /// currency_mismatch`.
    #[schema(example = "VND", pattern = "^[A-Za-z]{3}$")]
    currency: Option<String>,
    /// The shop's own reference, at most 255 characters.
    #[schema(max_length = 255, pattern = "^[^\\u0000]*$")]
    pub(super) reference: Option<String>,
    /// RFC 3339, in the future; past it, an order that is not paid is `expired`.
    #[schema(format = DateTime, example = "2099-12-31T23:59:59+07:00")]
    expires_at: Option<String>,
    /// Where this order's notifications go (an http or https URL with a host name), instead of
    /// `PAYMATCH_NOTIFY_URL`.
    #[schema(
        example = "https://shop.example/hooks/paymatch",
        max_length = 2048,
        pattern = "^$|^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z][A-Za-z0-9-]*(\\.[A-Za-z][A-Za-z0-9-]*)*(:[0-9]{1,4})?(/[A-Za-z0-9._~%/-]*)?$"
    )]
    pub(super) notify_url: Option<String>,
    /// The number of one of the shop's receiving accounts (`PAYMATCH_ACCOUNTS`); default the
    /// first. Empty counts as left out.
    #[schema(example = "0011001234567")]
    pub(super) account: Option<String>,
    /// Who the order is for: shown to the shop (admin, API, exports, search), never on the
    /// public payment page. Else `422 invalid_customer`.
    customer: Option<CustomerBody>,
    /// Where the payment page sends the customer once the order is paid, with `code`, `status`,
    /// `amount_received`, `ts` and `sig` added (an absolute http or https URL; its query is
    /// kept). Else `422 invalid_return_url`.
    #[schema(
        example = "https://shop.example/checkout/done?cart=42",
        max_length = 2048,
        pattern = "^$|^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z][A-Za-z0-9-]*(\\.[A-Za-z][A-Za-z0-9-]*)*(:[0-9]{1,4})?(/[A-Za-z0-9._~%/-]*)?(\\?[A-Za-z0-9._~%&=/-]*)?$"
    )]
    return_url: Option<String>,
    /// Where "choose another way to pay" on the open payment page leads, with `code` and
    /// `status` added. Same form as `return_url`; else `422 invalid_cancel_url`.
    #[schema(
        example = "https://shop.example/checkout?cart=42",
        max_length = 2048,
        pattern = "^$|^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z][A-Za-z0-9-]*(\\.[A-Za-z][A-Za-z0-9-]*)*(:[0-9]{1,4})?(/[A-Za-z0-9._~%/-]*)?(\\?[A-Za-z0-9._~%&=/-]*)?$"
    )]
    cancel_url: Option<String>,
}

/// An order's customer; each field optional, at most 255 characters.
#[derive(Default, Deserialize, ToSchema)]
pub struct CustomerBody {
    #[schema(
        example = "Nguyễn Thị Mai",
        max_length = 255,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    name: Option<String>,
    /// Digits, with an optional leading `+` and spaces.
    #[schema(
        example = "+84 901 234 567",
        max_length = 255,
        pattern = "^(\\+?[0-9 ]*[0-9][0-9 ]*)?$"
    )]
    phone: Option<String>,
    /// One `@` between a name and a domain, without spaces.
    #[schema(
        example = "mai@example.vn",
        max_length = 255,
        pattern = "^([^@\\s\\u0000-\\u001f\\u007f-\\u009f]+@[^@\\s\\u0000-\\u001f\\u007f-\\u009f]+)?$"
    )]
    email: Option<String>,
}

impl CreateOrder {
    /// The order the body describes, checked by the rules every way in shares; the first wrong
    /// field answers `422`.
    pub(super) fn validate(
        self,
        now: DateTime<Utc>,
        accounts: &Accounts,
    ) -> Result<NewOrder, ApiError> {
        let amount = match &self.amount {
            None | Some(Value::Null) => None,
            Some(v) => Some(Money::from_json(v).map_err(|e| {
                ApiError::unprocessable("invalid_amount", format!("`amount`: {e}"))
            })?),
        };
        let customer = self.customer.unwrap_or_default();
        Draft {
            code: self.code,
            amount,
            currency: self.currency,
            reference: self.reference,
            expires_at: self
                .expires_at
                .map(|text| {
                    DateTime::parse_from_rfc3339(&text)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|_| ApiError::unprocessable("invalid_expires_at", "`expires_at` must be an RFC 3339 time such as 2026-01-31T23:59:00+07:00"))
                })
                .transpose()?,
            notify_url: self.notify_url,
            account: self.account,
            customer_name: customer.name,
            customer_phone: customer.phone,
            customer_email: customer.email,
            return_url: self.return_url,
            cancel_url: self.cancel_url,
        }
        .check(now, accounts)
        .map_err(|wrong| {
            let first = wrong.into_iter().next();
            first.map_or_else(
                || ApiError::unprocessable("invalid_body", "the order is not valid"),
                |e| ApiError::unprocessable(e.code, e.message),
            )
        })
    }
}

pub(super) fn parse_json_body(body: &[u8]) -> Result<CreateOrder, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
    })?;
    if !value.is_object() {
        return Err(ApiError::unprocessable(
            "invalid_body",
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        // A customer that is not an object of texts is a bad customer, like one whose phone is.
        let in_customer = e
            .path()
            .iter()
            .next()
            .is_some_and(|s| s.to_string() == "customer");
        ApiError::unprocessable(
            if in_customer {
                "invalid_customer"
            } else {
                "invalid_body"
            },
            format!("the body does not describe an order: {e}"),
        )
    })
}
