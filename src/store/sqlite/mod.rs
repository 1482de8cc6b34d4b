//! The SQLite backend: one database file in WAL mode with foreign keys and
//! a busy timeout, the embedded migrations in `migrate`, and one file per
//! concern — `rows` (rows to records), `targets` (targets and
//! scheduling), `record` (a check's read and its one-transaction
//! commit), `history` (versions, diffs and reports), `archive` (captures
//! with their HTTP exchanges, for exports), `search` (the full-text index),
//! `outbox` (alert deliveries), `sources` (discovery sources) and `writer`
//! (the thread that batches every write, and waits for its close at exit).

mod archive;
mod file;
mod history;
mod lock;
pub(crate) mod migrate;
mod outbox;
mod reader;
mod reads;
mod record;
mod rows;
mod search;
mod sources;
mod targets;
mod traits;
mod writer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lists;
#[cfg(test)]
mod tests_sources;

pub use lock::InstanceLock;
pub use reader::ReadPool;
pub use writer::{StoreHandle, wait_closed};

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, Row, TransactionBehavior, params};

use self::outbox::insert_deliveries;
use self::rows::{VERSION_COLUMNS, VERSION_FROM, rules_json, target_from_row, version_from_row};
use crate::model::{Target, TargetUrl};
use crate::store::StoreError;
use crate::store::codec::{compress_page, compress_text};

/// How long a writer waits for another process's transaction.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite store.
pub struct Store {
    conn: Connection,
    db: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("db", &self.db).finish()
    }
}

/// Statements run through SQLite's prepared-statement cache: the hot ones
/// run thousands of times a minute, and parsing SQL each time would cost
/// more than running it.
pub(super) trait Cached {
    fn run(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize>;
    fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn run(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// A write unit: a transaction of its own, or a savepoint inside the
/// writer thread's batch transaction.
pub(super) enum Tx<'c> {
    Own(rusqlite::Transaction<'c>),
    Nested(rusqlite::Savepoint<'c>),
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Tx::Own(t) => t,
            Tx::Nested(s) => s,
        }
    }
}

impl Tx<'_> {
    pub(super) fn begin(conn: &mut Connection) -> rusqlite::Result<Tx<'_>> {
        if conn.is_autocommit() {
            conn.transaction_with_behavior(TransactionBehavior::Immediate)
                .map(Tx::Own)
        } else {
            conn.savepoint().map(Tx::Nested)
        }
    }

    pub(super) fn commit(self) -> rusqlite::Result<()> {
        match self {
            Tx::Own(t) => t.commit(),
            Tx::Nested(s) => s.commit(),
        }
    }
}

/// Maps a SQLite error to [`StoreError::Sql`] naming the database, without
/// borrowing the store (transactions hold it mutably).
pub(super) fn sql_error(db: &str) -> impl Fn(rusqlite::Error) -> StoreError + use<> {
    let db = db.to_string();
    move |source| StoreError::Sql {
        db: db.clone(),
        source,
    }
}

