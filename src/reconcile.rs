//! Reconciliation: pull the account's transactions from the Casso API for a window of days and
//! ingest every one through the same pipeline as webhooks. What a webhook already brought is a
//! duplicate and changes nothing; what it missed is recorded and matched now.

use chrono::{Duration, NaiveDate, Utc};

use crate::casso_api::{CassoApi, CassoApiError};
use crate::config::{MatchingSettings, Settings};
use crate::db::{AuditStore, Database, ReconcileTotals, StoreError};
use crate::domain::{self, OrderCode};
use crate::ingest::pipeline::ingest_delivery;
use crate::write_store;

pub const PAGE_SIZE: u32 = 100;
/// Casso retries a webhook for a day: a scheduled pass looks back further than that.
pub const SCHEDULED_WINDOW_DAYS: i64 = 3;
/// A bound on pages, so a misbehaving API cannot keep a run going for ever.
const MAX_PAGES: u32 = 10_000;
const CHANNEL: &str = crate::ingest::pipeline::RECONCILE_CHANNEL;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{0}")]
    Api(#[from] CassoApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("--from {from} is after --to {to}")]
    BadWindow { from: NaiveDate, to: NaiveDate },
}

/// Today in Vietnam, where Casso's dates are.
pub fn today() -> NaiveDate {
    (Utc::now() + Duration::hours(7)).date_naive()
}

pub fn scheduled_window() -> (NaiveDate, NaiveDate) {
    let to = today();
    (to - Duration::days(SCHEDULED_WINDOW_DAYS), to)
}

/// Progress as pages come in: (pages done, pages in all if Casso said).
pub type Progress<'a> = &'a mut (dyn FnMut(u32, Option<u32>) + Send);

/// Runs one reconciliation and records it (visible to admins). Orders whose status changed are
/// passed to `changed` (for long-polls in this process).
pub async fn run(
    db: &Database,
    matching: &MatchingSettings,
    api: &CassoApi,
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
    let run_id = write_store!(db, |s| s.insert_reconcile_run(
        &trigger_text,
        &from_text,
        &to_text,
        domain::now()
    ))?;
    let mut totals = ReconcileTotals::default();
    let outcome = pull(
        db,
        matching,
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
        ?totals,
        ok = outcome.is_ok(),
        "reconciliation finished"
    );
    outcome.map(|()| totals)
}

/// One reconciliation of `window` with the configured Casso API (the scheduled one and an
/// admin's "reconcile now"); `None` when no API key is set.
pub async fn run_configured(
    db: &Database,
    settings: &Settings,
    window: (NaiveDate, NaiveDate),
    trigger: &str,
    changed: &mut Vec<OrderCode>,
) -> Option<Result<ReconcileTotals, ReconcileError>> {
    let key = settings.casso_api_key.clone()?;
    let api = match CassoApi::new(
        &settings.casso_api_url,
        key,
        std::time::Duration::from_secs(30),
    ) {
        Ok(api) => api,
        Err(e) => return Some(Err(e.into())),
    };
    Some(
        run(
            db,
            &settings.matching,
            &api,
            window,
            trigger,
            &mut |_, _| {},
            changed,
        )
        .await,
    )
}

#[allow(clippy::too_many_arguments)]
async fn pull(
    db: &Database,
    matching: &MatchingSettings,
    api: &CassoApi,
    (from, to): (NaiveDate, NaiveDate),
    run_id: i64,
    totals: &mut ReconcileTotals,
    progress: Progress<'_>,
    changed: &mut Vec<OrderCode>,
) -> Result<(), ReconcileError> {
    for page_number in 1..=MAX_PAGES {
        let page = api
            .transactions_page(from, to, page_number, PAGE_SIZE)
            .await?;
        let elements = page.records.clone();
        let count = elements.len();
        let matching = matching.clone();
        let note = format!("{{\"reconcile_run\":{run_id},\"page\":{page_number}}}");
        let report = write_store!(db, |s| ingest_delivery(
            s,
            &matching,
            CHANNEL,
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
        if count == 0 || !page.has_more() {
            break;
        }
    }
    Ok(())
}
