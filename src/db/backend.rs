//! What differs between the two backends: how a write transaction takes its locks.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::models::OrderRow;
use super::{cached, union, StoreError};
use chrono::NaiveDateTime;

use super::schema::{bank_transactions, jobs, orders};
use super::search::{SearchIndex, TextSearch, INDEX_STEP};

pub trait Backend: Sized {
    /// Most writes in one group commit (see `writer`): bounds the latency a batch adds.
    const MAX_BATCH: usize;

    /// A transaction that holds its write locks until it ends.
    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        E: From<DieselError>,
        F: FnOnce(&mut Self) -> Result<T, E>;

    /// Orders by code, locked for the rest of the write transaction.
    fn lock_orders(&mut self, codes: &[&str]) -> QueryResult<Vec<OrderRow>>;

    /// The id of the next claimable job that goes to none of the `busy` targets, locked for
    /// the rest of the write transaction.
    fn next_job(&mut self, now: NaiveDateTime, busy: &[String]) -> QueryResult<Option<i64>>;

    /// Ids of open orders past their expiry, locked (skipping rows others hold, where possible).
    fn overdue_orders(&mut self, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>>;

    /// Locks a transaction row for the rest of the write transaction; `false` if there is none.
    fn lock_transaction(&mut self, id: i64) -> QueryResult<bool>;

    /// For each window (amount in units, from, to), up to `limit` of the open orders in it,
    /// newest first by `created_at` (an order by id would lead PostgreSQL backwards through
    /// every order for an amount it has none of): a list page's rows at once.
    fn orders_in_windows(
        &mut self,
        windows: &[(i64, NaiveDateTime, NaiveDateTime)],
        limit: i64,
    ) -> Result<Vec<Vec<OrderRow>>, StoreError>;

    /// Starts a group commit's transaction (see `writer`).
    fn begin_batch(&mut self) -> QueryResult<()>;

    /// Sets up a connection the writer takes to keep (see `writer`).
    fn keep_for_writing(&mut self) -> QueryResult<()>;

    /// Whether running the whole transaction again may succeed.
    fn is_transient(error: &DieselError) -> bool;

    /// Rows of `table` whose search text contains `typed`, by that backend's trigram index.
    fn text_search(table: &str, typed: &str) -> TextSearch;

    /// Transfers whose search text contains `typed`, at least every waiting one (the other
    /// statuses may be left out, where that lets an index of waiting transfers answer).
    fn waiting_text_search(typed: &str) -> TextSearch;
}

/// Whether a transaction (or savepoint) is open on the connection.
pub fn in_transaction<C>(conn: &mut C) -> QueryResult<bool>
where
    C: Connection<TransactionManager = AnsiTransactionManager>,
{
    Ok(AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some())
}

/// Queued jobs that are due, and running jobs whose worker's lease ran out (it died), that go
/// to none of the `busy` targets.
#[diesel::dsl::auto_type]
fn claimable_jobs(now: NaiveDateTime, busy: Vec<String>) -> _ {
    let queued: &'static str = "queued";
    let running: &'static str = "running";
    jobs::table
        .filter(
            jobs::run_at.le(now).and(
                jobs::status
                    .eq(queued)
                    .or(jobs::status.eq(running).and(jobs::locked_until.lt(now))),
            ),
        )
        .filter(jobs::target.is_null().or(jobs::target.ne_all(busy)))
        .order((jobs::run_at.asc(), jobs::id.asc()))
        .select(jobs::id)
        .limit(1_i64)
}

#[diesel::dsl::auto_type]
fn overdue(now: NaiveDateTime, limit: i64) -> _ {
    let open: [&'static str; 2] = OPEN;
    orders::table
        .filter(orders::status.eq_any(open))
        .filter(orders::expires_at.le(now))
        .order(orders::id.asc())
        .select(orders::id)
        .limit(limit)
}

/// The statuses of an open order.
const OPEN: [&str; 2] = ["pending", "partially_paid"];

/// The most of the database file the SQLite writer maps (1 GiB; SQLite's own ceiling is 2 GiB):
/// a larger file is read past it as before.
const WRITER_MMAP: &str = "PRAGMA mmap_size = 1073741824;";

impl Backend for SqliteConnection {
    const MAX_BATCH: usize = 128;

    /// `BEGIN IMMEDIATE` takes SQLite's single write lock up front, so two writers never both
    /// read an order's sum and then race to write it. Inside the group-commit writer's
    /// transaction (which holds that lock already) it is a savepoint. At its end, the transfers
    /// stored since the search index's last step enter it, once there are enough of them (see
    /// `search::SearchIndex`).
    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        E: From<DieselError>,
        F: FnOnce(&mut Self) -> Result<T, E>,
    {
        if in_transaction(self)? {
            self.transaction(f)
        } else {
            self.immediate_transaction(|conn| {
                let value = f(conn)?;
                SearchIndex::keep_up(conn, INDEX_STEP)?;
                Ok(value)
            })
        }
    }

    fn lock_orders(&mut self, codes: &[&str]) -> QueryResult<Vec<OrderRow>> {
        // One code (the usual case) as `=`: diesel caches that prepared statement, while an
        // `IN (…)` list is prepared again on every call.
        match codes {
            [code] => orders::table
                .filter(orders::code.eq(code))
                .select(OrderRow::as_select())
                .load(self),
            _ => orders::table
                .filter(orders::code.eq_any(codes))
                .select(OrderRow::as_select())
                .load(self),
        }
    }

    fn next_job(&mut self, now: NaiveDateTime, busy: &[String]) -> QueryResult<Option<i64>> {
        claimable_jobs(now, busy.to_vec()).first(self).optional()
    }

    fn overdue_orders(&mut self, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
        overdue(now, limit).load(self)
    }

    fn lock_transaction(&mut self, id: i64) -> QueryResult<bool> {
        bank_transactions::table
            .find(id)
            .select(bank_transactions::id)
            .first::<i64>(self)
            .optional()
            .map(|found| found.is_some())
    }

    /// One `UNION ALL`: SQLite prepares it in microseconds.
    fn orders_in_windows(
        &mut self,
        windows: &[(i64, NaiveDateTime, NaiveDateTime)],
        limit: i64,
    ) -> Result<Vec<Vec<OrderRow>>, StoreError> {
        union::answers(self, windows, |arm, &(amount, from, to)| {
            Ok(orders::table
                .filter(orders::amount.eq(amount))
                .filter(orders::status.eq_any(OPEN))
                .filter(orders::created_at.between(from, to))
                .order((orders::created_at.desc(), orders::id.desc()))
                .limit(limit)
                .select((union::arm_number(arm), OrderRow::as_select()))
                .into_boxed())
        })
    }

    /// The writer's `BEGIN IMMEDIATE` holds the one write lock: nothing can get in the way.
    fn begin_batch(&mut self) -> QueryResult<()> {
        Ok(())
    }

    /// The writer reads the database file through a mapping: with a million orders its reads
    /// of index and order pages go past its page cache, and a mapped page costs no copy into
    /// the cache (a webhook at 1,000,000 orders 1.3× its cost at 1,000, against 1.8× without; see
    /// docs/benchmarks.md). Only the writer's connection: every mapping's pages count in the
    /// process's resident memory, eight connections' eight times over. Writes still go through
    /// `write()` and `fsync` (SQLite writes through a mapping only when built to), so a commit
    /// is as durable as before; an I/O error on a mapped page stops the process (`SIGBUS`)
    /// instead of failing one request (docs/known-limits.md).
    fn keep_for_writing(&mut self) -> QueryResult<()> {
        self.batch_execute(WRITER_MMAP)
    }

    /// busy_timeout already waited for the lock; waiting longer would pass Casso's 5 s.
    fn is_transient(_: &DieselError) -> bool {
        false
    }

    fn text_search(table: &str, typed: &str) -> TextSearch {
        match table {
            "bank_transactions" => TextSearch::fts5_transfers(typed),
            _ => TextSearch::fts5(table, typed),
        }
    }

    /// FTS5 finds a term fast in any status; a status condition beside it would lead SQLite
    /// through a status index past every waiting row instead.
    fn waiting_text_search(typed: &str) -> TextSearch {
        TextSearch::fts5_transfers(typed)
    }
}

/// How long a write in a PostgreSQL batch waits for a row lock (`SET LOCAL`: this transaction).
const BATCH_LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '50ms'";

impl Backend for PgConnection {
    /// Each write of a batch is a subtransaction: PostgreSQL keeps 64 of them per transaction
    /// in shared memory, and past that every snapshot of every session reads `pg_subtrans`.
    const MAX_BATCH: usize = 48;

    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        E: From<DieselError>,
        F: FnOnce(&mut Self) -> Result<T, E>,
    {
        self.transaction(f)
    }

    /// Rows are locked in code order so that two deliveries naming the same orders wait for
    /// each other instead of deadlocking.
    fn lock_orders(&mut self, codes: &[&str]) -> QueryResult<Vec<OrderRow>> {
        // One code (the usual case) as `=`: PostgreSQL plans that prepared statement once,
        // while `= ANY($1)` is planned again on every call (a plan for the array at hand always
        // looks cheaper than the generic one).
        match codes {
            [code] => orders::table
                .filter(orders::code.eq(code))
                .select(OrderRow::as_select())
                .for_update()
                .load(self),
            _ => orders::table
                .filter(orders::code.eq_any(codes))
                .order(orders::code)
                .select(OrderRow::as_select())
                .for_update()
                .load(self),
        }
    }

    /// `SKIP LOCKED`: two workers claiming at once take different jobs instead of waiting.
    fn next_job(&mut self, now: NaiveDateTime, busy: &[String]) -> QueryResult<Option<i64>> {
        claimable_jobs(now, busy.to_vec())
            .for_update()
            .skip_locked()
            .first(self)
            .optional()
    }

    fn overdue_orders(&mut self, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
        overdue(now, limit).for_update().skip_locked().load(self)
    }

    fn lock_transaction(&mut self, id: i64) -> QueryResult<bool> {
        bank_transactions::table
            .find(id)
            .select(bank_transactions::id)
            .for_update()
            .first::<i64>(self)
            .optional()
            .map(|found| found.is_some())
    }

    /// Nothing: PostgreSQL reads its files in its own processes.
    fn keep_for_writing(&mut self) -> QueryResult<()> {
        Ok(())
    }

    /// One statement over arrays of the windows, kept prepared: the same text for any number
    /// of windows, planned once, where a `UNION` of an arm a window is planned afresh each
    /// time (10 ms for a page of 50 rows, under load).
    fn orders_in_windows(
        &mut self,
        windows: &[(i64, NaiveDateTime, NaiveDateTime)],
        limit: i64,
    ) -> Result<Vec<Vec<OrderRow>>, StoreError> {
        use diesel::sql_types::{Array, BigInt, Integer, Timestamp};
        #[derive(QueryableByName)]
        struct InWindow {
            #[diesel(sql_type = Integer)]
            arm: i32,
            #[diesel(embed)]
            order: OrderRow,
        }
        struct OrdersInWindows;
        let mut answers: Vec<Vec<OrderRow>> = windows.iter().map(|_| Vec::new()).collect();
        if windows.is_empty() {
            return Ok(answers);
        }
        let rows = cached::by_type::<OrdersInWindows, _>(
            diesel::sql_query(
                "SELECT (w.arm - 1)::int4 AS arm, o.* \
                 FROM unnest($1::int8[], $2::timestamp[], $3::timestamp[]) \
                 WITH ORDINALITY AS w(amount, from_at, to_at, arm) \
                 CROSS JOIN LATERAL (SELECT * FROM orders \
                 WHERE orders.amount = w.amount \
                 AND orders.status IN ('pending', 'partially_paid') \
                 AND orders.created_at BETWEEN w.from_at AND w.to_at \
                 ORDER BY orders.created_at DESC, orders.id DESC LIMIT $4) AS o",
            )
            .bind::<Array<BigInt>, _>(windows.iter().map(|w| w.0).collect::<Vec<_>>())
            .bind::<Array<Timestamp>, _>(windows.iter().map(|w| w.1).collect::<Vec<_>>())
            .bind::<Array<Timestamp>, _>(windows.iter().map(|w| w.2).collect::<Vec<_>>())
            .bind::<BigInt, _>(limit),
        )
        .load::<InWindow>(self)?;
        let rows = rows.into_iter().map(|row| (row.arm, row.order)).collect();
        union::group_by_arm(&mut answers, 0, rows)?;
        Ok(answers)
    }

    /// A write in a batch waits for a row another transaction holds only briefly: past that it
    /// leaves the batch (which commits without it) and runs alone (see `writer`). A batch then
    /// never waits long behind another, and two batches that lock the same orders in opposite
    /// order part at once instead of after PostgreSQL's deadlock check (1 s).
    fn begin_batch(&mut self) -> QueryResult<()> {
        // Simple protocol: one message, where a prepared query would take four.
        self.batch_execute(BATCH_LOCK_TIMEOUT)
    }

    fn is_transient(error: &DieselError) -> bool {
        match error {
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
            DieselError::DatabaseError(_, info) => {
                let message = info.message();
                message.contains("deadlock detected") || message.contains("lock timeout")
            }
            _ => false,
        }
    }

    fn text_search(table: &str, typed: &str) -> TextSearch {
        TextSearch::contains(table, typed)
    }

    fn waiting_text_search(typed: &str) -> TextSearch {
        TextSearch::contains_waiting(typed)
    }
}
