//! One check of one target: fetch → decode → extract → normalise → decide →
//! store → alert.
//!
//! [`Checker`] owns what every check shares: the HTTP client, the store, the
//! alert sinks, the detection settings, and the concurrency limits (all
//! hosts together and per host). Decoding, parsing and compressing run on
//! tokio's blocking pool, and so does every database call, so the async
//! workers only wait on the network. What a capture *is* — unchanged, a new
//! version, a revert, a suspect page — is decided by [`crate::detect`]
//! inside the store's transaction. Whatever goes wrong with one target is
//! recorded on its check and logged; [`Checker::check`] never returns an
//! error, so one broken site cannot stop the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::alert::{Alerter, ChangeEvent, ChangeFacts};
use crate::config::{Config, IgnoreRule, NoiseConfig};
use crate::detect::{self, Earlier, Masks, Observed, Policy, SuspectKind};
use crate::diff::{DiffSummary, summarize};
use crate::extract::{Article, BodySelector, ExtractError, extract_with};
use crate::fetch::{FetchError, FetchedPage, Fetcher};
use crate::schedule::next_check_at;
use crate::store::{
    Capture, CaptureOutcome, CheckFacts, CheckStatus, NewDelivery, Recent, StoreDecision,
    StoreError, StoreHandle, Target,
};
use crate::types::{TargetUrl, Timestamp};

