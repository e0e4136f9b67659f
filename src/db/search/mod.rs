//! Admin text search: what is stored to search in, and what a typed search becomes in SQL.
//! Both sides go through the matcher's normaliser, so `Nguyễn`, `nguyen` and `NGUYEN` find
//! each other, and both backends search the very same text.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::SqliteConnection;

use crate::db::cached;
use crate::domain::TransactionStatus;
use crate::matching::normalise;

/// Trigram indexes need three characters; shorter searches read the rows instead.
const TRIGRAM: usize = 3;

/// The stored search text of a row: its searchable fields, normalised, one a line (so that
/// a search does not run from one field into the next), storable on both backends.
pub fn search_text(fields: &[Option<&str>]) -> String {
    let text = fields
        .iter()
        .flatten()
        .map(|field| normalise(field))
        .collect::<Vec<_>>()
        .join("\n");
    super::models::storable_text(&text).into_owned()
}

/// A typed search as SQL on one table: `before`, the bound `value`, then `after`.
pub struct TextSearch {
    pub before: String,
    pub value: String,
    pub after: &'static str,
}

impl TextSearch {
    /// Rows of `table` whose search text contains `typed`, through SQLite's FTS5 trigram
    /// table `<table>_search` where `typed` is long enough for it.
    pub fn fts5(table: &str, typed: &str) -> TextSearch {
        let text = normalise(typed);
        if text.chars().count() < TRIGRAM {
            return TextSearch::like(table, &text);
        }
        TextSearch {
            before: format!(
                "{table}.id IN (SELECT rowid FROM {table}_search WHERE search_text MATCH "
            ),
            // One FTS5 string: a phrase, with its quotes doubled, so `*`, `-` or `OR` are text.
            value: format!("\"{}\"", text.replace('"', "\"\"")),
            after: ")",
        }
    }

    /// Transfers whose search text contains `typed`: those in SQLite's FTS5 index, and those
    /// stored since its last step (see [`SearchIndex`]), read by id. `typed` is bound once, as
    /// typed: SQL makes both the FTS5 phrase (quotes doubled, so `*`, `-` or `OR` are text) and
    /// the plain substring test of it.
    pub fn fts5_transfers(typed: &str) -> TextSearch {
        let text = normalise(typed);
        if text.chars().count() < TRIGRAM {
            return TextSearch::like("bank_transactions", &text);
        }
        TextSearch {
            before: "bank_transactions.id IN (WITH typed (text) AS (SELECT ".into(),
            value: text,
            after: ") \
                SELECT found.rowid FROM typed, bank_transactions_search AS found \
                WHERE found.search_text MATCH '\"' || replace(typed.text, '\"', '\"\"') || '\"' \
                UNION ALL \
                SELECT newer.id FROM typed, bank_transactions_indexed, bank_transactions AS newer \
                WHERE newer.id > bank_transactions_indexed.through \
                AND instr(newer.search_text, typed.text) > 0)",
        }
    }

    /// Rows of `table` whose search text contains `typed`, by `LIKE` (which PostgreSQL's
    /// pg_trgm GIN index serves).
    pub fn contains(table: &str, typed: &str) -> TextSearch {
        TextSearch::like(table, &normalise(typed))
    }

    /// Waiting transfers whose search text contains `typed`, in words that let PostgreSQL
    /// use the trigram index of waiting transfers alone (migration `000017_waiting_tallies`;
    /// its predicate is this very list): a term common among matched transfers (`1006`) would
    /// make the whole table's index hand over a hundred thousand rows to recheck.
    pub fn contains_waiting(typed: &str) -> TextSearch {
        let statuses = TransactionStatus::WAITING
            .map(|s| format!("'{}'", s.as_str()))
            .join(", ");
        let like = TextSearch::like("bank_transactions", &normalise(typed));
        TextSearch {
            before: format!(
                "(bank_transactions.status IN ({statuses}) AND {}",
                like.before
            ),
            value: like.value,
            after: " ESCAPE '\\')",
        }
    }

    fn like(table: &str, text: &str) -> TextSearch {
        TextSearch {
            before: format!("{table}.search_text LIKE "),
            value: format!("%{}%", like_escape(text)),
            after: " ESCAPE '\\'",
        }
    }
}

/// SQLite's FTS5 index of transfers, filled in steps of [`INDEX_STEP`] transfers at the end
/// of the write transaction that reaches it, not by a trigger on each insert nor in every
/// transaction. Each step is one segment, which FTS5 merges with others later; one per insert
/// (a trigger: any statement needing a statement journal makes FTS5 write out what it holds)
/// or one per group commit cost the writer a fifth of its time. Transfers stored since the last
/// step are read from the table by the search itself (`TextSearch::fts5_transfers`), so a
/// search sees a transfer as soon as it is committed.
pub struct SearchIndex;

/// Transfers left out of the index before a write transaction indexes them: a search reads at
/// most this many rows (by id) beside the index.
pub const INDEX_STEP: i64 = 256;

impl SearchIndex {
    /// Indexes the transfers stored since the last step, in one statement, once there are
    /// `step` of them ([`INDEX_STEP`]). Runs inside a write transaction, which keeps
    /// other writers out; ids only grow (`AUTOINCREMENT`), so every row after `through` is new.
    pub fn keep_up(conn: &mut SqliteConnection, step: i64) -> QueryResult<()> {
        #[derive(QueryableByName)]
        struct Tail {
            #[diesel(sql_type = BigInt)]
            through: i64,
            #[diesel(sql_type = BigInt)]
            newest: i64,
        }
        // Asked at every commit: kept prepared (diesel prepares raw SQL afresh each time).
        struct AskTail;
        let tail = cached::by_type::<AskTail, _>(diesel::sql_query(
            "SELECT through, COALESCE((SELECT MAX(id) FROM bank_transactions), 0) AS newest \
             FROM bank_transactions_indexed",
        ))
        .get_result::<Tail>(conn)?;
        if tail.newest - tail.through < step.max(1) {
            return Ok(());
        }
        diesel::sql_query("UPDATE bank_transactions_indexed SET through = ?")
            .bind::<BigInt, _>(tail.newest)
            .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO bank_transactions_search (rowid, search_text) \
             SELECT id, search_text FROM bank_transactions \
             WHERE id > ? AND search_text IS NOT NULL ORDER BY id",
        )
        .bind::<BigInt, _>(tail.through)
        .execute(conn)?;
        Ok(())
    }
}

/// Escapes LIKE's wildcards so a search for `50%` means those characters.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests;
