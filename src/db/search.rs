//! Admin text search: what is stored to search in, and what a typed search becomes in SQL.
//! Both sides go through the matcher's normaliser, so `Nguyễn`, `nguyen` and `NGUYEN` find
//! each other, and both backends search the very same text.

use diesel::prelude::*;
use diesel::SqliteConnection;

use super::schema::bank_transactions;
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

/// SQLite's FTS5 index of transfers, filled once per write transaction rather than by a
/// trigger on each insert. FTS5 keeps what a transaction adds in memory until it ends, except
/// that any statement needing a statement journal (an UPDATE of an order, most INSERTs) makes
/// it write all of it out as a new segment first: with a trigger, every transfer of a group
/// commit became a segment of its own to merge later, a fifth of the writer's time.
pub struct SearchIndex {
    /// The newest transfer's row id when the transaction began: every row after it is new
    /// (ids only grow, `AUTOINCREMENT`), and the write lock keeps other writers out.
    newest: i64,
}

impl SearchIndex {
    pub fn before_writes(conn: &mut SqliteConnection) -> QueryResult<SearchIndex> {
        let newest = bank_transactions::table
            .select(diesel::dsl::max(bank_transactions::id))
            .first::<Option<i64>>(conn)?;
        Ok(SearchIndex {
            newest: newest.unwrap_or(0),
        })
    }

    /// Indexes the transfers stored since `before_writes`, in one statement.
    pub fn add_new_transfers(self, conn: &mut SqliteConnection) -> QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO bank_transactions_search (rowid, search_text) \
             SELECT id, search_text FROM bank_transactions \
             WHERE id > ? AND search_text IS NOT NULL ORDER BY id",
        )
        .bind::<diesel::sql_types::BigInt, _>(self.newest)
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
mod tests {
    use super::{search_text, TextSearch};

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
}
