//! Polling sources: one poll fetches a source's document (and, for a
//! sitemap index, its newest child sitemaps), reads its links, keeps those
//! that pass the source's rules and hands them to the store, which creates
//! the targets not yet watched. [`run`] is the loop inside `redline run`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::MAX_CHILD_SITEMAPS;
use super::parse::{self, Entry, Sitemap};
use super::select::{Rules, select};
use crate::fetch::{Fetched, FetchedPage, Validators};
use crate::metrics::Metrics;
use crate::model::{
    Discovered, PageCache, Source, SourceKind, SourceSettings, TargetId, TargetUrl, Timestamp,
    format_duration,
};
use crate::polite::{PoliteClient, PoliteError};
use crate::schedule;
use crate::schedule::{Clock, Scheduler};
use crate::store::{Sources, StoreError};

/// Sources polled at once.
const POLLS_IN_FLIGHT: usize = 4;
/// How long a claimed source is held: a poll of a sitemap index may fetch
/// many documents. A crash delays the source by at most this.
const POLL_LEASE: Duration = Duration::from_secs(15 * 60);
/// Longest pause between looks at the sources table.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// Pause after the database fails.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// What one poll found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// The document was not modified (`304`, or the same bytes).
    pub unchanged: bool,
    /// Links the document listed.
    pub listed: usize,
    /// Targets created, by URL.
    pub created: Vec<String>,
    /// Links already watched.
    pub known: usize,
    /// Links to hosts the source may not add.
    pub off_host: usize,
    /// Links ruled out by `include`/`exclude`.
    pub filtered: usize,
    /// Entries published before the tracking window.
    pub too_old: usize,
    /// New links left for later polls (`max_new_per_poll`).
    pub capped_per_poll: usize,
    /// New links not taken (`max_targets`).
    pub capped_total: usize,
}

/// Why a poll failed; its text is recorded on the source.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The source's document could not be fetched (or robots.txt forbids
    /// it).
    #[error(transparent)]
    Fetch(#[from] PoliteError),
    /// The document is not what the source's kind promises (an HTML error
    /// page for a feed, junk), or the source's own rules are bad.
    #[error("{0}")]
    Source(String),
    /// The poll could not be recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<String> for PollError {
    fn from(message: String) -> Self {
        Self::Source(message)
    }
}

/// Polls sources for the daemon and `redline sources --poll`.
pub struct Discoverer {
    client: Arc<PoliteClient>,
    store: Arc<dyn Sources>,
    scheduler: Scheduler,
    clock: Clock,
    metrics: Arc<Metrics>,
    /// Woken when targets were created, so the scheduler looks at once.
    created: Arc<Notify>,
}

impl std::fmt::Debug for Discoverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discoverer").finish_non_exhaustive()
    }
}

