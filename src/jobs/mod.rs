//! The background worker: one loop per `paymatch serve` process (unless `PAYMATCH_WORKER` is
//! false) that expires overdue orders and runs jobs from the `jobs` table: shop notifications
//! and the scheduled reconciliation. Jobs are claimed with a lease, so several processes on one
//! PostgreSQL share the work, and a job whose worker stopped or died runs again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use tokio::sync::watch;
use tracing::Instrument;

use crate::casso_api::CassoApi;
use crate::config::Settings;
use crate::db::models::to_db_time;
use crate::db::{Database, JobRow, JobStatus, NewJobRow, Settlement, Store, StoreError};
use crate::domain::{self, OrderCode};
use crate::metrics::Metrics;
use crate::notify::deliver::{self, fibonacci_minutes};
use crate::notify::outbox::{self, Notification};
use crate::notify::NotifySigner;
use crate::web::state::{AppState, OrderEvents};
use crate::{reconcile, with_store, write_store};

pub const RECONCILE_KIND: &str = "reconcile";
const POLL: Duration = Duration::from_secs(1);
const EXPIRY_SWEEP: Duration = Duration::from_secs(5);
const EXPIRY_BATCH: i64 = 500;

/// What a job came to.
enum Outcome {
    Done,
    Skipped(String),
    /// Try again later (until attempts run out).
    Retry(String),
    /// Will not succeed however often it is tried.
    Fail(String),
    /// A recurring job: run again at this time.
    Rearm(DateTime<Utc>, Option<String>),
}

#[derive(Clone)]
struct Context {
    db: Database,
    settings: Arc<Settings>,
    signer: Option<NotifySigner>,
    http: reqwest::Client,
    events: OrderEvents,
    metrics: Metrics,
    worker_id: String,
}

/// A running worker; `stop` lets the job in hand finish, then ends the loop.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

pub fn spawn(state: &AppState) -> WorkerHandle {
    let signer = NotifySigner::new(state.secrets.notify_secret.expose_secret())
        .map_err(|e| tracing::error!(error = %e, "notifications cannot be signed"))
        .ok();
    let http = reqwest::Client::builder()
        // A shop's redirect could point anywhere, private addresses included.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("paymatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default();
    let worker_id = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let context = Context {
        db: state.db.clone(),
        settings: state.settings.clone(),
        signer,
        http,
        events: state.order_events.clone(),
        metrics: state.metrics.clone(),
        worker_id,
    };
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(context, stopped));
    WorkerHandle { stop, task }
}

async fn run(context: Context, mut stopped: watch::Receiver<bool>) {
    tracing::info!(worker = %context.worker_id, "worker started");
    if let Err(error) = schedule_reconciliation(&context).await {
        tracing::error!(%error, "scheduled reconciliation not set up");
    }
    let mut last_sweep: Option<tokio::time::Instant> = None;
    while !*stopped.borrow() {
        if last_sweep.is_none_or(|t| t.elapsed() >= EXPIRY_SWEEP) {
            if let Err(error) = expire_overdue(&context).await {
                tracing::warn!(%error, "expiry sweep failed");
            }
            last_sweep = Some(tokio::time::Instant::now());
        }
        match claim(&context).await {
            Ok(Some(job)) => {
                execute(&context, job).await;
                continue;
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "cannot claim jobs"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stopped.changed() => {}
        }
    }
    tracing::info!(worker = %context.worker_id, "worker stopped");
}

/// One recurring row per database: several processes agree through its unique key.
async fn schedule_reconciliation(context: &Context) -> Result<(), StoreError> {
    if context.settings.casso_api_key.is_none() || context.settings.reconcile_interval == 0 {
        return Ok(());
    }
    let now = domain::now();
    write_store!(context.db, |s| s.enqueue_job(&NewJobRow {
        kind: RECONCILE_KIND,
        unique_key: Some(RECONCILE_KIND),
        payload: "{}",
        status: JobStatus::Queued.as_str(),
        attempts: 0,
        max_attempts: 1,
        run_at: to_db_time(now),
        created_at: to_db_time(now),
        updated_at: to_db_time(now),
    }))
    .map(|_| ())
}

/// Closes open orders past `expires_at`, with their notifications, in one transaction.
async fn expire_overdue(context: &Context) -> Result<(), StoreError> {
    let now = domain::now();
    let expired = write_store!(context.db, |s| s.write(|s| {
        let mut expired: Vec<OrderCode> = Vec::new();
        for mut order in s.overdue_orders_for_update(now, EXPIRY_BATCH)? {
            if order.expire_if_due(now) {
                s.update_order(&order)?;
                expired.push(order.code);
            }
        }
        outbox::record_changes(s, &expired, now)?;
        Ok(expired)
    }))?;
    if !expired.is_empty() {
        tracing::info!(count = expired.len(), "orders expired");
        context.events.publish(expired);
    }
    Ok(())
}

/// How long a worker holds a job before another may take it: past the longest a run of that
/// kind can take (a notification's 15 s request; a reconciliation's pages).
fn lease_for(kind: &str) -> chrono::Duration {
    match kind {
        RECONCILE_KIND => chrono::Duration::minutes(30),
        _ => chrono::Duration::minutes(2),
    }
}

async fn claim(context: &Context) -> Result<Option<JobRow>, StoreError> {
    let worker = context.worker_id.clone();
    let now = domain::now();
    write_store!(context.db, |s| s.claim_job(&worker, now, lease_for))
}

async fn execute(context: &Context, job: JobRow) {
    let span = tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
    async {
        // A panic inside a job ends that task only: the job is retried, not lost.
        let outcome = match tokio::spawn(perform(context.clone(), job.clone())).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => Outcome::Retry("the job panicked".to_owned()),
            Err(e) => Outcome::Retry(format!("the job was cancelled: {e}")),
        };
        let now = domain::now();
        match &outcome {
            Outcome::Done => tracing::info!("job done"),
            Outcome::Skipped(reason) => tracing::info!(%reason, "job skipped"),
            Outcome::Rearm(..) => tracing::info!("recurring job rescheduled"),
            Outcome::Retry(error) | Outcome::Fail(error) => {
                tracing::warn!(%error, attempts = job.attempts, "job did not succeed")
            }
        }
        if job.kind == outbox::KIND {
            let result = match &outcome {
                Outcome::Done => "delivered",
                Outcome::Skipped(_) => "skipped",
                Outcome::Fail(_) => "failed",
                Outcome::Retry(_) if job.attempts >= job.max_attempts => "failed",
                Outcome::Retry(_) | Outcome::Rearm(..) => "retry",
            };
            context
                .metrics
                .notifications
                .with_label_values(&[result])
                .inc();
        }
        let settlement = match outcome {
            Outcome::Done => Settlement::finished(JobStatus::Done, None),
            Outcome::Skipped(reason) => Settlement::finished(JobStatus::Skipped, Some(reason)),
            Outcome::Fail(error) => Settlement::finished(JobStatus::Failed, Some(error)),
            Outcome::Retry(error) if job.attempts >= job.max_attempts => {
                Settlement::finished(JobStatus::Failed, Some(error))
            }
            Outcome::Retry(error) => {
                let delay = chrono::Duration::minutes(fibonacci_minutes(job.attempts));
                Settlement::retry(now + delay, error)
            }
            Outcome::Rearm(at, error) => Settlement::rearm(at, error),
        };
        let (id, worker) = (job.id, context.worker_id.clone());
        let settled = write_store!(context.db, |s| s.settle_job(id, &worker, &settlement, now));
        match settled {
            Ok(true) => {}
            Ok(false) => tracing::warn!("the job's lease had passed to another worker"),
            Err(error) => tracing::error!(%error, "job result not saved; it will run again"),
        }
    }
    .instrument(span)
    .await
}

