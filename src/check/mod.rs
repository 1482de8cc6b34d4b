//! One check of one target: robots.txt → fetch (conditional) → decode →
//! extract → normalise → read → decide → commit → alert, and when it is
//! due next.
//!
//! [`Checker`] owns what every check shares: the [`PoliteClient`] (fetcher,
//! politeness gates, robots.txt, `Retry-After`), the store, the alert sinks,
//! the detection settings, the [`Scheduler`], a bounded pool for CPU work
//! and the clock. A `304`, or a page byte-identical to the one that gave
//! the latest version, is recorded as unchanged without parsing. Decoding,
//! parsing and extraction run on tokio's blocking pool under a semaphore
//! the size of the machine's cores, so the async workers only wait on the
//! network and CPU work never piles up.
//!
//! Recording is *read → decide → commit*: the check reads its target's
//! recent past ([`crate::store::Store::recent`]), `decide` turns that and
//! the capture into one [`CheckCommit`] with pure functions, and the store
//! writes it in one transaction — or refuses it as a conflict when the
//! daemon's lease on the target or its latest version moved meanwhile, and
//! the check reads and decides again. Alerts are logged after the commit.
//! Whatever goes wrong with one target is recorded on its check and logged;
//! [`Checker::check`] never returns an error, so one broken site cannot stop
//! the others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::alert::{Alerter, ChangeEvent};
use crate::config::{Config, NoiseConfig};
use crate::detect::{self, IgnoreRule, Masks, Policy};
use crate::diff::DiffSummary;
use crate::extract::{Article, BodySelector, ExtractError, extract_with};
use crate::fetch::{FetchError, Fetched, FetchedPage, Validators};
use crate::metrics::Metrics;
use crate::model::{
    Capture, CaptureOutcome, CheckCommit, CheckFacts, CheckStatus, ContentHash, Next, PageCache,
    RawHtmlPolicy, Recent, StoreDecision, Target, TargetId, TargetUrl, Timestamp,
};
use crate::polite::{HostPermit, PoliteClient, PoliteError, Politeness};
use crate::schedule::{Clock, Scheduler};
use crate::store::{Storage, StoreError};

mod decide;
mod record;
mod rules;

use decide::{Labels, Prepared, body_hash, conditional_allowed};
use rules::TargetRules;

/// What a check found, for reports.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Article URL.
    pub url: TargetUrl,
    /// Target label.
    pub name: Option<String>,
    /// new / unchanged / changed / suspect / error.
    pub status: CheckStatus,
    /// Version stored or matched.
    pub version: Option<u32>,
    /// Change class, for a change.
    pub class: Option<detect::ChangeClass>,
    /// Error message, or why the page was suspect.
    pub error: Option<String>,
    /// Previous version, for a change.
    pub from: Option<u32>,
    /// For a revert, the version whose text came back.
    pub revert_of: Option<u32>,
    /// Counts and changed words, for a change.
    pub summary: Option<DiffSummary>,
    /// Why the target was retired by this check, if it was.
    pub retired: Option<String>,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Robots(String),
    #[error("stored rule is no longer valid: {0}")]
    Rule(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("processing the page failed: {0}")]
    Task(String),
}

impl From<PoliteError> for CheckError {
    fn from(e: PoliteError) -> Self {
        match e {
            PoliteError::Fetch(f) => Self::Fetch(f),
            PoliteError::Robots(why) => Self::Robots(why),
        }
    }
}

/// Global detection settings, combined with each target's own rules.
#[derive(Debug, Clone)]
struct DetectionDefaults {
    ignore: Vec<IgnoreRule>,
    exclude: Vec<BodySelector>,
    masks: Masks,
    noise: NoiseConfig,
}

/// Runs checks; shared by the daemon and `redline check`.
pub struct Checker {
    client: Arc<PoliteClient>,
    /// `[discovery] allow_private`.
    allow_private: bool,
    storage: Arc<dyn Storage>,
    alerter: Alerter,
    scheduler: Scheduler,
    gone_after: u32,
    raw_html: RawHtmlPolicy,
    failing_after: u32,
    detection: DetectionDefaults,
    cpu: Arc<Semaphore>,
    rules: std::sync::Mutex<std::collections::HashMap<i64, Arc<TargetRules>>>,
    revalidate_after: Duration,
    clock: Clock,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("robots", &self.client)
            .finish_non_exhaustive()
    }
}

