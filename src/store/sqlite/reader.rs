//! Read-only connections for reports: [`ReadPool`] hands each read to a
//! blocking thread with a connection of its own, opened read-only on the
//! database file, so reports (the CLI's, and the web pages to come) never
//! queue behind the writer thread's transactions or take the write lock.
//! WAL lets them read the last committed state while the daemon writes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::Store;
use crate::store::StoreError;

/// Idle connections kept for the next read; more are opened while many
/// reads run at once, and closed again when they end.
const MAX_IDLE: usize = 4;

/// A pool of read-only connections to one database file.
#[derive(Debug, Clone)]
pub struct ReadPool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Store>>,
}

impl ReadPool {
    /// Opens the first connection (bringing the schema up to date first if
    /// the file needs it, as [`Store::open_reader`] does).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let first = Store::open_reader(path)?;
        let pool = Self::lazy(path);
        pool.inner.lock().push(first);
        Ok(pool)
    }

    /// A pool that opens its first connection on the first read, for a
    /// database a writer has already opened (and migrated).
    pub(super) fn lazy(path: &Path) -> Self {
        Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Runs `f` with a connection on a blocking thread.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let taken = inner.lock().pop();
            let store = match taken {
                Some(s) => s,
                None => Store::open_reader(&inner.path)?,
            };
            let result = f(&store);
            let mut idle = inner.lock();
            if idle.len() < MAX_IDLE {
                idle.push(store);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Task(format!("a database read failed: {e}")))?
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Store>> {
        // A read that panicked left no connection half-used behind: the
        // list itself is always whole.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TargetSettings, TargetUrl, Timestamp};

    #[tokio::test]
    async fn reads_go_on_while_another_connection_holds_the_write_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut store = Store::open(&path).unwrap();
        let url = TargetUrl::parse("https://e.com/a").unwrap();
        store
            .add_target(&TargetSettings::new(url.clone()), Timestamp(0))
            .unwrap();
        // A writer in the middle of a transaction, holding the lock.
        store.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        store
            .conn
            .execute("UPDATE targets SET name = 'uncommitted'", [])
            .unwrap();
        let pool = ReadPool::open(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reading = tokio::spawn({
            let pool = pool.clone();
            let url = url.clone();
            async move {
                let t = pool.read(move |s| s.target_by_url(&url)).await;
                tx.send(()).unwrap();
                t
            }
        });
        // The read finishes while the lock is still held (well inside the
        // busy timeout a writer would wait for), and sees the last commit.
        let waited =
            tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(2)))
                .await
                .unwrap();
        assert!(waited.is_ok(), "the read waited for the writer");
        let target = reading.await.unwrap().unwrap().unwrap();
        assert_eq!(target.name, None, "only committed data is read");
        store.conn.execute_batch("COMMIT").unwrap();
        // The pool's connections cannot write.
        let write = pool
            .read(|s| {
                s.conn
                    .execute("DELETE FROM targets", [])
                    .map_err(|e| s.sql()(e))
            })
            .await;
        assert!(write.is_err(), "a report connection is read-only");
    }
}
