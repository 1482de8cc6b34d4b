//! One daemon per database file: the process that checks sites on an SQLite
//! database (`redline run`, and `redline check` or `sources --poll`, which
//! fetch too) holds an exclusive lock on a file beside it,
//! `<database>.lock`. Per-host politeness lives in that process's memory,
//! so a second one would press on every site twice as hard; it is refused
//! and told which process holds the lock. The operating system releases
//! the lock when the holder exits, however it exits (a crash or SIGKILL
//! included), so a stale lock file never blocks a restart. Commands that
//! only read or edit the watch list take no lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::model::Timestamp;
use crate::store::StoreError;

/// The exclusive lock of the process that fetches for a database; released
/// when dropped (or when the process ends).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    path: PathBuf,
}

impl InstanceLock {
    /// Where the lock of `database` is kept.
    pub fn path_for(database: &Path) -> PathBuf {
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of `database` for `what` (the command, for the
    /// message a second process gets), or says who holds it.
    pub fn acquire(database: &Path, what: &str) -> Result<Self, StoreError> {
        let path = Self::path_for(database);
        let db = database.display().to_string();
        let io = |e: std::io::Error| StoreError::Lock {
            db: db.clone(),
            what: format!("cannot use the lock file {}: {e}", path.display()),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                // The holder wrote who it is; an empty file means it is
                // just starting.
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(StoreError::InUse {
                    db,
                    holder: if holder.is_empty() {
                        "another Redline process".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let me = format!(
            "`redline {what}` (pid {}, since {})",
            std::process::id(),
            Timestamp::now().rfc3339()
        );
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(me.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.db");
        let first = InstanceLock::acquire(&db, "run").unwrap();
        assert_eq!(first.path(), dir.path().join("r.db.lock"));
        let err = InstanceLock::acquire(&db, "check").unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("`redline run` (pid {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains("r.db"), "{message}");
        drop(first);
        // Released with its holder: the next one gets it.
        let again = InstanceLock::acquire(&db, "check").unwrap();
        drop(again);
    }

    #[test]
    fn a_lock_file_that_cannot_be_made_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("missing-dir").join("r.db");
        let err = InstanceLock::acquire(&db, "run").unwrap_err().to_string();
        assert!(err.contains("r.db.lock"), "{err}");
    }
}
