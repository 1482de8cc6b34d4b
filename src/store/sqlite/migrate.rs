//! The migration runner: numbered SQL files from `migrations/`, embedded in
//! the binary, applied in order at start and recorded with a checksum.
//!
//! A landed migration is never edited: if the SQL of an applied migration no
//! longer matches its recorded checksum, opening fails rather than running on
//! a schema nobody can reproduce. A database written by a newer Redline (one
//! with migrations this binary does not know) is refused too.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use crate::model::Timestamp;

/// One embedded migration.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
    /// A step run after the SQL, in the same transaction (data fixes that
    /// log what they touch).
    pub then: Option<fn(&rusqlite::Transaction<'_>, &str) -> rusqlite::Result<()>>,
}

/// Every migration, in order. Add new files at the end; never edit one that
/// has landed.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../../migrations/0001_initial.sql"),
        then: None,
    },
    Migration {
        version: 2,
        name: "noise_and_classes",
        sql: include_str!("../../../migrations/0002_noise_and_classes.sql"),
        then: None,
    },
    Migration {
        version: 3,
        name: "alert_outbox",
        sql: include_str!("../../../migrations/0003_alert_outbox.sql"),
        then: None,
    },
    Migration {
        version: 4,
        name: "target_tags",
        sql: include_str!("../../../migrations/0004_target_tags.sql"),
        then: None,
    },
    Migration {
        version: 5,
        name: "scale_and_politeness",
        sql: include_str!("../../../migrations/0005_scale_and_politeness.sql"),
        then: None,
    },
    Migration {
        version: 6,
        name: "sources",
        sql: include_str!("../../../migrations/0006_sources.sql"),
        then: None,
    },
    Migration {
        version: 7,
        name: "change_fidelity",
        sql: include_str!("../../../migrations/0007_change_fidelity.sql"),
        then: Some(reactivate_retired_by_age),
    },
    Migration {
        version: 8,
        name: "suspect_kind",
        sql: include_str!("../../../migrations/0008_suspect_kind.sql"),
        then: None,
    },
    Migration {
        version: 9,
        name: "search",
        sql: include_str!("../../../migrations/0009_search.sql"),
        then: Some(super::search::index_existing),
    },
    Migration {
        version: 10,
        name: "exchanges",
        sql: include_str!("../../../migrations/0010_exchanges.sql"),
        then: None,
    },
    Migration {
        version: 11,
        name: "web_lists",
        sql: include_str!("../../../migrations/0011_web_lists.sql"),
        then: None,
    },
];

/// Targets a person added (no source) that an earlier Redline retired for
/// being past the age schedule are watched again: only discovered stories
/// retire by age now. Each one is logged.
fn reactivate_retired_by_age(tx: &rusqlite::Transaction<'_>, db: &str) -> rusqlite::Result<()> {
    let now = Timestamp::now().millis();
    let mut stmt = tx.prepare(
        "SELECT id, url FROM targets
         WHERE state = 'retired' AND source_id IS NULL
           AND retired_reason LIKE 'past the age schedule%'",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (id, url) in rows {
        tx.execute(
            "UPDATE targets SET state = 'active', retired_at = NULL, retired_reason = NULL,
                    next_check_at = ?2
             WHERE id = ?1",
            params![id, now],
        )?;
        tracing::info!(db, url = %url, "reactivated: targets added by hand are no longer retired by age");
    }
    Ok(())
}

fn checksum(sql: &str) -> String {
    blake3::hash(sql.as_bytes()).to_hex().to_string()
}

/// Whether the database has every migration this Redline knows applied
/// (read without writing; a database without the migrations table is not).
pub(crate) fn is_current(conn: &Connection) -> bool {
    let newest_known = MIGRATIONS.last().map_or(0, |m| m.version);
    conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .ok()
    .flatten()
        == Some(newest_known)
}

