//! Group commit, on both backends. A serving process writes through writer threads: the writes
//! that arrive while a writer is committing are committed together, one disk flush for many,
//! each in its own savepoint so one failing write fails alone. A caller hears back only after
//! the commit.
//!
//! SQLite has one writer at a time, so it gets one writer thread: writers inside one process
//! never wait in SQLite's busy handler for each other. PostgreSQL gets a few, each with its own
//! connection, so that the database's CPUs work side by side while each commit still carries
//! many writes. Being SQLite's only writer, its thread is also the one that can keep the WAL
//! bounded, between two batches (see `wal`).
//!
//! A write that cannot finish inside a batch because of another transaction (PostgreSQL: a lock
//! held longer than [`Backend::begin_batch`] allows, a deadlock, a serialization failure) is
//! rolled back to its savepoint; the batch commits without it, and it then runs again alone in
//! a transaction of its own, so it is not reported as failed because of its neighbours. If the
//! batch's commit fails (the connection is lost), every write in it is told so and nothing in it
//! was acknowledged: the provider sends it again, and a transfer already stored is a duplicate.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection};
use diesel::r2d2::{ConnectionManager, Pool, R2D2Connection};
use diesel::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::backend::Backend;
use super::wal::WalBound;
use super::StoreError;

/// Writes waiting for the writers before callers wait (back-pressure).
const QUEUE: usize = 4096;
/// How often SQLite's WAL is copied back into the database file, beside the writer: done
/// inside a commit (SQLite's default), it stalls every write behind it for tens of milliseconds.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// Runs of a write that keeps meeting other transactions, alone, before it fails.
const ALONE_ATTEMPTS: usize = 3;

/// A connection type the writer can batch on.
pub trait WriterConnection:
    Backend + Connection<TransactionManager = AnsiTransactionManager> + R2D2Connection + Send + 'static
{
}

impl<C> WriterConnection for C where
    C: Backend
        + Connection<TransactionManager = AnsiTransactionManager>
        + R2D2Connection
        + Send
        + 'static
{
}

/// How one run of a write ended.
#[derive(Debug, PartialEq, Eq)]
enum Ran {
    /// It has its result (success or a failure of its own), kept until the commit is known.
    Done,
    /// It met another transaction: run it again, alone.
    Again,
}

/// One caller's write, waiting in the queue or in a batch.
trait Pending<C>: Send {
    /// Runs the write in a savepoint (in a batch) or a transaction (alone).
    fn run(&mut self, conn: &mut C) -> Ran;
    /// The transaction it ran in committed: the caller gets its result.
    fn reply(self: Box<Self>);
    /// The transaction it ran in (or would have) failed: the caller is told why.
    fn fail(self: Box<Self>, error: &StoreError);
}

struct Call<T, F> {
    write: F,
    result: Option<Result<T, StoreError>>,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<C, T, F> Pending<C> for Call<T, F>
where
    C: WriterConnection,
    F: FnMut(&mut C) -> Result<T, StoreError> + Send,
    T: Send,
{
    fn run(&mut self, conn: &mut C) -> Ran {
        let write = &mut self.write;
        let result = C::write_transaction(conn, |conn| {
            catch_unwind(AssertUnwindSafe(|| write(conn)))
                .unwrap_or_else(|_| Err(StoreError::Corrupt("a database write panicked".into())))
        });
        let ran = match &result {
            Err(StoreError::Query(error)) if C::is_transient(error) => Ran::Again,
            _ => Ran::Done,
        };
        self.result = Some(result);
        ran
    }

    fn reply(self: Box<Self>) {
        let result = self
            .result
            .unwrap_or_else(|| Err(StoreError::Unavailable("the write did not run".into())));
        let _ = self.answer.send(result);
    }

    fn fail(self: Box<Self>, error: &StoreError) {
        let _ = self
            .answer
            .send(Err(StoreError::Unavailable(error.to_string())));
    }
}

type Queued<C> = Box<dyn Pending<C>>;

pub struct Writer<C: WriterConnection> {
    queue: mpsc::Sender<Queued<C>>,
}

impl<C: WriterConnection> Clone for Writer<C> {
    fn clone(&self) -> Self {
        Writer {
            queue: self.queue.clone(),
        }
    }
}

impl<C: WriterConnection> Writer<C> {
    /// Starts `threads` writer threads on `pool`; they stop once every `Writer` is dropped.
    /// Returns the writer and a receiver that disconnects when the last writer thread ends.
    fn spawn(
        pool: &Pool<ConnectionManager<C>>,
        threads: usize,
        name: &str,
        between_batches: impl Fn(&Pool<ConnectionManager<C>>) + Clone + Send + 'static,
    ) -> (Writer<C>, std::sync::mpsc::Receiver<()>) {
        let (queue, writes) = mpsc::channel(QUEUE);
        let writes = Arc::new(Mutex::new(writes));
        let (running, stopped) = std::sync::mpsc::channel::<()>();
        for n in 0..threads {
            let (pool, writes, running) = (pool.clone(), writes.clone(), running.clone());
            let between_batches = between_batches.clone();
            let spawned = thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || {
                    write_loop(&pool, &writes, &between_batches);
                    drop(running);
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "writer thread not started");
            }
        }
        (Writer { queue }, stopped)
    }