impl Discoverer {
    /// A discoverer fetching through `client` (the one article checks
    /// use, so a site sees one polite visitor), storing in `store`, judging
    /// article ages by `scheduler` and `clock`; `created` is notified
    /// whenever a poll creates targets.
    pub fn new(
        client: Arc<PoliteClient>,
        store: Arc<dyn Sources>,
        scheduler: Scheduler,
        clock: Clock,
        metrics: Arc<Metrics>,
        created: Arc<Notify>,
    ) -> Self {
        Self {
            client,
            store,
            scheduler,
            clock,
            metrics,
            created,
        }
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Polls one source and records the outcome on it: its new targets, or
    /// its error (the source backs off; nothing is created).
    pub async fn poll(&self, source: &Source) -> Result<PollSummary, PollError> {
        let now = self.now();
        let result = self.poll_inner(source, now).await;
        let store = &self.store;
        match result {
            Ok(Outcome::Unchanged(cache)) => {
                let next = next_poll(source, now);
                let id = source.id;
                store.record_poll_unchanged(id, now, next, cache).await?;
                self.metrics.polled(false, 0);
                tracing::debug!(source = %source.url, "source polled: not modified");
                Ok(PollSummary {
                    unchanged: true,
                    ..PollSummary::default()
                })
            }
            Ok(Outcome::Links {
                mut summary,
                links,
                cache,
            }) => {
                let next = next_poll(source, now);
                let src = source.clone();
                let report = store.record_poll(src, now, next, cache, links).await?;
                summary.known = report.known;
                summary.capped_per_poll = report.capped_per_poll;
                summary.capped_total = report.capped_total;
                summary.created = report.created;
                self.metrics.polled(false, summary.created.len());
                if !summary.created.is_empty() {
                    self.created.notify_one();
                }
                log_summary(source, &summary);
                Ok(summary)
            }
            Err(error) => {
                let message = error.to_string();
                self.metrics.polled(true, 0);
                let failures = source.failures + 1;
                let wait = schedule::backoff(
                    source.settings.interval(),
                    failures,
                    Duration::from_secs(6 * 3600).max(source.settings.interval()),
                    None,
                    TargetId(source.id),
                    now,
                );
                let next = now.plus(wait);
                let (id, m) = (source.id, message.clone());
                if let Err(e) = store.record_poll_failure(id, now, next, m).await {
                    tracing::error!(source = %source.url, error = %e, "cannot record the failed poll");
                }
                tracing::warn!(
                    source = %source.url,
                    error = %message,
                    failures,
                    retry_in = %format_duration(wait),
                    "source poll failed; nothing was added from it"
                );
                Err(error)
            }
        }
    }

    async fn poll_inner(&self, source: &Source, now: Timestamp) -> Result<Outcome, PollError> {
        let s = &source.settings;
        let window = self.scheduler.tracking_window(
            s.track_for(),
            s.targets.interval_ms.map(Duration::from_millis),
        );
        let rules = Rules::new(source, window.map(|w| now.minus(w)))?;
        let validators = Validators {
            etag: source.cache.etag.as_deref(),
            last_modified: source.cache.last_modified.as_deref(),
        };
        let page = match self
            .client
            .fetch_listing(&source.url, s.robots_txt, validators)
            .await?
        {
            Fetched::NotModified {
                etag,
                last_modified,
                ..
            } => {
                return Ok(Outcome::Unchanged(PageCache {
                    etag,
                    last_modified,
                    ..PageCache::default()
                }));
            }
            Fetched::Page(p) => p,
        };
        let hash = document_hash(s, &page.body);
        let mut cache = PageCache {
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
            body_hash: Some(hash),
            rules: None,
            fetched_at: None,
        };
        if source.cache.body_hash == Some(hash) {
            return Ok(Outcome::Unchanged(cache));
        }
        let base = Url::parse(&page.final_url).unwrap_or_else(|_| source.url.as_url().clone());
        let entries = match source.kind {
            SourceKind::Feed => {
                blocking(move || {
                    let body = parse::gunzip_if_needed(page.body).map_err(|e| e.to_string())?;
                    parse::feed(&body, &base).map_err(|e| e.to_string())
                })
                .await?
            }
            SourceKind::Page => {
                let links = s.links.clone();
                blocking(move || page_links(page, &base, links.as_deref())).await?
            }
            SourceKind::Sitemap => {
                let (entries, index) = self.sitemap_entries(source, page, base, &rules).await?;
                if index {
                    // An index may stay the same while its children change:
                    // it is read in full every poll.
                    cache = PageCache::default();
                }
                entries
            }
        };
        let mut summary = PollSummary {
            listed: entries.len(),
            ..PollSummary::default()
        };
        let (links, skipped) = select(entries, &rules);
        summary.off_host += skipped.off_host;
        summary.filtered += skipped.filtered;
        summary.too_old += skipped.too_old;
        Ok(Outcome::Links {
            summary,
            links,
            cache,
        })
    }

    /// A sitemap's entries; for an index, the entries of its newest child
    /// sitemaps (those on allowed hosts, not older than the window), and
    /// `true`.
    async fn sitemap_entries(
        &self,
        source: &Source,
        page: FetchedPage,
        base: Url,
        rules: &Rules,
    ) -> Result<(Vec<Entry>, bool), String> {
        let parsed = blocking(move || {
            let body = parse::gunzip_if_needed(page.body).map_err(|e| e.to_string())?;
            parse::sitemap(&body, &base).map_err(|e| e.to_string())
        })
        .await?;
        let children = match parsed {
            Sitemap::Urls(entries) => return Ok((entries, false)),
            Sitemap::Index(children) => children,
        };
        let mut children: Vec<Entry> = children
            .into_iter()
            .filter(|c| Url::parse(&c.url).is_ok_and(|u| rules.host_allowed(&u)))
            .filter(|c| match (c.published, rules.oldest) {
                (Some(p), Some(oldest)) => p >= oldest,
                _ => true,
            })
            .collect();
        children.sort_by_key(|c| std::cmp::Reverse(c.published));
        let skipped = children.len().saturating_sub(MAX_CHILD_SITEMAPS);
        if skipped > 0 {
            tracing::info!(source = %source.url, skipped, "sitemap index lists more child sitemaps than one poll reads; the newest {MAX_CHILD_SITEMAPS} are read");
        }
        children.truncate(MAX_CHILD_SITEMAPS);
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for child in &children {
            let Ok(url) = TargetUrl::parse(&child.url) else {
                continue;
            };
            let fetched = self
                .client
                .fetch_listing(&url, source.settings.robots_txt, Validators::default())
                .await;
            let page = match fetched {
                Ok(Fetched::Page(p)) => p,
                Ok(Fetched::NotModified { .. }) => continue,
                Err(e) => {
                    errors.push(e.to_string());
                    continue;
                }
            };
            let child_base = Url::parse(&page.final_url).unwrap_or_else(|_| url.as_url().clone());
            let parsed = blocking(move || {
                let body = parse::gunzip_if_needed(page.body).map_err(|e| e.to_string())?;
                parse::sitemap(&body, &child_base).map_err(|e| e.to_string())
            })
            .await;
            match parsed {
                Ok(Sitemap::Urls(found)) => entries.extend(found),
                Ok(Sitemap::Index(_)) => errors.push(format!(
                    "{url} is another sitemap index; only one level of index is read"
                )),
                Err(e) => errors.push(format!("{url}: {e}")),
            }
        }
        if !children.is_empty() && errors.len() == children.len() {
            return Err(format!(
                "no child sitemap of the index could be read: {}",
                errors.join("; ")
            ));
        }
        for e in &errors {
            tracing::warn!(source = %source.url, error = %e, "child sitemap skipped");
        }
        Ok((entries, true))
    }
}

/// What a poll read, before it is stored.
enum Outcome {
    Unchanged(PageCache),
    Links {
        summary: PollSummary,
        links: Vec<Discovered>,
        cache: PageCache,
    },
}

/// Runs CPU work (parsing) on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("parsing task failed: {e}"))?
}

