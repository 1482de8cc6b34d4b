//! The storage seam: what the long-running parts of Redline need from a
//! store, as async traits split by concern, so the daemon, the checks,
//! discovery and the alert dispatcher each take the narrow part they use
//! (`Arc<dyn CheckLog>`, …) and a second backend can implement them.
//!
//! Every method takes and returns records of [`crate::model`]: no closure
//! runs inside a store's transaction, and no decision is made in one. A
//! check reads ([`CheckLog::recent`]), decides on its own, and commits
//! ([`CheckLog::commit_check`]); claiming targets is a read of candidates
//! and a compare-and-set lease ([`Schedule::claim`]), so several daemons
//! can share one store. [`Storage`] is all of them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::StoreError;
use crate::model::{
    Backlog, Capture, CheckCommit, Delivery, Discovered, Merged, PageCache, PollReport, Recent,
    Source, Target, TargetId, TargetSettings, Timestamp,
};

/// What a store method returns: a boxed future, so the traits can be used
/// as trait objects.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Which due targets a claim may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRequest {
    /// Targets due at or before this time.
    pub now: Timestamp,
    /// Most candidates returned, most overdue first.
    pub limit: usize,
    /// Hosts whose targets are left out (their politeness gate is closed).
    pub skip_hosts: Vec<String>,
}

/// Targets to lease for checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// Each target with the due time it was read with; a target whose due
    /// time changed since (another worker claimed it) is not claimed.
    pub targets: Vec<(TargetId, Timestamp)>,
    /// The new due time: the lease, past the fetch timeout.
    pub lease_until: Timestamp,
}

/// Targets and scheduling.
pub trait Schedule: Send + Sync {
    /// Adds a target, or updates the settings of the one with its URL;
    /// says whether it was new.
    fn add_target(
        &self,
        settings: TargetSettings,
        now: Timestamp,
    ) -> StoreFuture<'_, (Target, bool)>;
    /// Active targets due now, most overdue first, not on a skipped host.
    fn due_candidates(&self, request: DueRequest) -> StoreFuture<'_, Vec<Target>>;
    /// Leases the targets still due as read; returns the ids claimed.
    fn claim(&self, request: ClaimRequest) -> StoreFuture<'_, Vec<TargetId>>;
    /// How many active targets are due and how late the oldest is.
    fn backlog(&self, now: Timestamp) -> StoreFuture<'_, Backlog>;
    /// When the next active target falls due.
    fn next_due_at(&self) -> StoreFuture<'_, Option<Timestamp>>;
}

/// The check log: what a check reads and what it writes.
pub trait CheckLog: Send + Sync {
    /// What a check reads of its target before deciding (see
    /// [`crate::store::Store::recent`]).
    fn recent(
        &self,
        target: TargetId,
        window: usize,
        capture: Option<Arc<Capture>>,
    ) -> StoreFuture<'_, Recent>;
    /// Writes a check's decision in one transaction, or refuses it with
    /// [`StoreError::Conflict`].
    fn commit_check(&self, commit: CheckCommit) -> StoreFuture<'_, ()>;
    /// Retires a target whose page declares the canonical URL of another
    /// watched target (see [`crate::store::Store::merge_canonical`]).
    fn merge_canonical(
        &self,
        target: TargetId,
        canonical_key: String,
        title: String,
        now: Timestamp,
    ) -> StoreFuture<'_, Option<Merged>>;
}

/// The alert outbox.
pub trait Outbox: Send + Sync {
    /// Pending deliveries due now, oldest first.
    fn due_deliveries(&self, now: Timestamp, limit: usize) -> StoreFuture<'_, Vec<Delivery>>;
    /// When the next pending delivery is due.
    fn next_delivery_at(&self) -> StoreFuture<'_, Option<Timestamp>>;
    /// A delivery was received.
    fn mark_delivered(&self, seq: i64, now: Timestamp) -> StoreFuture<'_, ()>;
    /// The receiver is gone: the attempt is marked failed with `error`
    /// (due again at `now`, once the sink is enabled) and the sink is
    /// disabled for `reason`, in one transaction.
    fn disable_sink(
        &self,
        seq: i64,
        sink: String,
        error: String,
        reason: String,
        now: Timestamp,
    ) -> StoreFuture<'_, ()>;
    /// An attempt failed: retry at `retry_at`, or give up (`None`).
    fn mark_attempt_failed(
        &self,
        seq: i64,
        retry_at: Option<Timestamp>,
        error: String,
    ) -> StoreFuture<'_, ()>;
}

/// Discovery sources.
pub trait Sources: Send + Sync {
    /// Leases the sources due for a poll.
    fn claim_due_sources(
        &self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
    ) -> StoreFuture<'_, Vec<Source>>;
    /// When the next source is due.
    fn next_poll_due(&self) -> StoreFuture<'_, Option<Timestamp>>;
    /// A poll that read the source: its new targets, once per article.
    fn record_poll(
        &self,
        source: Source,
        now: Timestamp,
        next: Timestamp,
        cache: PageCache,
        links: Vec<Discovered>,
    ) -> StoreFuture<'_, PollReport>;
    /// A poll whose document had not changed.
    fn record_poll_unchanged(
        &self,
        source: i64,
        now: Timestamp,
        next: Timestamp,
        cache: PageCache,
    ) -> StoreFuture<'_, ()>;
    /// A poll that failed; the source backs off.
    fn record_poll_failure(
        &self,
        source: i64,
        now: Timestamp,
        next: Timestamp,
        error: String,
    ) -> StoreFuture<'_, ()>;
}

/// A whole store.
pub trait Storage: Schedule + CheckLog + Outbox + Sources {}

impl<T: Schedule + CheckLog + Outbox + Sources> Storage for T {}
