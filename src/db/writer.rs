//! Group commit, on both backends. A serving process writes through writer threads: the writes
//! that arrive while a writer is committing are committed together, one disk flush for many.
//! A caller hears back only after the commit.
//!
//! A batch first runs its writes one after another with nothing between them: almost every
//! write succeeds, and a savepoint around each would cost two statements per write (two round
//! trips on PostgreSQL; on SQLite, every savepoint makes FTS5 write its pending index as a new
//! segment). If one write fails, the whole batch is rolled back and run again with each write in
//! its own savepoint, so one failing write fails alone and the others commit as if it had not
//! been there.
//!
//! SQLite has one writer at a time, so it gets one writer thread: writers inside one process
//! never wait in SQLite's busy handler for each other. PostgreSQL gets a few, each with its own
//! connection, so that the database's CPUs work side by side while each commit still carries
//! many writes. Being SQLite's only writer, its thread is also the one that can keep the WAL
//! bounded, between two batches (see `wal`).
//!
//! Each writer thread has a lane, a queue of its own. A write that names a key (a delivery: the
//! order it pays) always takes the key's lane, so two deliveries paying one order are committed
//! by one thread, one after the other in its transaction, instead of by two batches of which one
//! waits for the other's lock on the order (PostgreSQL's stalls of 60–150 ms). Other writes take
//! the lane with the fewest waiting.
//!
//! A write that cannot finish inside a batch because of another transaction (PostgreSQL: a lock
//! held longer than [`Backend::begin_batch`] allows, a deadlock, a serialization failure) is
//! rolled back to its savepoint; the batch commits without it, and it then runs again alone in
//! a transaction of its own, so it is not reported as failed because of its neighbours. If the
//! batch's commit fails (the connection is lost), every write in it is told so and nothing in it
//! was acknowledged: the provider sends it again, and a transfer already stored is a duplicate.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection};
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection, R2D2Connection};
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
    /// Runs the write in the batch's transaction as it stands, with no savepoint of its own;
    /// `false` if it failed, which leaves the transaction fit only for a rollback.
    fn run_unguarded(&mut self, conn: &mut C) -> bool;
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
    fn run_unguarded(&mut self, conn: &mut C) -> bool {
        let result = guarded_call(&mut self.write, conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn run(&mut self, conn: &mut C) -> Ran {
        let write = &mut self.write;
        let result = C::write_transaction(conn, |conn| guarded_call(write, conn));
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

/// Calls a write, a panic in it read as its failure.
fn guarded_call<C, T>(
    write: &mut impl FnMut(&mut C) -> Result<T, StoreError>,
    conn: &mut C,
) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(|| write(conn)))
        .unwrap_or_else(|_| Err(StoreError::Corrupt("a database write panicked".into())))
}

type Queued<C> = Box<dyn Pending<C>>;

pub struct Writer<C: WriterConnection> {
    lanes: Arc<[mpsc::Sender<Queued<C>>]>,
}

impl<C: WriterConnection> Clone for Writer<C> {
    fn clone(&self) -> Self {
        Writer {
            lanes: self.lanes.clone(),
        }
    }
}

impl<C: WriterConnection> Writer<C> {
    /// Starts `threads` writer threads on `pool`, each on its lane; they stop once every
    /// `Writer` is dropped, and drop their `between_batches` as they stop.
    fn spawn(
        pool: &Pool<ConnectionManager<C>>,
        threads: usize,
        name: &str,
        between_batches: impl Fn(&Pool<ConnectionManager<C>>) + Clone + Send + 'static,
    ) -> Writer<C> {
        let mut lanes = Vec::with_capacity(threads);
        for n in 0..threads.max(1) {
            let (lane, mut writes) = mpsc::channel(QUEUE);
            lanes.push(lane);
            let pool = pool.clone();
            let between_batches = between_batches.clone();
            let spawned = thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || write_loop(&pool, &mut writes, &between_batches));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "writer thread not started");
            }
        }
        Writer {
            lanes: lanes.into(),
        }
    }

    /// The lane of `key`, or, without one, the lane with the fewest writes waiting.
    fn lane(&self, key: Option<u64>) -> &mpsc::Sender<Queued<C>> {
        let lanes = &self.lanes[..];
        match key {
            Some(key) => &lanes[(key % lanes.len() as u64) as usize],
            None => lanes
                .iter()
                .max_by_key(|lane| lane.capacity())
                .unwrap_or(&lanes[0]),
        }
    }

    /// Whether writes go to more than one lane: only then does a key change anything.
    pub fn has_lanes(&self) -> bool {
        self.lanes.len() > 1
    }

    /// Runs `write` in a savepoint of a writer's next transaction; returns once that
    /// transaction is committed. `Store::write` inside it runs in that savepoint. `write` may
    /// run again, alone, when another transaction was in its way.
    pub async fn run<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        F: FnMut(&mut C) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.run_on(None, write).await
    }

    /// The same, on the lane of `key` when there is one (see the module's comment).
    pub async fn run_on<T, F>(&self, key: Option<u64>, write: F) -> Result<T, StoreError>
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
        self.lane(key).send(call).await.map_err(|_| gone())?;
        reply.await.map_err(|_| gone())?
    }
}

