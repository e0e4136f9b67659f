//! Storage on SQLite (embedded) or PostgreSQL, chosen by the URL's scheme.
//!
//! Every query is written once, in `queries.rs`, against the `Store` trait, and compiled for
//! each backend's connection type (see the `sqlite` and `postgres` modules below). Code above this layer is
//! generic over `Store` and reaches a connection through [`with_store!`].

mod backend;
mod files;
pub mod models;
mod reports;
pub mod schema;
mod writer;

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
pub use reports::{PageStart, Reports, Totals, TransferFilter};
pub use writer::SqliteWriter;

use crate::config::DatabaseKind;
use crate::domain::{
    Allocation, BankTransaction, HistoryEntry, IncomingTransfer, Money, Order, OrderCode,
    OrderStatus, TransactionStatus,
};
pub use models::{
    AuditRow, DeliveryRow, JobRow, NewAuditRow, NewJobRow, ReconcileRunRow, RejectedRow, SessionRow,
};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

// `include!` rather than `#[path]`: an inline module's path would point into a folder named
// after it. rustfmt does not follow `include!`, so CI formats queries.rs on its own.
mod sqlite {
    type Conn = diesel::SqliteConnection;
    include!("queries.rs");
    include!("report_queries.rs");
}

mod postgres {
    type Conn = diesel::PgConnection;
    include!("queries.rs");
    include!("report_queries.rs");
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Every connection stayed in use until the pool's timeout: overloaded, not down.
    #[error("database busy: every connection stayed in use")]
    Busy,
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

/// What the pipeline decided about a transaction, stored with it.
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    pub status: TransactionStatus,
    pub order: Option<&'a OrderCode>,
    pub candidates: &'a [OrderCode],
}

/// Why storage failed, as far as a client or an operator needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageTrouble {
    /// No space left for the database (SQLite's SQLITE_FULL, PostgreSQL's disk_full).
    Full,
    /// Every connection was in use until the pool's timeout: overloaded, not down.
    Busy,
    Unavailable,
}

impl StoreError {
    pub fn cause(&self) -> StorageTrouble {
        let text = self.to_string();
        if text.contains("database or disk is full") || text.contains("No space left on device") {
            StorageTrouble::Full
        } else if matches!(self, StoreError::Busy) {
            StorageTrouble::Busy
        } else {
            StorageTrouble::Unavailable
        }
    }

    /// A pool checkout that timed out: busy only if every connection was open and in use
    /// (r2d2 reports the connection error that kept it from opening more to one caller only).
    fn from_pool(error: diesel::r2d2::PoolError, state: diesel::r2d2::State, max: u32) -> Self {
        if state.connections >= max && state.idle_connections == 0 {
            StoreError::Busy
        } else {
            StoreError::Unavailable(error.to_string())
        }
    }
}

/// A page of a listing, newest first; the cursor is the internal id of the last row.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// A code prefix or text in the reference.
    pub search: Option<String>,
}

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

/// Counts of one webhook delivery, as answered to the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
}

/// The queries paymatch needs, the same on every backend.
pub trait Store {
    /// Runs `f` in a write transaction that holds its rows until commit (SQLite `BEGIN
    /// IMMEDIATE`; PostgreSQL rows are locked with `FOR UPDATE` where it matters). Retried when
    /// the database reports a deadlock or serialisation failure, so `f` may run more than once.
    /// Any error rolls everything back.
    fn write<T, F>(&mut self, f: F) -> Result<T, StoreError>
    where
        F: FnMut(&mut Self) -> Result<T, StoreError>;

