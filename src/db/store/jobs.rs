//! The job queue.

use chrono::{DateTime, Utc};

use crate::db::models::to_db_time;
use crate::db::{JobRow, NewJobRow, Page, StoreError};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    /// Finished without anything to do (a notification with no URL to send it to).
    Skipped,
    /// Out of attempts: waits for an admin's replay.
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Skipped => "skipped",
            JobStatus::Failed => "failed",
        }
    }
}

/// How a claimed job ends: finished (`Done`, `Skipped`, `Failed`) or `Queued` again at
/// `run_at`; a recurring job is re-armed with its attempts reset.
#[derive(Debug, Clone)]
pub struct Settlement {
    pub status: JobStatus,
    pub run_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub reset_attempts: bool,
}

impl Settlement {
    pub fn finished(status: JobStatus, error: Option<String>) -> Self {
        Settlement {
            status,
            run_at: None,
            error,
            reset_attempts: false,
        }
    }

    pub fn retry(at: DateTime<Utc>, error: String) -> Self {
        Settlement {
            status: JobStatus::Queued,
            run_at: Some(at),
            error: Some(error),
            reset_attempts: false,
        }
    }

    pub fn rearm(at: DateTime<Utc>, error: Option<String>) -> Self {
        Settlement {
            status: JobStatus::Queued,
            run_at: Some(at),
            error,
            reset_attempts: true,
        }
    }
}

impl<'a> NewJobRow<'a> {
    /// A job queued to run at `run_at`, with no unique key and no target (set those with struct
    /// update syntax where a kind has them).
    pub fn queued(
        kind: &'a str,
        payload: &'a str,
        max_attempts: i32,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> NewJobRow<'a> {
        NewJobRow {
            kind,
            unique_key: None,
            payload,
            status: JobStatus::Queued.as_str(),
            attempts: 0,
            max_attempts,
            run_at: to_db_time(run_at),
            created_at: to_db_time(now),
            updated_at: to_db_time(now),
            target: None,
        }
    }
}

pub trait JobStore {
    /// `false` when a job with the same unique key exists already.
    fn enqueue_job(&mut self, job: &NewJobRow) -> Result<bool, StoreError>;
    /// Takes the next due job (or one whose worker's lease ran out) for the lease its kind
    /// gets, counting an attempt, skipping jobs for the `busy` targets. Several workers never
    /// get the same job.
    fn claim_job(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        lease: fn(&str) -> chrono::Duration,
        busy: &[String],
    ) -> Result<Option<JobRow>, StoreError>;
    /// Ends a claimed job (only while `worker` still holds it): `Done`, `Skipped` or `Failed`,
    /// or `Queued` again at `run_at`. `reset_attempts` re-arms a recurring job.
    fn settle_job(
        &mut self,
        id: i64,
        worker: &str,
        settlement: &Settlement,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Jobs of a kind, newest first; of these statuses only, unless none is given.
    fn jobs_page(
        &mut self,
        kind: &str,
        statuses: &[JobStatus],
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<JobRow>, StoreError>;
    /// A failed job runs again from its first attempt.
    fn replay_job(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError>;
    fn job(&mut self, id: i64) -> Result<Option<JobRow>, StoreError>;
}