/// Links of a section page, decoded whatever its charset.
fn page_links(page: FetchedPage, base: &Url, links: Option<&str>) -> Result<Vec<Entry>, String> {
    let decoded = crate::decode::decode(
        &page.body,
        page.content_type.as_deref(),
        Some(&page.final_url),
    );
    let selector = links
        .map(|l| scraper::Selector::parse(l).map_err(|e| format!("`links` selector `{l}`: {e}")))
        .transpose()?;
    Ok(parse::page(&decoded.text, base, selector.as_ref()))
}

/// BLAKE3 over the source's settings and the document: the same bytes
/// under the same rules need no parsing.
fn document_hash(settings: &SourceSettings, body: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(
        serde_json::to_string(settings)
            .unwrap_or_default()
            .as_bytes(),
    );
    h.update(&[0]);
    h.update(body);
    *h.finalize().as_bytes()
}

fn next_poll(source: &Source, now: Timestamp) -> Timestamp {
    schedule::next_check_at(now, source.settings.interval(), TargetId(source.id))
}

fn log_summary(source: &Source, s: &PollSummary) {
    tracing::info!(
        source = %source.url,
        kind = source.kind.as_str(),
        listed = s.listed,
        new = s.created.len(),
        known = s.known,
        off_host = s.off_host,
        filtered = s.filtered,
        too_old = s.too_old,
        "source polled"
    );
    for url in &s.created {
        tracing::info!(source = %source.url, url = %url, "new article from source");
    }
    if s.capped_per_poll > 0 {
        tracing::warn!(
            source = %source.url,
            left = s.capped_per_poll,
            cap = source.settings.max_new_per_poll,
            "cap reached: max_new_per_poll targets created this poll; the rest wait for the next poll"
        );
    }
    if s.capped_total > 0 {
        tracing::warn!(
            source = %source.url,
            skipped = s.capped_total,
            cap = source.settings.max_targets,
            "cap reached: the source has max_targets active targets; new articles are not added until some retire"
        );
    }
}

/// The discovery loop of `redline run`: claims due sources and polls them,
/// a few at a time, until `cancel` fires; polls in flight then get the
/// fetch timeout to finish (each records itself in one transaction).
pub async fn run(discoverer: Arc<Discoverer>, cancel: CancellationToken, grace: Duration) {
    let store = discoverer.store.clone();
    let mut polls: JoinSet<()> = JoinSet::new();
    while !cancel.is_cancelled() {
        while polls.try_join_next().is_some() {}
        let free = POLLS_IN_FLIGHT.saturating_sub(polls.len());
        let now = discoverer.now();
        let claimed = store
            .claim_due_sources(now, free, now.plus(POLL_LEASE))
            .await;
        match claimed {
            Ok(sources) => {
                for source in sources {
                    let d = Arc::clone(&discoverer);
                    polls.spawn(async move {
                        let _ = d.poll(&source).await;
                    });
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the sources; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(STORE_RETRY) => continue,
                }
            }
        }
        let wait = match store.next_poll_due().await {
            Ok(Some(next)) => discoverer.now().until(next).min(MAX_IDLE),
            _ => MAX_IDLE,
        };
        let wait = if polls.len() >= POLLS_IN_FLIGHT {
            MAX_IDLE
        } else {
            wait
        };
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = polls.join_next(), if !polls.is_empty() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(20))) => {}
        }
    }
    if !polls.is_empty() {
        let drain = async { while polls.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, drain).await.is_err() {
            tracing::warn!(
                "source polls still running at shutdown; they are polled again after their lease"
            );
        }
    }
}
