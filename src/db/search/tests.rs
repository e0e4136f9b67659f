use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::MigrationHarness;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{search_text, SearchIndex, TextSearch, INDEX_STEP};
use crate::db::backend::Backend;
use crate::db::SQLITE_MIGRATIONS;

#[test]
fn stores_fields_normalised_one_a_line() {
    assert_eq!(
        search_text(&[Some("Nguyễn Văn A"), None, Some("ft123")]),
        "NGUYEN VAN A\nFT123"
    );
}

#[test]
fn short_searches_and_wildcards_stay_text() {
    let short = TextSearch::fts5("orders", "đh");
    assert_eq!(short.value, "%DH%");
    let phrase = TextSearch::fts5("orders", "a\"b* OR c");
    assert_eq!(phrase.value, "\"A\"\"B* OR C\"");
    assert_eq!(
        TextSearch::contains("orders", "5_0%\\").value,
        "%5\\_0\\%\\\\%"
    );
}

/// One write transaction of the random workload.
#[derive(Debug, Clone)]
enum Write {
    /// Stores transfers with these descriptions.
    Store(Vec<String>),
    /// Gives the `nth` stored transfer (modulo how many there are) a new description.
    Edit(usize, String),
    /// Deletes the `nth` stored transfer.
    Delete(usize),
}

/// Descriptions from few characters, so that searches find many rows: Vietnamese letters
/// (normalised before they are stored), FTS5's own syntax (`"`, `*`, `-`), spaces.
fn description() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ADHđơ1-3\" *-]{0,12}").expect("a valid regex")
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        6 => proptest::collection::vec(description(), 1..60).prop_map(Write::Store),
        1 => (any::<usize>(), description()).prop_map(|(n, text)| Write::Edit(n, text)),
        1 => any::<usize>().prop_map(Write::Delete),
    ]
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    search_text: String,
}

fn rows(conn: &mut SqliteConnection) -> Vec<Row> {
    diesel::sql_query("SELECT id, search_text FROM bank_transactions ORDER BY id")
        .load(conn)
        .expect("transfers")
}

fn apply(conn: &mut SqliteConnection, write: &Write) -> QueryResult<()> {
    let stored = rows(conn);
    let nth = |n: usize| stored.get(n % stored.len().max(1)).map(|row| row.id);
    conn.write_transaction(|conn| match write {
        Write::Store(descriptions) => {
            for text in descriptions {
                diesel::sql_query(
                    "INSERT INTO bank_transactions (source, external_id, description, amount, \
                     status, received_at, updated_at, search_text) \
                     VALUES ('casso', lower(hex(randomblob(8))), ?, 1, 'unmatched', \
                     '2026-12-04 00:00:00', '2026-12-04 00:00:00', ?)",
                )
                .bind::<Text, _>(text)
                .bind::<Text, _>(search_text(&[Some(text)]))
                .execute(conn)?;
            }
            Ok(())
        }
        Write::Edit(n, text) => {
            diesel::sql_query("UPDATE bank_transactions SET search_text = ? WHERE id = ?")
                .bind::<Text, _>(search_text(&[Some(text)]))
                .bind::<BigInt, _>(nth(*n).unwrap_or(0))
                .execute(conn)?;
            Ok(())
        }
        Write::Delete(n) => {
            diesel::sql_query("DELETE FROM bank_transactions WHERE id = ?")
                .bind::<BigInt, _>(nth(*n).unwrap_or(0))
                .execute(conn)?;
            Ok(())
        }
    })
}

/// What the admin's search finds for `typed`.
fn found(conn: &mut SqliteConnection, typed: &str) -> Vec<i64> {
    let search = TextSearch::fts5_transfers(typed);
    let sql = format!(
        "SELECT id, search_text FROM bank_transactions WHERE {}?{} ORDER BY id",
        search.before, search.after
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(search.value)
        .load::<Row>(conn)
        .expect("a search")
        .into_iter()
        .map(|row| row.id)
        .collect()
}

fn indexed_through(conn: &mut SqliteConnection) -> i64 {
    #[derive(QueryableByName)]
    struct Through {
        #[diesel(sql_type = BigInt)]
        through: i64,
    }
    diesel::sql_query("SELECT through FROM bank_transactions_indexed")
        .get_result::<Through>(conn)
        .expect("the index's step")
        .through
}

/// After any mix of stored, edited and deleted transfers, a search finds exactly the transfers
/// whose search text holds what was typed, whether they are in the FTS5 index yet or not; the
/// index's steps keep it whole (FTS5's integrity check) and leave fewer than a step unindexed.
#[test]
fn a_search_finds_every_transfer_in_the_index_or_not_yet() {
    let mut runner = TestRunner::new(Config {
        cases: 6,
        ..Config::default()
    });
    let workload = (
        proptest::collection::vec(write(), 20..40),
        proptest::collection::vec("[ADH1-3\" *-]{3,5}", 8),
    );
    runner
        .run(&workload, |(writes, typed)| {
            let mut conn = SqliteConnection::establish(":memory:").expect("an in-memory database");
            conn.run_pending_migrations(SQLITE_MIGRATIONS)
                .expect("migrations");
            let mut indexed = false;
            for write in &writes {
                apply(&mut conn, write).expect("a write");
                let stored = rows(&mut conn);
                // What was typed, and parts of what is stored (many of them in the index).
                let parts = stored.iter().rev().step_by(37).filter_map(|row| {
                    let chars: Vec<char> = row.search_text.chars().collect();
                    (chars.len() >= 3).then(|| chars[chars.len() - 3..].iter().collect())
                });
                for typed in typed.iter().cloned().chain(parts) {
                    let text = crate::matching::normalise(&typed);
                    let expected: Vec<i64> = stored
                        .iter()
                        .filter(|row| row.search_text.contains(&text))
                        .map(|row| row.id)
                        .collect();
                    prop_assert_eq!(found(&mut conn, &typed), expected, "{:?}", typed);
                }
                let through = indexed_through(&mut conn);
                let newest = stored.last().map_or(0, |row| row.id);
                indexed |= through > 0;
                prop_assert!(
                    newest - through < INDEX_STEP,
                    "{newest} > {through} + a step"
                );
            }
            // FTS5 checks its index against the table: every transfer must be in it by now.
            conn.write_transaction(|conn| SearchIndex::keep_up(conn, 1))
                .expect("the last step");
            conn.batch_execute(
                "INSERT INTO bank_transactions_search (bank_transactions_search, rank) \
                 VALUES ('integrity-check', 1)",
            )
            .expect("a whole index");
            prop_assert!(indexed || rows(&mut conn).len() < INDEX_STEP as usize);
            Ok(())
        })
        .expect("searches as the table says");
}