impl Writer<SqliteConnection> {
    /// One writer thread and its checkpoint thread, which stops when the writer does.
    pub fn start_sqlite(pool: Pool<ConnectionManager<SqliteConnection>>, wal: WalBound) -> Self {
        // At most one request waits; the checkpoint thread answers it by setting `copied`.
        let (ask, asked) = std::sync::mpsc::sync_channel::<()>(1);
        let copied = Arc::new(AtomicBool::new(false));
        let keep_wal = {
            let copied = copied.clone();
            move |pool: &Pool<ConnectionManager<SqliteConnection>>| wal.keep(pool, &ask, &copied)
        };
        let writer = Writer::spawn(&pool, 1, "sqlite-writer", keep_wal);
        let spawned = thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&pool, &asked, &copied));
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
        Writer::spawn(pool, threads, "pg-writer", |_: &Pool<_>| ())
    }
}

/// Copies the WAL into the database file every `CHECKPOINT_EVERY`, and at once when the writer
/// asks (then sets `copied`), with a PASSIVE checkpoint: it waits for neither the writer nor
/// readers. Ends when the writer has stopped (its end of `asked` is gone).
fn checkpoint_loop(
    pool: &Pool<ConnectionManager<SqliteConnection>>,
    asked: &std::sync::mpsc::Receiver<()>,
    copied: &AtomicBool,
) {
    loop {
        let for_writer = match asked.recv_timeout(CHECKPOINT_EVERY) {
            Ok(()) => true,
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let checkpointed = super::pool::checkout(pool).and_then(|mut conn| {
            conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
                .map_err(StoreError::from)
        });
        match checkpointed {
            Ok(()) if for_writer => copied.store(true, Ordering::Release),
            Ok(()) => {}
            Err(error) => tracing::warn!(%error, "WAL checkpoint failed; will try again"),
        }
    }
}

/// The next batch: waits for one write on the lane, then takes what else is queued there.
fn next_batch<C: WriterConnection>(
    writes: &mut mpsc::Receiver<Queued<C>>,
) -> Option<Vec<Queued<C>>> {
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
    writes: &mut mpsc::Receiver<Queued<C>>,
    between_batches: &impl Fn(&Pool<ConnectionManager<C>>),
) {
    // The writer keeps its connection from one batch to the next (a checkout would cost a
    // health check each time), and takes a fresh one after a batch could not commit.
    let mut held: Option<Held<C>> = None;
    while let Some(mut batch) = next_batch(writes) {
        let settled = loop {
            let (mut conn, fresh) = match held.take() {
                Some(conn) => (conn, false),
                None => match take_connection(pool) {
                    Ok(conn) => (conn, true),
                    Err(error) => break Settled::Failed(error, batch),
                },
            };
            match commit_batch(&mut *conn, batch) {
                // A connection that broke while it was held: nothing ran, try a fresh one.
                Settled::NotBegun(error, writes) if !fresh => {
                    tracing::debug!(%error, "the writer's connection was lost; taking another");
                    batch = writes;
                }
                Settled::Committed { done, again } => {
                    held = Some(conn);
                    break Settled::Committed { done, again };
                }
                other => break other,
            }
        };
        match settled {
            Settled::Committed { done, again } => {
                done.into_iter().for_each(Pending::reply);
                for write in again {
                    run_alone(pool, &mut held, write);
                }
            }
            Settled::NotBegun(error, writes) | Settled::Failed(error, writes) => {
                tracing::error!(%error, writes = writes.len(), "group commit failed");
                // Writes that ran were rolled back with the batch (or their fate is unknown, if
                // the connection broke during the commit); writes that never ran are told why.
                for write in writes {
                    write.fail(&error);
                }
            }
        }
        // After the replies: the callers of this batch do not wait for it.
        between_batches(pool);
    }
}

type Held<C> = PooledConnection<ConnectionManager<C>>;

/// How a batch ended.
enum Settled<C> {
    /// Committed: the writes to answer, and those to run again alone (they met another
    /// transaction, or the commit failed in a way that running again may mend).
    Committed {
        done: Vec<Queued<C>>,
        again: Vec<Queued<C>>,
    },
    /// The transaction could not even begin: no write ran.
    NotBegun(StoreError, Vec<Queued<C>>),
    /// Nothing of the batch is stored, and running it again would not help.
    Failed(StoreError, Vec<Queued<C>>),
}

/// Runs a batch in one transaction: first with no savepoints, then, if a write failed, again
/// with each write in a savepoint of its own.
fn commit_batch<C: WriterConnection>(conn: &mut C, mut batch: Vec<Queued<C>>) -> Settled<C> {
    let (mut begun, mut clean) = (false, true);
    let unguarded = conn.write_transaction(|conn| {
        conn.begin_batch()?;
        begun = true;
        clean = batch.iter_mut().all(|write| write.run_unguarded(conn));
        if clean {
            Ok(())
        } else {
            Err(diesel::result::Error::RollbackTransaction)
        }
    });
    match unguarded {
        Ok(()) => {
            return Settled::Committed {
                done: batch,
                again: Vec::new(),
            }
        }
        Err(error) if !begun => return Settled::NotBegun(error.into(), batch),
        Err(error) if clean => return settle_failure(error.into(), batch),
        // One write failed: the batch is rolled back, and runs again with each write guarded.
        Err(_) => {}
    }
    let mut ran: Vec<(Queued<C>, Ran)> = Vec::with_capacity(batch.len());
    let committed = conn.write_transaction(|conn| {
        conn.begin_batch()?;
        ran.extend(batch.drain(..).map(|mut write| {
            let outcome = write.run(conn);
            (write, outcome)
        }));
        Ok::<_, diesel::result::Error>(())
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
            Settled::Committed { done, again }
        }
        Err(error) => {
            let writes = ran.into_iter().map(|(write, _)| write).chain(batch);
            settle_failure(error.into(), writes.collect())
        }
    }
}

/// A batch whose transaction failed: nothing of it is stored. Every write may run again, alone,
/// if the failure was another transaction in the way.
fn settle_failure<C: WriterConnection>(error: StoreError, writes: Vec<Queued<C>>) -> Settled<C> {
    match error {
        StoreError::Query(error) if C::is_transient(&error) => Settled::Committed {
            done: Vec::new(),
            again: writes,
        },
        error => Settled::Failed(error, writes),
    }
}

/// A connection for the writer to keep, set up for it.
fn take_connection<C: WriterConnection>(
    pool: &Pool<ConnectionManager<C>>,
) -> Result<Held<C>, StoreError> {
    let mut conn = super::pool::checkout(pool)?;
    // Only a speed-up: the writer goes on without it.
    if let Err(error) = conn.keep_for_writing() {
        tracing::warn!(%error, "the writer's connection was not set up");
    }
    Ok(conn)
}

/// Runs one write in a transaction of its own, again while it meets other transactions, on the
/// writer's connection (or a fresh one).
fn run_alone<C: WriterConnection>(
    pool: &Pool<ConnectionManager<C>>,
    held: &mut Option<Held<C>>,
    mut write: Queued<C>,
) {
    let conn = match held.take().map_or_else(|| take_connection(pool), Ok) {
        Ok(conn) => held.insert(conn),
        Err(error) => return write.fail(&error),
    };
    for _ in 0..ALONE_ATTEMPTS {
        if write.run(&mut **conn) == Ran::Done {
            break;
        }
    }
    // The last run's result, whatever it is, is the caller's answer: each run committed or
    // rolled back on its own.
    write.reply();
}

#[cfg(test)]
mod tests;
