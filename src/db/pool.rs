//! The connection pool of either backend, and one-shot or serving purposes.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::MigrationHarness;

use super::wal::{self, WalBound};
use super::{files, pg_url, Store, StoreError, Writer, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::config::DatabaseKind;

/// A pooled connection of either backend.
pub enum DbConn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
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
    /// A serving process's group-commit writers; `None` in one-shot commands.
    writer: Option<Writers>,
}

/// The group-commit writers of a serving process, on its backend.
#[derive(Clone)]
pub enum Writers {
    Sqlite(Writer<SqliteConnection>),
    Postgres(Writer<PgConnection>),
}

/// WAL lets readers work beside the writer; `synchronous=FULL` makes every commit durable before
/// it returns (a 200 to Casso means the transfer survives a power cut).
#[derive(Debug)]
struct SqlitePragmas {
    /// A serving process checkpoints the WAL on a thread of its own (see `writer`), so no
    /// commit pays for copying the WAL back into the database file.
    background_checkpoints: bool,
    /// The size the `-wal` file is cut back to when the log starts again (see `wal`).
    journal_size_limit: u64,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            // busy_timeout first: switching to WAL takes a lock that other new connections
            // may hold for a moment. A 32 MiB page cache (SQLite's default is 2 MiB) keeps the
            // index pages a webhook touches at random (its order's, in four indexes) in memory
            // on a large database; a connection only fills it as far as it reads.
            &format!(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                 PRAGMA journal_size_limit = {}; PRAGMA cache_size = -32768;",
                self.journal_size_limit
            ),
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
/// PostgreSQL writer threads of a serving process: enough for the database's backends to work
/// side by side, few enough that each batch carries many writes and the pool keeps
/// connections for reads and the worker.
const POSTGRES_WRITERS: usize = 3;

pub(super) fn checkout<M: diesel::r2d2::ManageConnection>(
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
    /// Opens a pool for the URL: `sqlite://PATH` or `postgres://…`. `wal_limit`: the most
    /// bytes SQLite's `-wal` file may hold under load (ignored on PostgreSQL).
    pub fn connect(
        url: &str,
        kind: DatabaseKind,
        purpose: PoolPurpose,
        wal_limit: u64,
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
        let mut wal_bound = None;
        let pool = match kind {
            DatabaseKind::Sqlite => {
                let path = url.trim_start_matches("sqlite://");
                let bound = wal_bound.insert(WalBound::new(path, wal_limit));
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
                            journal_size_limit: bound.journal_size_limit(),
                        }))
                        .build(manager)
                        .map_err(unavailable)?,
                )
            }
            DatabaseKind::Postgres => {
                let manager =
                    ConnectionManager::<PgConnection>::new(pg_url::with_loopback_defaults(url));
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
        let writer = match (&pool, purpose, wal_bound) {
            (PoolKind::Sqlite(pool), PoolPurpose::Server, Some(bound)) => {
                Some(Writers::Sqlite(Writer::start_sqlite(pool.clone(), bound)))
            }
            (PoolKind::Postgres(pool), PoolPurpose::Server, _) => Some(Writers::Postgres(
                Writer::start_postgres(pool, POSTGRES_WRITERS),
            )),
            // (A SQLite pool always has its bound.)
            (_, PoolPurpose::Command, _) | (PoolKind::Sqlite(_), PoolPurpose::Server, None) => None,
        };
        Ok(Database { pool, writer })
    }

    pub fn writer(&self) -> Option<&Writers> {
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

    /// At a clean exit: copies SQLite's WAL into the database file and empties it, so that no
    /// large `-wal` file stays behind (PostgreSQL: nothing to do).
    pub async fn empty_wal(&self) {
        if let PoolKind::Sqlite(pool) = &self.pool {
            let pool = pool.clone();
            if let Err(error) = tokio::task::spawn_blocking(move || wal::empty(&pool)).await {
                tracing::warn!(%error, "WAL not emptied");
            }
        }
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
            StoreError::Unavailable(format!("migration failed: {e}"))
        };
        let ran = match self.get()? {
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
        };
        crate::with_store!(&mut self.get()?, |store| store.fill_search_text())?;
        Ok(ran)
    }
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::Integer;
    use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = Integer)]
        used: i32,
    }

    /// `.cargo/config.toml` builds SQLite so that each connection keeps a page cache of its own:
    /// a shared one lets the writer's grow to every connection's sum, and commits walk it.
    #[test]
    fn each_sqlite_connection_keeps_its_own_page_cache() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let shared = diesel::sql_query(
            "SELECT sqlite_compileoption_used('ENABLE_MEMORY_MANAGEMENT') AS used",
        )
        .get_result::<Used>(&mut conn)
        .unwrap();
        assert_eq!(shared.used, 0);
    }
}
