//! Settings: the webhook address, secrets shown on request (audited), and a tester of the
//! order code patterns.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::context::{render, Nav, PageContext};
use super::error::AdminError;
use crate::db::OrderStore;
use crate::domain;
use crate::ingest::resolve::{self, Audit};
use crate::matching;
use crate::web::i18n::Lang;
use crate::web::state::AppState;
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
    secrets: Vec<SecretRow>,
    patterns: Vec<String>,
    description: String,
    normalised: String,
    found: Vec<(String, String)>,
    tested: bool,
}

async fn settings_page(
    req: &HttpRequest,
    ctx: PageContext,
    state: &AppState,
    description: Option<String>,
    revealed: Option<(Secret, String)>,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let webhook_url = format!("{}/webhooks/casso", crate::web::client::site_url(req));
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
        webhook_url,
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
        lang,
    })
}

pub async fn settings(
    req: HttpRequest,
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<SettingsQuery>,
) -> Result<HttpResponse, AdminError> {
    let description = query
        .into_inner()
        .description
        .map(|d| d.chars().take(2000).collect());
    settings_page(&req, ctx, &state, description, None).await
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
    req: HttpRequest,
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<RevealForm>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_csrf(&form.csrf)?;
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
    settings_page(&req, ctx, &state, None, revealed).await
}
