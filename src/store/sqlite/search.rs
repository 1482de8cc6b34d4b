//! The full-text index of versions (`version_search`, FTS5): filled in the
//! transaction that stores each version, built for older databases by
//! migration 9, and asked which targets ever had a phrase. Deciding where
//! a phrase entered or left is SQL-free and lives in `report::search`.

use rusqlite::params;

use super::Store;
use super::rows::{VERSION_COLUMNS, VERSION_FROM, version_from_row};
use crate::model::{Target, TargetId, Version};
use crate::store::StoreError;

/// An FTS5 query for one word, quoted so it is never read as an operator.
pub(super) fn word_query(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

/// Adds a stored version to the index (its row id is the version's).
pub(super) fn index_version(
    conn: &rusqlite::Connection,
    version_id: i64,
    title: &str,
    body: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO version_search (rowid, title, body) VALUES (?1, ?2, ?3)")?
        .execute(params![version_id, title, body])?;
    Ok(())
}

/// Migration 9's step: indexes every version already stored (texts
/// decompressed, reverts with the text they returned to).
pub(super) fn index_existing(tx: &rusqlite::Transaction<'_>, db: &str) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare(&format!("SELECT v.id, {VERSION_COLUMNS} {VERSION_FROM}"))?;
    let mut rows = stmt.query([])?;
    let mut indexed = 0_u64;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let v = version_from_row(r, 1)?;
        index_version(tx, id, &v.title, &v.text)?;
        indexed += 1;
    }
    if indexed > 0 {
        tracing::info!(db, versions = indexed, "search index built");
    }
    Ok(())
}

impl Store {
    /// Targets with a version whose headline or body holds every one of
    /// `words` (case aside). A word the index cannot take as one word is
    /// left out of the question: more candidates, never fewer.
    pub fn phrase_targets(&self, words: &[String]) -> Result<Vec<Target>, StoreError> {
        let usable: Vec<String> = words
            .iter()
            .map(|w| word_query(w))
            .filter(|q| self.index_takes(q))
            .collect();
        if usable.is_empty() {
            let sql = format!(
                "SELECT {} FROM targets WHERE id IN (SELECT target_id FROM versions) ORDER BY id",
                Self::TARGET_COLUMNS
            );
            return self.query_targets(&sql, []);
        }
        let sql = format!(
            "SELECT {} FROM targets WHERE id IN (
                 SELECT v.target_id FROM version_search s JOIN versions v ON v.id = s.rowid
                 WHERE version_search MATCH ?1)
             ORDER BY id",
            Self::TARGET_COLUMNS
        );
        self.query_targets(&sql, [usable.join(" AND ")])
    }

    /// Whether the index answers `query` (one quoted word): a word its
    /// tokenizer splits in two would be a phrase, which an index without
    /// positions cannot answer.
    fn index_takes(&self, query: &str) -> bool {
        self.conn
            .prepare_cached("SELECT 1 FROM version_search WHERE version_search MATCH ?1 LIMIT 1")
            .and_then(|mut stmt| stmt.exists([query]))
            .is_ok()
    }

    /// Every version of a target with its text, oldest first.
    pub fn versions(&self, target: TargetId) -> Result<Vec<Version>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.target_id = ?1 ORDER BY v.number"
            ))
            .map_err(self.sql())?;
        stmt.query_map([target.0], |r| version_from_row(r, 0))
            .and_then(|rows| rows.collect())
            .map_err(self.sql())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_quoted_so_it_is_never_an_operator() {
        assert_eq!(word_query("humanity"), "\"humanity\"");
        assert_eq!(word_query("say\"OR"), "\"say\"\"OR\"");
    }

    #[test]
    fn a_word_the_index_would_split_is_left_out_not_an_error() {
        let store = Store::open_in_memory().unwrap();
        assert!(store.index_takes(&word_query("humanity")));
        assert!(store.index_takes(&word_query("नमस्ते")), "marks are in words");
        assert!(!store.index_takes(&word_query("two words")));
        // Nothing stored: no candidates, and no error either way.
        let words = ["two words".to_string(), "humanity".to_string()];
        assert!(store.phrase_targets(&words).unwrap().is_empty());
        assert!(store.phrase_targets(&words[..1]).unwrap().is_empty());
    }
}