/// Applies every pending migration, each in its own transaction.
pub(crate) fn run(conn: &mut Connection, db: &str) -> Result<(), StoreError> {
    let sql_err = |source| StoreError::Sql {
        db: db.to_string(),
        source,
    };
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT    NOT NULL,
             checksum   TEXT    NOT NULL,
             applied_at INTEGER NOT NULL
         );",
    )
    .map_err(sql_err)?;
    let newest_known = MIGRATIONS.last().map_or(0, |m| m.version);
    let newest_applied: Option<i64> = conn
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .map_err(sql_err)?;
    if let Some(found) = newest_applied
        && found > newest_known
    {
        return Err(StoreError::NewerSchema {
            db: db.to_string(),
            found,
            known: newest_known,
        });
    }
    let recorded_sum = |conn: &Connection, version: i64| -> Result<Option<String>, StoreError> {
        conn.query_row(
            "SELECT checksum FROM schema_migrations WHERE version = ?1",
            [version],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_err)
    };
    for m in MIGRATIONS {
        // The usual case, an applied migration, is read without a lock.
        if recorded_sum(conn, m.version)?.is_some_and(|sum| sum == checksum(m.sql)) {
            continue;
        }
        // Otherwise checked again inside a write transaction: two processes
        // opening a new database at once (the daemon and a CLI command)
        // must not both apply the same migration.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        match recorded_sum(&tx, m.version)? {
            Some(sum) if sum == checksum(m.sql) => continue,
            Some(_) => {
                return Err(StoreError::MigrationChanged {
                    db: db.to_string(),
                    version: m.version,
                    name: m.name,
                });
            }
            None => {}
        }
        let migration_error = |source| StoreError::Migration {
            db: db.to_string(),
            version: m.version,
            name: m.name,
            source,
        };
        tx.execute_batch(m.sql).map_err(migration_error)?;
        if let Some(then) = m.then {
            then(&tx, db).map_err(migration_error)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            params![m.version, m.name, checksum(m.sql), Timestamp::now().millis()],
        )
        .map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
        tracing::debug!(db, version = m.version, name = m.name, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_match_their_files() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let expected: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.name))
            .collect();
        assert_eq!(
            files, expected,
            "every file in migrations/ is embedded, in order"
        );
    }

    #[test]
    fn running_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, "mem").unwrap();
        run(&mut conn, "mem").unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
    }

    #[test]
    fn an_edited_migration_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, "mem").unwrap();
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1",
            [],
        )
        .unwrap();
        assert!(matches!(
            run(&mut conn, "mem"),
            Err(StoreError::MigrationChanged { .. })
        ));
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, "mem").unwrap();
        conn.execute(
            "INSERT INTO schema_migrations VALUES (999, 'future', 'x', 0)",
            [],
        )
        .unwrap();
        assert!(matches!(
            run(&mut conn, "mem"),
            Err(StoreError::NewerSchema { found: 999, .. })
        ));
    }

    #[test]
    fn hand_added_targets_retired_by_age_are_reactivated() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, "mem").unwrap();
        conn.execute_batch(
            "INSERT INTO sources (id, url, kind, origin, settings_json, host, created_at, next_poll_at)
                 VALUES (1, 'https://n.example/feed', 'feed', 'cli', '{}', 'n.example', 0, 0);
             INSERT INTO targets (id, url, origin, state, created_at, next_check_at, retired_reason)
                 VALUES (1, 'https://n.example/2022', 'cli', 'retired', 0, 0,
                         'past the age schedule: the article is 4y old; give it an `interval` to keep checking it'),
                        (2, 'https://n.example/found', 'cli', 'retired', 0, 0,
                         'past the age schedule: the article is 40d old; give it an `interval` to keep checking it'),
                        (3, 'https://n.example/gone', 'cli', 'retired', 0, 0, 'gone: HTTP 410');
             UPDATE targets SET source_id = 1 WHERE id = 2;
             -- As a database written before migration 7.
             ALTER TABLE targets DROP COLUMN full_fetch_at;
             ALTER TABLE checks DROP COLUMN published;
             ALTER TABLE checks DROP COLUMN modified;
             ALTER TABLE checks DROP COLUMN content_hash;
             ALTER TABLE checks DROP COLUMN suspect_kind;
             DROP TRIGGER versions_leave_search;
             DROP TABLE version_search;
             ALTER TABLE checks DROP COLUMN url;
             ALTER TABLE checks DROP COLUMN request_head;
             ALTER TABLE checks DROP COLUMN response_head;
             ALTER TABLE checks DROP COLUMN payload_sha256;
             ALTER TABLE checks DROP COLUMN ip;
             DROP INDEX targets_by_change;
             DELETE FROM schema_migrations WHERE version >= 7;",
        )
        .unwrap();
        run(&mut conn, "mem").unwrap();
        let states: Vec<(i64, String, Option<String>)> = conn
            .prepare("SELECT id, state, retired_reason FROM targets ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(states[0].1, "active", "added by hand, retired by age: back");
        assert_eq!(states[0].2, None);
        assert_eq!(states[1].1, "retired", "discovered: stays retired");
        assert_eq!(states[2].1, "retired", "retired for another reason: stays");
    }

    #[test]
    fn suspect_checks_of_older_databases_get_their_kind_from_the_reason() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, "mem").unwrap();
        conn.execute_batch(
            "INSERT INTO targets (id, url, origin, state, created_at, next_check_at)
                 VALUES (1, 'https://n.example/a', 'cli', 'active', 0, 0);
             -- As a database written before migration 8.
             ALTER TABLE checks DROP COLUMN suspect_kind;
             DELETE FROM schema_migrations WHERE version = 8;
             INSERT INTO checks (id, target_id, started_at, duration_ms, outcome, error) VALUES
                 (1, 1, 1, 5, 'suspect', 'blocked: just a moment'),
                 (2, 1, 2, 5, 'suspect', 'empty: no article found'),
                 (3, 1, 3, 5, 'suspect', 'shrunk: the body shrank from 900 to 12 words'),
                 (4, 1, 4, 5, 'error', 'blocked: not a suspect check'),
                 (5, 1, 5, 5, 'unchanged', NULL);",
        )
        .unwrap();
        run(&mut conn, "mem").unwrap();
        let kinds: Vec<Option<String>> = conn
            .prepare("SELECT suspect_kind FROM checks ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want = [Some("blocked"), Some("empty"), Some("shrunk"), None, None];
        assert_eq!(kinds, want.map(|k| k.map(String::from)));
        let bad = conn.execute(
            "INSERT INTO checks (target_id, started_at, duration_ms, outcome, suspect_kind)
             VALUES (1, 6, 5, 'suspect', 'odd')",
            [],
        );
        assert!(bad.is_err(), "only the three kinds are stored");
    }
}
