//! One check of one target: fetch → decode → extract → normalise → compare →
//! store → alert.
//!
//! [`Checker`] owns what every check shares: the HTTP client, the store, the
//! alert sinks, and the concurrency limits (all hosts together and per host).
//! Decoding, parsing and compressing run on tokio's blocking pool, and so does
//! every database call, so the async workers only wait on the network.
//! Whatever goes wrong with one target is recorded on its check and logged;
//! [`Checker::check`] never returns an error, so one broken site cannot stop
//! the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::alert::{Alerter, ChangeEvent};
use crate::config::Config;
use crate::diff::{DiffSummary, Fields, summarize};
use crate::extract::{Article, BodySelector, ExtractError, extract};
use crate::fetch::{FetchError, FetchedPage, Fetcher};
use crate::schedule::next_check_at;
use crate::store::{
    Capture, CaptureOutcome, CheckFacts, CheckStatus, StoreError, StoreHandle, Target,
};
use crate::types::{TargetUrl, Timestamp};

/// zstd level for stored pages: fast, and about 6–10× on HTML.
const RAW_HTML_ZSTD_LEVEL: i32 = 3;

/// What a check found, for reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    /// Article URL.
    pub url: TargetUrl,
    /// Target label.
    #[serde(skip)]
    pub name: Option<String>,
    /// new / unchanged / changed / error.
    pub status: CheckStatus,
    /// Version stored or matched.
    pub version: Option<u32>,
    /// Change class (see the change-classification work; not yet assigned).
    pub class: Option<String>,
    /// Error message when the check failed.
    pub error: Option<String>,
    /// Previous version, for a change.
    #[serde(skip)]
    pub from: Option<u32>,
    /// Counts and changed words, for a change.
    #[serde(skip)]
    pub summary: Option<DiffSummary>,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error("stored selector is no longer valid: {0}")]
    Selector(#[from] crate::extract::SelectorError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot compress the page: {0}")]
    Compress(std::io::Error),
    #[error("processing the page failed: {0}")]
    Task(String),
}

/// Runs checks; shared by the daemon and `redline check`.
#[derive(Debug)]
pub struct Checker {
    fetcher: Fetcher,
    store: StoreHandle,
    alerter: Alerter,
    default_interval: Duration,
    global: Arc<Semaphore>,
    per_host_limit: usize,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Checker {
    /// Builds a checker from the config.
    pub fn new(config: &Config, store: StoreHandle) -> Result<Self, FetchError> {
        Ok(Self {
            fetcher: Fetcher::new(&config.fetch)?,
            store,
            alerter: Alerter::new(&config.alerts),
            default_interval: config.defaults.interval,
            global: Arc::new(Semaphore::new(config.fetch.concurrency as usize)),
            per_host_limit: config.fetch.per_host_concurrency as usize,
            per_host: Mutex::new(HashMap::new()),
        })
    }

    /// The store checks write to.
    pub fn store(&self) -> &StoreHandle {
        &self.store
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

        let started_at = Timestamp::now();
        let clock = Instant::now();
        let interval = target.interval.unwrap_or(self.default_interval);
        let mut facts = CheckFacts {
            started_at,
            duration: Duration::ZERO,
            http_status: None,
            bytes: None,
        };
        let result = self.run_pipeline(target, &mut facts, clock, interval).await;
        let title = result.as_ref().ok().map(|(_, title)| title.clone());
        let result = result.map(|(outcome, _)| outcome);
        let mut report = CheckReport {
            url: target.url.clone(),
            name: target.name.clone(),
            status: CheckStatus::Error,
            version: None,
            class: None,
            error: None,
            from: None,
            summary: None,
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
            Ok(CaptureOutcome::Changed { from, to, summary }) => {
                report.status = CheckStatus::Changed;
                report.version = Some(to);
                report.from = Some(from);
                report.summary = Some(summary);
            }
            Err(e) => {
                let message = e.to_string();
                tracing::warn!(url = %target.url, error = %message, "check failed");
                facts.duration = clock.elapsed();
                let (id, f, m) = (target.id, facts.clone(), message.clone());
                let next = next_check_at(Timestamp::now(), interval, target.id);
                if let Err(store_err) = self
                    .store
                    .call(move |s| s.record_failure(id, &f, &m, next))
                    .await
                {
                    tracing::error!(url = %target.url, error = %store_err, "cannot record the failed check");
                }
                report.error = Some(message);
            }
        }
        if let (Some(from), Some(to), Some(summary), Some(title)) = (
            report.from,
            report.version,
            report.summary.as_ref(),
            title.as_deref(),
        ) {
            self.alerter.article_changed(&ChangeEvent {
                url: &target.url,
                name: target.name.as_deref(),
                from,
                to,
                title,
                summary,
            });
        }
        report
    }

    async fn run_pipeline(
        &self,
        target: &Target,
        facts: &mut CheckFacts,
        clock: Instant,
        interval: Duration,
    ) -> Result<(CaptureOutcome, String), CheckError> {
        let fetched = self.fetcher.fetch(&target.url).await.inspect_err(|e| {
            facts.http_status = e.http_status();
        })?;
        facts.http_status = Some(fetched.status);
        facts.bytes = Some(fetched.body.len() as u64);
        let selector = target
            .selector
            .as_deref()
            .map(BodySelector::parse)
            .transpose()?;
        let capture =
            tokio::task::spawn_blocking(move || prepare_capture(&fetched, selector.as_ref()))
                .await
                .map_err(|e| CheckError::Task(e.to_string()))??;
        facts.duration = clock.elapsed();
        let (id, f) = (target.id, facts.clone());
        let next = next_check_at(Timestamp::now(), interval, target.id);
        let title = capture.title.clone();
        let outcome = self
            .store
            .call(move |s| {
                s.record_capture(id, &f, &capture, next, |prev| {
                    summarize(&prev.fields(), &capture.fields())
                })
            })
            .await?;
        Ok((outcome, title))
    }
}

/// Decode, extract, normalise, hash and compress: the CPU part of a check.
fn prepare_capture(
    page: &FetchedPage,
    selector: Option<&BodySelector>,
) -> Result<Capture, CheckError> {
    let decoded = crate::decode::decode(
        &page.body,
        page.content_type.as_deref(),
        Some(&page.final_url),
    );
    let Article {
        title,
        text,
        byline,
        published,
        modified,
        canonical,
        description,
    } = extract(&decoded.text, selector, Some(&page.final_url))?;
    let raw_html_zstd =
        zstd::bulk::compress(&page.body, RAW_HTML_ZSTD_LEVEL).map_err(CheckError::Compress)?;
    let hash = Fields {
        title: &title,
        text: &text,
        byline: byline.as_deref(),
        published: published.as_deref(),
        canonical: canonical.as_deref(),
        description: description.as_deref(),
    }
    .hash();
    Ok(Capture {
        hash,
        title,
        text,
        byline,
        published,
        modified,
        canonical,
        description,
        final_url: page.final_url.clone(),
        raw_html_zstd,
    })
}
