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
//! can share one store. [`History`] is the read side that reports (the CLI
//! today, web pages and feeds next) use; it never waits for the writer.
//! [`Admin`] holds what an operator changes by hand, and [`HostGates`] the
//! per-host politeness state, so a shared store can hold it for all the
//! daemons that use it. [`Storage`] is all of them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::StoreError;
use crate::diff::Change;
use crate::model::{
    Backlog, Capture, CaptureRow, ChangeQuery, ChangeRow, CheckCommit, Closed, DatesSeen, Delivery,
    DeliveryState, Discovered, HistoryRow, HostRules, Merged, PageCache, PollReport, Recent,
    Source, SourceKind, SourceSettings, SourceSummary, SourceSyncReport, SyncReport, Target,
    TargetId, TargetQuery, TargetSettings, TargetStatus, TargetSummary, TargetUrl, Timestamp,
    Version,
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

/// The record as reports read it: targets, versions, changes, sources and
/// the outbox. Every method only reads, and a backend serves them without
/// waiting for (or holding) its write lock.
pub trait History: Send + Sync {
    /// The target watched at `url`, in any state.
    fn target_by_url(&self, url: TargetUrl) -> StoreFuture<'_, Option<Target>>;
    /// Active targets.
    fn active_targets(&self) -> StoreFuture<'_, Vec<Target>>;
    /// Up to `limit` active targets with ids above `after`, in id order:
    /// a walk over all of them one page at a time.
    fn active_targets_after(
        &self,
        after: Option<TargetId>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<Target>>;
    /// Every target with its figures.
    fn list_targets(&self) -> StoreFuture<'_, Vec<TargetSummary>>;
    /// One page of targets with their figures, in `query`'s order, after
    /// its cursor.
    fn target_page(&self, query: TargetQuery) -> StoreFuture<'_, Vec<TargetSummary>>;
    /// Targets counted by state; active ones due before `overdue_before`;
    /// and up to `hosts` hosts whose active targets last failed.
    fn target_status(
        &self,
        overdue_before: Timestamp,
        hosts: usize,
    ) -> StoreFuture<'_, TargetStatus>;
    /// Every version of a target with its counts against the previous one,
    /// oldest first.
    fn history(&self, target: TargetId) -> StoreFuture<'_, Vec<HistoryRow>>;
    /// One version of a target; `None` asks for the latest.
    fn version(&self, target: TargetId, number: Option<u32>) -> StoreFuture<'_, Option<Version>>;
    /// Every version of a target with its text, oldest first.
    fn versions(&self, target: TargetId) -> StoreFuture<'_, Vec<Version>>;
    /// Targets with a version whose headline or body holds every one of
    /// `words`, case aside: the search index's candidates for a phrase.
    /// Never fewer than hold the phrase; whether they hold it in order, in
    /// which versions, and where it entered or left, the caller reads.
    fn phrase_targets(&self, words: Vec<String>) -> StoreFuture<'_, Vec<Target>>;
    /// The stored diff that produced version `to`.
    fn stored_changes(&self, target: TargetId, to: u32) -> StoreFuture<'_, Option<Vec<Change>>>;
    /// The page kept with a version, if it was kept.
    fn raw_html(&self, target: TargetId, number: u32) -> StoreFuture<'_, Option<Vec<u8>>>;
    /// A target's captures from `since` to `until` (exclusive), oldest
    /// first: its versions and its unchanged checks, with the HTTP
    /// exchanges kept for them (for archives).
    fn captures(
        &self,
        target: TargetId,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> StoreFuture<'_, Vec<CaptureRow>>;
    /// Later checks that found version `version`'s wording with other
    /// dates than `published` and `modified`.
    fn dates_seen(
        &self,
        target: TargetId,
        version: u32,
        published: Option<String>,
        modified: Option<String>,
    ) -> StoreFuture<'_, Option<DatesSeen>>;
    /// The changes `query` asks for, newest first.
    fn changes(&self, query: ChangeQuery) -> StoreFuture<'_, Vec<ChangeRow>>;
    /// Every change captured since `since`, newest first.
    fn changes_since(&self, since: Timestamp) -> StoreFuture<'_, Vec<ChangeRow>> {
        self.changes(ChangeQuery {
            since: Some(since),
            ..ChangeQuery::default()
        })
    }
    /// The target `url` names under discovery's identity rules (the same
    /// URL, or the same identity key as its URL or canonical URL).
    fn target_by_identity(&self, url: TargetUrl) -> StoreFuture<'_, Option<Target>>;
    /// The target with this id, in any state.
    fn target_by_id(&self, id: TargetId) -> StoreFuture<'_, Option<Target>>;
    /// The source at `url`, in any state.
    fn source_by_url(&self, url: TargetUrl) -> StoreFuture<'_, Option<Source>>;
    /// Every source with its figures.
    fn list_sources(&self) -> StoreFuture<'_, Vec<SourceSummary>>;
    /// Deliveries, newest first, optionally in one state.
    fn deliveries(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<Delivery>>;
    /// Deliveries counted by state.
    fn delivery_counts(&self) -> StoreFuture<'_, Vec<(DeliveryState, u64)>>;
    /// Sinks switched off, with why.
    fn disabled_sinks(&self) -> StoreFuture<'_, Vec<(String, String)>>;
}

/// What an operator changes by hand (the CLI's `add`, `remove`, `alerts
/// retry`) and what the config file declares.
pub trait Admin: Send + Sync {
    /// Makes the stored config targets match the config's.
    fn sync_config_targets(
        &self,
        targets: Vec<TargetSettings>,
        now: Timestamp,
    ) -> StoreFuture<'_, SyncReport>;
    /// Makes the stored config sources match the config's.
    fn sync_config_sources(
        &self,
        sources: Vec<(TargetUrl, SourceKind, SourceSettings)>,
        now: Timestamp,
    ) -> StoreFuture<'_, SourceSyncReport>;
    /// Stops watching a target (deleting its history with `purge`); says
    /// whether it was watched.
    fn remove_target(&self, url: TargetUrl, purge: bool) -> StoreFuture<'_, bool>;
    /// Adds a source, or updates and reactivates one; says whether it was new.
    fn add_source(
        &self,
        url: TargetUrl,
        kind: SourceKind,
        settings: SourceSettings,
        now: Timestamp,
    ) -> StoreFuture<'_, bool>;
    /// Stops polling a source; says whether it existed.
    fn remove_source(&self, url: TargetUrl) -> StoreFuture<'_, bool>;
    /// Puts an undelivered alert back in line and its sink back on; says
    /// whether it exists.
    fn retry_delivery(&self, id: String, now: Timestamp) -> StoreFuture<'_, bool>;
    /// Puts every failed alert back in line; says how many.
    fn retry_failed(&self, now: Timestamp) -> StoreFuture<'_, usize>;
}

/// Per-host politeness state: requests in flight, the gap between request
/// starts, and `Retry-After` holds. A store whose daemon runs alone keeps it
/// in memory ([`super::gates::MemoryGates`]); a store several daemons share
/// keeps it where all of them see it. Waits are relative, judged by the
/// keeper's own clock. A slot taken is given back without waiting for the
/// answer: a keeper that loses one frees it when the check's lease ends.
pub trait HostGates: Send + Sync {
    /// Takes a request slot on `host` if its rules allow one now.
    fn try_take<'a>(
        &'a self,
        host: &'a str,
        rules: HostRules,
    ) -> StoreFuture<'a, Result<(), Closed>>;
    /// Gives a slot on `host` back.
    fn give_back(&self, host: &str);
    /// How long a request to `host` must wait before it is sent (the gap
    /// after the last request sent, a hold); `None` records it sent now.
    fn send_wait<'a>(&'a self, host: &'a str, gap: Duration) -> StoreFuture<'a, Option<Duration>>;
    /// Closes `host` for `wait` (its `Retry-After`).
    fn hold<'a>(&'a self, host: &'a str, wait: Duration) -> StoreFuture<'a, ()>;
    /// Hosts that cannot start a request now, and how soon the first paced
    /// one opens.
    fn closed_hosts(&self) -> StoreFuture<'_, (Vec<String>, Option<Duration>)>;
}

/// A whole store; an `Arc<dyn Storage>` coerces to any one of its parts.
pub trait Storage: Schedule + CheckLog + Outbox + Sources + History + Admin + HostGates {}

impl<T: Schedule + CheckLog + Outbox + Sources + History + Admin + HostGates> Storage for T {}
