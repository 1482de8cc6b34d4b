//! Storage of targets, checks, versions, diffs, the alert outbox and the
//! sources articles are discovered from — the only module that speaks SQL.
//!
//! [`Store`] is the SQLite backend ([`sqlite`]). Its methods take and
//! return the records of [`crate::model`], never SQL rows, so a second
//! backend (PostgreSQL for multi-daemon deployments) can implement the same
//! surface. Every logical event is one transaction: a check with its new
//! version and that version's diff commit together or not at all
//! ([`Store::commit_check`]), and a commit based on a stale read is refused
//! as a [`StoreError::Conflict`].
//!
//! The traits ([`api`]) are the seam: everything above the store takes
//! `Arc<dyn …>` of the part it needs, opened by [`open`] (writes) or
//! [`open_reports`] (reads only). `conformance` is the behaviour every
//! backend must show, through the traits alone.
//!
//! SQLite calls block; async code goes through [`StoreHandle`], which hands
//! writes to one dedicated writer thread and reads to a [`ReadPool`] of
//! read-only connections. The writer batches whatever calls
//! are waiting into one transaction (each call in a savepoint of its own, so
//! one failing call undoes only itself) and answers them after the commit:
//! at thousands of checks a minute, one fsync serves many checks, and no
//! caller hears "stored" before it is durable.
//!
//! Pages are kept zstd-compressed ([`codec`]); a later version's page is
//! compressed against the first version's page as a dictionary, so a
//! version costs little more than what changed in the page.

pub mod api;
pub mod codec;
#[cfg(test)]
mod conformance;
pub mod gates;
pub mod sqlite;

pub use api::{
    Admin, CheckLog, ClaimRequest, DueRequest, History, HostGates, Outbox, Schedule, Sources,
    Storage, StoreFuture,
};
pub use gates::MemoryGates;
pub use sqlite::{InstanceLock, ReadPool, Store, StoreHandle};

/// Waits, up to `limit`, for every database this process opened and no
/// longer uses to be closed cleanly; says whether all were.
pub fn close_all(limit: std::time::Duration) -> bool {
    sqlite::wait_closed(limit)
}

use std::path::Path;
use std::sync::Arc;

/// Opens the store at `database` for the daemon and the commands that
/// write: today an SQLite file, created and migrated as needed.
pub fn open(database: &Path) -> Result<Arc<dyn Storage>, StoreError> {
    Ok(Arc::new(StoreHandle::new(Store::open(database)?)))
}

/// Opens the store at `database` for the one process that fetches for it
/// (`redline run`, `check`, `sources --poll`, named by `what`): it takes
/// the database's instance lock first, held as long as the store is open,
/// and is refused while another process holds it.
pub fn open_fetching(database: &Path, what: &str) -> Result<Arc<dyn Storage>, StoreError> {
    let lock = InstanceLock::acquire(database, what)?;
    Ok(Arc::new(
        StoreHandle::new(Store::open(database)?).holding(lock),
    ))
}

/// Opens the store at `database` for reports only: read-only connections
/// that never take the write lock.
pub fn open_reports(database: &Path) -> Result<Arc<dyn History>, StoreError> {
    Ok(Arc::new(ReadPool::open(database)?))
}

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
        /// Whether reading again and deciding again can succeed (a version
        /// was stored meanwhile), or not (the lease is lost, the target gone).
        retry: bool,
    },
    /// Another process fetches for this database (it holds the instance
    /// lock).
    #[error(
        "database {db} is in use by {holder}, which checks its targets; one process at a time fetches for a database (per-host politeness lives in its memory): stop that one first, or leave the checking to it"
    )]
    InUse { db: String, holder: String },
    /// The database file cannot be written (a read-only disk or file).
    #[error(
        "database {db} cannot be written ({why}); reports can still read it, but nothing that records checks or edits targets can run"
    )]
    ReadOnly { db: String, why: String },
    /// The instance lock could not be taken.
    #[error("database {db}: {what}")]
    Lock { db: String, what: String },
    /// A batch of writes could not be committed; none of it was stored.
    #[error("database {db}: cannot commit: {message}")]
    Commit { db: String, message: String },
}
