//! Storage of targets, checks, versions, diffs, the alert outbox and the
//! sources articles are discovered from — the only module that speaks SQL.
//!
//! [`Store`] is the SQLite backend: WAL journal, foreign keys, a busy
//! timeout, and the embedded migrations in [`migrate`]. Its methods take and
//! return the records of [`crate::model`], never SQL rows, so a second backend (PostgreSQL for
//! multi-daemon deployments) can implement the same surface. Every logical
//! event is one transaction: a check with its new version and that
//! version's diff commit together or not at all.
//!
//! SQLite calls block; async code goes through [`StoreHandle`], which hands
//! them to one dedicated writer thread. The writer batches whatever calls
//! are waiting into one transaction (each call in a savepoint of its own, so
//! one failing call undoes only itself) and answers them after the commit:
//! at thousands of checks a minute, one fsync serves many checks, and no
//! caller hears "stored" before it is durable.
//!
//! Pages are kept zstd-compressed; a later version's page is compressed
//! against the first version's page as a dictionary, so a version costs
//! little more than what changed in the page.

mod migrate;
mod record;
mod sources;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::detect::ChangeClass;
use crate::diff::Change;
use crate::model::{
    Backlog, ChangeRow, DatesSeen, Delivery, DeliveryState, HistoryRow, NewDelivery, Origin,
    PageCache, SyncReport, Target, TargetId, TargetSettings, TargetState, TargetSummary, TargetUrl,
    Timestamp, Version,
};

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// zstd level for stored pages: fast, and about 6–10× on HTML alone.
const PAGE_ZSTD_LEVEL: i32 = 3;
/// zstd level for texts compressed against the first version's text.
const TEXT_ZSTD_LEVEL: i32 = 3;
/// Most calls the writer thread commits in one transaction.
const MAX_BATCH: usize = 256;

/// A storage failure, naming the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or created.
    #[error("cannot open database {db}: {source}")]
    Open {
        db: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A migration failed; the database is left at the previous version.
    #[error("database {db}: migration {version:04}_{name} failed: {source}")]
    Migration {
        db: String,
        version: i64,
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer Redline.
    #[error(
        "database {db} has schema version {found}, but this Redline knows only up to {known}: upgrade Redline"
    )]
    NewerSchema { db: String, found: i64, known: i64 },
    /// An applied migration's SQL no longer matches what was applied.
    #[error("database {db}: migration {version:04}_{name} was changed after it was applied")]
    MigrationChanged {
        db: String,
        version: i64,
        name: &'static str,
    },
    /// A query failed (disk full, locked past the busy timeout, corruption).
    #[error("database {db}: {source}")]
    Sql {
        db: String,
        #[source]
        source: rusqlite::Error,
    },
    /// Stored data could not be read back.
    #[error("database {db}: {what}")]
    Corrupt { db: String, what: String },
    /// The blocking task running a query was lost.
    #[error("database task failed: {0}")]
    Task(String),
    /// A check's write was refused: the target moved on while it ran.
    #[error("database {db}: target {target}: {what}; this check was not recorded")]
    Conflict {
        db: String,
        target: i64,
        what: String,
    },
    /// A batch of writes could not be committed; none of it was stored.
    #[error("database {db}: cannot commit: {message}")]
    Commit { db: String, message: String },
}

/// The values ?1 to ?11 of the statements that insert targets: url, name,
/// interval, selector, now, ignore, exclude, tags, host, robots_txt, url_key.
fn settings_row(t: &TargetSettings, now: Timestamp) -> impl rusqlite::Params + '_ {
    (
        t.url.as_str(),
        t.name.as_deref(),
        t.interval.map(millis),
        t.selector.as_deref(),
        now.millis(),
        rules_json(&t.ignore),
        rules_json(&t.exclude),
        rules_json(&t.tags),
        t.url.host_key(),
        t.robots_txt,
        crate::model::canon::key(t.url.as_url()),
    )
}

fn rules_json(rules: &[String]) -> Option<String> {
    (!rules.is_empty()).then(|| serde_json::to_string(rules).expect("strings serialise"))
}

fn insert_deliveries(
    tx: &Connection,
    target: TargetId,
    url: &str,
    now: Timestamp,
    deliveries: &[NewDelivery],
) -> rusqlite::Result<()> {
    for d in deliveries {
        tx.run(
            "INSERT INTO deliveries (id, sink, target_id, url, event, payload, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![d.id, d.sink, target.0, url, d.event, d.payload, now.millis()],
        )?;
    }
    Ok(())
}

const DELIVERY_COLUMNS: &str =
    "seq, id, sink, url, event, payload, state, attempts, created_at, next_attempt_at, last_error";

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        seq: r.get(0)?,
        id: r.get(1)?,
        sink: r.get(2)?,
        url: r.get(3)?,
        event: r.get(4)?,
        payload: r.get(5)?,
        state: DeliveryState::parse(&r.get::<_, String>(6)?),
        attempts: r.get(7)?,
        created_at: Timestamp(r.get(8)?),
        next_attempt_at: Timestamp(r.get(9)?),
        last_error: r.get(10)?,
    })
}

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

/// The columns [`version_from_row`] reads, in order, from [`VERSION_FROM`]:
/// a revert's content comes from the version it returned to.
const VERSION_COLUMNS: &str = "v.number, v.captured_at,
    CASE WHEN v.revert_of IS NULL THEN v.title ELSE o.title END,
    CASE WHEN v.revert_of IS NULL THEN v.text ELSE o.text END,
    CASE WHEN v.revert_of IS NULL THEN v.text_zstd ELSE o.text_zstd END, b.text,
    v.words, v.byline, v.published, v.modified, v.canonical, v.description,
    v.class, v.revert_of, v.alert_paused";

/// The versions table with the version a revert returned to.
const VERSION_FROM: &str = "FROM versions v
    LEFT JOIN versions o ON o.target_id = v.target_id AND o.number = v.revert_of
    LEFT JOIN versions b ON b.target_id = v.target_id AND b.number = 1";

/// Compresses a later version's text against the first version's text as a
/// zstd prefix: an edited article costs about its edit. `None` when that
/// would not be smaller.
fn compress_text(text: &str, base: &str) -> Option<Vec<u8>> {
    if text.is_empty() || base.is_empty() {
        return None;
    }
    compress_with_prefix(text.as_bytes(), base.as_bytes(), TEXT_ZSTD_LEVEL)
        .ok()
        .filter(|z| z.len() < text.len())
}

/// Undoes [`compress_text`].
fn decompress_text(blob: &[u8], base: &str) -> Result<String, String> {
    let bytes = decompress_page(blob, Some(base.as_bytes())).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Reads a version selected with [`VERSION_COLUMNS`] starting at `at`.
fn version_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Version> {
    let number: u32 = r.get(at)?;
    let mut text: String = r.get(at + 3)?;
    if let Some(blob) = r.get::<_, Option<Vec<u8>>>(at + 4)? {
        let base: Option<String> = r.get(at + 5)?;
        text = decompress_text(&blob, base.as_deref().unwrap_or("")).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                at + 4,
                rusqlite::types::Type::Blob,
                format!("text of version {number}: {e}").into(),
            )
        })?;
    }
    Ok(Version {
        number,
        captured_at: Timestamp(r.get(at + 1)?),
        title: r.get(at + 2)?,
        text,
        words: r.get::<_, i64>(at + 6)?.max(0) as u64,
        byline: r.get(at + 7)?,
        published: r.get(at + 8)?,
        modified: r.get(at + 9)?,
        canonical: r.get(at + 10)?,
        description: r.get(at + 11)?,
        class: r
            .get::<_, Option<String>>(at + 12)?
            .and_then(|c| ChangeClass::parse(&c)),
        revert_of: r.get(at + 13)?,
        alert_paused: r.get(at + 14)?,
    })
}