async fn perform(context: Context, job: JobRow) -> Outcome {
    match job.kind.as_str() {
        outbox::KIND => notify(&context, &job).await,
        RECONCILE_KIND => reconcile_scheduled(&context).await,
        other => Outcome::Fail(format!("unknown job kind {other:?}")),
    }
}

async fn notify(context: &Context, job: &JobRow) -> Outcome {
    let notification: Notification = match serde_json::from_str(&job.payload) {
        Ok(n) => n,
        Err(e) => return Outcome::Fail(format!("unreadable notification: {e}")),
    };
    let Some(signer) = &context.signer else {
        return Outcome::Retry("no valid PAYMATCH_NOTIFY_SECRET".to_owned());
    };
    let code = match OrderCode::parse(&notification.order_code) {
        Ok(code) => code,
        Err(e) => return Outcome::Fail(e.to_string()),
    };
    let order = match context
        .db
        .run(move |conn| with_store!(conn, |s| s.order(&code)))
        .await
    {
        Ok(order) => order,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    let url = order
        .and_then(|o| o.notify_url)
        .or_else(|| context.settings.notify_url.clone());
    let Some(url) = url else {
        return Outcome::Skipped(
            "no notify_url for the order and no PAYMATCH_NOTIFY_URL".to_owned(),
        );
    };
    match deliver::deliver(
        &context.http,
        signer,
        &url,
        &notification,
        context.settings.notify_allow_private,
    )
    .await
    {
        Ok(status) => {
            tracing::info!(status, event = %notification.event_type, order_code = %notification.order_code, "notification delivered");
            Outcome::Done
        }
        Err(e) if e.is_permanent() => Outcome::Fail(e.to_string()),
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

async fn reconcile_scheduled(context: &Context) -> Outcome {
    let next = domain::now()
        + chrono::Duration::seconds(
            i64::try_from(context.settings.reconcile_interval)
                .unwrap_or(i64::MAX / 2)
                .max(1),
        );
    let Some(key) = context.settings.casso_api_key.clone() else {
        return Outcome::Skipped("no PAYMATCH_CASSO_API_KEY".to_owned());
    };
    if context.settings.reconcile_interval == 0 {
        return Outcome::Skipped("scheduled reconciliation is off".to_owned());
    }
    let api = match CassoApi::new(
        &context.settings.casso_api_url,
        key,
        Duration::from_secs(30),
    ) {
        Ok(api) => api,
        Err(e) => return Outcome::Rearm(next, Some(e.to_string())),
    };
    let mut changed = Vec::new();
    let result = reconcile::run(
        &context.db,
        &context.settings.matching,
        &api,
        reconcile::scheduled_window(),
        "schedule",
        &mut |_, _| {},
        &mut changed,
    )
    .await;
    context.events.publish(changed);
    Outcome::Rearm(next, result.err().map(|e| e.to_string()))
}