    fn ping(&mut self) -> Result<(), StoreError>;

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` unless the key has one already; returns what is stored (first writer wins,
    /// also between processes).
    fn setting_or_insert(&mut self, key: &str, value: &str) -> Result<String, StoreError>;

    fn delete_setting(&mut self, key: &str) -> Result<(), StoreError>;

    /// `false` when the name is taken.
    fn insert_admin_user(
        &mut self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// `false` when there is no such user.
    fn set_admin_password(
        &mut self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// `false` when the code is taken.
    fn insert_order(&mut self, order: &Order) -> Result<bool, StoreError>;
    fn order(&mut self, code: &OrderCode) -> Result<Option<Order>, StoreError>;
    /// The orders with these codes, locked until the write transaction ends.
    fn orders_for_update(&mut self, codes: &[OrderCode]) -> Result<Vec<Order>, StoreError>;
    /// Saves status, amount received and times of an existing order.
    fn update_order(&mut self, order: &Order) -> Result<(), StoreError>;
    fn list_orders(
        &mut self,
        filter: &OrderFilter,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<Order>, StoreError>;
    /// Orders by code, without locking (suggestions).
    fn orders_by_codes(&mut self, codes: &[OrderCode]) -> Result<Vec<Order>, StoreError>;
    /// Open orders of exactly this amount created in the window, newest first.
    fn open_orders_with_amount(
        &mut self,
        amount: Money,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Order>, StoreError>;
    fn order_status_counts(&mut self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Stores a transfer with its decision; `None` when (source, external id) is already
    /// stored: the transfer is a duplicate, and nothing was written.
    fn insert_transaction(
        &mut self,
        transfer: &IncomingTransfer,
        delivery_id: Option<i64>,
        decided: &Decided<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;
    fn record_decision(
        &mut self,
        id: i64,
        decided: &Decided<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Every transaction naming these orders or paying them (alone or with others), oldest
    /// first, with its allocations.
    fn transactions_of(&mut self, codes: &[OrderCode]) -> Result<Vec<BankTransaction>, StoreError>;
    fn list_transactions(
        &mut self,
        status: Option<TransactionStatus>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<BankTransaction>, StoreError>;
    fn bank_transaction(&mut self, row_id: i64) -> Result<Option<BankTransaction>, StoreError>;
    /// The transaction, locked until the write transaction ends.
    fn bank_transaction_for_update(
        &mut self,
        row_id: i64,
    ) -> Result<Option<BankTransaction>, StoreError>;
    /// Saves an admin's decision: status, order, waiting reason and resolution fields.
    fn save_resolution(
        &mut self,
        transaction: &BankTransaction,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records what each order received of an applied transaction.
    fn insert_allocations(
        &mut self,
        transaction_id: i64,
        shares: &[Allocation],
    ) -> Result<(), StoreError>;
    /// The transaction is no longer applied (an undo): its orders received nothing of it.
    fn delete_allocations(&mut self, transaction_id: i64) -> Result<(), StoreError>;
    /// (status, resolution, count) over all transactions.
    fn transaction_status_counts(
        &mut self,
    ) -> Result<Vec<(String, Option<String>, i64)>, StoreError>;
    /// (bank time, amount) of matched transactions the bank dated since `since` (paymatch's
    /// receive time where the bank gave none).
    fn matched_amounts_since(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Money)>, StoreError>;

    fn insert_delivery(
        &mut self,
        channel: &str,
        body: &str,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    fn finish_delivery(
        &mut self,
        id: i64,
        outcome: &str,
        counts: DeliveryCounts,
    ) -> Result<(), StoreError>;
    fn insert_rejected_item(
        &mut self,
        delivery_id: i64,
        position: i32,
        payload: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    fn recent_deliveries(&mut self, limit: i64) -> Result<Vec<DeliveryRow>, StoreError>;
    fn rejected_items(&mut self, delivery_id: i64) -> Result<Vec<RejectedRow>, StoreError>;
    /// Rejected elements, newest first; only those nobody resolved when `open_only`.
    fn rejected_page(
        &mut self,
        open_only: bool,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<RejectedRow>, StoreError>;
    fn rejected_item(&mut self, id: i64) -> Result<Option<RejectedRow>, StoreError>;
    fn resolve_rejected_item(
        &mut self,
        id: i64,
        note: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    fn admin_password_hash(&mut self, name: &str) -> Result<Option<String>, StoreError>;
    fn insert_session(&mut self, session: &SessionRow) -> Result<(), StoreError>;
    /// A session that has not expired.
    fn session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError>;
    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of a user; returns how many there were.
    fn delete_sessions_of(&mut self, user: &str) -> Result<usize, StoreError>;
    /// Deletes expired sessions and login failures from before `failures_before`.
    fn purge_logins(
        &mut self,
        now: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Returns the new row's id.
    fn record_login_failure(
        &mut self,
        user: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    fn delete_login_failure(&mut self, id: i64) -> Result<(), StoreError>;
    /// Failures since `since`: (for this account from this address, from this address).
    fn login_failures_since(
        &mut self,
        user: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError>;

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

    /// Open orders past their `expires_at`, locked (PostgreSQL skips rows another worker holds).
    fn overdue_orders_for_update(
        &mut self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Order>, StoreError>;

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

    /// Adds one change to an order's history.
    fn insert_history(&mut self, code: &OrderCode, entry: &HistoryEntry) -> Result<(), StoreError>;
    /// Every change of an order, oldest first.
    fn order_history(&mut self, code: &OrderCode) -> Result<Vec<HistoryEntry>, StoreError>;

    fn insert_audit(&mut self, entry: &NewAuditRow) -> Result<(), StoreError>;
    /// Audit entries, newest first; only those about `subject` when given.
    fn audit_page(
        &mut self,
        subject: Option<&str>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<AuditRow>, StoreError>;
}

/// A pooled connection of either backend.
pub enum DbConn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
}

/// Runs one expression that writes, with `$store` bound to a concrete `Store`, off the async
/// runtime: on SQLite inside the group-commit writer's next transaction, elsewhere on a pooled
/// connection. Evaluates to the expression's `Result<_, StoreError>` once it is committed.
/// A multi-statement write still wraps itself in `Store::write` (a savepoint on SQLite's writer).
#[macro_export]
macro_rules! write_store {
    ($db:expr, |$store:ident| $body:expr) => {
        match $db.sqlite_writer() {
            Some(writer) => {
                writer
                    .run(move |$store: &mut diesel::SqliteConnection| $body)
                    .await
            }
            None => {
                $db.run(move |conn| $crate::with_store!(conn, |$store| $body))
                    .await
            }
        }
    };
}

/// Runs one expression with `$store` bound to the connection's concrete `Store`.
#[macro_export]
macro_rules! with_store {
    ($conn:expr, |$store:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => {
                let $store: &mut diesel::SqliteConnection = &mut *c;
                $body
            }
            $crate::db::DbConn::Postgres(c) => {
                let $store: &mut diesel::PgConnection = &mut *c;
                $body
            }
        }
    };
}

#[derive(Clone)]
enum PoolKind {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
    Postgres(Pool<ConnectionManager<PgConnection>>),
}

/// The connection pool, shared by request handlers (which read through `run` and write
/// through [`write_store!`]).
#[derive(Clone)]
pub struct Database {
    pool: PoolKind,
    /// A serving process's one SQLite writer (group commit); `None` on PostgreSQL, where
    /// transactions commit side by side, and in one-shot commands.
    writer: Option<SqliteWriter>,
}

/// WAL lets readers work beside the writer; `synchronous=FULL` makes every commit durable before
/// it returns (a 200 to Casso means the transfer survives a power cut).
#[derive(Debug)]
struct SqlitePragmas {
    /// A serving process checkpoints the WAL on a thread of its own (see `writer`), so no
    /// commit pays for copying the WAL back into the database file.
    background_checkpoints: bool,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            // busy_timeout first: switching to WAL takes a lock that other new connections
            // may hold for a moment.
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(diesel::r2d2::Error::QueryError)?;
        if self.background_checkpoints {
            conn.batch_execute("PRAGMA wal_autocheckpoint = 0;")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

const POOL_TIMEOUT: Duration = Duration::from_secs(4);

fn checkout<M: diesel::r2d2::ManageConnection>(
    pool: &Pool<M>,
) -> Result<PooledConnection<M>, StoreError> {
    pool.get()
        .map_err(|e| StoreError::from_pool(e, pool.state(), pool.max_size()))
}

/// What the pool is for: the server keeps spare connections; a one-shot command opens one
/// connection when it needs it, so that no pool thread is still opening one (and inside
/// libpq's TLS set-up) when the process exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolPurpose {
    Server,
    Command,
}

impl Database {
    /// Opens a pool for the URL: `sqlite://PATH` or `postgres://…`.
    pub fn connect(
        url: &str,
        kind: DatabaseKind,
        purpose: PoolPurpose,
    ) -> Result<Database, StoreError> {
        let (max_size, min_idle) = match purpose {
            PoolPurpose::Server => (
                match kind {
                    DatabaseKind::Sqlite => 8,
                    DatabaseKind::Postgres => 10,
                },
                1,
            ),
            PoolPurpose::Command => (1, 0),
        };
        let unavailable = |e: diesel::r2d2::PoolError| StoreError::Unavailable(e.to_string());
        let pool = match kind {
            DatabaseKind::Sqlite => {
                let path = url.trim_start_matches("sqlite://");
                files::restrict_sqlite_files(path).map_err(|e| {
                    StoreError::Unavailable(format!("cannot create the database file {path}: {e}"))
                })?;
                let manager = ConnectionManager::<SqliteConnection>::new(path);
                PoolKind::Sqlite(
                    Pool::builder()
                        .max_size(max_size)
                        .min_idle(Some(min_idle))
                        .connection_timeout(POOL_TIMEOUT)
                        .connection_customizer(Box::new(SqlitePragmas {
                            background_checkpoints: purpose == PoolPurpose::Server,
                        }))
                        .build(manager)
                        .map_err(unavailable)?,
                )
            }
            DatabaseKind::Postgres => {
                let manager = ConnectionManager::<PgConnection>::new(url);
                PoolKind::Postgres(
                    Pool::builder()
                        .max_size(max_size)
                        .min_idle(Some(min_idle))
                        .connection_timeout(POOL_TIMEOUT)
                        .build(manager)
                        .map_err(unavailable)?,
                )
            }
        };
        let writer = match (&pool, purpose) {
            (PoolKind::Sqlite(pool), PoolPurpose::Server) => {
                Some(SqliteWriter::start(pool.clone()))
            }
            _ => None,
        };
        Ok(Database { pool, writer })
    }