/// Reads a target row selected with [`Store::TARGET_COLUMNS`].
fn target_from_row(db: &str, row: &Row<'_>) -> rusqlite::Result<Result<Target, StoreError>> {
    let corrupt = |what: String| StoreError::Corrupt {
        db: db.to_string(),
        what,
    };
    let url: String = row.get(1)?;
    let state: String = row.get(5)?;
    let interval_ms: Option<i64> = row.get(3)?;
    let id: i64 = row.get(0)?;
    let name: Option<String> = row.get(2)?;
    let selector: Option<String> = row.get(4)?;
    let next: i64 = row.get(6)?;
    let list = |json: Option<String>, what: &str| -> Result<Vec<String>, StoreError> {
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| corrupt(format!("target {what} rules: {e}")))
        })
        .transpose()
        .map(Option::unwrap_or_default)
    };
    let ignore = match list(row.get(7)?, "ignore") {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let exclude = match list(row.get(8)?, "exclude") {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let tags = match list(row.get(9)?, "tags") {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let url = match TargetUrl::parse(&url) {
        Ok(u) => u,
        Err(e) => return Ok(Err(corrupt(format!("target url: {e}")))),
    };
    let host: Option<String> = row.get(10)?;
    let body_hash: Option<Vec<u8>> = row.get(15)?;
    let Some(state) = TargetState::parse(&state) else {
        return Ok(Err(corrupt(format!("unknown target state `{state}`"))));
    };
    Ok(Ok(Target {
        id: TargetId(id),
        name,
        interval: interval_ms.map(|ms| Duration::from_millis(ms.max(0) as u64)),
        selector,
        ignore,
        exclude,
        tags,
        state,
        next_check_at: Timestamp(next),
        host: host.unwrap_or_else(|| url.host_key()),
        url,
        created_at: Timestamp(row.get(11)?),
        published_at: row.get::<_, Option<i64>>(12)?.map(Timestamp),
        robots_txt: row.get(17)?,
        cache: PageCache {
            etag: row.get(13)?,
            last_modified: row.get(14)?,
            body_hash: body_hash.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
            rules: row.get(16)?,
            fetched_at: row.get::<_, Option<i64>>(23)?.map(Timestamp),
        },
        failures: row.get::<_, i64>(18)?.clamp(0, u32::MAX as i64) as u32,
        misses: row.get::<_, i64>(19)?.clamp(0, u32::MAX as i64) as u32,
        retired_reason: row.get(20)?,
        track_for: row
            .get::<_, Option<i64>>(21)?
            .map(|ms| Duration::from_millis(ms.max(1) as u64)),
        source: row.get(22)?,
    }))
}

/// Statements run through SQLite's prepared-statement cache: the hot ones
/// run thousands of times a minute, and parsing SQL each time would cost
/// more than running it.
trait Cached {
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
enum Tx<'c> {
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
    fn begin(conn: &mut Connection) -> rusqlite::Result<Tx<'_>> {
        if conn.is_autocommit() {
            conn.transaction_with_behavior(TransactionBehavior::Immediate)
                .map(Tx::Own)
        } else {
            conn.savepoint().map(Tx::Nested)
        }
    }

    fn commit(self) -> rusqlite::Result<()> {
        match self {
            Tx::Own(t) => t.commit(),
            Tx::Nested(s) => s.commit(),
        }
    }
}

/// Compresses a page for version `number`: on its own for the first
/// version, else against the first version's page (`base`, decompressed)
/// as a zstd prefix. Returns the blob and the base used.
fn compress_page(
    raw: &[u8],
    base: Option<(u32, Vec<u8>)>,
) -> std::io::Result<(Vec<u8>, Option<u32>)> {
    match base {
        Some((n, prefix)) if !prefix.is_empty() => Ok((
            compress_with_prefix(raw, &prefix, PAGE_ZSTD_LEVEL)?,
            Some(n),
        )),
        _ => Ok((zstd::bulk::compress(raw, PAGE_ZSTD_LEVEL)?, None)),
    }
}

fn zstd_error(code: usize) -> std::io::Error {
    std::io::Error::other(zstd::zstd_safe::get_error_name(code))
}

/// zstd with `prefix` as history the data may refer to: a delta. Unlike a
/// dictionary, a prefix needs no digested copy built for each use.
fn compress_with_prefix(data: &[u8], prefix: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    use zstd::zstd_safe::{CCtx, CParameter};
    let mut cctx = CCtx::create();
    cctx.set_parameter(CParameter::CompressionLevel(level))
        .map_err(zstd_error)?;
    cctx.ref_prefix(prefix).map_err(zstd_error)?;
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(data.len()));
    cctx.compress2(&mut out, data).map_err(zstd_error)?;
    Ok(out)
}

/// Largest page or text decompressed (a stored frame claiming more is
/// corrupt: pages are capped far below this when fetched).
const MAX_DECOMPRESSED: u64 = 256 * 1024 * 1024;

/// Undoes [`compress_page`] and [`compress_with_prefix`].
fn decompress_page(blob: &[u8], prefix: Option<&[u8]>) -> std::io::Result<Vec<u8>> {
    use zstd::zstd_safe::DCtx;
    let Some(prefix) = prefix else {
        return zstd::decode_all(blob);
    };
    let size = zstd::zstd_safe::get_frame_content_size(blob)
        .ok()
        .flatten()
        .filter(|n| *n <= MAX_DECOMPRESSED)
        .ok_or_else(|| std::io::Error::other("the stored frame does not say its size"))?;
    let mut dctx = DCtx::create();
    dctx.ref_prefix(prefix).map_err(zstd_error)?;
    let mut out = Vec::with_capacity(size as usize);
    dctx.decompress(&mut out, blob).map_err(zstd_error)?;
    Ok(out)
}

/// Maps a SQLite error to [`StoreError::Sql`] naming the database, without
/// borrowing the store (transactions hold it mutably).
fn sql_error(db: &str) -> impl Fn(rusqlite::Error) -> StoreError + use<> {
    let db = db.to_string();
    move |source| StoreError::Sql {
        db: db.clone(),
        source,
    }
}