/// Threads for CPU work: the machine's cores.
fn cpu_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl Checker {
    /// Builds a checker from the config.
    pub fn new(config: &Config, storage: Arc<dyn Storage>) -> Result<Self, FetchError> {
        let metrics = Arc::new(Metrics::default());
        Ok(Self {
            client: Arc::new(PoliteClient::new(
                &config.fetch,
                &config.hosts,
                Arc::clone(&storage) as Arc<dyn crate::store::HostGates>,
                Arc::clone(&metrics),
            )?),
            storage,
            allow_private: config.discovery.allow_private,
            alerter: Alerter::new(&config.alerts),
            scheduler: config.scheduler(),
            gone_after: config.schedule.gone_after,
            raw_html: config.storage.raw_html,
            failing_after: config.defaults.failing_after,
            detection: DetectionDefaults {
                ignore: config.defaults.ignore.clone(),
                exclude: config.defaults.exclude.clone(),
                masks: config.defaults.masks,
                noise: config.noise,
            },
            cpu: Arc::new(Semaphore::new(cpu_threads())),
            rules: std::sync::Mutex::new(std::collections::HashMap::new()),
            revalidate_after: config.fetch.revalidate_after,
            clock: Arc::new(Timestamp::now),
            metrics,
        })
    }

    /// Replaces the clock (tests drive the schedule through it).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The store checks write to.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The alert sinks.
    pub fn alerter(&self) -> &Alerter {
        &self.alerter
    }

    /// The politeness gates.
    pub fn politeness(&self) -> &Arc<Politeness> {
        self.client.politeness()
    }

    /// The client every request to a site goes through.
    pub fn client(&self) -> &Arc<PoliteClient> {
        &self.client
    }

    /// The clock checks are judged by.
    pub fn clock(&self) -> Clock {
        Arc::clone(&self.clock)
    }

    /// Counters for the summary line and `/metrics`.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The current time by the checker's clock.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Checks one target, waiting for its host's politeness gate first.
    /// Never fails: errors are recorded on the check, logged, and returned
    /// in the report.
    pub async fn check(&self, target: &Target) -> CheckReport {
        let permit = self.client.politeness().start(&target.host).await;
        self.check_with(target, permit).await
    }

    /// Checks one target with a request slot on its host already held (the
    /// daemon takes slots without waiting). The slot is freed as soon as the
    /// page is in, before the CPU work.
    pub async fn check_with(&self, target: &Target, permit: HostPermit) -> CheckReport {
        self.check_inner(target, permit, None).await
    }

    /// Checks a target the daemon claimed: its due time is the lease, and
    /// the check's write is refused if another worker claimed it since.
    pub async fn check_leased(&self, target: &Target, permit: HostPermit) -> CheckReport {
        self.check_inner(target, permit, Some(target.next_check_at))
            .await
    }

    async fn check_inner(
        &self,
        target: &Target,
        permit: HostPermit,
        lease: Option<Timestamp>,
    ) -> CheckReport {
        let clock = Instant::now();
        let mut facts = CheckFacts {
            started_at: self.now(),
            duration: Duration::ZERO,
            http_status: None,
            bytes: None,
            exchange: None,
        };
        let rules_fp = self.rules_fingerprint(target);
        let fetched = self.fetch_politely(target, &permit, rules_fp).await;
        drop(permit);
        let result = match fetched {
            Ok(Fetched::NotModified {
                etag,
                last_modified,
                exchange,
            }) => {
                facts.http_status = Some(304);
                facts.exchange = Some(exchange);
                facts.bytes = Some(0);
                self.metrics.not_modified();
                let cache = PageCache {
                    etag,
                    last_modified,
                    ..PageCache::default()
                };
                self.record_unchanged(target, lease, &mut facts, clock, cache)
                    .await
            }
            Ok(Fetched::Page(page)) => {
                facts.http_status = Some(page.status);
                facts.bytes = Some(page.body.len() as u64);
                facts.exchange = page.exchange.clone();
                self.metrics.fetched(page.body.len() as u64);
                let body_hash = body_hash(rules_fp, &page.body);
                let cache = PageCache {
                    etag: page.etag.clone(),
                    last_modified: page.last_modified.clone(),
                    body_hash: Some(body_hash),
                    rules: Some(rules_fp),
                    fetched_at: Some(facts.started_at),
                };
                if target.cache.body_hash == Some(body_hash) {
                    self.metrics.identical();
                    self.record_unchanged(target, lease, &mut facts, clock, cache)
                        .await
                } else {
                    self.process_page(target, lease, page, &mut facts, clock, cache)
                        .await
                }
            }
            Err(e) => {
                if let CheckError::Fetch(f) = &e {
                    facts.http_status = f.http_status();
                }
                Err(e)
            }
        };
        self.finish(target, lease, facts, clock, result).await
    }

    /// The page, through the polite client, conditionally when the
    /// validators were taken under the same rules.
    async fn fetch_politely(
        &self,
        target: &Target,
        permit: &HostPermit,
        rules_fp: i64,
    ) -> Result<Fetched, CheckError> {
        let validators =
            if conditional_allowed(&target.cache, rules_fp, self.now(), self.revalidate_after) {
                Validators {
                    etag: target.cache.etag.as_deref(),
                    last_modified: target.cache.last_modified.as_deref(),
                }
            } else {
                Validators::default()
            };
        let reach = decide::reach_for(target.source.is_some(), self.allow_private);
        Ok(self
            .client
            .fetch_page(&target.url, target.robots_txt, permit, validators, reach)
            .await?)
    }

    /// The schedule's settings and decisions.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Runs everything after the fetch on a page: decode, extract, decide,
    /// store, alert. Used by [`Checker::check`], and directly by tests and
    /// benchmarks that generate pages instead of serving them.
    pub async fn check_page(&self, target: &Target, page: FetchedPage) -> CheckReport {
        let clock = Instant::now();
        let mut facts = CheckFacts {
            started_at: self.now(),
            duration: Duration::ZERO,
            http_status: Some(page.status),
            bytes: Some(page.body.len() as u64),
            exchange: page.exchange.clone(),
        };
        let rules_fp = self.rules_fingerprint(target);
        let cache = PageCache {
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
            body_hash: Some(body_hash(rules_fp, &page.body)),
            rules: Some(rules_fp),
            fetched_at: Some(facts.started_at),
        };
        let result = self
            .process_page(target, None, page, &mut facts, clock, cache)
            .await;
        self.finish(target, None, facts, clock, result).await
    }

    /// When a target is next due after a good check, or that it retires.
    fn next_after(&self, target: &Target, published: Option<Timestamp>) -> Next {
        self.scheduler.next_after(target, self.now(), published)
    }

    /// When a target is next due after a failure: backed off.
    fn next_after_failure(
        &self,
        target: &Target,
        failures: u32,
        retry_after: Option<Duration>,
    ) -> Next {
        self.scheduler
            .next_after_failure(target, self.now(), failures, retry_after)
    }

    async fn finish(
        &self,
        target: &Target,
        lease: Option<Timestamp>,
        mut facts: CheckFacts,
        clock: Instant,
        mut result: Recorded,
    ) -> CheckReport {
        let mut report = CheckReport {
            url: target.url.clone(),
            name: target.name.clone(),
            status: CheckStatus::Error,
            version: None,
            class: None,
            error: None,
            from: None,
            revert_of: None,
            summary: None,
            retired: None,
        };
        // A page that is gone: 410 at once, 404 after several in a row.
        let mut misses = 0;
        if let Err(CheckError::Fetch(FetchError::Status { status, .. })) = &result
            && matches!(status, 404 | 410)
        {
            let status = *status;
            let id = target.id;
            misses = match self.storage.recent(id, 0, None).await {
                Ok(recent) => recent.misses + 1,
                Err(_) => target.misses + 1,
            };
            if let Some(reason) = decide::gone_reason(status, misses, self.gone_after) {
                facts.duration = clock.elapsed();
                self.metrics.gone();
                tracing::warn!(url = %target.url, reason = %reason, "page gone: target retired");
                result = self.record_gone(target, lease, &facts, reason).await;
            }
        }
        let mut failure = None;
        let result = match result {
            Ok((outcome, retired)) => {
                report.retired = retired;
                Ok(outcome)
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(CaptureOutcome::New { version }) => {
                report.status = CheckStatus::New;
                report.version = Some(version);
                tracing::info!(url = %target.url, version, "first version stored");
            }
            Ok(CaptureOutcome::Unchanged { version }) => {
                report.status = CheckStatus::Unchanged;
                report.version = Some(version);
                tracing::debug!(url = %target.url, version, "unchanged");
            }
            Ok(CaptureOutcome::Suspect { reason, version }) => {
                report.status = CheckStatus::Suspect;
                report.version = version;
                tracing::warn!(url = %target.url, reason = %reason, "suspect page: not stored");
                report.error = Some(reason);
            }
            Ok(CaptureOutcome::Failed { message }) => {
                // Recorded as an error check already.
                tracing::warn!(url = %target.url, error = %message, "check failed");
                report.error = Some(message);
            }
            Ok(CaptureOutcome::Changed {
                from,
                to,
                title,
                summary,
                class,
                revert_of,
                alert_paused,
            }) => {
                report.status = CheckStatus::Changed;
                report.version = Some(to);
                report.from = Some(from);
                report.class = Some(class);
                report.revert_of = revert_of;
                self.alerter.article_changed(&ChangeEvent {
                    url: &target.url,
                    name: target.name.as_deref(),
                    from,
                    to,
                    title: &title,
                    class,
                    paused: alert_paused,
                    summary: &summary,
                    tags: &target.tags,
                    source: target.source.as_deref(),
                });
                report.summary = Some(summary);
            }
            Err(e) => failure = Some(e),
        }
        if let Some(e) = failure {
            if let CheckError::Fetch(FetchError::Private { .. }) = &e {
                self.metrics.private_refused();
            }
            let message = e.to_string();
            tracing::warn!(url = %target.url, error = %message, "check failed");
            facts.duration = clock.elapsed();
            match self.record_failure(target, lease, &facts, &e, misses).await {
                Ok(retired) => report.retired = retired,
                Err(store_err) => {
                    tracing::error!(url = %target.url, error = %store_err, "cannot record the failed check");
                }
            }
            report.error = Some(message);
        }
        if let Some(reason) = &report.retired {
            self.metrics.retired();
            tracing::info!(url = %target.url, reason = %reason, "target retired");
        }
        self.metrics.checked(report.status);
        report
    }
}

/// The message of a check whose page matched a version no longer stored.
const NO_VERSION_TO_MATCH: &str =
    "the page matched a version that is no longer stored; it is read in full next time";

fn labels(target: &Target) -> Labels {
    Labels {
        url: target.url.to_string(),
        name: target.name.clone(),
        tags: target.tags.clone(),
        source: target.source.clone(),
    }
}

/// Logs, after the commit, that a target works again.
fn log_recovered(labels: &Labels) {
    tracing::info!(target: "redline::alert", url = %labels.url, "target recovered");
}

/// What recording a check did, and why the target retired if it did.
type Recorded = Result<(CaptureOutcome, Option<String>), CheckError>;

fn retire_reason(next: &Next) -> Option<String> {
    match next {
        Next::Retire(reason) => Some(reason.clone()),
        Next::At(_) => None,
    }
}

/// Decode, extract, normalise and hash: the CPU part of a check. The page
/// is compressed only if it becomes a version, by the store.
fn prepare(
    page: FetchedPage,
    selector: Option<&BodySelector>,
    exclude: &[BodySelector],
) -> Prepared {
    let decoded = crate::decode::decode(
        &page.body,
        page.content_type.as_deref(),
        Some(&page.final_url),
    );
    let (article, nothing) =
        match extract_with(&decoded.text, selector, exclude, Some(&page.final_url)) {
            Ok(a) => (a, None),
            Err(
                e @ (ExtractError::NoArticle { .. }
                | ExtractError::SelectorMatchedNothing { .. }
                | ExtractError::SelectorEmpty { .. }),
            ) => (Article::default(), Some(e.to_string())),
        };
    let mut capture = Capture {
        hash: crate::model::ContentHash([0; 32]),
        title: article.title,
        text: article.text,
        byline: article.byline,
        published: article.published,
        modified: article.modified,
        canonical: article.canonical,
        description: article.description,
        final_url: page.final_url,
        raw_html: page.body,
    };
    capture.hash = ContentHash(capture.fields().hash());
    Prepared {
        capture: Arc::new(capture),
        nothing,
    }
}
