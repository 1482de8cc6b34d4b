//! One check of one target: robots.txt → fetch (conditional) → decode →
//! extract → normalise → decide → store → alert, and when it is due next.
//!
//! [`Checker`] owns what every check shares: the HTTP client, the store, the
//! alert sinks, the detection settings, the schedule, [`Politeness`], a
//! bounded pool for CPU work and the clock. A `304`, or a page
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
use crate::fetch::{FetchError, Fetched, FetchedPage, Fetcher, Validators};
use crate::metrics::Metrics;
use crate::model::{
    Capture, CaptureOutcome, CheckFacts, CheckStatus, ContentHash, Followup, NewDelivery, Next,
    PageCache, RawHtmlPolicy, Recent, StoreDecision, Streak, Target, TargetUrl, Timestamp,
    format_duration,
};
use crate::polite::{
    HostPermit, Politeness, ROBOTS_RETRY, ROBOTS_TTL, robots_location, robots_path,
};
use crate::robots::{MAX_ROBOTS_BYTES, Rules};
use crate::schedule::{self, AgeTier, next_check_at};
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

/// Global detection settings, combined with each target's own rules.
#[derive(Debug, Clone)]
struct DetectionDefaults {
    ignore: Vec<IgnoreRule>,
    exclude: Vec<BodySelector>,
    masks: Masks,
    noise: NoiseConfig,
}

/// The scheduler's settings.
#[derive(Debug, Clone)]
struct ScheduleSettings {
    fixed_default: Option<Duration>,
    tiers: Vec<AgeTier>,
    max_backoff: Duration,
    gone_after: u32,
}

/// What a source's documents are fetched with: feeds, sitemaps, pages.
const LISTING_ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5";