/// zstd level for stored pages: fast, and about 6–10× on HTML.
const RAW_HTML_ZSTD_LEVEL: i32 = 3;

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
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("stored rule is no longer valid: {0}")]
    Rule(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot compress the page: {0}")]
    Compress(std::io::Error),
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

/// Runs checks; shared by the daemon and `redline check`.
#[derive(Debug)]
pub struct Checker {
    fetcher: Fetcher,
    store: StoreHandle,
    alerter: Alerter,
    default_interval: Duration,
    failing_after: u32,
    detection: DetectionDefaults,
    global: Arc<Semaphore>,
    per_host_limit: usize,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A page made ready for the store: the capture, and how detection sees it.
struct Prepared {
    capture: Capture,
    /// Why no article was found, if none was.
    nothing: Option<String>,
}

impl Checker {
    /// Builds a checker from the config.
    pub fn new(config: &Config, store: StoreHandle) -> Result<Self, FetchError> {
        Ok(Self {
            fetcher: Fetcher::new(&config.fetch)?,
            store,
            alerter: Alerter::new(&config.alerts),
            default_interval: config.defaults.interval,
            failing_after: config.defaults.failing_after,
            detection: DetectionDefaults {
                ignore: config.defaults.ignore.clone(),
                exclude: config.defaults.exclude.clone(),
                masks: config.defaults.masks,
                noise: config.noise,
            },
            global: Arc::new(Semaphore::new(config.fetch.concurrency as usize)),
            per_host_limit: config.fetch.per_host_concurrency as usize,
            per_host: Mutex::new(HashMap::new()),
        })
    }

    /// The store checks write to.
    pub fn store(&self) -> &StoreHandle {
        &self.store
    }

    /// The alert sinks.
    pub fn alerter(&self) -> &Alerter {
        &self.alerter
    }

    fn host_semaphore(&self, url: &TargetUrl) -> Arc<Semaphore> {
        let mut map = self.per_host.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(
            map.entry(url.host_key())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host_limit))),
        )
    }

    /// Checks one target and records the result. Never fails: errors are
    /// recorded on the check, logged, and returned in the report.
    pub async fn check(&self, target: &Target) -> CheckReport {
        let host = self.host_semaphore(&target.url);
        // Semaphores are never closed, so acquiring cannot fail.
        let _global = self.global.acquire().await.ok();
        let _host = host.acquire().await.ok();

        let clock = Instant::now();
        let mut facts = CheckFacts {
            started_at: Timestamp::now(),
            duration: Duration::ZERO,
            http_status: None,
            bytes: None,
        };
        let result = match self.fetcher.fetch(&target.url).await {
            Ok(page) => {
                facts.http_status = Some(page.status);
                facts.bytes = Some(page.body.len() as u64);
                self.process_page(target, page, &mut facts, clock).await
            }
            Err(e) => {
                facts.http_status = e.http_status();
                Err(CheckError::Fetch(e))
            }
        };
        self.finish(target, facts, clock, result).await
    }

    /// Runs everything after the fetch on a page: decode, extract, decide,
    /// store, alert. Used by [`Checker::check`], and directly by tests and
    /// benchmarks that generate pages instead of serving them.
    pub async fn check_page(&self, target: &Target, page: FetchedPage) -> CheckReport {
        let clock = Instant::now();
        let mut facts = CheckFacts {
            started_at: Timestamp::now(),
            duration: Duration::ZERO,
            http_status: Some(page.status),
            bytes: Some(page.body.len() as u64),
        };
        let result = self.process_page(target, page, &mut facts, clock).await;
        self.finish(target, facts, clock, result).await
    }

    /// The detection policy for one target: global rules plus its own.
    fn policy(&self, target: &Target) -> Result<(Policy, Vec<BodySelector>), CheckError> {
        let mut ignore: Vec<regex::Regex> =
            self.detection.ignore.iter().map(|r| r.0.clone()).collect();
        for r in &target.ignore {
            ignore.push(IgnoreRule::parse(r).map_err(CheckError::Rule)?.0);
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

    async fn process_page(
        &self,
        target: &Target,
        page: FetchedPage,
        facts: &mut CheckFacts,
        clock: Instant,
    ) -> Result<CaptureOutcome, CheckError> {
        let selector = target
            .selector
            .as_deref()
            .map(BodySelector::parse)
            .transpose()
            .map_err(|e| CheckError::Rule(e.to_string()))?;
        let (policy, exclude) = self.policy(target)?;
        let prepared =
            tokio::task::spawn_blocking(move || prepare(&page, selector.as_ref(), &exclude))
                .await
                .map_err(|e| CheckError::Task(e.to_string()))??;
        facts.duration = clock.elapsed();
        let interval = target.interval.unwrap_or(self.default_interval);
        let (id, f) = (target.id, facts.clone());
        let next = next_check_at(Timestamp::now(), interval, target.id);
        // Versions beyond the latest are read for revert detection.
        let window = policy.revert_window as usize + 1;
        let alerter = self.alerter.clone();
        let (url, name, tags) = (
            target.url.to_string(),
            target.name.clone(),
            target.tags.clone(),
        );
        let outcome = self
            .store
            .call(move |s| {
                s.record_observation(id, &f, &prepared.capture, next, window, |recent| {
                    let decision = decide_for_store(&policy, &prepared, recent);
                    let mut deliveries = outbox_for(
                        &alerter,
                        &decision,
                        recent,
                        &prepared,
                        (&url, name.as_deref(), &tags),
                        f.started_at,
                    );
                    if recent.failing_alerted && !matches!(decision, StoreDecision::Error { .. }) {
                        tracing::info!(target: "redline::alert", url = %url, "target recovered");
                        deliveries.extend(alerter.target_deliveries(
                            "target.recovered",
                            &url,
                            name.as_deref(),
                            &tags,
                            serde_json::json!({}),
                        ));
                    }
                    (decision, deliveries)
                })
            })
            .await?;
        Ok(outcome)
    }

    async fn finish(
        &self,
        target: &Target,
        mut facts: CheckFacts,
        clock: Instant,
        result: Result<CaptureOutcome, CheckError>,
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
        };
        let mut failure = None;
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
                });
                report.summary = Some(summary);
            }
            Err(e) => failure = Some(e.to_string()),
        }
        if let Some(message) = failure {
            tracing::warn!(url = %target.url, error = %message, "check failed");
            facts.duration = clock.elapsed();
            let interval = target.interval.unwrap_or(self.default_interval);
            let (id, f, m) = (target.id, facts, message.clone());
            let next = next_check_at(Timestamp::now(), interval, target.id);
            let (alerter, failing_after) = (self.alerter.clone(), self.failing_after);
            let (url, name, tags) = (target.url.clone(), target.name.clone(), target.tags.clone());
            let recorded = self
                .store
                .call(move |s| {
                    s.record_failure(id, &f, &m, next, |failures, alerted| {
                        (!alerted && failures >= failing_after).then(|| {
                            alerter.target_event(&url, "target.failing", &m);
                            alerter.target_deliveries(
                                "target.failing",
                                url.as_str(),
                                name.as_deref(),
                                &tags,
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
        report
    }
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
        detect::suspect_streak(
            recent
                .checks
                .iter()
                .map(|(o, r)| (o.as_str(), r.as_deref())),
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
    (url, name, tags): (&str, Option<&str>, &[String]),
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
            url,
            name,
            from: (latest.number, latest.captured_at),
            to: (latest.number + 1, now),
            title_from: &latest.title,
            title_to: &prepared.capture.title,
            class: *class,
            revert_of: *revert_of,
            summary,
            tags,
        },
        *alert_paused,
    )
}

/// Decode, extract, normalise, hash and compress: the CPU part of a check.
fn prepare(
    page: &FetchedPage,
    selector: Option<&BodySelector>,
    exclude: &[BodySelector],
) -> Result<Prepared, CheckError> {
    let decoded = crate::decode::decode(
        &page.body,
        page.content_type.as_deref(),
        Some(&page.final_url),
    );
    let raw_html_zstd =
        zstd::bulk::compress(&page.body, RAW_HTML_ZSTD_LEVEL).map_err(CheckError::Compress)?;
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
        hash: crate::types::ContentHash([0; 32]),
        title: article.title,
        text: article.text,
        byline: article.byline,
        published: article.published,
        modified: article.modified,
        canonical: article.canonical,
        description: article.description,
        final_url: page.final_url.clone(),
        raw_html_zstd,
    };
    capture.hash = capture.fields().hash();
    Ok(Prepared { capture, nothing })
}
