//! The audit log and the log of reconciliations.

use chrono::{DateTime, Utc};

use crate::db::{AuditRow, NewAuditRow, Page, ReconcileRunRow, StoreError};

/// The totals of one reconciliation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileTotals {
    pub pages: i32,
    pub records: i32,
    pub new_transactions: i32,
    pub already_known: i32,
    pub matched: i32,
    pub rejected: i32,
}

pub trait AuditStore {
    fn insert_audit(&mut self, entry: &NewAuditRow) -> Result<(), StoreError>;
    /// Audit entries, newest first; only those about `subject` when given.
    fn audit_page(
        &mut self,
        subject: Option<&str>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<AuditRow>, StoreError>;
    fn insert_reconcile_run(
        &mut self,
        trigger: &str,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    fn finish_reconcile_run(
        &mut self,
        id: i64,
        totals: &ReconcileTotals,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    fn reconcile_runs_page(
        &mut self,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<ReconcileRunRow>, StoreError>;
}
