//! Settings: the webhook addresses (Casso's, and SePay's with how to set it up), secrets shown on request (audited), and a tester of the
//! order code patterns.

use actix_web::{web, HttpResponse};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::alerts::AlertsView;
use super::context::{render, Nav, PageContext};
use super::error::AdminError;
use crate::db::OrderStore;
use crate::domain;
use crate::ingest::resolve::{self, Audit};
use crate::matching;
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::{with_store, write_store};

#[derive(Deserialize)]
pub struct SettingsQuery {
    description: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    lang: Lang,
    nav: Nav,
    webhook_url: String,
    sepay_webhook_url: String,
    /// Without PAYMATCH_PUBLIC_URL the webhook URLs are paths, and the page says so.
    links_are_paths: bool,
    /// Whether PAYMATCH_SEPAY_WEBHOOK_KEY is set (without it every SePay delivery is refused).
    sepay_configured: bool,
    secrets: Vec<SecretRow>,
    patterns: Vec<String>,
    description: String,
    normalised: String,
    found: Vec<(String, String)>,
    tested: bool,
    alerts: AlertsView,
}

async fn settings_page(
    ctx: PageContext,
    state: &AppState,
    description: Option<String>,
    revealed: Option<(Secret, String)>,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let links = &state.settings.public_url;
    let description = description.unwrap_or_default();
    let tested = !description.is_empty();
    let normalised = matching::normalise(&description);
    let candidates = state.settings.matching.patterns.candidates(&normalised);
    let lookup = candidates.clone();
    let orders = state
        .db
        .run(move |conn| with_store!(conn, |s| s.orders_by_codes(&lookup)))
        .await?;
    let found = candidates
        .iter()
        .map(|c| {
            let status = orders
                .iter()
                .find(|o| &o.code == c)
                .map_or("–", |o| lang.t(o.status.as_str()));
            (c.to_string(), status.to_owned())
        })
        .collect();
    render(&SettingsPage {
        nav: ctx.nav,
        webhook_url: links.link("/webhooks/casso"),
        sepay_webhook_url: links.link("/webhooks/sepay"),
        links_are_paths: !links.is_set(),
        sepay_configured: state.settings.sepay_webhook_key.is_some(),
        secrets: [Secret::CassoSecureToken, Secret::MetricsToken]
            .into_iter()
            .map(|secret| SecretRow {
                name: secret.name(),
                key: secret.key(),
                value: revealed
                    .as_ref()
                    .filter(|(shown, _)| *shown == secret)
                    .map(|(_, value)| value.clone()),
            })
            .collect(),
        patterns: state.settings.matching.pattern_sources.clone(),
        description,
        normalised,
        found,
        tested,
        alerts: AlertsView::load(state).await?,
        lang,
    })
}

pub async fn settings(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<SettingsQuery>,
) -> Result<HttpResponse, AdminError> {
    ctx.require(Action::Manage)?;
    let description = query
        .into_inner()
        .description
        .map(|d| d.chars().take(2000).collect());
    settings_page(ctx, &state, description, None).await
}

/// The secrets an admin may see again (the others are kept as digests, or are the admin's own).
#[derive(Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Secret {
    CassoSecureToken,
    MetricsToken,
}

impl Secret {
    fn key(self) -> &'static str {
        match self {
            Secret::CassoSecureToken => "casso_secure_token",
            Secret::MetricsToken => "metrics_token",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Secret::CassoSecureToken => "Secure token",
            Secret::MetricsToken => "Metrics token",
        }
    }
}

/// A secret on the settings page: hidden behind a reveal button, or shown.
pub struct SecretRow {
    name: &'static str,
    key: &'static str,
    value: Option<String>,
}

#[derive(Deserialize)]
pub struct RevealForm {
    csrf: String,
    /// The Casso token when not named (the form of earlier versions).
    secret: Option<Secret>,
}

/// Shows one secret, on a POST (so it never sits in a URL or a cache), audited.
pub async fn reveal_token(
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<RevealForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Manage)?;
    let secret = form.secret.unwrap_or(Secret::CassoSecureToken);
    let (actor, now) = (ctx.user(), domain::now());
    let subject = format!("settings:{}", secret.key());
    write_store!(state.db, |s| resolve::audit(
        s,
        &Audit {
            actor: &actor,
            action: "settings.reveal_token",
            subject: &subject,
            before: None,
            after: None,
            note: None
        },
        now
    ))?;
    let value = match secret {
        Secret::CassoSecureToken => &state.secrets.casso_secure_token,
        Secret::MetricsToken => &state.secrets.metrics_token,
    };
    let revealed = Some((secret, value.expose_secret().to_owned()));
    settings_page(ctx, &state, None, revealed).await
}
