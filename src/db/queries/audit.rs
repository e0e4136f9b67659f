// The audit log and the log of reconciliations: the `AuditStore` queries, included once per backend (see `db/mod.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::common::*;
use super::Conn;
use crate::db::models::*;
use crate::db::schema::{audit_log, reconcile_runs};
use crate::db::{
    AuditRow, AuditStore, NewAuditRow, Page, ReconcileRunRow, ReconcileTotals, StoreError,
};

impl AuditStore for Conn {
    fn insert_audit(&mut self, entry: &NewAuditRow) -> Result<(), StoreError> {
        diesel::insert_into(audit_log::table)
            .values(entry)
            .execute(self)?;
        Ok(())
    }

    fn audit_page(
        &mut self,
        subject: Option<&str>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<AuditRow>, StoreError> {
        let mut query = audit_log::table
            .select(AuditRow::as_select())
            .order(audit_log::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(subject) = subject {
            query = query.filter(audit_log::subject.eq(subject));
        }
        if let Some(cursor) = cursor {
            query = query.filter(audit_log::id.lt(cursor));
        }
        let rows = query.load(self)?.into_iter().map(|r| (r.id, r)).collect();
        Ok(page(rows, limit))
    }

    fn insert_reconcile_run(
        &mut self,
        trigger: &str,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(diesel::insert_into(reconcile_runs::table)
            .values((
                reconcile_runs::trigger_source.eq(trigger),
                reconcile_runs::from_date.eq(from),
                reconcile_runs::to_date.eq(to),
                reconcile_runs::started_at.eq(to_db_time(now)),
            ))
            .returning(reconcile_runs::id)
            .get_result(self)?)
    }

    fn finish_reconcile_run(
        &mut self,
        id: i64,
        totals: &ReconcileTotals,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        diesel::update(reconcile_runs::table.find(id))
            .set((
                reconcile_runs::finished_at.eq(to_db_time(now)),
                reconcile_runs::pages.eq(totals.pages),
                reconcile_runs::records.eq(totals.records),
                reconcile_runs::new_transactions.eq(totals.new_transactions),
                reconcile_runs::already_known.eq(totals.already_known),
                reconcile_runs::matched.eq(totals.matched),
                reconcile_runs::rejected.eq(totals.rejected),
                reconcile_runs::error.eq(error),
            ))
            .execute(self)?;
        Ok(())
    }

    fn reconcile_runs_page(
        &mut self,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<ReconcileRunRow>, StoreError> {
        let mut query = reconcile_runs::table
            .select(ReconcileRunRow::as_select())
            .order(reconcile_runs::id.desc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(cursor) = cursor {
            query = query.filter(reconcile_runs::id.lt(cursor));
        }
        let rows = query.load(self)?.into_iter().map(|r| (r.id, r)).collect();
        Ok(page(rows, limit))
    }
}
