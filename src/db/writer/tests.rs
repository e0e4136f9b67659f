//! The writer's batches: a failing write fails alone, and the search index holds exactly the
//! transfers that were committed.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::BigInt;
use diesel::SqliteConnection;
use diesel_migrations::MigrationHarness;

use super::Writer;
use crate::db::search::INDEX_STEP;
use crate::db::wal::WalBound;
use crate::db::{StoreError, SQLITE_MIGRATIONS};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A transfer whose external id and search text both hold `n`.
fn insert(conn: &mut SqliteConnection, n: i64) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO bank_transactions (source, external_id, description, amount, status, \
         received_at, updated_at, search_text) \
         VALUES ('casso', ?, 'x', 1, 'unmatched', '2026-12-04 00:00:00', \
         '2026-12-04 00:00:00', 'TRANSFER ' || ? || ' PAID')",
    )
    .bind::<BigInt, _>(n)
    .bind::<BigInt, _>(n)
    .execute(conn)?;
    Ok(())
}

/// `count` transfers that searches for `TRANSFER` do not find.
fn fillers(conn: &mut SqliteConnection, count: i64) -> Result<(), StoreError> {
    diesel::sql_query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
         INSERT INTO bank_transactions (source, external_id, description, amount, status, \
         received_at, updated_at, search_text) \
         SELECT 'casso', 'filler ' || i, 'x', 1, 'unmatched', '2026-12-04 00:00:00', \
         '2026-12-04 00:00:00', 'FILLER' FROM n",
    )
    .bind::<BigInt, _>(count)
    .execute(conn)?;
    Ok(())
}

fn numbers(conn: &mut SqliteConnection, sql: &str) -> Vec<i64> {
    diesel::sql_query(sql)
        .load::<Row>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.n)
        .collect()
}

/// A batch whose first, unguarded run meets failing writes is rolled back and run again with a savepoint per write: each of the others is stored exactly
/// once, the failing writes leave nothing, and each caller hears its own outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_fails_alone_and_its_batch_commits_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let path = path.to_str().unwrap();
    let pool = Pool::builder()
        .max_size(2)
        .build(ConnectionManager::<SqliteConnection>::new(path))
        .unwrap();
    let mut conn = pool.get().unwrap();
    conn.batch_execute("PRAGMA journal_mode = WAL;").unwrap();
    conn.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    drop(conn);
    let writer = Writer::start_sqlite(pool.clone(), WalBound::new(path, 64 << 20));

    // The writer is busy with this one while the others queue: they make one batch. It leaves
    // the search index four transfers short of its next step, which the batch then takes.
    let busy = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .run(|conn: &mut SqliteConnection| {
                    std::thread::sleep(Duration::from_millis(300));
                    fillers(conn, INDEX_STEP - 4)?;
                    insert(conn, 0)
                })
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut calls = Vec::new();
    for n in 1..=6_i64 {
        let writer = writer.clone();
        calls.push(tokio::spawn(async move {
            writer
                .run(move |conn: &mut SqliteConnection| {
                    insert(conn, n)?;
                    match n {
                        3 | 5 => Err(StoreError::Corrupt(format!("{n} refused"))),
                        _ => Ok(n),
                    }
                })
                .await
        }));
    }
    busy.await.unwrap().unwrap();
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.push(call.await.unwrap());
    }

    assert!(matches!(&outcomes[2], Err(StoreError::Corrupt(m)) if m == "3 refused"));
    assert!(matches!(&outcomes[4], Err(StoreError::Corrupt(m)) if m == "5 refused"));
    for n in [1, 2, 4, 6] {
        assert_eq!(outcomes[n as usize - 1].as_ref().ok(), Some(&n));
    }
    let conn = &mut pool.get().unwrap();
    let stored = "SELECT CAST(external_id AS INTEGER) AS n FROM bank_transactions \
                  WHERE external_id NOT LIKE 'filler %' ORDER BY n";
    assert_eq!(numbers(conn, stored), vec![0, 1, 2, 4, 6]);
    // Indexed at the end of the transaction that reached the step: what was rolled back is
    // not in the index, what committed is, and the index agrees with its table.
    let found = "SELECT CAST(external_id AS INTEGER) AS n FROM bank_transactions WHERE id IN \
                 (SELECT rowid FROM bank_transactions_search WHERE search_text MATCH 'TRANSFER') \
                 ORDER BY n";
    assert_eq!(numbers(conn, found), vec![0, 1, 2, 4, 6]);
    let five =
        "SELECT rowid AS n FROM bank_transactions_search WHERE search_text MATCH '\"R 5 P\"'";
    assert!(numbers(conn, five).is_empty());
    conn.batch_execute(
        "INSERT INTO bank_transactions_search (bank_transactions_search, rank) \
         VALUES ('integrity-check', 1)",
    )
    .unwrap();
}

/// Writes with one key always reach one writer thread (the key's lane); writes without a key
/// reach some thread and are answered like the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_always_takes_its_lane() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lanes.db");
    let pool = Pool::builder()
        .max_size(4)
        .build(ConnectionManager::<SqliteConnection>::new(
            path.to_str().unwrap(),
        ))
        .unwrap();
    pool.get()
        .unwrap()
        .run_pending_migrations(SQLITE_MIGRATIONS)
        .unwrap();
    let writer = Writer::spawn(&pool, 3, "lane", |_: &Pool<_>| ());
    assert!(writer.has_lanes());
    let thread_of = |key: Option<u64>| {
        let writer = writer.clone();
        async move {
            writer
                .run_on(key, |_: &mut SqliteConnection| {
                    Ok(std::thread::current().name().unwrap_or_default().to_owned())
                })
                .await
                .unwrap()
        }
    };
    for key in 0..6_u64 {
        let first = thread_of(Some(key)).await;
        assert_eq!(thread_of(Some(key)).await, first, "key {key}");
        assert_eq!(
            thread_of(Some(key + 3)).await,
            first,
            "keys {key} and {}",
            key + 3
        );
        assert_eq!(first, format!("lane-{}", key % 3));
    }
    assert!(thread_of(None).await.starts_with("lane-"));
}