fn millis(d: Duration) -> i64 {
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
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            db: db.clone(),
            source,
        })?;
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

    fn init(mut conn: Connection, db: String) -> Result<Self, StoreError> {
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
    fn fill_url_columns(&mut self) -> Result<(), StoreError> {
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

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sql {
            db: self.db.clone(),
            source,
        }
    }

    fn corrupt(&self, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            db: self.db.clone(),
            what: what.into(),
        }
    }

    /// Where the database is.
    pub fn location(&self) -> &str {
        &self.db
    }

    const TARGET_COLUMNS: &'static str = "id, url, name, interval_ms, selector, state, next_check_at, ignore_json, exclude_json, tags_json,
        host, created_at, published_at, etag, last_modified, body_hash, cache_rules, robots_txt, failures, misses, retired_reason,
        track_for_ms, (SELECT s.url FROM sources s WHERE s.id = targets.source_id), full_fetch_at";
    /// How many columns [`Self::TARGET_COLUMNS`] lists.
    const TARGET_COLUMN_COUNT: usize = 24;

    fn query_targets(
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

    /// Makes the database's config targets match the config: new ones are
    /// added (due now), changed settings updated, and config targets no
    /// longer listed are marked `removed` (their history stays).
    pub fn sync_config_targets(
        &mut self,
        targets: &[TargetSettings],
        now: Timestamp,
    ) -> Result<SyncReport, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let mut report = SyncReport::default();
        for t in targets {
            let existed: bool = tx
                .row(
                    "SELECT 1 FROM targets WHERE url = ?1",
                    [t.url.as_str()],
                    |_| Ok(()),
                )
                .optional()
                .map_err(&sql)?
                .is_some();
            tx.run(
                "INSERT INTO targets (url, name, interval_ms, selector, origin, state, created_at, next_check_at,
                                      ignore_json, exclude_json, tags_json, host, robots_txt, url_key)
                 VALUES (?1, ?2, ?3, ?4, 'config', 'active', ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (url) DO UPDATE SET
                     name = excluded.name,
                     interval_ms = excluded.interval_ms,
                     selector = excluded.selector,
                     ignore_json = excluded.ignore_json,
                     exclude_json = excluded.exclude_json,
                     tags_json = excluded.tags_json,
                     robots_txt = excluded.robots_txt,
                     origin = 'config',
                     -- A retired target stays retired (`redline add` revives it).
                     state = CASE WHEN targets.state = 'retired' THEN 'retired' ELSE 'active' END,
                     next_check_at = CASE
                         WHEN targets.state = 'retired' THEN targets.next_check_at
                         WHEN targets.state <> 'active' THEN excluded.next_check_at
                         -- A shortened interval pulls the next check in
                         -- (beyond the jitter the schedule adds).
                         WHEN excluded.interval_ms IS NOT NULL
                              AND targets.next_check_at > ?5 + excluded.interval_ms
                                  + MIN(excluded.interval_ms / 10, 300000)
                         THEN ?5 + excluded.interval_ms
                         ELSE targets.next_check_at END",
                settings_row(t, now),
            )
            .map_err(&sql)?;
            if !existed {
                report.added.push(t.url.to_string());
            }
        }
        let listed: std::collections::HashSet<&str> =
            targets.iter().map(|t| t.url.as_str()).collect();
        let mut stale = Vec::new();
        {
            let mut stmt = tx
                .prepare("SELECT url FROM targets WHERE origin = 'config' AND state <> 'removed'")
                .map_err(&sql)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(&sql)?;
            for url in rows {
                let url = url.map_err(&sql)?;
                if !listed.contains(url.as_str()) {
                    stale.push(url);
                }
            }
        }
        for url in &stale {
            tx.run("UPDATE targets SET state = 'removed' WHERE url = ?1", [url])
                .map_err(&sql)?;
        }
        report.removed = stale;
        tx.commit().map_err(&sql)?;
        Ok(report)
    }

    /// Adds a target from the command line, or updates and reactivates an
    /// existing one (only the settings given replace stored ones).
    pub fn add_target(
        &mut self,
        t: &TargetSettings,
        now: Timestamp,
    ) -> Result<(Target, bool), StoreError> {
        let existing = self.target_by_url(&t.url)?;
        let created = existing.is_none();
        self.conn
            .run(
                "INSERT INTO targets (url, name, interval_ms, selector, origin, state, created_at, next_check_at,
                                      ignore_json, exclude_json, tags_json, host, robots_txt, url_key)
                 VALUES (?1, ?2, ?3, ?4, 'cli', 'active', ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (url) DO UPDATE SET
                     name = COALESCE(excluded.name, targets.name),
                     robots_txt = COALESCE(excluded.robots_txt, targets.robots_txt),
                     retired_at = NULL,
                     retired_reason = NULL,
                     failures = 0,
                     misses = 0,
                     interval_ms = COALESCE(excluded.interval_ms, targets.interval_ms),
                     selector = COALESCE(excluded.selector, targets.selector),
                     ignore_json = COALESCE(excluded.ignore_json, targets.ignore_json),
                     exclude_json = COALESCE(excluded.exclude_json, targets.exclude_json),
                     tags_json = COALESCE(excluded.tags_json, targets.tags_json),
                     origin = CASE WHEN targets.state = 'active' THEN targets.origin ELSE 'cli' END,
                     next_check_at = CASE WHEN targets.state = 'active' THEN targets.next_check_at
                                          ELSE excluded.next_check_at END,
                     state = 'active'",
                settings_row(t, now),
            )
            .map_err(self.sql())?;
        let target = self
            .target_by_url(&t.url)?
            .ok_or_else(|| self.corrupt("target vanished after insert"))?;
        Ok((target, created))
    }

    /// Adds many command-line targets in one transaction (existing URLs
    /// are left as they are). Returns how many were new.
    pub fn add_targets(
        &mut self,
        targets: &[TargetSettings],
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let mut added = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO targets (url, name, interval_ms, selector, origin, state, created_at, next_check_at,
                                          ignore_json, exclude_json, tags_json, host, robots_txt, url_key)
                     VALUES (?1, ?2, ?3, ?4, 'cli', 'active', ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (url) DO NOTHING",
                )
                .map_err(&sql)?;
            for t in targets {
                added += stmt.execute(settings_row(t, now)).map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(added)
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

    /// Whether a target came from the config file.
    pub fn target_origin(&self, id: TargetId) -> Result<Origin, StoreError> {
        let origin: String = self
            .conn
            .row("SELECT origin FROM targets WHERE id = ?1", [id.0], |r| {
                r.get(0)
            })
            .map_err(self.sql())?;
        Ok(if origin == Origin::Config.as_str() {
            Origin::Config
        } else {
            Origin::Cli
        })
    }

    /// Stops checking a target. With `purge`, deletes it and its whole
    /// history. Returns whether the target existed.
    pub fn remove_target(&mut self, url: &TargetUrl, purge: bool) -> Result<bool, StoreError> {
        let n = if purge {
            self.conn
                .run("DELETE FROM targets WHERE url = ?1", [url.as_str()])
        } else {
            self.conn.run(
                "UPDATE targets SET state = 'removed', origin = 'cli' WHERE url = ?1",
                [url.as_str()],
            )
        }
        .map_err(self.sql())?;
        Ok(n > 0)
    }

    /// A target by URL, in any state.
    pub fn target_by_url(&self, url: &TargetUrl) -> Result<Option<Target>, StoreError> {
        let sql = format!(
            "SELECT {} FROM targets WHERE url = ?1",
            Self::TARGET_COLUMNS
        );
        Ok(self.query_targets(&sql, [url.as_str()])?.into_iter().next())
    }

    /// Every active target, oldest first.
    pub fn active_targets(&self) -> Result<Vec<Target>, StoreError> {
        let sql = format!(
            "SELECT {} FROM targets WHERE state = 'active' ORDER BY id",
            Self::TARGET_COLUMNS
        );
        self.query_targets(&sql, [])
    }

    /// Active targets due at `now`, most overdue first, at most `limit`.
    pub fn due_targets(&self, now: Timestamp, limit: usize) -> Result<Vec<Target>, StoreError> {
        let sql = format!(
            "SELECT {} FROM targets WHERE state = 'active' AND next_check_at <= ?1
             ORDER BY next_check_at, id LIMIT ?2",
            Self::TARGET_COLUMNS
        );
        self.query_targets(&sql, params![now.millis(), limit as i64])
    }

    /// Claims due targets for checking, most overdue first: the host of each
    /// candidate not on a host in `skip_hosts` is offered to `take`, and the
    /// targets it accepts (at most `limit`) are returned with their next check time
    /// moved to `lease_until`, in one transaction, so the same target is
    /// never handed out twice while its check runs.
    pub fn claim_due_targets(
        &mut self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
        skip_hosts: &[String],
        mut take: impl FnMut(&str) -> bool,
    ) -> Result<Vec<Target>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let dbname = self.db.clone();
        let sql = sql_error(&self.db);
        let skip = serde_json::to_string(skip_hosts).expect("strings serialise");
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let mut claimed = Vec::new();
        {
            let query = format!(
                "SELECT {} FROM targets WHERE state = 'active' AND next_check_at <= ?1
                   AND host NOT IN (SELECT value FROM json_each(?3))
                 ORDER BY next_check_at, id LIMIT ?2",
                Self::TARGET_COLUMNS
            );
            let mut stmt = tx.prepare_cached(&query).map_err(&sql)?;
            // Candidates beyond the limit, for hosts that turn out busy.
            let candidates = (limit.saturating_mul(4)).max(16) as i64;
            let mut rows = stmt
                .query(params![now.millis(), candidates, skip])
                .map_err(&sql)?;
            while let Some(row) = rows.next().map_err(&sql)? {
                // Only the host is read until the target is taken.
                let host: Option<String> = row.get(10).map_err(&sql)?;
                if take(host.as_deref().unwrap_or("")) {
                    claimed.push(target_from_row(&dbname, row).map_err(&sql)??);
                    if claimed.len() >= limit {
                        break;
                    }
                }
            }
        }
        for t in &mut claimed {
            tx.run(
                "UPDATE targets SET next_check_at = ?2 WHERE id = ?1",
                params![t.id.0, lease_until.millis()],
            )
            .map_err(&sql)?;
            // The new due time is the check's lease.
            t.next_check_at = lease_until;
        }
        tx.commit().map_err(&sql)?;
        Ok(claimed)
    }

    /// How many active targets are due and how late the oldest is.
    pub fn backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        let (due, oldest): (i64, Option<i64>) = self
            .conn
            .row(
                "SELECT COUNT(*), MIN(next_check_at) FROM targets
                 WHERE state = 'active' AND next_check_at <= ?1",
                [now.millis()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.sql())?;
        let active: i64 = self
            .conn
            .row(
                "SELECT COUNT(*) FROM targets WHERE state = 'active'",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(Backlog {
            due: due.max(0) as u64,
            oldest_due: oldest.map(Timestamp),
            active: active.max(0) as u64,
        })
    }

    /// Makes every active target due at `at` (benchmarks, `check --all`).
    pub fn schedule_all_at(&mut self, at: Timestamp) -> Result<usize, StoreError> {
        self.conn
            .run(
                "UPDATE targets SET next_check_at = ?1 WHERE state = 'active'",
                [at.millis()],
            )
            .map_err(self.sql())
    }

    /// When the next active target falls due.
    pub fn next_due_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let t: Option<i64> = self
            .conn
            .row(
                "SELECT MIN(next_check_at) FROM targets WHERE state = 'active'",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(t.map(Timestamp))
    }

    /// Every target with its figures, in the order they were added.
    pub fn list_targets(&self) -> Result<Vec<TargetSummary>, StoreError> {
        let sql = format!(
            "SELECT {}, last_check_at, last_change_at, last_error,
                    (SELECT COUNT(*) FROM versions v WHERE v.target_id = targets.id)
             FROM targets ORDER BY id",
            Self::TARGET_COLUMNS
        );
        let dbname = self.db.clone();
        let mut stmt = self.conn.prepare(&sql).map_err(self.sql())?;
        let rows = stmt
            .query_map([], |row| {
                let n = Self::TARGET_COLUMN_COUNT;
                Ok((
                    target_from_row(&dbname, row)?,
                    row.get::<_, Option<i64>>(n)?,
                    row.get::<_, Option<i64>>(n + 1)?,
                    row.get::<_, Option<String>>(n + 2)?,
                    row.get::<_, i64>(n + 3)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (target, last_check, last_change, last_error, versions) =
                row.map_err(self.sql())?;
            out.push(TargetSummary {
                target: target?,
                versions: versions.max(0) as u64,
                last_check: last_check.map(Timestamp),
                last_change: last_change.map(Timestamp),
                last_error,
            });
        }
        Ok(out)
    }

    /// One version of a target; `None` asks for the latest.
    pub fn version(
        &self,
        target: TargetId,
        number: Option<u32>,
    ) -> Result<Option<Version>, StoreError> {
        let result = match number {
            Some(n) => self.conn.row(
                &format!("SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.target_id = ?1 AND v.number = ?2"),
                params![target.0, n],
                |r| version_from_row(r, 0),
            ),
            None => self.conn.row(
                &format!(
                    "SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.target_id = ?1 ORDER BY v.number DESC LIMIT 1"
                ),
                [target.0],
                |r| version_from_row(r, 0),
            ),
        };
        result.optional().map_err(self.sql())
    }

    /// The page stored with a version, decompressed: `None` when the
    /// version does not exist or its page was not kept.
    pub fn raw_html(&self, target: TargetId, number: u32) -> Result<Option<Vec<u8>>, StoreError> {
        Self::page_of(&self.conn, target, number).map_err(|e| match e {
            rusqlite::Error::ToSqlConversionFailure(e) => {
                self.corrupt(format!("page of version {number}: {e}"))
            }
            other => StoreError::Sql {
                db: self.db.clone(),
                source: other,
            },
        })
    }

    /// Reads and decompresses a version's page (resolving its delta base).
    fn page_of(
        conn: &Connection,
        target: TargetId,
        number: u32,
    ) -> rusqlite::Result<Option<Vec<u8>>> {
        let row: Option<PageRow> = conn
            .row(
                "SELECT COALESCE(p.zstd, v.raw_html_zstd), p.base, COALESCE(bp.zstd, b.raw_html_zstd)
                 FROM versions v
                 LEFT JOIN pages p ON p.version_id = v.id
                 LEFT JOIN versions b ON b.target_id = v.target_id AND b.number = p.base
                 LEFT JOIN pages bp ON bp.version_id = b.id
                 WHERE v.target_id = ?1 AND v.number = ?2",
                params![target.0, number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((blob, base, base_blob)) = row else {
            return Ok(None);
        };
        if blob.is_empty() {
            return Ok(None);
        }
        let bad = |e: std::io::Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
        let dict = match (base, base_blob) {
            (Some(_), Some(b)) if !b.is_empty() => Some(decompress_page(&b, None).map_err(bad)?),
            (Some(n), _) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("the page it is stored against (version {n}) is missing").into(),
                ));
            }
            (None, _) => None,
        };
        decompress_page(&blob, dict.as_deref())
            .map(Some)
            .map_err(bad)
    }

    /// The stored diff that produced version `to`, if `to` > 1.
    pub fn stored_changes(
        &self,
        target: TargetId,
        to: u32,
    ) -> Result<Option<Vec<Change>>, StoreError> {
        let json: Option<String> = self
            .conn
            .row(
                "SELECT d.changes_json FROM diffs d JOIN versions v ON v.id = d.to_version_id
                 WHERE v.target_id = ?1 AND v.number = ?2",
                params![target.0, to],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql())?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| self.corrupt(format!("diff of version {to}: {e}")))
        })
        .transpose()
    }

    /// Every version of a target with its counts against the previous one.
    pub fn history(&self, target: TargetId) -> Result<Vec<HistoryRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT v.number, v.captured_at, CASE WHEN v.revert_of IS NULL THEN v.title ELSE o.title END,
                        v.words, d.added, d.removed, COALESCE(d.title_changed, 0), d.changes_json,
                        v.class, v.revert_of, v.alert_paused, v.published, v.modified
                 FROM versions v
                 LEFT JOIN versions o ON o.target_id = v.target_id AND o.number = v.revert_of
                 LEFT JOIN diffs d ON d.to_version_id = v.id
                 WHERE v.target_id = ?1 ORDER BY v.number",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([target.0], |r| {
                Ok((
                    HistoryRow {
                        version: r.get(0)?,
                        captured_at: Timestamp(r.get(1)?),
                        title: r.get(2)?,
                        words: r.get::<_, i64>(3)?.max(0) as u64,
                        added: r.get::<_, Option<i64>>(4)?.map(|n| n.max(0) as u64),
                        removed: r.get::<_, Option<i64>>(5)?.map(|n| n.max(0) as u64),
                        title_changed: r.get(6)?,
                        changed_fields: Vec::new(),
                        class: r
                            .get::<_, Option<String>>(8)?
                            .and_then(|c| ChangeClass::parse(&c)),
                        revert_of: r.get(9)?,
                        alert_paused: r.get(10)?,
                        published: r.get(11)?,
                        modified: r.get(12)?,
                        dates_seen: None,
                    },
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (mut h, changes) = row.map_err(self.sql())?;
            if let Some(json) = changes {
                let changes: Vec<Change> = serde_json::from_str(&json)
                    .map_err(|e| self.corrupt(format!("diff of version {}: {e}", h.version)))?;
                for c in changes {
                    if !h.changed_fields.contains(&c.field) {
                        h.changed_fields.push(c.field);
                    }
                }
            }
            out.push(h);
        }
        drop(stmt);
        for h in &mut out {
            h.dates_seen = self.dates_seen(
                target,
                h.version,
                h.published.as_deref(),
                h.modified.as_deref(),
            )?;
        }
        Ok(out)
    }

    /// The checks that read the page, found version `version`'s wording,
    /// and saw dates other than `published` and `modified`: how many, and
    /// the latest. `None` when there were none.
    pub fn dates_seen(
        &self,
        target: TargetId,
        version: u32,
        published: Option<&str>,
        modified: Option<&str>,
    ) -> Result<Option<DatesSeen>, StoreError> {
        let row: Option<(i64, i64, Option<String>, Option<String>)> = self
            .conn
            .row(
                "SELECT COUNT(*) OVER (), started_at, published, modified FROM checks
                 WHERE target_id = ?1 AND version = ?2 AND outcome = 'unchanged'
                   AND content_hash IS NOT NULL
                   AND (published IS NOT ?3 OR modified IS NOT ?4)
                 ORDER BY started_at DESC, id DESC LIMIT 1",
                params![target.0, version, published, modified],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(self.sql())?;
        Ok(row.map(|(n, at, published, modified)| DatesSeen {
            checks: n.max(0) as u64,
            checked_at: Timestamp(at),
            published,
            modified,
        }))
    }

    /// Every change (version after the first) captured since `since`,
    /// newest first.
    pub fn changes_since(&self, since: Timestamp) -> Result<Vec<ChangeRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.url, t.name, f.number, v.number, v.captured_at, d.added, d.removed,
                        CASE WHEN v.revert_of IS NULL THEN v.title ELSE o.title END, d.title_changed, v.class,
                        t.tags_json, (SELECT s.url FROM sources s WHERE s.id = t.source_id)
                 FROM diffs d
                 JOIN versions v ON v.id = d.to_version_id
                 LEFT JOIN versions o ON o.target_id = v.target_id AND o.number = v.revert_of
                 JOIN versions f ON f.id = d.from_version_id
                 JOIN targets t ON t.id = d.target_id
                 WHERE v.captured_at >= ?1
                 ORDER BY v.captured_at DESC, v.id DESC",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([since.millis()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, bool>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (
                url,
                name,
                from,
                to,
                captured_at,
                added,
                removed,
                title,
                title_changed,
                class,
                tags,
                source,
            ) = row.map_err(self.sql())?;
            let tags: Vec<String> = match tags {
                Some(j) => serde_json::from_str(&j)
                    .map_err(|e| self.corrupt(format!("target tags: {e}")))?,
                None => Vec::new(),
            };
            out.push(ChangeRow {
                url: TargetUrl::parse(&url)
                    .map_err(|e| self.corrupt(format!("target url: {e}")))?,
                name,
                from,
                to,
                captured_at: Timestamp(captured_at),
                added: added.max(0) as u64,
                removed: removed.max(0) as u64,
                title,
                title_changed,
                class: class.and_then(|c| ChangeClass::parse(&c)),
                tags,
                source,
            });
        }
        Ok(out)
    }

    /// Queues deliveries outside a check (a test event from the CLI).
    pub fn queue_deliveries(
        &mut self,
        target: TargetId,
        deliveries: &[NewDelivery],
    ) -> Result<(), StoreError> {
        let url: String = self
            .conn
            .row("SELECT url FROM targets WHERE id = ?1", [target.0], |r| {
                r.get(0)
            })
            .map_err(self.sql())?;
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        insert_deliveries(&tx, target, &url, Timestamp::now(), deliveries).map_err(&sql)?;
        tx.commit().map_err(&sql)
    }

    /// Pending deliveries due at `now` whose sink is enabled — for each sink
    /// and target only the oldest, so they arrive in order.
    pub fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries d
                 WHERE d.state = 'pending' AND d.next_attempt_at <= ?1
                   AND d.sink NOT IN (SELECT name FROM disabled_sinks)
                   AND NOT EXISTS (SELECT 1 FROM deliveries e
                                   WHERE e.sink = d.sink AND e.target_id IS d.target_id
                                     AND e.state = 'pending' AND e.seq < d.seq)
                 ORDER BY d.seq LIMIT ?2"
            ))
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(params![now.millis(), limit as i64], delivery_from_row)
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// When the next pending delivery of an enabled sink is due.
    pub fn next_delivery_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let t: Option<i64> = self
            .conn
            .row(
                "SELECT MIN(next_attempt_at) FROM deliveries
                 WHERE state = 'pending' AND sink NOT IN (SELECT name FROM disabled_sinks)",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(t.map(Timestamp))
    }

    /// Records a successful delivery.
    pub fn mark_delivered(&mut self, seq: i64, now: Timestamp) -> Result<(), StoreError> {
        self.conn
            .run(
                "UPDATE deliveries SET state = 'delivered', delivered_at = ?2, attempts = attempts + 1, last_error = NULL
                 WHERE seq = ?1",
                params![seq, now.millis()],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or failed for good.
    pub fn mark_attempt_failed(
        &mut self,
        seq: i64,
        retry_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), StoreError> {
        match retry_at {
            Some(at) => self.conn.run(
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE seq = ?1",
                params![seq, at.millis(), error],
            ),
            None => self.conn.run(
                "UPDATE deliveries SET attempts = attempts + 1, state = 'failed', last_error = ?2 WHERE seq = ?1",
                params![seq, error],
            ),
        }
        .map_err(self.sql())?;
        Ok(())
    }

    /// Switches a sink off (its receiver answered 410 Gone).
    pub fn disable_sink(
        &mut self,
        name: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.conn
            .run(
                "INSERT INTO disabled_sinks (name, disabled_at, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET disabled_at = excluded.disabled_at, reason = excluded.reason",
                params![name, now.millis(), reason],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Sinks switched off, with why.
    pub fn disabled_sinks(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, reason FROM disabled_sinks ORDER BY name")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// Deliveries, newest first, optionally in one state.
    pub fn deliveries(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE ?1 IS NULL OR state = ?1 ORDER BY seq DESC LIMIT ?2"
            ))
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(
                params![state.map(DeliveryState::as_str), limit as i64],
                delivery_from_row,
            )
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// Puts a failed (or pending) delivery back in line now, and switches its
    /// sink back on. Returns whether the delivery exists.
    pub fn retry_delivery(&mut self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let n = tx
            .execute(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = ?2, created_at = ?2
                 WHERE id = ?1 AND state <> 'delivered'",
                params![id, now.millis()],
            )
            .map_err(&sql)?;
        tx.run(
            "DELETE FROM disabled_sinks WHERE name IN (SELECT sink FROM deliveries WHERE id = ?1)",
            [id],
        )
        .map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(n > 0)
    }

    /// Puts every failed delivery back in line. Returns how many.
    pub fn retry_failed(&mut self, now: Timestamp) -> Result<usize, StoreError> {
        let n = self
            .conn
            .run(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = ?1, created_at = ?1 WHERE state = 'failed'",
                [now.millis()],
            )
            .map_err(self.sql())?;
        self.conn
            .run("DELETE FROM disabled_sinks", [])
            .map_err(self.sql())?;
        Ok(n)
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
}

/// Answers a caller once its batch is committed (or not).
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;
/// One call waiting for the writer thread; says whether it succeeded.
type Job = Box<dyn FnOnce(&mut Store) -> (Finish, bool) + Send>;
/// A version's page blob, its base's number and the base's blob.
type PageRow = (Vec<u8>, Option<u32>, Option<Vec<u8>>);

/// A [`Store`] shared by async tasks. Every call runs on one dedicated
/// writer thread, never on the async workers; calls that queue up while a
/// batch commits are committed together in the next one.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    jobs: std::sync::mpsc::Sender<Job>,
    db: String,
}

impl StoreHandle {
    /// Moves a store onto its writer thread.
    pub fn new(store: Store) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let db = store.db.clone();
        std::thread::Builder::new()
            .name("redline-store".into())
            .spawn(move || writer(store, queue))
            .expect("cannot start the database thread");
        Self { jobs, db }
    }

    /// Runs `f` with the store on the writer thread; the answer comes after
    /// its batch is committed.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let db = self.db.clone();
        let job: Job = Box::new(move |store: &mut Store| {
            let result = f(store);
            let ok = result.is_ok();
            let finish: Finish = Box::new(move |commit: Result<(), String>| {
                let answer = match (result, commit) {
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(message)) => Err(StoreError::Commit { db, message }),
                    (Ok(v), Ok(())) => Ok(v),
                };
                let _ = tx.send(answer);
            });
            (finish, ok)
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Task("the database thread has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Task("a database call panicked".into()))?
    }
}

/// The writer thread: takes the first waiting call, opens a transaction,
/// runs it and every call already queued behind it (each in a savepoint of
/// its own, rolled back if the call fails), commits once, then answers them
/// all.
fn writer(mut store: Store, queue: std::sync::mpsc::Receiver<Job>) {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    while let Ok(first) = queue.recv() {
        // If the batch transaction cannot begin (another process holds the
        // lock past the busy timeout), each call runs on its own.
        let batched = store.conn.run("BEGIN IMMEDIATE", []).is_ok();
        let mut finishers: Vec<Finish> = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            // A panicking call loses its answer (its caller sees an error),
            // not the thread.
            let savepoint = batched && store.conn.run("SAVEPOINT redline_call", []).is_ok();
            let ran = catch_unwind(AssertUnwindSafe(|| job(&mut store)));
            let ok = matches!(ran, Ok((_, true)));
            if savepoint {
                if !ok {
                    let _ = store.conn.run("ROLLBACK TO redline_call", []);
                }
                let _ = store.conn.run("RELEASE redline_call", []);
            }
            if let Ok((finish, _)) = ran {
                finishers.push(finish);
            }
            if batched && finishers.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        let commit = if batched {
            store.conn.run("COMMIT", []).map(drop).map_err(|e| {
                let _ = store.conn.execute_batch("ROLLBACK");
                e.to_string()
            })
        } else {
            Ok(())
        };
        if let Err(e) = &commit {
            tracing::error!(db = %store.db, error = %e, "cannot commit a batch of writes");
        }
        for finish in finishers {
            finish(commit.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::ChangeClass;
    use crate::model::{
        CacheUpdate, Capture, CaptureOutcome, CheckCommit, CheckFacts, CheckRow, CheckStatus,
        Discovered, NewVersion, Next, RawHtmlPolicy, Recent, Source, SourceSettings, TargetUpdate,
    };

    fn settings(url: &str) -> TargetSettings {
        TargetSettings::new(TargetUrl::parse(url).unwrap())
    }

    fn capture(title: &str, text: &str) -> Capture {
        Capture {
            title: title.into(),
            text: text.into(),
            byline: None,
            published: None,
            modified: None,
            canonical: None,
            description: None,
            hash: crate::model::ContentHash::of(format!("{title}\0{text}").as_bytes()),
            final_url: "https://e.com/a".into(),
            raw_html: b"<p>x</p>".to_vec(),
        }
    }

    fn facts(t: i64) -> CheckFacts {
        CheckFacts {
            started_at: Timestamp(t),
            duration: Duration::from_millis(5),
            http_status: Some(200),
            bytes: Some(10),
        }
    }

    /// A commit of a good check at `t` with nothing but the check row.
    fn commit(id: TargetId, recent: &Recent, t: i64, status: CheckStatus) -> CheckCommit {
        CheckCommit {
            target: id,
            lease: None,
            based_on: recent.latest,
            check: CheckRow {
                facts: facts(t),
                status,
                version: recent.latest,
                error: None,
                seen: None,
            },
            version: None,
            deliveries: Vec::new(),
            update: TargetUpdate {
                last_error: None,
                changed: false,
                failures: 0,
                misses: 0,
                failing_alerted: false,
                cache: CacheUpdate::Replace(PageCache::default()),
                published_at: None,
                full_fetch_at: None,
            },
            next: Next::At(Timestamp(t + 1000)),
        }
    }

    /// Reads, decides (same wording: unchanged; else a substantive change)
    /// and commits like a check does, keeping every page.
    fn store_capture(store: &mut Store, id: TargetId, t: i64, c: &Capture) -> CaptureOutcome {
        store_capture_with(store, id, t, c, RawHtmlPolicy::All)
    }

    fn store_capture_with(
        store: &mut Store,
        id: TargetId,
        t: i64,
        c: &Capture,
        raw_html: RawHtmlPolicy,
    ) -> CaptureOutcome {
        let recent = store.recent(id, 6, Some(c)).unwrap();
        let mut commit = commit(id, &recent, t, CheckStatus::Unchanged);
        let new = |class, diff| NewVersion {
            capture: c.clone(),
            class,
            revert_of: None,
            alert_paused: false,
            diff,
            raw_html,
        };
        let outcome = match recent.versions.first() {
            Some(prev) if prev.fields() == c.fields() => CaptureOutcome::Unchanged {
                version: prev.number,
            },
            Some(prev) => {
                let summary = crate::diff::summarize(&prev.fields(), &c.fields());
                commit.check.status = CheckStatus::Changed;
                commit.check.version = Some(prev.number + 1);
                commit.update.changed = true;
                commit.version = Some(new(Some(ChangeClass::Substantive), Some(summary.clone())));
                CaptureOutcome::Changed {
                    from: prev.number,
                    to: prev.number + 1,
                    title: c.title.clone(),
                    summary,
                    class: ChangeClass::Substantive,
                    revert_of: None,
                    alert_paused: false,
                }
            }
            None => {
                commit.check.status = CheckStatus::New;
                commit.check.version = Some(1);
                commit.version = Some(new(None, None));
                CaptureOutcome::New { version: 1 }
            }
        };
        store.commit_check(&commit).unwrap();
        outcome
    }

    fn discovered(url: &str, published: Option<i64>) -> Discovered {
        let url = TargetUrl::parse(url).unwrap();
        Discovered {
            key: crate::model::canon::key(url.as_url()),
            url,
            published: published.map(Timestamp),
        }
    }

    fn add_feed(store: &mut Store, s: SourceSettings) -> Source {
        let url = TargetUrl::parse("https://e.com/feed.xml").unwrap();
        store
            .add_source(&url, crate::model::SourceKind::Feed, &s, Timestamp(0))
            .unwrap();
        store.source_by_url(&url).unwrap().unwrap()
    }

    #[test]
    fn rows_from_before_the_url_columns_get_them_filled() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .conn
            .execute(
                "INSERT INTO targets (url, origin, state, created_at, next_check_at)
                 VALUES ('https://E.com:443/story/?utm_source=x', 'cli', 'active', 0, 0)",
                [],
            )
            .unwrap();
        store.fill_url_columns().unwrap();
        let (host, key): (String, String) = store
            .conn
            .query_row("SELECT host, url_key FROM targets", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((host.as_str(), key.as_str()), ("e.com", "e.com/story"));
    }

    #[test]
    fn polls_create_each_article_once_within_the_caps() {
        let mut store = Store::open_in_memory().unwrap();
        let src = add_feed(
            &mut store,
            SourceSettings {
                max_new_per_poll: 2,
                max_targets: 3,
                track_for_ms: Some(3_600_000),
                targets: crate::model::TargetDefaults {
                    tags: vec!["world".into()],
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        let claimed = store
            .claim_due_sources(Timestamp(0), 10, Timestamp(500))
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(
            store
                .claim_due_sources(Timestamp(0), 10, Timestamp(500))
                .unwrap()
                .is_empty(),
            "a claimed source is leased"
        );
        let links = [
            discovered("https://e.com/a", Some(5)),
            discovered("https://e.com/b", None),
            discovered("https://e.com/c", None),
        ];
        let r = store
            .record_poll(
                &src,
                Timestamp(1),
                Timestamp(100),
                &PageCache::default(),
                &links,
            )
            .unwrap();
        assert_eq!(r.created, ["https://e.com/a", "https://e.com/b"]);
        assert_eq!(r.capped_per_poll, 1);
        // The same links again, one spelled differently: only c is new,
        // then the total cap holds.
        let links = [
            discovered("https://e.com/a/", None),
            discovered("https://e.com/c", None),
            discovered("https://e.com/d", None),
        ];
        let r = store
            .record_poll(
                &src,
                Timestamp(2),
                Timestamp(100),
                &PageCache::default(),
                &links,
            )
            .unwrap();
        assert_eq!(r.created, ["https://e.com/c"]);
        assert_eq!((r.known, r.capped_total), (1, 1));
        let a = store
            .target_by_url(&TargetUrl::parse("https://e.com/a").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(a.source.as_deref(), Some("https://e.com/feed.xml"));
        assert_eq!(a.published_at, Some(Timestamp(5)));
        assert_eq!(a.tags, ["world"]);
        assert_eq!(a.track_for, Some(Duration::from_secs(3600)));
        let summary = &store.list_sources().unwrap()[0];
        assert_eq!((summary.articles, summary.active_articles), (3, 3));
        assert_eq!(summary.last_poll, Some(Timestamp(2)));

        store
            .record_poll_failure(src.id, Timestamp(3), Timestamp(200), "not a readable feed")
            .unwrap();
        let summary = &store.list_sources().unwrap()[0];
        assert_eq!(summary.last_error.as_deref(), Some("not a readable feed"));
        assert_eq!(summary.source.failures, 1);
    }

    #[test]
    fn changed_source_defaults_reach_its_targets() {
        let mut store = Store::open_in_memory().unwrap();
        let src = add_feed(&mut store, SourceSettings::default());
        store
            .record_poll(
                &src,
                Timestamp(1),
                Timestamp(100),
                &PageCache::default(),
                &[discovered("https://e.com/a", None)],
            )
            .unwrap();
        let mut changed = src.settings.clone();
        changed.targets.selector = Some("article".into());
        changed.track_for_ms = Some(60_000);
        store
            .add_source(&src.url, src.kind, &changed, Timestamp(2))
            .unwrap();
        let a = store
            .target_by_url(&TargetUrl::parse("https://e.com/a").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(a.selector.as_deref(), Some("article"));
        assert_eq!(a.track_for, Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_shared_canonical_retires_the_discovered_duplicate() {
        let mut store = Store::open_in_memory().unwrap();
        let src = add_feed(&mut store, SourceSettings::default());
        // The canonical story was added by hand; the others discovered.
        let (a, _) = store
            .add_target(&settings("https://e.com/story"), Timestamp(0))
            .unwrap();
        store
            .record_poll(
                &src,
                Timestamp(0),
                Timestamp(100),
                &PageCache::default(),
                &[
                    discovered("https://e.com/story?ref=home", None),
                    discovered("https://e.com/other?ref=home", None),
                ],
            )
            .unwrap();
        let find = |store: &Store, u: &str| {
            store
                .target_by_url(&TargetUrl::parse(u).unwrap())
                .unwrap()
                .unwrap()
        };
        let b = find(&store, "https://e.com/story?ref=home");
        let c = find(&store, "https://e.com/other?ref=home");
        store_capture(&mut store, a.id, 1, &capture("Story", "a b c"));
        store_capture(&mut store, b.id, 2, &capture("Story", "a b c"));
        store_capture(&mut store, c.id, 3, &capture("Another story", "x y"));
        // A root canonical names no article.
        assert_eq!(
            store
                .merge_canonical(b.id, "e.com/", "Story", Timestamp(4))
                .unwrap(),
            None
        );
        // A different headline is not the same story.
        assert_eq!(
            store
                .merge_canonical(c.id, "e.com/story", "Another story", Timestamp(4))
                .unwrap(),
            None
        );
        let merged = store
            .merge_canonical(b.id, "e.com/story", "Story", Timestamp(4))
            .unwrap();
        let merged = merged.expect("a merge");
        assert_eq!(
            (merged.retired.as_str(), merged.kept.as_str()),
            ("https://e.com/story?ref=home", "https://e.com/story")
        );
        assert!(
            merged
                .reason
                .starts_with("duplicate of https://e.com/story:")
        );
        let b = store.target_by_url(&b.url).unwrap().unwrap();
        assert_eq!(b.state, TargetState::Retired);
        assert!(
            b.retired_reason
                .unwrap()
                .contains("duplicate of https://e.com/story")
        );
        let a = store.target_by_url(&a.url).unwrap().unwrap();
        assert_eq!(a.state, TargetState::Active);

        // Two targets added by hand are both kept, whatever they declare.
        let (d, _) = store
            .add_target(&settings("https://e.com/copy"), Timestamp(0))
            .unwrap();
        store_capture(&mut store, d.id, 5, &capture("Story", "a b c"));
        assert_eq!(
            store
                .merge_canonical(d.id, "e.com/story", "Story", Timestamp(6))
                .unwrap(),
            None
        );
    }

    #[test]
    fn versions_are_stored_only_on_change() {
        let mut store = Store::open_in_memory().unwrap();
        let (t, created) = store
            .add_target(&settings("https://e.com/a"), Timestamp(0))
            .unwrap();
        assert!(created);
        assert!(matches!(
            store_capture(&mut store, t.id, 1, &capture("T", "a b c")),
            CaptureOutcome::New { version: 1 }
        ));
        assert!(matches!(
            store_capture(&mut store, t.id, 2, &capture("T", "a b c")),
            CaptureOutcome::Unchanged { version: 1 }
        ));
        match store_capture(&mut store, t.id, 3, &capture("T", "a x c")) {
            CaptureOutcome::Changed {
                from: 1,
                to: 2,
                summary,
                ..
            } => assert_eq!((summary.added, summary.removed), (1, 1)),
            other => panic!("{other:?}"),
        }
        let history = store.history(t.id).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].added, None);
        assert_eq!(history[1].added, Some(1));
        let changes = store.stored_changes(t.id, 2).unwrap().unwrap();
        assert_eq!(changes[0].new, "x");
        assert_eq!(store.raw_html(t.id, 2).unwrap().unwrap(), b"<p>x</p>");
        assert_eq!(store.changes_since(Timestamp(0)).unwrap().len(), 1);
        assert_eq!(store.changes_since(Timestamp(4)).unwrap().len(), 0);
        let list = store.list_targets().unwrap();
        assert_eq!(list[0].versions, 2);
        assert_eq!(list[0].last_change, Some(Timestamp(3)));
        store.integrity_check().unwrap();
    }

    #[test]
    fn config_sync_adds_updates_and_retires() {
        let mut store = Store::open_in_memory().unwrap();
        let a = settings("https://e.com/a");
        let b = settings("https://e.com/b");
        let r = store
            .sync_config_targets(&[a.clone(), b.clone()], Timestamp(0))
            .unwrap();
        assert_eq!(r.added.len(), 2);
        let id_b = store.target_by_url(&b.url).unwrap().unwrap().id;
        store_capture(&mut store, id_b, 1, &capture("T", "text"));
        let r = store
            .sync_config_targets(std::slice::from_ref(&a), Timestamp(10))
            .unwrap();
        assert_eq!(r.removed, vec!["https://e.com/b".to_string()]);
        assert_eq!(store.active_targets().unwrap().len(), 1);
        // History of the removed target is kept.
        assert_eq!(store.history(id_b).unwrap().len(), 1);
        // A CLI target is not touched by config sync.
        store
            .add_target(&settings("https://e.com/c"), Timestamp(0))
            .unwrap();
        store.sync_config_targets(&[a], Timestamp(20)).unwrap();
        assert_eq!(store.active_targets().unwrap().len(), 2);
    }

    #[test]
    fn a_commit_is_refused_when_the_target_moved_on() {
        let mut store = Store::open_in_memory().unwrap();
        let (t, _) = store
            .add_target(&settings("https://e.com/a"), Timestamp(0))
            .unwrap();
        // Read, then another writer stores version 1: the stale decision
        // would number its version 1 again.
        let stale = store.recent(t.id, 6, None).unwrap();
        store_capture(&mut store, t.id, 1, &capture("T", "a b c"));
        let mut late = commit(t.id, &stale, 2, CheckStatus::New);
        late.version = Some(NewVersion {
            capture: capture("T", "other"),
            class: None,
            revert_of: None,
            alert_paused: false,
            diff: None,
            raw_html: RawHtmlPolicy::All,
        });
        let err = store.commit_check(&late).unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        // A claimed target whose lease another claim replaced.
        let claimed = store
            .claim_due_targets(Timestamp(5000), 1, Timestamp(9000), &[], |_| true)
            .unwrap();
        assert_eq!(claimed[0].next_check_at, Timestamp(9000), "the lease");
        let recent = store.recent(t.id, 0, None).unwrap();
        let mut leased = commit(t.id, &recent, 3, CheckStatus::Unchanged);
        leased.lease = Some(Timestamp(8000));
        let err = store.commit_check(&leased).unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        // Nothing of either was written.
        assert_eq!(store.history(t.id).unwrap().len(), 1);
        let checks: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM checks", [], |r| r.get(0))
            .unwrap();
        assert_eq!(checks, 1);
        // With the lease it holds, the check is recorded.
        leased.lease = Some(Timestamp(9000));
        store.commit_check(&leased).unwrap();
    }

    #[test]
    fn due_targets_follow_next_check_time() {
        let mut store = Store::open_in_memory().unwrap();
        let (t, _) = store
            .add_target(&settings("https://e.com/a"), Timestamp(100))
            .unwrap();
        assert_eq!(store.due_targets(Timestamp(99), 10).unwrap().len(), 0);
        assert_eq!(store.due_targets(Timestamp(100), 10).unwrap().len(), 1);
        let recent = store.recent(t.id, 0, None).unwrap();
        let mut failed = commit(t.id, &recent, 100, CheckStatus::Error);
        failed.check.error = Some("boom".into());
        failed.update.last_error = Some("boom".into());
        failed.update.failures = recent.failures + 1;
        failed.update.cache = CacheUpdate::Clear;
        failed.next = Next::At(Timestamp(5000));
        store.commit_check(&failed).unwrap();
        let t = store.target_by_url(&t.url).unwrap().unwrap();
        assert_eq!((t.failures, t.misses), (1, 0));
        assert_eq!(store.due_targets(Timestamp(4999), 10).unwrap().len(), 0);
        assert_eq!(store.next_due_at().unwrap(), Some(Timestamp(5000)));
        assert_eq!(
            store.list_targets().unwrap()[0].last_error.as_deref(),
            Some("boom")
        );
    }

    #[test]
    fn later_pages_are_stored_as_deltas_against_the_first() {
        let mut store = Store::open_in_memory().unwrap();
        let (t, _) = store
            .add_target(&settings("https://e.com/a"), Timestamp(0))
            .unwrap();
        let template: String = (0..2000)
            .map(|i| format!("<div class=\"nav-{i}\">menu item {i}</div>\n"))
            .collect();
        let page =
            |body: &str| format!("<html><body>{template}<article>{body}</article></body></html>");
        for (n, body) in ["first text here", "second text now", "third text at last"]
            .iter()
            .enumerate()
        {
            let mut c = capture("T", body);
            c.raw_html = page(body).into_bytes();
            store_capture(&mut store, t.id, n as i64 + 1, &c);
        }
        let sizes: Vec<(i64, Option<i64>)> = store
            .conn
            .prepare(
                "SELECT length(p.zstd), p.base FROM versions v JOIN pages p ON p.version_id = v.id
                 ORDER BY v.number",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(sizes[0].1, None);
        assert_eq!(sizes[1].1, Some(1));
        assert!(
            sizes[1].0 * 5 < sizes[0].0,
            "a delta is far smaller: {sizes:?}"
        );
        for (n, body) in [
            (1, "first text here"),
            (2, "second text now"),
            (3, "third text at last"),
        ] {
            assert_eq!(
                store.raw_html(t.id, n).unwrap().unwrap(),
                page(body).into_bytes()
            );
        }
    }

    #[test]
    fn first_and_latest_policy_drops_pages_in_between() {
        let mut store = Store::open_in_memory().unwrap();
        let (t, _) = store
            .add_target(&settings("https://e.com/a"), Timestamp(0))
            .unwrap();
        for n in 1..=4i64 {
            let c = capture("T", &format!("text number {n}"));
            store_capture_with(&mut store, t.id, n, &c, RawHtmlPolicy::FirstAndLatest);
        }
        let kept: Vec<bool> = (1..=4)
            .map(|n| store.raw_html(t.id, n).unwrap().is_some())
            .collect();
        assert_eq!(kept, vec![true, false, false, true]);
        // The texts are all still there.
        assert_eq!(
            store.version(t.id, Some(2)).unwrap().unwrap().text,
            "text number 2"
        );
    }

    #[test]
    fn claims_skip_busy_hosts_and_ask_about_each_candidate() {
        let mut store = Store::open_in_memory().unwrap();
        for (i, url) in [
            "https://a.com/1",
            "https://a.com/2",
            "https://b.com:8080/1",
            "https://c.com/1",
        ]
        .iter()
        .enumerate()
        {
            store
                .add_target(&settings(url), Timestamp(i as i64))
                .unwrap();
        }
        let mut asked = Vec::new();
        let claimed = store
            .claim_due_targets(
                Timestamp(10),
                10,
                Timestamp(1000),
                &["c.com".to_string()],
                |host| {
                    asked.push(host.to_string());
                    // One request per host.
                    asked.iter().filter(|h| *h == host).count() == 1
                },
            )
            .unwrap();
        assert_eq!(asked, vec!["a.com", "a.com", "b.com:8080"]);
        let urls: Vec<&str> = claimed.iter().map(|t| t.url.as_str()).collect();
        assert_eq!(urls, vec!["https://a.com/1", "https://b.com:8080/1"]);
        // Claimed targets are leased; the others stay due.
        let due: Vec<String> = store
            .due_targets(Timestamp(10), 10)
            .unwrap()
            .into_iter()
            .map(|t| t.url.to_string())
            .collect();
        assert_eq!(due, vec!["https://a.com/2", "https://c.com/1"]);
        let b = store.backlog(Timestamp(10)).unwrap();
        assert_eq!((b.due, b.active, b.oldest_due), (2, 4, Some(Timestamp(1))));
    }

    #[test]
    fn unchanged_without_reading_and_retirement() {
        let mut store = Store::open_in_memory().unwrap();
        let (t, _) = store
            .add_target(&settings("https://e.com/a"), Timestamp(0))
            .unwrap();
        let recent = store.recent(t.id, 0, None).unwrap();
        assert_eq!(recent.latest, None, "no version to match yet");
        assert!(recent.versions.is_empty() && recent.checks.is_empty());
        store_capture(&mut store, t.id, 2, &capture("T", "text"));
        let recent = store.recent(t.id, 0, None).unwrap();
        assert_eq!(recent.latest, Some(1));
        assert!(recent.versions.is_empty(), "nothing decompressed");
        let mut unchanged = commit(t.id, &recent, 3, CheckStatus::Unchanged);
        unchanged.update.cache = CacheUpdate::Refresh {
            etag: Some("\"v2\"".into()),
            last_modified: None,
        };
        unchanged.next = Next::Retire("too old".into());
        store.commit_check(&unchanged).unwrap();
        let t = store.target_by_url(&t.url).unwrap().unwrap();
        assert_eq!(t.state, TargetState::Retired);
        assert_eq!(t.retired_reason.as_deref(), Some("too old"));
        // Config sync does not bring a retired target back; `add` does.
        let s = settings("https://e.com/a");
        store
            .sync_config_targets(std::slice::from_ref(&s), Timestamp(9))
            .unwrap();
        assert_eq!(
            store.target_by_url(&s.url).unwrap().unwrap().state,
            TargetState::Retired
        );
        let (t, _) = store.add_target(&s, Timestamp(10)).unwrap();
        assert_eq!((t.state, t.retired_reason), (TargetState::Active, None));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_batches_calls_and_isolates_failures() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let handle = StoreHandle::new(store);
        let mut tasks = Vec::new();
        for i in 0..50 {
            let h = handle.clone();
            tasks.push(tokio::spawn(async move {
                h.call(move |s| {
                    let (t, _) =
                        s.add_target(&settings(&format!("https://e.com/{i}")), Timestamp(0))?;
                    if i % 10 == 0 {
                        // A failing call in the middle of a batch.
                        s.conn
                            .run("INSERT INTO no_such_table VALUES (1)", [])
                            .map_err(s.sql())?;
                    }
                    Ok(t.id)
                })
                .await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 45);
        let n = handle
            .call(|s| Ok(s.active_targets()?.len()))
            .await
            .unwrap();
        // A failing call's own writes are undone, and nobody else's.
        assert_eq!(n, 45);
        let panicked = handle
            .call(|_| -> Result<(), StoreError> { panic!("boom") })
            .await;
        assert!(matches!(panicked, Err(StoreError::Task(_))));
        assert!(
            handle.call(|s| s.integrity_check()).await.is_ok(),
            "the thread lives on"
        );
    }

    #[test]
    fn purge_deletes_history_and_remove_keeps_it() {
        let mut store = Store::open_in_memory().unwrap();
        let s = settings("https://e.com/a");
        let (t, _) = store.add_target(&s, Timestamp(0)).unwrap();
        store_capture(&mut store, t.id, 1, &capture("T", "text"));
        assert!(store.remove_target(&s.url, false).unwrap());
        assert_eq!(store.history(t.id).unwrap().len(), 1);
        assert!(store.remove_target(&s.url, true).unwrap());
        assert_eq!(store.history(t.id).unwrap().len(), 0);
        assert!(!store.remove_target(&s.url, true).unwrap());
    }
}