pub(super) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Opens (creating if needed) a database file and brings its schema up
    /// to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(StoreError::Open {
                db,
                source: rusqlite::Error::InvalidPath(parent.to_path_buf()),
            });
        }
        if let Some(why) = file::unwritable(path) {
            return Err(StoreError::ReadOnly { db, why });
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            db: db.clone(),
            source,
        })?;
        file::refuse_truncated(&conn, path, &db)?;
        Self::init(conn, db)
    }

    /// An in-memory database, for tests and `extract`-style dry runs.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            db: ":memory:".into(),
            source,
        })?;
        Self::init(conn, ":memory:".into())
    }

    /// Opens a database for reading only, so reports never wait for (or
    /// hold) the write lock; a database that does not exist yet or needs
    /// migrating is opened for writing instead, as [`Store::open`] does.
    pub fn open_reader(path: &Path) -> Result<Self, StoreError> {
        use rusqlite::OpenFlags;
        let db = path.display().to_string();
        if !path.is_file() {
            return Self::open(path);
        }
        if file::unwritable(path).is_some() && !file::live_wal(path) {
            return Self::open_immutable(path, db);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            db: db.clone(),
            source,
        })?;
        file::refuse_truncated(&conn, path, &db)?;
        if !migrate::is_current(&conn) {
            return Self::open(path);
        }
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|source| StoreError::Open {
                db: db.clone(),
                source,
            })?;
        Ok(Self { conn, db })
    }

    /// Opens a database on a disk that cannot be written (a read-only
    /// mount, a copy on read-only media): nothing can change it, so SQLite
    /// reads it without locks or a write-ahead log.
    fn open_immutable(path: &Path, db: String) -> Result<Self, StoreError> {
        use rusqlite::OpenFlags;
        let open_err = |source| StoreError::Open {
            db: db.clone(),
            source,
        };
        let absolute = std::fs::canonicalize(path).map_err(|e| {
            open_err(rusqlite::Error::InvalidPath(std::path::PathBuf::from(
                e.to_string(),
            )))
        })?;
        let uri = url::Url::from_file_path(&absolute)
            .map_err(|()| open_err(rusqlite::Error::InvalidPath(absolute.clone())))?;
        let conn = Connection::open_with_flags(
            format!("{uri}?immutable=1"),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        file::refuse_truncated(&conn, path, &db)?;
        if !migrate::is_current(&conn) {
            return Err(StoreError::ReadOnly {
                db,
                why: "its schema is older than this Redline and must be migrated, which needs writing".into(),
            });
        }
        Ok(Self { conn, db })
    }

    pub(super) fn init(mut conn: Connection, db: String) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            db: db.clone(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        // WAL lets reports read while the daemon writes; FULL sync because a
        // lost version is the one failure users cannot forgive.
        // Switching to WAL needs the file to itself and does not wait for
        // the busy timeout: a CLI command opening a new database while the
        // daemon creates it retries here instead of failing.
        let started = std::time::Instant::now();
        loop {
            match conn.pragma_update(None, "journal_mode", "WAL") {
                Ok(()) => break,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(
                        e.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(open_err(e)),
            }
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        migrate::run(&mut conn, &db)?;
        let mut store = Self { conn, db };
        store.fill_url_columns()?;
        Ok(store)
    }

    /// Fills the columns derived from a target's URL — its host (for
    /// politeness) and its identity (for de-duplication) — on rows written
    /// before those columns existed.
    pub(super) fn fill_url_columns(&mut self) -> Result<(), StoreError> {
        let rows: Vec<(i64, String)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id, url FROM targets WHERE host IS NULL OR url_key IS NULL")
                .map_err(self.sql())?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(self.sql())?
                .collect::<Result<_, _>>()
                .map_err(self.sql())?
        };
        if rows.is_empty() {
            return Ok(());
        }
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        for (id, url) in rows {
            if let Ok(u) = TargetUrl::parse(&url) {
                tx.run(
                    "UPDATE targets SET host = COALESCE(host, ?2), url_key = COALESCE(url_key, ?3)
                     WHERE id = ?1",
                    params![id, u.host_key(), crate::model::canon::key(u.as_url())],
                )
                .map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)
    }

    pub(super) fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sql {
            db: self.db.clone(),
            source,
        }
    }

    pub(super) fn corrupt(&self, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            db: self.db.clone(),
            what: what.into(),
        }
    }

    /// Where the database is.
    pub fn location(&self) -> &str {
        &self.db
    }

    pub(super) const TARGET_COLUMNS: &'static str = "id, url, name, interval_ms, selector, state, next_check_at, ignore_json, exclude_json, tags_json,
        host, created_at, published_at, etag, last_modified, body_hash, cache_rules, robots_txt, failures, misses, retired_reason,
        track_for_ms, (SELECT s.url FROM sources s WHERE s.id = targets.source_id), full_fetch_at";

    /// How many columns [`Self::TARGET_COLUMNS`] lists.
    pub(super) const TARGET_COLUMN_COUNT: usize = 24;

    pub(super) fn query_targets(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Target>, StoreError> {
        let dbname = self.db.clone();
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(params, |row| target_from_row(&dbname, row))
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(self.sql())??);
        }
        Ok(out)
    }

    /// Runs SQLite's own consistency check; `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let result: String = self
            .conn
            .row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(self.sql())?;
        if result == "ok" {
            Ok(())
        } else {
            Err(self.corrupt(format!("integrity check: {result}")))
        }
    }

    /// Bytes the database occupies (pages in use and free, whether still in
    /// the write-ahead log or already in the main file).
    pub fn storage_bytes(&mut self) -> Result<u64, StoreError> {
        let (pages, size): (i64, i64) = self
            .conn
            .row(
                "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.sql())?;
        Ok((pages.max(0) * size.max(0)) as u64)
    }
}
