//! Checks on a database file before SQLite opens it: a copy cut short is
//! refused (SQLite would read its missing pages as empty), and a file that
//! cannot be written is told apart, so that reports can still read it and
//! everything else says why it cannot run.

use std::path::Path;

use crate::store::StoreError;

/// Why the database file cannot be written, when it exists and cannot be
/// (a read-only disk, a file mode): opening it for appending writes
/// nothing.
pub(super) fn unwritable(path: &Path) -> Option<String> {
    if !path.is_file() {
        return None;
    }
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .err()
        .map(|e| e.to_string())
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
/// write would make that permanent. Only a file without a write-ahead log
/// is judged: while the log holds pages, the main file may lag behind its
/// header (a checkpoint writes the header page first, and a process may
/// stop in the middle of one; the log makes it whole again). Files that
/// are not SQLite, or whose header does not state a size, are left to
/// SQLite's own checks.
pub(super) fn refuse_truncated(path: &Path, db: &str) -> Result<(), StoreError> {
    use std::io::Read;
    if live_wal(path) {
        return Ok(());
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let mut header = [0u8; 100];
    if file.read_exact(&mut header).is_err() || &header[..16] != b"SQLite format 3\0" {
        return Ok(());
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    // The size in the header counts only when the header was written by
    // a SQLite that keeps it (its change counter matches).
    let pages = u64::from(be32(28));
    let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    if be32(24) == be32(92) && pages > 0 && pages * page_size > len {
        return Err(StoreError::Corrupt {
            db: db.to_string(),
            what: format!(
                "the file is truncated: its header says {} bytes, the file has {len}; restore it from a backup (nothing was written to it)",
                pages * page_size
            ),
        });
    }
    Ok(())
}
