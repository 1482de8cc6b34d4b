//! One check of one target: robots.txt → fetch (conditional) → decode →
//! extract → normalise → decide → store → alert, and when it is due next.
//!
//! [`Checker`] owns what every check shares: the [`PoliteClient`] (fetcher,
//! politeness gates, robots.txt, `Retry-After`), the store, the alert sinks,
//! the detection settings, the [`Scheduler`], a bounded pool for CPU work
//! and the clock. A `304`, or a page
//! byte-identical to the one that gave the latest version, is recorded as
//! unchanged without parsing. Decoding, parsing and extraction run on tokio's
//! blocking pool under a semaphore the size of the machine's cores, so the
//! async workers only wait on the network and CPU work never piles up. What
//! a capture *is* — unchanged, a new version, a revert, a suspect page — is
//! decided by [`crate::detect`] inside the store's transaction. Whatever goes
//! wrong with one target is recorded on its check and logged;
//! [`Checker::check`] never returns an error, so one broken site cannot stop
//! the others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::alert::{Alerter, ChangeEvent, ChangeFacts};
use crate::config::{Config, NoiseConfig};
use crate::detect::{self, Earlier, IgnoreRule, Masks, Observed, Policy, SuspectKind};
use crate::diff::{DiffSummary, summarize};
use crate::extract::{Article, BodySelector, ExtractError, extract_with};
use crate::fetch::{FetchError, Fetched, FetchedPage, Validators};
use crate::metrics::Metrics;
use crate::model::{
    Capture, CaptureOutcome, CheckFacts, CheckStatus, ContentHash, Followup, NewDelivery, Next,
    PageCache, RawHtmlPolicy, Recent, StoreDecision, Streak, Target, TargetUrl, Timestamp,
};
use crate::polite::{HostPermit, PoliteClient, PoliteError, Politeness};
use crate::schedule::{Clock, Scheduler};
use crate::store::{StoreError, StoreHandle};

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
    store: StoreHandle,
    alerter: Alerter,
    scheduler: Scheduler,
    gone_after: u32,
    raw_html: RawHtmlPolicy,
    failing_after: u32,
    detection: DetectionDefaults,
    cpu: Arc<Semaphore>,
    revalidate_after: Duration,
    clock: Clock,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// A page made ready for the store: the capture, and how detection sees it.
struct Prepared {
    capture: Capture,
    /// Why no article was found, if none was.
    nothing: Option<String>,
}

