//! The writer thread behind [`StoreHandle`]: every call runs on one
//! dedicated thread, and calls that queue up while a batch commits are
//! committed together in the next transaction (each in a savepoint of its
//! own), answered only once durable.

use super::{Cached, InstanceLock, ReadPool, Store};
use crate::store::MemoryGates;
use crate::store::StoreError;

/// Most calls the writer thread commits in one transaction.
pub(super) const MAX_BATCH: usize = 256;

/// Answers a caller once its batch is committed (or not).
pub(super) type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// One call waiting for the writer thread; says whether it succeeded.
pub(super) type Job = Box<dyn FnOnce(&mut Store) -> (Finish, bool) + Send>;

/// A [`Store`] shared by async tasks. Every call runs on one dedicated
/// writer thread, never on the async workers; calls that queue up while a
/// batch commits are committed together in the next one.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    jobs: std::sync::mpsc::Sender<Job>,
    db: String,
    /// Read-only connections for reports, when the database is a file.
    reads: Option<ReadPool>,
    /// Politeness state: one daemon writes an SQLite file (the file is not
    /// shared between machines), so it is kept in this process.
    gates: std::sync::Arc<MemoryGates>,
    /// The instance lock, for the process that fetches for the database.
    _lock: Option<std::sync::Arc<InstanceLock>>,
}

impl StoreHandle {
    /// Moves a store onto its writer thread.
    pub fn new(store: Store) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let db = store.db.clone();
        let reads = store
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .map(|p| ReadPool::lazy(std::path::Path::new(p)));
        let (closed, on_close) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("redline-store".into())
            .spawn(move || {
                writer(store, queue);
                // `store` is dropped by now: its connection closed, the log
                // checkpointed into the file.
                let _ = closed.send(());
            })
            .expect("cannot start the database thread");
        let mut closing = CLOSING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Threads that have closed already need no waiting for: a process
        // that opens many stores (a test, a benchmark) keeps only the open.
        closing.retain(|rx| matches!(rx.try_recv(), Err(std::sync::mpsc::TryRecvError::Empty)));
        closing.push(on_close);
        Self {
            jobs,
            db,
            reads,
            gates: std::sync::Arc::default(),
            _lock: None,
        }
    }

    /// The same store, holding `lock` for as long as any handle to it lives.
    pub fn holding(mut self, lock: InstanceLock) -> Self {
        self._lock = Some(std::sync::Arc::new(lock));
        self
    }

    /// The read-only connections reports use, if the database is a file.
    pub(super) fn reads(&self) -> Option<&ReadPool> {
        self.reads.as_ref()
    }

    /// The politeness gates.
    pub(super) fn gates(&self) -> &MemoryGates {
        &self.gates
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

/// One receiver per writer thread started in this process, answered when
/// that thread has closed its connection.
static CLOSING: std::sync::Mutex<Vec<std::sync::mpsc::Receiver<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Waits (up to `limit` in all) for every writer thread whose handles have
/// all been dropped to close its connection. A process that exits with a
/// writer thread still running leaves its write-ahead log beside the file
/// and may stop in the middle of a checkpoint; the next reader on a disk
/// that has since become read-only could not read it. Returns whether all
/// closed in time.
pub fn wait_closed(limit: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    let waiting = std::mem::take(
        &mut *CLOSING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let mut all = true;
    for rx in waiting {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => all = false,
        }
    }
    all
}

/// The writer thread: takes the first waiting call, opens a transaction,
/// runs it and every call already queued behind it (each in a savepoint of
/// its own, rolled back if the call fails), commits once, then answers them
/// all.
pub(super) fn writer(mut store: Store, queue: std::sync::mpsc::Receiver<Job>) {
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
