//! The background worker of a `paymatch serve` process (unless `PAYMATCH_WORKER` is false):
//! the expiry sweep, and a loop that runs jobs from the `jobs` table (shop notifications and
//! the scheduled reconciliation) several at once, each target getting at most a small share
//! of the slots, and a job holding its slot only for its first moments: shops that never
//! answer, however many, are waited for beside the slots and delay no other shop. Jobs are
//! claimed with a lease, so several processes on one PostgreSQL share the work, and a job whose
//! worker stopped or died runs again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::alerts;
use crate::config::{AlertKind, Settings};
use crate::db::{
    Database, JobRow, JobStatus, JobStore, NewJobRow, OrderStore, Settlement, Store, StoreError,
};
use crate::domain::{self, OrderCode};
use crate::metrics::Metrics;
use crate::notify::deliver::{self, fibonacci_minutes};
use crate::notify::outbox::{self, Notification};
use crate::notify::NotifySigner;
use crate::state::{AppState, OrderEvents};
use crate::{reconcile, with_store, write_store};

mod alerting;
mod expiry;

pub const RECONCILE_KIND: &str = "reconcile";
const POLL: Duration = Duration::from_secs(1);

/// What a job came to.
enum Outcome {
    Done,
    Skipped(String),
    /// Try again later (until attempts run out).
    Retry(String),
    /// Try again after this long, as the other end asked (Telegram's `retry_after`).
    RetryAfter(std::time::Duration, String),
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
    /// For owner alerts: the Telegram API is the operator's choice, not a shop's.
    alert_http: reqwest::Client,
    events: OrderEvents,
    metrics: Metrics,
    worker_id: String,
}

/// A running worker; `stop` lets the jobs in hand finish, then ends its loops.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    jobs: tokio::task::JoinHandle<()>,
    expiry: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.jobs.await;
        let _ = self.expiry.await;
    }
}

