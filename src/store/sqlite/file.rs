//! Checks on a database file around SQLite's own opening of it: a copy cut
//! short is refused (SQLite would read its missing pages as empty), and a
//! file that cannot be written is told apart, so that reports can still
//! read it and everything else says why it cannot run.
//!
//! None of these opens the database file itself. SQLite locks it with
//! POSIX advisory locks, which belong to the process and are all dropped
//! when the process closes *any* descriptor of the file; a check that
//! opened and closed the file beside a live connection would silently
//! drop that connection's locks. So the checks use `stat`, `access(2)`
//! and SQLite's own view of the header.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rusqlite::Connection;

use crate::store::StoreError;

/// Why the database file cannot be written, when it exists and cannot be
/// (a read-only disk, a file mode), as `access(2)` says without opening it.
pub(super) fn unwritable(path: &Path) -> Option<String> {
    if !path.is_file() {
        return None;
    }
    let c = CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call;
    // access(2) only reads it.
    let denied = unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0;
    denied.then(|| std::io::Error::last_os_error().to_string())
}

/// Whether the database's write-ahead log holds pages not yet in the file.
pub(super) fn live_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0)
}

/// Refuses a database file shorter than its own header says it is (a copy
/// cut short, a disk that filled while copying): SQLite would read the
/// missing pages as empty and show a database with its data gone, and a
/// write would make that permanent. `conn` is a fresh connection to it,
/// before anything was written; SQLite reports the header's size as the
/// page count when the header states one. Only a file without a
/// write-ahead log is judged: while the log holds pages, the main file may
/// lag behind its header (a checkpoint writes the header page first, and a
/// process may stop in the middle of one; the log makes it whole again).
pub(super) fn refuse_truncated(conn: &Connection, path: &Path, db: &str) -> Result<(), StoreError> {
    if live_wal(path) {
        return Ok(());
    }
    let Ok((pages, size)) = conn.query_row(
        "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()",
        [],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    ) else {
        // Not a database SQLite can read at all: its own error follows.
        return Ok(());
    };
    // The length is read after the header: another process creating the
    // database at this moment only makes the file longer, never shorter.
    let Ok(len) = std::fs::metadata(path).map(|m| m.len()) else {
        return Ok(());
    };
    if live_wal(path) {
        return Ok(());
    }
    let claimed = (pages.max(0) as u64) * (size.max(0) as u64);
    if claimed > len {
        return Err(StoreError::Corrupt {
            db: db.to_string(),
            what: format!(
                "the file is truncated: its header says {claimed} bytes, the file has {len}; restore it from a backup (nothing was written to it)"
            ),
        });
    }
    Ok(())
}
