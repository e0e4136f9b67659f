//! Reconciliation: pull the account's transactions from a provider's API (Casso's or SePay's)
//! for a window of days and ingest every one through the same pipeline as webhooks. What a
//! webhook already brought is a duplicate and changes nothing; what it missed is recorded and
//! matched now.

use chrono::{Duration, NaiveDate, Utc};

use crate::config::Settings;
use crate::db::{AuditStore, Database, ReconcileTotals, StoreError};
use crate::domain::{self, OrderCode, Source};
use crate::ingest::casso::api::{CassoApi, CassoApiError};
use crate::ingest::pipeline::{ingest_delivery, reconcile_channel};
use crate::ingest::read_delivery;
use crate::ingest::sepay::api::{SepayApi, SepayApiError};
use crate::ingest::Element;
use crate::write_store;

pub const PAGE_SIZE: u32 = 100;
/// Casso retries a webhook for a day: a scheduled pass looks back further than that.
pub const SCHEDULED_WINDOW_DAYS: i64 = 3;
/// A bound on pages, so a misbehaving API cannot keep a run going for ever.
const MAX_PAGES: u32 = 10_000;
/// How long one API call may take.
const API_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{0}")]
    Casso(#[from] CassoApiError),
    #[error("{0}")]
    Sepay(#[from] SepayApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("--from {from} is after --to {to}")]
    BadWindow { from: NaiveDate, to: NaiveDate },
}

/// A provider's API, as reconciliation reads it.
pub enum ProviderApi {
    Casso(CassoApi),
    Sepay(SepayApi),
}

/// One page read: its elements and where the next one starts (none: this was the last), and
/// the number of pages in all when the provider says. A position is a page number for Casso,
/// the lowest id wanted for SePay.
struct Pulled {
    elements: Vec<Element>,
    next: Option<u64>,
    total_pages: Option<u32>,
}

impl ProviderApi {
    pub fn source(&self) -> Source {
        match self {
            ProviderApi::Casso(_) => Source::Casso,
            ProviderApi::Sepay(_) => Source::Sepay,
        }
    }

    /// The API of `source` as configured; `None` when its key or token is not set.
    pub fn configured(
        settings: &Settings,
        source: Source,
    ) -> Option<Result<ProviderApi, ReconcileError>> {
        Some(match source {
            Source::Casso => {
                let key = settings.casso_api_key.clone()?;
                CassoApi::new(&settings.casso_api_url, key, API_TIMEOUT)
                    .map(ProviderApi::Casso)
                    .map_err(ReconcileError::from)
            }
            Source::Sepay => {
                let token = settings.sepay_api_token.clone()?;
                SepayApi::new(&settings.sepay_api_url, token, API_TIMEOUT)
                    .map(ProviderApi::Sepay)
                    .map_err(ReconcileError::from)
            }
        })
    }

    fn first_position(&self) -> u64 {
        match self {
            ProviderApi::Casso(_) => 1,
            ProviderApi::Sepay(_) => 0,
        }
    }

    async fn pull(
        &self,
        (from, to): (NaiveDate, NaiveDate),
        position: u64,
    ) -> Result<Pulled, ReconcileError> {
        match self {
            ProviderApi::Casso(api) => {
                let number = u32::try_from(position).unwrap_or(u32::MAX);
                let page = api.transactions_page(from, to, number, PAGE_SIZE).await?;
                let more = !page.records.is_empty() && page.has_more();
                Ok(Pulled {
                    next: more.then_some(position + 1),
                    total_pages: page.total_pages,
                    elements: page.records,
                })
            }
            ProviderApi::Sepay(api) => {
                let page = api.transactions_page(from, to, position, PAGE_SIZE).await?;
                // A full page may have a next one, which starts after its highest id; a page
                // whose ids do not move forward ends the run rather than loop.
                let full = page.records.len() >= usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
                let next = page
                    .highest_id
                    .filter(|&highest| full && highest >= position)
                    .and_then(|highest| highest.checked_add(1));
                Ok(Pulled {
                    elements: page.records,
                    next,
                    total_pages: None,
                })
            }
        }
    }
}

/// Today in Vietnam, where the providers' dates are.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&domain::vietnam()).date_naive()
}