pub fn spawn(state: &AppState) -> WorkerHandle {
    let signer = NotifySigner::new(state.secrets.notify_secret.expose_secret())
        .map_err(|e| tracing::error!(error = %e, "notifications cannot be signed"))
        .ok();
    let worker_id = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let context = Context {
        db: state.db.clone(),
        settings: state.settings.clone(),
        signer,
        http: deliver::client(state.settings.notify_allow_private),
        alert_http: reqwest::Client::builder()
            .user_agent(concat!("paymatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default(),
        events: state.order_events.clone(),
        metrics: state.metrics.clone(),
        worker_id,
    };
    let (stop, stopped) = watch::channel(false);
    let expiry = tokio::spawn(expiry::run(
        context.db.clone(),
        context.events.clone(),
        context.settings.public_url.clone(),
        stopped.clone(),
    ));
    let jobs = tokio::spawn(run(context, stopped));
    WorkerHandle { stop, jobs, expiry }
}

/// Jobs started and not yet past `PATIENCE`, per worker process.
const SLOTS: usize = 16;
/// How long a job holds its slot. A shop that answers has answered by then; one still silent
/// is waited for (up to its 15 s) outside the slots, so silent shops cannot take them all.
/// Slow jobs are thereby bounded too: at most `SLOTS` start per `PATIENCE`, and a delivery ends
/// within 15 s, so about `SLOTS` × 15 s / `PATIENCE` of them run at once.
const PATIENCE: Duration = Duration::from_secs(2);
/// Jobs in flight at most, slow ones included: a hard ceiling on connections and memory, above
/// the estimate of `PATIENCE`, should jobs ever last longer than it assumes.
const MAX_IN_FLIGHT: usize = 256;
/// Jobs in flight per target, so that one shop's backlog never takes every slot.
const SLOTS_PER_TARGET: usize = 2;

/// Jobs in flight, when those still holding a slot began, and how many go to each target.
#[derive(Default)]
struct InFlight {
    tasks: JoinSet<()>,
    holding_slots: HashMap<tokio::task::Id, Instant>,
    targets: HashMap<tokio::task::Id, String>,
    per_target: HashMap<String, usize>,
}

impl InFlight {
    fn start(&mut self, context: &Context, job: JobRow) {
        let target = job.target.clone();
        let id = self.tasks.spawn(execute(context.clone(), job)).id();
        self.holding_slots.insert(id, Instant::now());
        if let Some(target) = target {
            *self.per_target.entry(target.clone()).or_default() += 1;
            self.targets.insert(id, target);
        }
    }

    fn finished(&mut self, id: tokio::task::Id) {
        self.holding_slots.remove(&id);
        let Some(target) = self.targets.remove(&id) else {
            return;
        };
        if let Some(count) = self.per_target.get_mut(&target) {
            *count -= 1;
            if *count == 0 {
                self.per_target.remove(&target);
            }
        }
    }

    /// Whether another job may start: a slot is free (jobs past `PATIENCE` give theirs up).
    fn has_room(&mut self) -> bool {
        self.holding_slots
            .retain(|_, started| started.elapsed() < PATIENCE);
        self.holding_slots.len() < SLOTS && self.tasks.len() < MAX_IN_FLIGHT
    }

    /// How long until a slot is given up, when every slot is held.
    fn until_a_slot_frees(&self) -> Option<Duration> {
        if self.holding_slots.len() < SLOTS {
            return None;
        }
        self.holding_slots
            .values()
            .map(|started| PATIENCE.saturating_sub(started.elapsed()))
            .min()
    }

    /// Targets that have their share of jobs in flight already.
    fn busy(&self) -> Vec<String> {
        self.per_target
            .iter()
            .filter(|(_, n)| **n >= SLOTS_PER_TARGET)
            .map(|(target, _)| target.clone())
            .collect()
    }

    async fn next_finished(&mut self) -> Option<tokio::task::Id> {
        match self.tasks.join_next_with_id().await? {
            Ok((id, ())) => Some(id),
            Err(e) => {
                tracing::error!(error = %e, "a job's task ended abnormally");
                Some(e.id())
            }
        }
    }
}

async fn run(context: Context, mut stopped: watch::Receiver<bool>) {
    tracing::info!(worker = %context.worker_id, "worker started");
    if let Err(error) = schedule_reconciliation(&context).await {
        tracing::error!(%error, "scheduled reconciliation not set up");
    }
    if let Err(error) = alerting::schedule_daily(&context).await {
        tracing::error!(%error, "daily summary not set up");
    }
    let mut in_flight = InFlight::default();
    while !*stopped.borrow() {
        if in_flight.has_room() {
            match claim(&context, &in_flight.busy()).await {
                Ok(Some(job)) => {
                    in_flight.start(&context, job);
                    continue;
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "cannot claim jobs"),
            }
        }
        // Wait for a slot or a target to free up, for new jobs to come due, or for the stop.
        let wait = in_flight.until_a_slot_frees().map_or(POLL, |d| d.min(POLL));
        tokio::select! {
            Some(id) = in_flight.next_finished() => in_flight.finished(id),
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => {}
        }
    }
    while let Some(id) = in_flight.next_finished().await {
        in_flight.finished(id);
    }
    tracing::info!(worker = %context.worker_id, "worker stopped");
}

/// One recurring row per database: several processes agree through its unique key.
async fn schedule_reconciliation(context: &Context) -> Result<(), StoreError> {
    if !reconcile::any_configured(&context.settings) || context.settings.reconcile_interval == 0 {
        return Ok(());
    }
    let now = domain::now();
    write_store!(context.db, |s| s.enqueue_job(&NewJobRow {
        unique_key: Some(RECONCILE_KIND),
        ..NewJobRow::queued(RECONCILE_KIND, "{}", 1, now, now)
    }))
    .map(|_| ())
}

/// How long a worker holds a job before another may take it: past the longest a run of that
/// kind can take (a notification's 15 s request; a reconciliation's pages).
fn lease_for(kind: &str) -> chrono::Duration {
    match kind {
        RECONCILE_KIND | alerts::DAILY_KIND => chrono::Duration::minutes(30),
        _ => chrono::Duration::minutes(2),
    }
}

async fn claim(context: &Context, busy: &[String]) -> Result<Option<JobRow>, StoreError> {
    let worker = context.worker_id.clone();
    let now = domain::now();
    let busy = busy.to_vec();
    write_store!(context.db, |s| s.claim_job(&worker, now, lease_for, &busy))
}

async fn execute(context: Context, job: JobRow) {
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
            Outcome::Retry(error) | Outcome::RetryAfter(_, error) | Outcome::Fail(error) => {
                tracing::warn!(%error, attempts = job.attempts, "job did not succeed")
            }
        }
        if job.kind == outbox::KIND {
            let result = match &outcome {
                Outcome::Done => "delivered",
                Outcome::Skipped(_) => "skipped",
                Outcome::Fail(_) => "failed",
                Outcome::Retry(_) | Outcome::RetryAfter(..) if job.attempts >= job.max_attempts => {
                    "failed"
                }
                Outcome::Retry(_) | Outcome::RetryAfter(..) | Outcome::Rearm(..) => "retry",
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
            Outcome::Retry(error) | Outcome::RetryAfter(_, error)
                if job.attempts >= job.max_attempts =>
            {
                Settlement::finished(JobStatus::Failed, Some(error))
            }
            Outcome::RetryAfter(delay, error) => Settlement::retry(
                now + chrono::Duration::from_std(delay).unwrap_or_default(),
                error,
            ),
            Outcome::Retry(error) if job.kind == alerts::KIND => {
                let delay = alerts::send::retry_delay(job.attempts);
                Settlement::retry(
                    now + chrono::Duration::from_std(delay).unwrap_or_default(),
                    error,
                )
            }
            Outcome::Retry(error) => {
                let delay = chrono::Duration::minutes(fibonacci_minutes(job.attempts));
                Settlement::retry(now + delay, error)
            }
            Outcome::Rearm(at, error) => Settlement::rearm(at, error),
        };
        // A shop notification that gave up is told to the owner, with its settlement.
        let gave_up = alerting::gave_up_alert(&context, &job, &settlement);
        let (id, worker) = (job.id, context.worker_id.clone());
        let alert_settings = context.settings.alerts.clone();
        let settled = write_store!(context.db, |s| s.write(|s| {
            let settled = s.settle_job(id, &worker, &settlement, now)?;
            if let (true, Some(alert)) = (settled, &gave_up) {
                alerts::record(
                    s,
                    &alert_settings,
                    Some(AlertKind::Failing),
                    alert,
                    None,
                    now,
                )?;
            }
            Ok(settled)
        }));
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
        alerts::KIND => alerting::send(&context, &job).await,
        alerts::DAILY_KIND => alerting::daily(&context).await,
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
    if context.settings.reconcile_interval == 0 {
        return Outcome::Skipped("scheduled reconciliation is off".to_owned());
    }
    let mut changed = Vec::new();
    let outcomes = reconcile::run_configured(
        &context.db,
        &context.settings,
        reconcile::scheduled_window(),
        "schedule",
        &mut changed,
    )
    .await;
    context.events.publish(changed);
    if outcomes.is_empty() {
        return Outcome::Skipped(
            "no PAYMATCH_CASSO_API_KEY or PAYMATCH_SEPAY_API_TOKEN".to_owned(),
        );
    }
    // Each provider's run is recorded with its own error; the job keeps them together.
    let errors: Vec<String> = outcomes
        .into_iter()
        .filter_map(|(source, result)| result.err().map(|e| format!("{}: {e}", source.as_str())))
        .collect();
    if !errors.is_empty() {
        alerting::reconcile_failed(context, &errors.join("; ")).await;
    }
    Outcome::Rearm(next, (!errors.is_empty()).then(|| errors.join("; ")))
}
