//! Admin text search: what is stored to search in, and what a typed search becomes in SQL.
//! Both sides go through the matcher's normaliser, so `Nguyễn`, `nguyen` and `NGUYEN` find
//! each other, and both backends search the very same text.

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

    fn like(table: &str, text: &str) -> TextSearch {
        TextSearch {
            before: format!("{table}.search_text LIKE "),
            value: format!("%{}%", like_escape(text)),
            after: " ESCAPE '\\'",
        }
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