pub fn scheduled_window() -> (NaiveDate, NaiveDate) {
    let to = today();
    (to - Duration::days(SCHEDULED_WINDOW_DAYS), to)
}

/// Progress as pages come in: (pages done, pages in all if the provider said).
pub type Progress<'a> = &'a mut (dyn FnMut(u32, Option<u32>) + Send);

/// Runs one reconciliation and records it with its provider (visible to admins). Orders whose
/// status changed are passed to `changed` (for long-polls in this process).
pub async fn run(
    db: &Database,
    settings: &Settings,
    api: &ProviderApi,
    window: (NaiveDate, NaiveDate),
    trigger: &str,
    progress: Progress<'_>,
    changed: &mut Vec<OrderCode>,
) -> Result<ReconcileTotals, ReconcileError> {
    let (from, to) = window;
    if from > to {
        return Err(ReconcileError::BadWindow { from, to });
    }
    let (trigger_text, from_text, to_text) = (trigger.to_owned(), from.to_string(), to.to_string());
    let source = api.source();
    let run_id = write_store!(db, |s| s.insert_reconcile_run(
        source,
        &trigger_text,
        &from_text,
        &to_text,
        domain::now()
    ))?;
    let mut totals = ReconcileTotals::default();
    let outcome = pull(
        db,
        settings,
        api,
        window,
        run_id,
        &mut totals,
        progress,
        changed,
    )
    .await;
    let error = outcome.as_ref().err().map(ToString::to_string);
    let recorded = totals;
    write_store!(db, |s| s.finish_reconcile_run(
        run_id,
        &recorded,
        error.as_deref(),
        domain::now()
    ))?;
    tracing::info!(
        run_id,
        source = source.as_str(),
        ?totals,
        ok = outcome.is_ok(),
        "reconciliation finished"
    );
    outcome.map(|()| totals)
}

/// One reconciliation of `window` with every configured provider, one after the other (the
/// scheduled one and an admin's "reconcile now"); empty when no API key is set.
pub async fn run_configured(
    db: &Database,
    settings: &Settings,
    window: (NaiveDate, NaiveDate),
    trigger: &str,
    changed: &mut Vec<OrderCode>,
) -> Vec<(Source, Result<ReconcileTotals, ReconcileError>)> {
    let mut outcomes = Vec::new();
    for source in Source::ALL {
        let Some(api) = ProviderApi::configured(settings, source) else {
            continue;
        };
        let result = match api {
            Ok(api) => run(db, settings, &api, window, trigger, &mut |_, _| {}, changed).await,
            Err(e) => Err(e),
        };
        outcomes.push((source, result));
    }
    outcomes
}

/// Whether any provider's API key is set: then reconciliation can run.
pub fn any_configured(settings: &Settings) -> bool {
    settings.casso_api_key.is_some() || settings.sepay_api_token.is_some()
}

#[allow(clippy::too_many_arguments)]
async fn pull(
    db: &Database,
    settings: &Settings,
    api: &ProviderApi,
    window: (NaiveDate, NaiveDate),
    run_id: i64,
    totals: &mut ReconcileTotals,
    progress: Progress<'_>,
    changed: &mut Vec<OrderCode>,
) -> Result<(), ReconcileError> {
    let channel = reconcile_channel(api.source());
    let mut position = api.first_position();
    for page_number in 1..=MAX_PAGES {
        let page = api.pull(window, position).await?;
        let count = page.elements.len();
        let elements = read_delivery(page.elements, &settings.matching);
        let (matching, links, alerts) = (
            settings.matching.clone(),
            settings.public_url.clone(),
            settings.alerts.clone(),
        );
        let note = format!("{{\"reconcile_run\":{run_id},\"page\":{page_number}}}");
        let report = write_store!(db, |s| ingest_delivery(
            s,
            &matching,
            &links,
            &alerts,
            channel,
            &note,
            &elements,
            domain::now()
        ))?;
        totals.pages += 1;
        totals.records += i32::try_from(count).unwrap_or(i32::MAX);
        totals.new_transactions += report.counts.accepted;
        totals.already_known += report.counts.duplicates;
        totals.rejected += report.counts.rejected;
        totals.matched += report.matched;
        changed.extend(report.changed_orders);
        progress(page_number, page.total_pages);
        match page.next {
            Some(next) if count > 0 => position = next,
            _ => break,
        }
    }
    Ok(())
}
