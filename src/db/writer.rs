//! Group commit for SQLite. SQLite has one writer at a time, and with `synchronous=FULL` each
//! commit waits for the disk. So a serving process writes through one thread: the writes that
//! arrive while it is committing are committed together, one disk flush for many, each in its
//! own savepoint so one failing write fails alone. A caller hears back only after the commit.
//!
//! Every write of a serving process goes this way (webhooks, the worker's claims, the API's
//! orders): writers inside one process never wait in SQLite's busy handler for each other.
//! Being the only writer, it is also the one that can keep the WAL bounded (see `wal`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::RecvTimeoutError;
use std::thread;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::wal::WalBound;
use super::StoreError;

/// Most writes in one commit: bounds the latency a batch adds.
const MAX_BATCH: usize = 128;
/// Writes waiting for the writer before callers wait (back-pressure).
const QUEUE: usize = 4096;
/// How often the WAL is copied back into the database file, beside the writer: done inside a
/// commit (SQLite's default), it stalls every write behind it for tens of milliseconds.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Tells a caller how its write ended, once the batch's commit is known (`Some` if it failed).
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// One caller's write, run inside its own savepoint; or told why it could not run.
type Write = Box<dyn FnOnce(Result<&mut SqliteConnection, &StoreError>) -> Reply + Send>;

#[derive(Clone)]
pub struct SqliteWriter {
    queue: mpsc::Sender<Write>,
}

impl SqliteWriter {
    /// Starts the writer thread and its checkpointer, which stops when the writer does (once
    /// every `SqliteWriter` is dropped).
    pub fn start(pool: Pool<ConnectionManager<SqliteConnection>>, wal: WalBound) -> SqliteWriter {
        let (queue, writes) = mpsc::channel(QUEUE);
        let (writer_running, writer_stopped) = std::sync::mpsc::channel::<()>();
        let checkpoint_pool = pool.clone();
        let spawned = thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpoint_pool, &writer_stopped))
            .and_then(|_| {
                thread::Builder::new()
                    .name("sqlite-writer".into())
                    .spawn(move || {
                        write_loop(&pool, writes, &wal);
                        drop(writer_running);
                    })
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "writer thread not started");
        }
        SqliteWriter { queue }
    }

    /// Runs `f` in a savepoint of the writer's next transaction; returns once that transaction
    /// is committed. `Store::write` inside `f` opens a nested savepoint, not a transaction.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (sender, answer) = oneshot::channel();
        let write: Write = Box::new(move |conn| {
            let result = match conn {
                Ok(conn) => conn.transaction(|conn| {
                    catch_unwind(AssertUnwindSafe(|| f(conn))).unwrap_or_else(|_| {
                        Err(StoreError::Corrupt("a database write panicked".into()))
                    })
                }),
                Err(error) => Err(StoreError::Unavailable(error.to_string())),
            };
            Box::new(move |commit_failed: Option<&StoreError>| {
                let _ = sender.send(match commit_failed {
                    Some(error) => Err(StoreError::Unavailable(error.to_string())),
                    None => result,
                });
            })
        });
        let gone = || StoreError::Unavailable("the database writer stopped".into());
        self.queue.send(write).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn checkpoint_loop(
    pool: &Pool<ConnectionManager<SqliteConnection>>,
    writer_stopped: &std::sync::mpsc::Receiver<()>,
) {
    // PASSIVE: copies what it can without waiting for the writer or readers.
    while let Err(RecvTimeoutError::Timeout) = writer_stopped.recv_timeout(CHECKPOINT_EVERY) {
        let checkpointed = super::pool::checkout(pool).and_then(|mut conn| {
            conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
                .map_err(StoreError::from)
        });
        if let Err(error) = checkpointed {
            tracing::warn!(%error, "WAL checkpoint failed; will try again");
        }
    }
}

fn write_loop(
    pool: &Pool<ConnectionManager<SqliteConnection>>,
    mut writes: mpsc::Receiver<Write>,
    wal: &WalBound,
) {
    while let Some(first) = writes.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match writes.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let mut replies = Vec::with_capacity(batch.len());
        let committed = super::pool::checkout(pool).and_then(|mut conn| {
            conn.immediate_transaction(|conn| {
                replies.extend(batch.drain(..).map(|write| write(Ok(conn))));
                Ok::<_, StoreError>(())
            })
        });
        match committed {
            Ok(()) => replies.into_iter().for_each(|reply| reply(None)),
            Err(error) => {
                tracing::error!(%error, writes = replies.len() + batch.len(), "group commit failed");
                // Writes that ran were rolled back with the batch; writes that never ran (no
                // connection, no lock) are told why.
                replies.extend(batch.drain(..).map(|write| write(Err(&error))));
                replies.into_iter().for_each(|reply| reply(Some(&error)));
            }
        }
        // After the replies: the callers of this batch do not wait for a reset.
        wal.keep(pool);
    }
}
