//! The storage traits for the SQLite backend that write (and the reads a
//! check makes before deciding): each call goes to the writer thread
//! through [`StoreHandle::call`]. The read side is in `reads.rs`.

use std::sync::Arc;
use std::time::Duration;

use super::StoreHandle;
use crate::model::{
    Backlog, Capture, CheckCommit, Closed, Delivery, Discovered, HostRules, Merged, PageCache,
    PollReport, Recent, Source, SourceKind, SourceSettings, SourceSyncReport, SyncReport, Target,
    TargetId, TargetSettings, TargetUrl, Timestamp,
};
use crate::store::api::{
    Admin, CheckLog, ClaimRequest, DueRequest, HostGates, Outbox, Schedule, Sources, StoreFuture,
};

impl Schedule for StoreHandle {
    fn add_target(
        &self,
        settings: TargetSettings,
        now: Timestamp,
    ) -> StoreFuture<'_, (Target, bool)> {
        Box::pin(self.call(move |s| s.add_target(&settings, now)))
    }

    fn due_candidates(&self, r: DueRequest) -> StoreFuture<'_, Vec<Target>> {
        Box::pin(self.call(move |s| s.due_candidates(r.now, r.limit, &r.skip_hosts)))
    }

    fn claim(&self, r: ClaimRequest) -> StoreFuture<'_, Vec<TargetId>> {
        Box::pin(self.call(move |s| s.claim(&r.targets, r.lease_until)))
    }

    fn backlog(&self, now: Timestamp) -> StoreFuture<'_, Backlog> {
        Box::pin(self.call(move |s| s.backlog(now)))
    }

    fn next_due_at(&self) -> StoreFuture<'_, Option<Timestamp>> {
        Box::pin(self.call(|s| s.next_due_at()))
    }
}

impl CheckLog for StoreHandle {
    fn recent(
        &self,
        target: TargetId,
        window: usize,
        capture: Option<Arc<Capture>>,
    ) -> StoreFuture<'_, Recent> {
        Box::pin(self.call(move |s| s.recent(target, window, capture.as_deref())))
    }

    fn commit_check(&self, commit: CheckCommit) -> StoreFuture<'_, ()> {
        Box::pin(self.call(move |s| s.commit_check(&commit)))
    }

    fn merge_canonical(
        &self,
        target: TargetId,
        key: String,
        title: String,
        now: Timestamp,
    ) -> StoreFuture<'_, Option<Merged>> {
        Box::pin(self.call(move |s| s.merge_canonical(target, &key, &title, now)))
    }
}

impl Outbox for StoreHandle {
    fn due_deliveries(&self, now: Timestamp, limit: usize) -> StoreFuture<'_, Vec<Delivery>> {
        Box::pin(self.call(move |s| s.due_deliveries(now, limit)))
    }

    fn next_delivery_at(&self) -> StoreFuture<'_, Option<Timestamp>> {
        Box::pin(self.call(|s| s.next_delivery_at()))
    }

    fn mark_delivered(&self, seq: i64, now: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(self.call(move |s| s.mark_delivered(seq, now)))
    }

    fn disable_sink(
        &self,
        seq: i64,
        sink: String,
        error: String,
        reason: String,
        now: Timestamp,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.call(move |s| {
            s.mark_attempt_failed(seq, Some(now), &error)?;
            s.disable_sink(&sink, &reason, now)
        }))
    }

    fn mark_attempt_failed(
        &self,
        seq: i64,
        retry_at: Option<Timestamp>,
        error: String,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.call(move |s| s.mark_attempt_failed(seq, retry_at, &error)))
    }
}

impl Sources for StoreHandle {
    fn claim_due_sources(
        &self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
    ) -> StoreFuture<'_, Vec<Source>> {
        Box::pin(self.call(move |s| s.claim_due_sources(now, limit, lease_until)))
    }

    fn next_poll_due(&self) -> StoreFuture<'_, Option<Timestamp>> {
        Box::pin(self.call(|s| s.next_poll_due()))
    }

    fn record_poll(
        &self,
        source: Source,
        now: Timestamp,
        next: Timestamp,
        cache: PageCache,
        links: Vec<Discovered>,
    ) -> StoreFuture<'_, PollReport> {
        Box::pin(self.call(move |s| s.record_poll(&source, now, next, &cache, &links)))
    }

    fn record_poll_unchanged(
        &self,
        source: i64,
        now: Timestamp,
        next: Timestamp,
        cache: PageCache,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.call(move |s| s.record_poll_unchanged(source, now, next, &cache)))
    }

    fn record_poll_failure(
        &self,
        source: i64,
        now: Timestamp,
        next: Timestamp,
        error: String,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.call(move |s| s.record_poll_failure(source, now, next, &error)))
    }
}

impl Admin for StoreHandle {
    fn sync_config_targets(
        &self,
        targets: Vec<TargetSettings>,
        now: Timestamp,
    ) -> StoreFuture<'_, SyncReport> {
        Box::pin(self.call(move |s| s.sync_config_targets(&targets, now)))
    }

    fn sync_config_sources(
        &self,
        sources: Vec<(TargetUrl, SourceKind, SourceSettings)>,
        now: Timestamp,
    ) -> StoreFuture<'_, SourceSyncReport> {
        Box::pin(self.call(move |s| s.sync_config_sources(&sources, now)))
    }

    fn remove_target(&self, url: TargetUrl, purge: bool) -> StoreFuture<'_, bool> {
        Box::pin(self.call(move |s| s.remove_target(&url, purge)))
    }

    fn add_source(
        &self,
        url: TargetUrl,
        kind: SourceKind,
        settings: SourceSettings,
        now: Timestamp,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.call(move |s| s.add_source(&url, kind, &settings, now)))
    }

    fn remove_source(&self, url: TargetUrl) -> StoreFuture<'_, bool> {
        Box::pin(self.call(move |s| s.remove_source(&url)))
    }

    fn retry_delivery(&self, id: String, now: Timestamp) -> StoreFuture<'_, bool> {
        Box::pin(self.call(move |s| s.retry_delivery(&id, now)))
    }

    fn retry_failed(&self, now: Timestamp) -> StoreFuture<'_, usize> {
        Box::pin(self.call(move |s| s.retry_failed(now)))
    }
}

impl HostGates for StoreHandle {
    fn try_take<'a>(
        &'a self,
        host: &'a str,
        rules: HostRules,
    ) -> StoreFuture<'a, Result<(), Closed>> {
        self.gates().try_take(host, rules)
    }

    fn give_back(&self, host: &str) {
        self.gates().give_back(host);
    }

    fn send_wait<'a>(&'a self, host: &'a str, gap: Duration) -> StoreFuture<'a, Option<Duration>> {
        self.gates().send_wait(host, gap)
    }

    fn hold<'a>(&'a self, host: &'a str, wait: Duration) -> StoreFuture<'a, ()> {
        self.gates().hold(host, wait)
    }

    fn closed_hosts(&self) -> StoreFuture<'_, (Vec<String>, Option<Duration>)> {
        self.gates().closed_hosts()
    }
}
