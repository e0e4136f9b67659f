//! The writer's batches: a failing write fails alone.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::BigInt;
use diesel::SqliteConnection;

use super::Writer;
use crate::db::wal::WalBound;
use crate::db::StoreError;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn insert(conn: &mut SqliteConnection, n: i64) -> Result<(), StoreError> {
    diesel::sql_query("INSERT INTO t (n) VALUES (?)")
        .bind::<BigInt, _>(n)
        .execute(conn)?;
    Ok(())
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
    pool.get()
        .unwrap()
        .batch_execute("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER NOT NULL);")
        .unwrap();
    let writer = Writer::start_sqlite(pool.clone(), WalBound::new(path, 64 << 20));

    // The writer is busy with this one while the others queue: they make one batch.
    let busy = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .run(|conn: &mut SqliteConnection| {
                    std::thread::sleep(Duration::from_millis(300));
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
    let stored: Vec<i64> = diesel::sql_query("SELECT n FROM t ORDER BY n")
        .load::<Row>(&mut pool.get().unwrap())
        .unwrap()
        .into_iter()
        .map(|row| row.n)
        .collect();
    assert_eq!(stored, vec![0, 1, 2, 4, 6]);
}
