//! Keeps SQLite's write-ahead log (the `-wal` file beside the database) bounded.
//!
//! Checkpoints copy the log into the database file, but only a writer that finds the log fully
//! copied, with no reader still in it, starts it again from the beginning; otherwise the log
//! grows. Under sustained load the group-commit writer is never idle when the background
//! PASSIVE checkpoint ends, so the log grew to 763 MiB in 10 s. A RESTART checkpoint forces the
//! reset, but it holds back every write while it copies what is left of the log, which cost
//! 20–50 ms of p99 when the writer ran it on a log a PASSIVE had not copied for 500 ms.
//!
//! So, once the file passes a quarter of the limit, the writer asks the checkpoint thread to
//! copy the log beside it (PASSIVE), and resets it (RESTART) between the next two batches,
//! with only what came meanwhile left to copy. Should the file still reach half the limit (a
//! slow disk, a reader in the way), the writer resets it at once: the other half is room for
//! the batches written while readers delay a reset. `journal_size_limit` cuts the file back
//! to an eighth of the limit when the log starts again. At a clean exit the log is emptied.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::thread;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::Integer;
use diesel::{QueryableByName, RunQueryDsl, SqliteConnection};

use super::StoreError;

/// How long the writer's reset waits for readers of older snapshots before it lets the next
/// batch go first and tries again after it.
const RESET_WAIT: Duration = Duration::from_millis(200);
/// How long the checkpoint at exit waits for another process's writer or readers.
const EXIT_WAIT: Duration = Duration::from_secs(1);
/// Pause before trying again a checkpoint that another checkpoint kept from starting.
const RETRY_AFTER: Duration = Duration::from_millis(2);

#[derive(Debug, Clone, Copy)]
enum Checkpoint {
    /// Copies everything and waits until no reader uses the log, so the next write starts it
    /// again from the beginning.
    Restart,
    /// As `Restart`, then truncates the file to nothing.
    Truncate,
}

impl Checkpoint {
    fn pragma(self) -> &'static str {
        match self {
            Checkpoint::Restart => "PRAGMA wal_checkpoint(RESTART)",
            Checkpoint::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
        }
    }
}

#[derive(QueryableByName)]
struct CheckpointRow {
    /// 1 when another connection kept the checkpoint from finishing.
    #[diesel(sql_type = Integer)]
    busy: i32,
}

#[derive(QueryableByName)]
struct BusyTimeout {
    #[diesel(sql_type = Integer)]
    timeout: i32,
}

/// Runs a checkpoint, waiting at most `wait` for other connections (the connection's own busy
/// timeout is put back after). Another checkpoint in progress (the background PASSIVE one)
/// makes SQLite give up at once, without waiting: tried again until `wait` has passed.
/// `false`: another connection kept it from finishing; it copied what it could.
fn checkpoint(
    conn: &mut SqliteConnection,
    mode: Checkpoint,
    wait: Duration,
) -> Result<bool, StoreError> {
    let usual = diesel::sql_query("PRAGMA busy_timeout").get_result::<BusyTimeout>(conn)?;
    let deadline = Instant::now() + wait;
    let done = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        conn.batch_execute(&format!("PRAGMA busy_timeout = {};", left.as_millis()))?;
        match diesel::sql_query(mode.pragma()).get_result::<CheckpointRow>(conn) {
            Ok(row) if row.busy != 0 && !left.is_zero() => thread::sleep(RETRY_AFTER),
            other => break other,
        }
    };
    conn.batch_execute(&format!("PRAGMA busy_timeout = {};", usual.timeout))?;
    Ok(done?.busy == 0)
}

/// Copies the log into the database file and truncates it, at a clean exit. Another process
/// still using the database can keep it from finishing: that is logged, not an error.
pub fn empty(pool: &Pool<ConnectionManager<SqliteConnection>>) {
    match super::pool::checkout(pool)
        .and_then(|mut c| checkpoint(&mut c, Checkpoint::Truncate, EXIT_WAIT))
    {
        Ok(true) => tracing::debug!("WAL emptied"),
        Ok(false) => tracing::info!("WAL left for the other process using the database"),
        Err(error) => tracing::warn!(%error, "WAL not emptied"),
    }
}

/// The limit on the size of the `-wal` file, kept by the one writer of a serving process and
/// its checkpoint thread.
#[derive(Debug, Clone)]
pub struct WalBound {
    file: PathBuf,
    /// The size past which the writer asks for a copy of the log, to reset it right after: a
    /// quarter of the limit.
    ask_at: u64,
    /// The size past which the writer resets it itself: half the limit.
    reset_at: u64,
}

/// Where the log stands, seen by the writer between two batches.
#[derive(Debug)]
enum WalSize {
    Small,
    /// Time to copy it beside the writer, then reset it.
    Growing,
    /// The writer resets it now, copied or not.
    Full,
}

impl WalBound {
    pub fn new(database_path: &str, limit: u64) -> WalBound {
        WalBound {
            file: PathBuf::from(format!("{database_path}-wal")),
            ask_at: limit / 4,
            reset_at: limit / 2,
        }
    }

    /// The `journal_size_limit` pragma's value: the size the file is cut back to when the log
    /// starts again. Below `ask_at`, so that the file passing `ask_at` means the log has grown
    /// that far again; the part kept is reused without growing the file.
    pub fn journal_size_limit(&self) -> u64 {
        self.ask_at / 2
    }

    /// The file's size against the two thresholds (a missing file is an empty log).
    fn size(&self) -> WalSize {
        match std::fs::metadata(&self.file).map_or(0, |m| m.len()) {
            size if size >= self.reset_at => WalSize::Full,
            size if size >= self.ask_at => WalSize::Growing,
            _ => WalSize::Small,
        }
    }

    /// Called by the writer between two batches (see the module's comment): `ask` wakes the
    /// checkpoint thread for a copy, and it sets `copied` once that copy is done.
    pub fn keep(
        &self,
        pool: &Pool<ConnectionManager<SqliteConnection>>,
        ask: &SyncSender<()>,
        copied: &AtomicBool,
    ) {
        match self.size() {
            WalSize::Small => {}
            // Reset right after a copy, with only the last batches left to copy.
            WalSize::Growing if copied.swap(false, Ordering::AcqRel) => self.reset(pool),
            WalSize::Growing => {
                // Already asked, if full: one request is enough.
                let _ = ask.try_send(());
            }
            WalSize::Full => {
                // A copy asked for before this reset is about the log it empties.
                copied.store(false, Ordering::Release);
                self.reset(pool);
            }
        }
    }

    /// Copies the log into the database and waits (briefly) for readers to leave it, so the
    /// next batch starts it again. No one writes meanwhile: a RESTART checkpoint holds the
    /// writer back.
    fn reset(&self, pool: &Pool<ConnectionManager<SqliteConnection>>) {
        match super::pool::checkout(pool)
            .and_then(|mut c| checkpoint(&mut c, Checkpoint::Restart, RESET_WAIT))
        {
            Ok(true) => {}
            Ok(false) => tracing::debug!("WAL not reset: a reader is still in it"),
            Err(error) => tracing::warn!(%error, "WAL not reset"),
        }
    }
}
