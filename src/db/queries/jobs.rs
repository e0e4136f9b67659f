// The job queue: the `JobStore` queries, included once per backend (see `db/mod.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::common::*;
use super::Conn;
use crate::db::backend::Backend;
use crate::db::models::*;
use crate::db::schema::jobs;
use crate::db::{JobRow, JobStatus, JobStore, NewJobRow, Page, Settlement, Store, StoreError};

impl JobStore for Conn {
    fn enqueue_job(&mut self, job: &NewJobRow) -> Result<bool, StoreError> {
        let inserted = diesel::insert_into(jobs::table)
            .values(job)
            .on_conflict_do_nothing()
            .execute(self)?;
        Ok(inserted == 1)
    }

    fn claim_job(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        lease: fn(&str) -> chrono::Duration,
        busy: &[String],
    ) -> Result<Option<JobRow>, StoreError> {
        self.write(|c| {
            let Some(id) = c.next_job(to_db_time(now), busy)? else {
                return Ok(None);
            };
            let kind: String = jobs::table.find(id).select(jobs::kind).first(c)?;
            let lease = lease(&kind);
            diesel::update(jobs::table.find(id))
                .set((
                    jobs::status.eq(JobStatus::Running.as_str()),
                    jobs::attempts.eq(jobs::attempts + 1),
                    jobs::locked_until.eq(to_db_time(now + lease)),
                    jobs::locked_by.eq(worker),
                    jobs::updated_at.eq(to_db_time(now)),
                ))
                .execute(c)?;
            Ok(Some(
                jobs::table.find(id).select(JobRow::as_select()).first(c)?,
            ))
        })
    }

    fn settle_job(
        &mut self,
        id: i64,
        worker: &str,
        settlement: &Settlement,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let finished = !matches!(settlement.status, JobStatus::Queued | JobStatus::Running);
        let target = jobs::table
            .find(id)
            .filter(jobs::locked_by.eq(worker))
            .filter(jobs::status.eq(JobStatus::Running.as_str()));
        let run_at = to_db_time(settlement.run_at.unwrap_or(now));
        let common = (
            jobs::status.eq(settlement.status.as_str()),
            jobs::run_at.eq(run_at),
            jobs::last_error.eq(settlement.error.as_deref()),
            jobs::locked_until.eq(None::<chrono::NaiveDateTime>),
            jobs::locked_by.eq(None::<String>),
            jobs::updated_at.eq(to_db_time(now)),
        );
        let updated = if settlement.reset_attempts {
            diesel::update(target)
                .set((common, jobs::attempts.eq(0)))
                .execute(self)?
        } else {
            diesel::update(target)
                .set((
                    common,
                    jobs::finished_at.eq(finished.then(|| to_db_time(now))),
                ))
                .execute(self)?
        };
        Ok(updated == 1)
    }

    fn jobs_page(
        &mut self,
        kind: &str,
        statuses: &[JobStatus],
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<JobRow>, StoreError> {
        let mut query = jobs::table
            .filter(jobs::kind.eq(kind))
            .select(JobRow::as_select())
            .order(jobs::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if !statuses.is_empty() {
            let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
            query = query.filter(jobs::status.eq_any(statuses));
        }
        if let Some(cursor) = cursor {
            query = query.filter(jobs::id.lt(cursor));
        }
        let rows = query.load(self)?.into_iter().map(|r| (r.id, r)).collect();
        Ok(page(rows, limit))
    }

    fn replay_job(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let updated = diesel::update(
            jobs::table
                .find(id)
                .filter(jobs::status.eq(JobStatus::Failed.as_str())),
        )
        .set((
            jobs::status.eq(JobStatus::Queued.as_str()),
            jobs::attempts.eq(0),
            jobs::run_at.eq(to_db_time(now)),
            jobs::finished_at.eq(None::<chrono::NaiveDateTime>),
            jobs::updated_at.eq(to_db_time(now)),
        ))
        .execute(self)?;
        Ok(updated == 1)
    }

    fn job(&mut self, id: i64) -> Result<Option<JobRow>, StoreError> {
        Ok(jobs::table
            .find(id)
            .select(JobRow::as_select())
            .first(self)
            .optional()?)
    }
}
