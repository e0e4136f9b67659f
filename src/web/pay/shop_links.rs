//! Where the payment page sends the customer back to the shop: the signed return once paid,
//! the "choose another way to pay" link while open, and the shop's contact once closed. Also
//! the link preview (Open Graph) that chat apps show for a pasted pay link.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::view::{money, PayView};
use crate::config::Settings;
use crate::domain::{Order, OrderStatus};
use crate::notify::signing::NotifySigner;
use crate::state::Secrets;
use crate::web::i18n::Lang;

/// `url` with the parameters added after those it has.
fn with_params(url: &str, params: &[(&str, &str)]) -> Option<String> {
    let mut url = reqwest::Url::parse(url).ok()?;
    url.query_pairs_mut().extend_pairs(params);
    Some(url.into())
}

/// The shop's return page, with `code`, `status`, `amount_received`, `ts` and `sig`; only once
/// the order is paid or overpaid and has a `return_url`.
pub fn signed_return(order: &Order, secrets: &Secrets, now: DateTime<Utc>) -> Option<String> {
    let url = order
        .return_url
        .as_deref()
        .filter(|_| order.status.is_paid())?;
    let signer = NotifySigner::new(secrets.notify_secret.expose_secret()).ok()?;
    let (code, status) = (order.code.as_str(), order.status.as_str());
    let received = order.amount_received.to_string();
    let ts = now.timestamp();
    let sig = signer.sign_return(code, status, &received, ts);
    with_params(
        url,
        &[
            ("code", code),
            ("status", status),
            ("amount_received", &received),
            ("ts", &ts.to_string()),
            ("sig", &sig),
        ],
    )
}

/// "Choose another way to pay": the shop's `cancel_url` with `code` and `status`, while the
/// order is open. Following it changes nothing here.
pub fn cancel_link(order: &Order) -> Option<String> {
    let url = order
        .cancel_url
        .as_deref()
        .filter(|_| order.status.is_open())?;
    with_params(
        url,
        &[
            ("code", order.code.as_str()),
            ("status", order.status.as_str()),
        ],
    )
}

pub struct ContactView {
    pub shown: String,
    pub href: Option<String>,
}

/// The shop's contact, shown where the customer may need the shop: once the order is closed
/// (paid ones included: a question about the goods), overpaid, cancelled or expired. An open
/// page holds it hidden, for the moment it closes.
pub fn contact(settings: &Settings) -> Option<ContactView> {
    let contact = settings.shop_contact.as_ref()?;
    Some(ContactView {
        shown: contact.shown().to_owned(),
        href: contact.href(),
    })
}

/// What a chat app shows for a pasted pay link.
pub struct OpenGraph {
    pub title: String,
    pub description: String,
    pub url: String,
    pub image: String,
}

impl OpenGraph {
    pub fn new(order: &Order, view: &PayView, settings: &Settings, lang: Lang) -> OpenGraph {
        let links = &settings.public_url;
        let code = &order.code;
        let shop = settings.shop();
        let what = if order.status.is_open() {
            format!(
                "{} {}",
                lang.t("Pay"),
                money(order.amount_due(), &order.currency, lang)
            )
        } else {
            view.message.to_owned()
        };
        let title = match shop {
            Some(shop) => format!("{shop} · {what}"),
            None => what,
        };
        let description = match order.status {
            OrderStatus::Pending | OrderStatus::PartiallyPaid => format!(
                "{} {code}. {}",
                lang.t("Order"),
                lang.t("Scan the VietQR code or transfer with the content shown on the page.")
            ),
            _ => format!("{} {code}: {}", lang.t("Order"), view.message),
        };
        OpenGraph {
            title,
            description,
            url: links.link(&format!("/pay/{code}")),
            // A picture without an amount: chat apps keep a preview for days, and a QR code in
            // it would ask for the amount due when the link was pasted, not now.
            image: links.link("/static/og.png"),
        }
    }
}