    pub fn sqlite_writer(&self) -> Option<&SqliteWriter> {
        self.writer.as_ref()
    }

    pub fn get(&self) -> Result<DbConn, StoreError> {
        Ok(match &self.pool {
            PoolKind::Sqlite(p) => DbConn::Sqlite(checkout(p)?),
            PoolKind::Postgres(p) => DbConn::Postgres(checkout(p)?),
        })
    }

    /// Runs blocking database work off the async runtime.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get()?;
            f(&mut conn)
        })
        .await
        .unwrap_or_else(|e| {
            Err(StoreError::Unavailable(format!("database task failed: {e}")).into())
        })
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
            StoreError::Unavailable(format!("migration failed: {e}"))
        };
        Ok(match self.get()? {
            DbConn::Sqlite(mut c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(failed)?
                .len(),
            DbConn::Postgres(mut c) => {
                // Several processes may start at once on one database: one migrates at a time.
                c.batch_execute("SELECT pg_advisory_lock(72616)")?;
                let ran = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.len());
                c.batch_execute("SELECT pg_advisory_unlock(72616)")?;
                ran.map_err(failed)?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{StorageTrouble, StoreError};
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn storage_trouble_names_what_an_operator_should_look_at() {
        let full = StoreError::Query(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database or disk is full".to_owned()),
        ));
        assert_eq!(full.cause(), StorageTrouble::Full);
        let pg_full = StoreError::Unavailable(
            "could not extend file \"base/1/2\": No space left on device".into(),
        );
        assert_eq!(pg_full.cause(), StorageTrouble::Full);
        assert_eq!(StoreError::Busy.cause(), StorageTrouble::Busy);
        let down =
            StoreError::Unavailable("timed out waiting for connection: connection refused".into());
        assert_eq!(down.cause(), StorageTrouble::Unavailable);
        let stopped = StoreError::Unavailable("the database writer stopped".into());
        assert_eq!(stopped.cause(), StorageTrouble::Unavailable);
    }
}
