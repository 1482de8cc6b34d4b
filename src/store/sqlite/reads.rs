//! [`History`], the read side, for the SQLite backend: the same queries
//! served by a [`ReadPool`] of read-only connections (what reports open) or
//! by a [`StoreHandle`], which sends them to its own pool when its database
//! is a file and to the writer thread only for an in-memory database.

use std::future::Future;

use super::{ReadPool, Store, StoreHandle};
use crate::diff::Change;
use crate::model::{
    CaptureRow, ChangeQuery, ChangeRow, DatesSeen, Delivery, DeliveryState, HistoryRow, Source,
    SourceSummary, Target, TargetId, TargetQuery, TargetStatus, TargetSummary, TargetUrl,
    Timestamp, Version,
};
use crate::store::StoreError;
use crate::store::api::{History, StoreFuture};

/// Something that runs a read against a [`Store`] off the async workers.
trait Reads: Send + Sync {
    fn read<R, F>(&self, f: F) -> impl Future<Output = Result<R, StoreError>> + Send
    where
        F: FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static;
}

impl Reads for ReadPool {
    fn read<R, F>(&self, f: F) -> impl Future<Output = Result<R, StoreError>> + Send
    where
        F: FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        ReadPool::read(self, f)
    }
}

impl Reads for StoreHandle {
    fn read<R, F>(&self, f: F) -> impl Future<Output = Result<R, StoreError>> + Send
    where
        F: FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let reads = self.reads().cloned();
        async move {
            match reads {
                Some(pool) => pool.read(f).await,
                None => self.call(move |s| f(s)).await,
            }
        }
    }
}

impl<T: Reads> History for T {
    fn target_by_url(&self, url: TargetUrl) -> StoreFuture<'_, Option<Target>> {
        Box::pin(self.read(move |s| s.target_by_url(&url)))
    }

    fn active_targets(&self) -> StoreFuture<'_, Vec<Target>> {
        Box::pin(self.read(|s| s.active_targets()))
    }

    fn active_targets_after(
        &self,
        after: Option<TargetId>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<Target>> {
        Box::pin(self.read(move |s| s.active_targets_after(after, limit)))
    }

    fn list_targets(&self) -> StoreFuture<'_, Vec<TargetSummary>> {
        Box::pin(self.read(|s| s.list_targets()))
    }

    fn history(&self, target: TargetId) -> StoreFuture<'_, Vec<HistoryRow>> {
        Box::pin(self.read(move |s| s.history(target)))
    }

    fn version(&self, target: TargetId, number: Option<u32>) -> StoreFuture<'_, Option<Version>> {
        Box::pin(self.read(move |s| s.version(target, number)))
    }

    fn versions(&self, target: TargetId) -> StoreFuture<'_, Vec<Version>> {
        Box::pin(self.read(move |s| s.versions(target)))
    }

    fn phrase_targets(&self, words: Vec<String>) -> StoreFuture<'_, Vec<Target>> {
        Box::pin(self.read(move |s| s.phrase_targets(&words)))
    }

    fn stored_changes(&self, target: TargetId, to: u32) -> StoreFuture<'_, Option<Vec<Change>>> {
        Box::pin(self.read(move |s| s.stored_changes(target, to)))
    }

    fn raw_html(&self, target: TargetId, number: u32) -> StoreFuture<'_, Option<Vec<u8>>> {
        Box::pin(self.read(move |s| s.raw_html(target, number)))
    }

    fn captures(
        &self,
        target: TargetId,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> StoreFuture<'_, Vec<CaptureRow>> {
        Box::pin(self.read(move |s| s.captures(target, since, until)))
    }

    fn dates_seen(
        &self,
        target: TargetId,
        version: u32,
        published: Option<String>,
        modified: Option<String>,
    ) -> StoreFuture<'_, Option<DatesSeen>> {
        Box::pin(self.read(move |s| {
            s.dates_seen(target, version, published.as_deref(), modified.as_deref())
        }))
    }

    fn changes(&self, query: ChangeQuery) -> StoreFuture<'_, Vec<ChangeRow>> {
        Box::pin(self.read(move |s| s.changes(&query)))
    }

    fn target_page(&self, query: TargetQuery) -> StoreFuture<'_, Vec<TargetSummary>> {
        Box::pin(self.read(move |s| s.target_page(&query)))
    }

    fn target_status(
        &self,
        overdue_before: Timestamp,
        hosts: usize,
    ) -> StoreFuture<'_, TargetStatus> {
        Box::pin(self.read(move |s| s.target_status(overdue_before, hosts)))
    }

    fn target_by_identity(&self, url: TargetUrl) -> StoreFuture<'_, Option<Target>> {
        Box::pin(self.read(move |s| s.target_by_identity(&url)))
    }

    fn target_by_id(&self, id: TargetId) -> StoreFuture<'_, Option<Target>> {
        Box::pin(self.read(move |s| s.target_by_id(id)))
    }

    fn source_by_url(&self, url: TargetUrl) -> StoreFuture<'_, Option<Source>> {
        Box::pin(self.read(move |s| s.source_by_url(&url)))
    }

    fn list_sources(&self) -> StoreFuture<'_, Vec<SourceSummary>> {
        Box::pin(self.read(|s| s.list_sources()))
    }

    fn deliveries(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<Delivery>> {
        Box::pin(self.read(move |s| s.deliveries(state, limit)))
    }

    fn delivery_counts(&self) -> StoreFuture<'_, Vec<(DeliveryState, u64)>> {
        Box::pin(self.read(|s| s.delivery_counts()))
    }

    fn disabled_sinks(&self) -> StoreFuture<'_, Vec<(String, String)>> {
        Box::pin(self.read(|s| s.disabled_sinks()))
    }
}