/// The time source of checks and schedules; tests drive their own.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Runs checks; shared by the daemon and `redline check`.
pub struct Checker {
    fetcher: Fetcher,
    store: StoreHandle,
    alerter: Alerter,
    schedule: ScheduleSettings,
    raw_html: RawHtmlPolicy,
    failing_after: u32,
    detection: DetectionDefaults,
    politeness: Arc<Politeness>,
    cpu: Arc<Semaphore>,
    robots_token: String,
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
        let robots_token = config
            .fetch
            .user_agent
            .split(['/', ' '])
            .next()
            .filter(|t| !t.is_empty())
            .unwrap_or("Redline")
            .to_string();
        Ok(Self {
            fetcher: Fetcher::new(&config.fetch)?,
            store,
            alerter: Alerter::new(&config.alerts),
            schedule: ScheduleSettings {
                fixed_default: config.defaults.interval,
                tiers: config.schedule.tiers.clone(),
                max_backoff: config.schedule.max_backoff,
                gone_after: config.schedule.gone_after,
            },
            raw_html: config.storage.raw_html,
            failing_after: config.defaults.failing_after,
            detection: DetectionDefaults {
                ignore: config.defaults.ignore.clone(),
                exclude: config.defaults.exclude.clone(),
                masks: config.defaults.masks,
                noise: config.noise,
            },
            politeness: Politeness::new(&config.fetch, &config.hosts),
            cpu: Arc::new(Semaphore::new(cpu_threads())),
            robots_token,
            revalidate_after: config.fetch.revalidate_after,
            clock: Arc::new(Timestamp::now),
            metrics: Arc::new(Metrics::default()),
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
        &self.politeness
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
        let permit = self.politeness.start(&target.host).await;
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

    /// robots.txt (when obeyed), then the page, conditionally when the
    /// validators were taken under the same rules.
    async fn fetch_politely(
        &self,
        target: &Target,
        permit: &HostPermit,
        rules_fp: i64,
    ) -> Result<Fetched, CheckError> {
        if self
            .politeness
            .obeys_robots(&target.host, target.robots_txt)
        {
            self.robots_allow(&target.url, permit).await?;
        }
        self.politeness.before_send(permit).await;
        let validators =
            if conditional_allowed(&target.cache, rules_fp, self.now(), self.revalidate_after) {
                Validators {
                    etag: target.cache.etag.as_deref(),
                    last_modified: target.cache.last_modified.as_deref(),
                }
            } else {
                Validators::default()
            };
        let fetched = self
            .fetcher
            .fetch_conditional(&target.url, validators)
            .await;
        self.pause_if_asked(&target.host, fetched)
    }

    /// A `429`/`503` means the whole site asked us to slow down, not just
    /// this page: its host is paused for its `Retry-After` (a minute when
    /// it gives none, a day at most).
    fn pause_if_asked(
        &self,
        host: &str,
        fetched: Result<Fetched, FetchError>,
    ) -> Result<Fetched, CheckError> {
        if let Err(FetchError::Status {
            status: 429 | 503,
            retry_after,
            ..
        }) = &fetched
        {
            let wait = retry_after
                .unwrap_or(Duration::from_secs(60))
                .min(schedule::MAX_RETRY_AFTER);
            self.politeness.pause(host, wait);
            tracing::warn!(host = %host, wait_s = wait.as_secs(), "host asked us to wait (Retry-After); pausing it");
        }
        Ok(fetched?)
    }

    /// Fetches a source's document (feed, sitemap, page) as politely as a
    /// target: the host's gate, robots.txt when obeyed, a conditional
    /// request, and a `Retry-After` pause for the whole host. The error is
    /// the message to record on the source.
    pub async fn fetch_listing(
        &self,
        url: &TargetUrl,
        robots_txt: Option<bool>,
        validators: Validators<'_>,
    ) -> Result<Fetched, String> {
        self.fetch_listing_inner(url, robots_txt, validators)
            .await
            .map_err(|e| e.to_string())
    }

    async fn fetch_listing_inner(
        &self,
        url: &TargetUrl,
        robots_txt: Option<bool>,
        validators: Validators<'_>,
    ) -> Result<Fetched, CheckError> {
        let host = url.host_key();
        let permit = self.politeness.start(&host).await;
        if self.politeness.obeys_robots(&host, robots_txt) {
            self.robots_allow(url, &permit).await?;
        }
        self.politeness.before_send(&permit).await;
        let fetched = self
            .fetcher
            .fetch_document(url, validators, LISTING_ACCEPT)
            .await;
        self.pause_if_asked(&host, fetched)
    }

    /// How long after publication a discovered article is worth tracking:
    /// the source's `track_for`, else the end of the age schedule; `None`
    /// when its targets have a fixed interval and no `track_for` (tracked
    /// until removed).
    pub fn tracking_window(
        &self,
        track_for: Option<Duration>,
        fixed: Option<Duration>,
    ) -> Option<Duration> {
        if track_for.is_some() {
            return track_for;
        }
        if fixed.or(self.schedule.fixed_default).is_some() {
            return None;
        }
        self.schedule.tiers.last().map(|t| t.until)
    }

    /// Whether robots.txt lets Redline fetch the target; the rules are
    /// fetched once a day per site and cached.
    async fn robots_allow(&self, url: &TargetUrl, permit: &HostPermit) -> Result<(), CheckError> {
        let (origin, robots_url) = robots_location(url);
        let lock = self.politeness.robots_lock(&origin);
        let fetching = match self.politeness.cached_robots(&origin) {
            Some(_) => None,
            None => Some(lock.lock().await),
        };
        let rules = match self.politeness.cached_robots(&origin) {
            Some(r) => r,
            None => {
                self.politeness.before_send(permit).await;
                let (rules, ttl) =
                    match self.fetcher.fetch_text(&robots_url, MAX_ROBOTS_BYTES).await {
                        Ok((200..=299, body)) => (
                            Rules::parse(&String::from_utf8_lossy(&body), &self.robots_token),
                            ROBOTS_TTL,
                        ),
                        // No robots.txt (or none for us): everything is allowed.
                        Ok((400..=499, _)) => (Rules::allow_all(), ROBOTS_TTL),
                        Ok((status, _)) => (
                            Rules::unreachable(format!("{robots_url} answered HTTP {status}")),
                            ROBOTS_RETRY,
                        ),
                        // The site itself cannot be reached: that is the
                        // check's failure, told against the article's URL.
                        Err(FetchError::Connect { reason, .. }) => {
                            return Err(FetchError::Connect {
                                url: url.to_string(),
                                reason,
                            }
                            .into());
                        }
                        Err(FetchError::Timeout { after, .. }) => {
                            return Err(FetchError::Timeout {
                                url: url.to_string(),
                                after,
                            }
                            .into());
                        }
                        Err(e) => (Rules::unreachable(e.to_string()), ROBOTS_RETRY),
                    };
                let rules = Arc::new(rules);
                self.politeness
                    .remember_robots(&origin, Arc::clone(&rules), ttl);
                rules
            }
        };
        drop(fetching);
        let path = robots_path(url);
        if rules.allows(&path) {
            return Ok(());
        }
        self.metrics.robots_blocked();
        let why = match (rules.unreachable_reason(), rules.blocking_rule(&path)) {
            (Some(reason), _) => format!(
                "robots.txt could not be read ({reason}); RFC 9309 says to assume everything is disallowed until it can"
            ),
            (None, Some(rule)) => format!(
                "{robots_url} disallows {path} for {} (rule `Disallow: {rule}`)",
                self.robots_token
            ),
            (None, None) => format!("{robots_url} disallows {path}"),
        };
        Err(CheckError::Robots(format!(
            "blocked by robots.txt: {why}; set robots_txt = false on the target (or source) or its [[host]] to fetch it anyway"
        )))
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

    /// The interval for a target now, or `None` when it is past the age
    /// schedule; with the age it was judged at.
    fn interval_now(
        &self,
        target: &Target,
        now: Timestamp,
        published: Option<Timestamp>,
    ) -> (Option<Duration>, Duration) {
        let anchor =
            schedule::age_anchor(published.or(target.published_at), target.created_at, now);
        let age = anchor.until(now);
        let fixed = target.interval.or(self.schedule.fixed_default);
        (
            schedule::interval_for(fixed, &self.schedule.tiers, age),
            age,
        )
    }

    /// When a target is next due after a good check, or that it retires.
    fn next_after(&self, target: &Target, published: Option<Timestamp>) -> Next {
        let now = self.now();
        let (interval, age) = self.interval_now(target, now, published);
        plan_next(&Planned {
            now,
            interval,
            age,
            track_for: target.track_for,
            discovered: target.source.is_some(),
            last_every: self.schedule.tiers.last().map(|t| t.every),
            target: target.id,
        })
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
        let now = self.now();
        match self.interval_now(target, now, None) {
            (_, age) if target.track_for.is_some_and(|t| age >= t) => self.next_after(target, None),
            (Some(interval), _) => Next::At(now.plus(schedule::backoff(
                interval,
                failures,
                self.schedule.max_backoff,
                retry_after,
                target.id,
                now,
            ))),
            (None, _) => self.next_after(target, None),
        }
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
            .and_then(schedule::parse_published);
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
            if *status == 410 || misses >= self.schedule.gone_after {
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

/// What decides when a target is checked next.
#[derive(Debug, Clone, Copy)]
struct Planned {
    now: Timestamp,
    /// The interval the schedule gives now; `None` past the age tiers.
    interval: Option<Duration>,
    /// The article's age (from publication, else first seen).
    age: Duration,
    track_for: Option<Duration>,
    /// Found by a source, not added by hand or in the config.
    discovered: bool,
    /// The last age tier's interval.
    last_every: Option<Duration>,
    target: crate::model::TargetId,
}

/// When a target is next due after a good check, or that it retires.
///
/// - A `track_for` ends the target when the article is that old, with one
///   last check when the window closes.
/// - Otherwise a *discovered* target retires past the age schedule: a feed
///   brings far more stories than anyone can watch forever.
/// - A target a person added (by hand or in the config) is never retired
///   by age: newsrooms rewrite archive stories years later, and that is
///   what it was added for. Past the last tier it keeps the last tier's pace.
fn plan_next(p: &Planned) -> Next {
    let last_pace = || {
        p.interval
            .or(p.last_every)
            .unwrap_or(Duration::from_secs(86_400))
    };
    if let Some(track) = p.track_for {
        if p.age >= track {
            return Next::Retire(format!(
                "tracked for {} as its source asks (track_for); the article is {} old",
                format_duration(track),
                format_duration(p.age)
            ));
        }
        // Past the age tiers but inside the window: the last tier's pace.
        let deadline = p.now.plus(track - p.age);
        return Next::At(next_check_at(p.now, last_pace(), p.target).min(deadline));
    }
    match p.interval {
        Some(interval) => Next::At(next_check_at(p.now, interval, p.target)),
        None if !p.discovered => Next::At(next_check_at(p.now, last_pace(), p.target)),
        None => Next::Retire(format!(
            "past the age schedule: the article is {} old; give it an `interval` to keep checking it",
            format_duration(p.age)
        )),
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
    use crate::model::TargetId;

    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(86_400);

    fn planned(interval: Option<Duration>, age: Duration, discovered: bool) -> Planned {
        Planned {
            now: Timestamp(1_800_000_000_000),
            interval,
            age,
            track_for: None,
            discovered,
            last_every: Some(DAY),
            target: TargetId(7),
        }
    }

    #[test]
    fn hand_added_targets_are_never_retired_by_age() {
        let four_years = 4 * 365 * DAY;
        let p = planned(None, four_years, false);
        match plan_next(&p) {
            Next::At(at) => {
                let wait = p.now.until(at);
                // The interval, give or take the schedule's jitter.
                assert!(wait <= DAY + DAY / 10 && wait >= DAY / 2, "{wait:?}");
            }
            Next::Retire(why) => panic!("retired: {why}"),
        }
        // A discovered story past the schedule retires.
        assert!(matches!(
            plan_next(&planned(None, four_years, true)),
            Next::Retire(_)
        ));
        // A track_for still ends a hand-added target.
        let mut p = planned(None, four_years, false);
        p.track_for = Some(30 * DAY);
        assert!(matches!(plan_next(&p), Next::Retire(_)));
        // Inside the tiers both follow the tier's interval.
        for discovered in [false, true] {
            let p = planned(Some(HOUR), HOUR, discovered);
            let Next::At(at) = plan_next(&p) else {
                panic!("retired inside the schedule")
            };
            assert!(p.now.until(at) <= HOUR + HOUR / 10);
        }
    }

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