/// Threads for CPU work: the machine's cores.
fn cpu_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl Checker {
    /// Builds a checker from the config.
    pub fn new(config: &Config, store: StoreHandle) -> Result<Self, FetchError> {
        let metrics = Arc::new(Metrics::default());
        Ok(Self {
            client: Arc::new(PoliteClient::new(
                &config.fetch,
                &config.hosts,
                Arc::clone(&metrics),
            )?),
            store,
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
    pub fn store(&self) -> &StoreHandle {
        &self.store
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
        let clock = Instant::now();
        let mut facts = CheckFacts {
            started_at: self.now(),
            duration: Duration::ZERO,
            http_status: None,
            bytes: None,
        };
        let rules_fp = self.rules_fingerprint(target);
        let fetched = self.fetch_politely(target, &permit, rules_fp).await;
        drop(permit);
        let result = match fetched {
            Ok(Fetched::NotModified {
                etag,
                last_modified,
            }) => {
                facts.http_status = Some(304);
                facts.bytes = Some(0);
                self.metrics.not_modified();
                let cache = PageCache {
                    etag,
                    last_modified,
                    ..PageCache::default()
                };
                self.record_unchanged(target, &mut facts, clock, cache)
                    .await
            }
            Ok(Fetched::Page(page)) => {
                facts.http_status = Some(page.status);
                facts.bytes = Some(page.body.len() as u64);
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
                    self.record_unchanged(target, &mut facts, clock, cache)
                        .await
                } else {
                    self.process_page(target, page, &mut facts, clock, cache)
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
        self.finish(target, facts, clock, result).await
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
        Ok(self
            .client
            .fetch_page(&target.url, target.robots_txt, permit, validators)
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
            .process_page(target, page, &mut facts, clock, cache)
            .await;
        self.finish(target, facts, clock, result).await
    }

    /// A fingerprint of everything that turns a page into a decision: the
    /// target's and global rules, and this Redline's version.
    fn rules_fingerprint(&self, target: &Target) -> i64 {
        let mut h = blake3::Hasher::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        let mut part = |s: &str| {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        part(target.selector.as_deref().unwrap_or(""));
        for r in target.ignore.iter().chain(&target.exclude) {
            part(r);
        }
        for r in &self.detection.ignore {
            part(r.as_str());
        }
        for e in &self.detection.exclude {
            part(e.as_str());
        }
        part(&format!(
            "{:?}{:?}",
            self.detection.masks, self.detection.noise
        ));
        let bytes = h.finalize();
        i64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("8 bytes"))
    }

    /// The detection policy for one target: global rules plus its own.
    fn policy(&self, target: &Target) -> Result<(Policy, Vec<BodySelector>), CheckError> {
        let mut ignore: Vec<regex::Regex> =
            self.detection.ignore.iter().map(|r| r.0.clone()).collect();
        for r in &target.ignore {
            ignore.push(
                IgnoreRule::parse(r)
                    .map_err(|e| CheckError::Rule(e.to_string()))?
                    .0,
            );
        }
        let mut exclude = self.detection.exclude.clone();
        for e in &target.exclude {
            exclude.push(BodySelector::parse(e).map_err(|e| CheckError::Rule(e.to_string()))?);
        }
        let noise = self.detection.noise;
        Ok((
            Policy {
                ignore,
                masks: self.detection.masks,
                suspect_after: noise.suspect_after,
                revert_window: noise.revert_window,
                flap_limit: noise.flap_limit,
            },
            exclude,
        ))
    }

    /// When a target is next due after a good check, or that it retires.
    fn next_after(&self, target: &Target, published: Option<Timestamp>) -> Next {
        self.scheduler.next_after(target, self.now(), published)
    }

    /// What a good check leaves on its target.
    fn followup(
        &self,
        target: &Target,
        cache: PageCache,
        published: Option<Timestamp>,
    ) -> Followup {
        Followup {
            next: self.next_after(target, published),
            cache,
            published_at: published,
            raw_html: self.raw_html,
        }
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

    async fn record_unchanged(
        &self,
        target: &Target,
        facts: &mut CheckFacts,
        clock: Instant,
        cache: PageCache,
    ) -> Recorded {
        facts.duration = clock.elapsed();
        let followup = self.followup(target, cache, None);
        let retired = retire_reason(&followup.next);
        let (id, f, alerter) = (target.id, facts.clone(), self.alerter.clone());
        let labels = labels(target);
        let recorded = self
            .store
            .call(move |s| s.record_unchanged(id, &f, &followup, || labels.recovered(&alerter)))
            .await?;
        match recorded {
            Some(outcome) => Ok((outcome, retired)),
            // No version to match (its history was purged): read the page
            // in full next time.
            None => Err(CheckError::Task(
                "the page matched a version that is no longer stored; it is read in full next time"
                    .into(),
            )),
        }
    }

    async fn process_page(
        &self,
        target: &Target,
        page: FetchedPage,
        facts: &mut CheckFacts,
        clock: Instant,
        cache: PageCache,
    ) -> Recorded {
        let selector = target
            .selector
            .as_deref()
            .map(BodySelector::parse)
            .transpose()
            .map_err(|e| CheckError::Rule(e.to_string()))?;
        let (policy, exclude) = self.policy(target)?;
        let prepared = {
            let _cpu = self.cpu.acquire().await.ok();
            tokio::task::spawn_blocking(move || prepare(page, selector.as_ref(), &exclude))
                .await
                .map_err(|e| CheckError::Task(e.to_string()))?
        };
        facts.duration = clock.elapsed();
        let published = prepared
            .capture
            .published
            .as_deref()
            .and_then(crate::schedule::parse_published);
        let followup = self.followup(target, cache, published);
        let retired = retire_reason(&followup.next);
        let (id, f) = (target.id, facts.clone());
        // Versions beyond the latest are read for revert detection.
        let window = policy.revert_window as usize + 1;
        let alerter = self.alerter.clone();
        let labels = labels(target);
        let outcome = self
            .store
            .call(move |s| {
                let canonical = prepared
                    .capture
                    .canonical
                    .as_deref()
                    .and_then(crate::model::canon::key_of);
                let title = prepared.capture.title.clone();
                let outcome =
                    s.record_observation(id, &f, &prepared.capture, &followup, window, |recent| {
                        let decision = decide_for_store(&policy, &prepared, recent);
                        let mut deliveries = outbox_for(
                            &alerter,
                            &decision,
                            recent,
                            &prepared,
                            &labels,
                            f.started_at,
                        );
                        if recent.failing_alerted
                            && !matches!(decision, StoreDecision::Error { .. })
                        {
                            deliveries.extend(labels.recovered(&alerter));
                        }
                        (decision, deliveries)
                    })?;
                // A page declaring a canonical URL already watched: one
                // article, watched once.
                let merged = match (&outcome, canonical) {
                    (CaptureOutcome::New { .. } | CaptureOutcome::Changed { .. }, Some(key)) => {
                        s.merge_canonical(id, &key, &title, f.started_at)?
                    }
                    _ => None,
                };
                Ok((outcome, merged))
            })
            .await?;
        let (outcome, merged) = outcome;
        if let Some(m) = merged {
            tracing::info!(url = %m.retired, kept = %m.kept, "duplicate target retired: both pages declare the same rel=canonical URL");
            if m.retired == target.url.as_str() {
                return Ok((outcome, Some(m.reason)));
            }
        }
        Ok((outcome, retired))
    }

    /// Records that a page is gone (`410`, or `404` several times): its
    /// disappearance is a `removed` change when it had versions, and the
    /// target retires.
    async fn record_gone(&self, target: &Target, facts: &CheckFacts, reason: String) -> Recorded {
        let prepared = Prepared {
            capture: Capture {
                hash: crate::model::ContentHash([0; 32]),
                title: String::new(),
                text: String::new(),
                byline: None,
                published: None,
                modified: None,
                canonical: None,
                description: None,
                final_url: target.url.to_string(),
                raw_html: Vec::new(),
            },
            nothing: Some(reason.clone()),
        };
        let followup_reason = reason.clone();
        let followup = Followup {
            next: Next::Retire(reason.clone()),
            cache: PageCache::default(),
            published_at: None,
            raw_html: self.raw_html,
        };
        let (id, f, alerter) = (target.id, facts.clone(), self.alerter.clone());
        let labels = labels(target);
        let outcome = self
            .store
            .call(move |s| {
                s.record_observation(id, &f, &prepared.capture, &followup, 1, |recent| {
                    let Some((_, latest)) = recent.versions.first() else {
                        return (StoreDecision::Error { message: reason }, Vec::new());
                    };
                    let decision = StoreDecision::Store {
                        class: Some(detect::ChangeClass::Removed),
                        revert_of: None,
                        alert_paused: false,
                        summary: Some(summarize(&latest.fields(), &prepared.capture.fields())),
                    };
                    let deliveries = outbox_for(
                        &alerter,
                        &decision,
                        recent,
                        &prepared,
                        &labels,
                        f.started_at,
                    );
                    (decision, deliveries)
                })
            })
            .await?;
        Ok((outcome, Some(followup_reason)))
    }

    async fn finish(
        &self,
        target: &Target,
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
            misses = target.misses + 1;
            if *status == 410 || misses >= self.gone_after {
                let reason = if *status == 410 {
                    "gone: the server answered HTTP 410".to_string()
                } else {
                    format!("gone: the server answered HTTP 404 {misses} times in a row")
                };
                facts.duration = clock.elapsed();
                self.metrics.gone();
                tracing::warn!(url = %target.url, reason = %reason, "page gone: target retired");
                result = self.record_gone(target, &facts, reason).await;
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
                // Recorded by the store already.
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
            let message = e.to_string();
            tracing::warn!(url = %target.url, error = %message, "check failed");
            facts.duration = clock.elapsed();
            // robots.txt refusals are not the site failing: no back-off.
            let next = match &e {
                CheckError::Robots(_) => self.next_after(target, None),
                CheckError::Fetch(FetchError::Status { retry_after, .. }) => {
                    self.next_after_failure(target, target.failures + 1, *retry_after)
                }
                _ => self.next_after_failure(target, target.failures + 1, None),
            };
            let streak = Streak {
                failures: target.failures + 1,
                misses,
            };
            if let Next::Retire(reason) = &next {
                report.retired = Some(reason.clone());
            }
            let (id, f, m) = (target.id, facts, message.clone());
            let (alerter, failing_after) = (self.alerter.clone(), self.failing_after);
            let (name, tags, source) = (
                target.name.clone(),
                target.tags.clone(),
                target.source.clone(),
            );
            let url = target.url.clone();
            let recorded = self
                .store
                .call(move |s| {
                    s.record_failure(id, &f, &m, streak, &next, |failures, alerted| {
                        (!alerted && failures >= failing_after).then(|| {
                            alerter.target_event(&url, "target.failing", &m);
                            alerter.target_deliveries(
                                "target.failing",
                                url.as_str(),
                                name.as_deref(),
                                &tags,
                                source.as_deref(),
                                serde_json::json!({ "failures": failures, "error": m }),
                            )
                        })
                    })
                })
                .await;
            if let Err(store_err) = recorded {
                tracing::error!(url = %target.url, error = %store_err, "cannot record the failed check");
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

/// What alerts say about a target: URL, name, tags and source, owned, for
/// alerts built on the store's thread.
struct Labels {
    url: String,
    name: Option<String>,
    tags: Vec<String>,
    source: Option<String>,
}

fn labels(target: &Target) -> Labels {
    Labels {
        url: target.url.to_string(),
        name: target.name.clone(),
        tags: target.tags.clone(),
        source: target.source.clone(),
    }
}

impl Labels {
    /// Logs that the target works again and builds its `target.recovered`
    /// deliveries.
    fn recovered(&self, alerter: &Alerter) -> Vec<NewDelivery> {
        tracing::info!(target: "redline::alert", url = %self.url, "target recovered");
        alerter.target_deliveries(
            "target.recovered",
            &self.url,
            self.name.as_deref(),
            &self.tags,
            self.source.as_deref(),
            serde_json::json!({}),
        )
    }
}

/// What recording a check did, and why the target retired if it did.
type Recorded = Result<(CaptureOutcome, Option<String>), CheckError>;

fn retire_reason(next: &Next) -> Option<String> {
    match next {
        Next::Retire(reason) => Some(reason.clone()),
        Next::At(_) => None,
    }
}

/// Whether a check may send the validators it has: they were taken under
/// the same rules, and the page was fetched in full within
/// `revalidate_after` (so a server whose `304`s are wrong hides an edit for
/// at most that long).
fn conditional_allowed(
    cache: &PageCache,
    rules_fp: i64,
    now: Timestamp,
    revalidate_after: Duration,
) -> bool {
    cache.rules == Some(rules_fp)
        && cache
            .fetched_at
            .is_some_and(|at| at.until(now) < revalidate_after)
}

/// BLAKE3 over the rules fingerprint and the page bytes.
fn body_hash(rules_fp: i64, body: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&rules_fp.to_le_bytes());
    h.update(body);
    *h.finalize().as_bytes()
}

/// Runs detection on what the store read, and turns its answer into what
/// the store should write.
fn decide_for_store(policy: &Policy, prepared: &Prepared, recent: &Recent) -> StoreDecision {
    let earlier: Vec<Earlier<'_>> = recent
        .versions
        .iter()
        .map(|(_, v)| Earlier {
            content_of: v.revert_of.unwrap_or(v.number),
            fields: v.fields(),
        })
        .collect();
    let checks = |kind: SuspectKind| {
        detect::suspect_run(
            recent
                .checks
                .iter()
                .map(|(o, r, same)| (o.as_str(), r.as_deref(), *same)),
            kind,
        )
    };
    let new = prepared.capture.fields();
    let observed = match &prepared.nothing {
        Some(why) => {
            if earlier.is_empty() {
                // No article on a first check is an error, not a version.
                return StoreDecision::Error {
                    message: why.clone(),
                };
            }
            Observed::Nothing(why)
        }
        None => Observed::Article(new),
    };
    match detect::decide(policy, observed, &earlier, checks) {
        detect::Decision::Unchanged => StoreDecision::Unchanged,
        detect::Decision::Suspect { reason } => StoreDecision::Suspect { reason },
        detect::Decision::Store {
            class,
            revert_of,
            alert_paused,
        } => {
            let summary = earlier
                .first()
                .map(|latest| summarize(&latest.fields, &new));
            let class = match (class, earlier.first(), &summary) {
                (Some(c), _, _) => Some(c),
                (None, Some(latest), Some(s)) => Some(detect::classify(&latest.fields, &new, s)),
                _ => None,
            };
            StoreDecision::Store {
                class,
                revert_of,
                alert_paused,
                summary,
            }
        }
    }
}

/// The webhook deliveries a decision calls for.
fn outbox_for(
    alerter: &Alerter,
    decision: &StoreDecision,
    recent: &Recent,
    prepared: &Prepared,
    labels: &Labels,
    now: Timestamp,
) -> Vec<NewDelivery> {
    let StoreDecision::Store {
        class: Some(class),
        revert_of,
        alert_paused,
        summary: Some(summary),
    } = decision
    else {
        return Vec::new();
    };
    let Some((_, latest)) = recent.versions.first() else {
        return Vec::new();
    };
    alerter.change_deliveries(
        &ChangeFacts {
            url: &labels.url,
            name: labels.name.as_deref(),
            from: (latest.number, latest.captured_at),
            to: (latest.number + 1, now),
            title_from: &latest.title,
            title_to: &prepared.capture.title,
            class: *class,
            revert_of: *revert_of,
            summary,
            tags: &labels.tags,
            source: labels.source.as_deref(),
        },
        *alert_paused,
    )
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
    Prepared { capture, nothing }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn validators_expire_after_revalidate_after() {
        let now = Timestamp(1_800_000_000_000);
        let mut cache = PageCache {
            etag: Some("\"v1\"".into()),
            rules: Some(5),
            fetched_at: Some(Timestamp(now.0 - 3_600_000)),
            ..PageCache::default()
        };
        assert!(conditional_allowed(&cache, 5, now, DAY));
        // Other rules: the page must be read again.
        assert!(!conditional_allowed(&cache, 6, now, DAY));
        // The last full fetch is older than revalidate_after.
        assert!(!conditional_allowed(&cache, 5, now, HOUR / 2));
        // Never fetched in full (an old database): fetch in full.
        cache.fetched_at = None;
        assert!(!conditional_allowed(&cache, 5, now, DAY));
    }
}