    /// Runs `write` in a savepoint of a writer's next transaction; returns once that
    /// transaction is committed. `Store::write` inside it runs in that savepoint. `write` may
    /// run again, alone, when another transaction was in its way.
    pub async fn run<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        F: FnMut(&mut C) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, reply) = oneshot::channel();
        let call: Queued<C> = Box::new(Call {
            write,
            result: None,
            answer,
        });
        let gone = || StoreError::Unavailable("the database writer stopped".into());
        self.queue.send(call).await.map_err(|_| gone())?;
        reply.await.map_err(|_| gone())?
    }
}

impl Writer<SqliteConnection> {
    /// One writer thread and its checkpointer, which stops when the writer does.
    pub fn start_sqlite(pool: Pool<ConnectionManager<SqliteConnection>>, wal: WalBound) -> Self {
        let keep_wal = move |pool: &Pool<ConnectionManager<SqliteConnection>>| wal.keep(pool);
        let (writer, stopped) = Writer::spawn(&pool, 1, "sqlite-writer", keep_wal);
        let spawned = thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&pool, &stopped));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "checkpoint thread not started");
        }
        writer
    }
}

impl Writer<diesel::PgConnection> {
    /// `threads` writers, each holding one of the pool's connections while it commits.
    pub fn start_postgres(
        pool: &Pool<ConnectionManager<diesel::PgConnection>>,
        threads: usize,
    ) -> Self {
        Writer::spawn(pool, threads, "pg-writer", |_: &Pool<_>| ()).0
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

/// The next batch: waits for one write, then takes what else is queued. Writer threads take
/// turns at the queue, so one collects while the others commit.
fn next_batch<C: WriterConnection>(
    writes: &Mutex<mpsc::Receiver<Queued<C>>>,
) -> Option<Vec<Queued<C>>> {
    let mut writes = writes.lock().ok()?;
    let first = writes.blocking_recv()?;
    let mut batch = vec![first];
    while batch.len() < C::MAX_BATCH {
        match writes.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    Some(batch)
}

fn write_loop<C: WriterConnection>(
    pool: &Pool<ConnectionManager<C>>,
    writes: &Mutex<mpsc::Receiver<Queued<C>>>,
    between_batches: &impl Fn(&Pool<ConnectionManager<C>>),
) {
    while let Some(batch) = next_batch(writes) {
        let (done, again) = commit_batch(pool, batch);
        done.into_iter().for_each(Pending::reply);
        for write in again {
            run_alone(pool, write);
        }
        // After the replies: the callers of this batch do not wait for it.
        between_batches(pool);
    }
}

/// Runs a batch in one transaction. Returns the writes to answer (committed), and those to run
/// again alone; those that cannot be committed are answered here.
fn commit_batch<C: WriterConnection>(
    pool: &Pool<ConnectionManager<C>>,
    mut batch: Vec<Queued<C>>,
) -> (Vec<Queued<C>>, Vec<Queued<C>>) {
    let mut ran: Vec<(Queued<C>, Ran)> = Vec::with_capacity(batch.len());
    let committed = super::pool::checkout(pool).and_then(|mut conn| {
        conn.write_transaction(|conn| {
            conn.begin_batch()?;
            ran.extend(batch.drain(..).map(|mut write| {
                let outcome = write.run(conn);
                (write, outcome)
            }));
            Ok::<_, diesel::result::Error>(())
        })
        .map_err(StoreError::from)
    });
    match committed {
        Ok(()) => {
            let (mut done, mut again) = (Vec::new(), Vec::new());
            for (write, outcome) in ran {
                match outcome {
                    Ran::Done => done.push(write),
                    Ran::Again => again.push(write),
                }
            }
            (done, again)
        }
        // Nothing of the batch is stored: every write may run again, alone.
        Err(StoreError::Query(error)) if C::is_transient(&error) => {
            let all = ran.into_iter().map(|(write, _)| write).chain(batch);
            (Vec::new(), all.collect())
        }
        Err(error) => {
            tracing::error!(%error, writes = ran.len() + batch.len(), "group commit failed");
            // Writes that ran were rolled back with the batch (or their fate is unknown, if the
            // connection broke during the commit); writes that never ran are told why.
            for write in ran.into_iter().map(|(write, _)| write).chain(batch) {
                write.fail(&error);
            }
            (Vec::new(), Vec::new())
        }
    }
}

/// Runs one write in a transaction of its own, again while it meets other transactions.
fn run_alone<C: WriterConnection>(pool: &Pool<ConnectionManager<C>>, mut write: Queued<C>) {
    let mut conn = match super::pool::checkout(pool) {
        Ok(conn) => conn,
        Err(error) => return write.fail(&error),
    };
    for _ in 0..ALONE_ATTEMPTS {
        if write.run(&mut conn) == Ran::Done {
            break;
        }
    }
    // The last run's result, whatever it is, is the caller's answer: each run committed or
    // rolled back on its own.
    write.reply();
}
