//! SQLite's writer reads the database file through a mapping (`mmap`: a page past its cache
//! costs no copy), and no other connection does: each mapping's pages count in the process's
//! resident memory, so the readers keep reading into their own caches. SQLite only: PostgreSQL
//! reads its files in its own processes.

use serde_json::json;

use crate::helpers::*;

/// The lines of this process's memory map that map `file` itself (not its `-wal` or `-shm`).
fn mappings_of(file: &str) -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("/proc/self/maps")
        .lines()
        .filter(|line| line.ends_with(&format!(" {file}")))
        .count()
}

#[tokio::test]
async fn only_the_sqlite_writer_maps_the_database() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let file = app
        .database_url()
        .strip_prefix("sqlite://")
        .expect("a SQLite URL")
        .to_owned();
    // The writer maps the file when it first reads a page from it rather than from the WAL:
    // once a checkpoint (every half second) has copied the log back, at its next write.
    let mut payments = 0;
    while mappings_of(&file) == 0 {
        assert!(payments < 50, "the writer never mapped {file}");
        payments += 1;
        let code = format!("DH{payments}");
        app.create_order(json!({"code": code, "amount": 150000}))
            .await;
        let paid = element(payments, &code, json!(150000));
        assert_eq!(app.post_webhook(&envelope(vec![paid])).await.0, 200);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Readers at work beside it, on the pool's other connections.
    for _ in 0..20 {
        assert_eq!(app.get_order("DH1").await.1["status"], "paid");
    }
    assert_eq!(app.all_transactions().await.len(), payments as usize);
    assert_eq!(
        mappings_of(&file),
        1,
        "the writer's mapping, and no reader's"
    );
}
