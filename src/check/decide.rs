//! The decisions of a check, as pure functions of what it read and what it
//! found: what a capture is (unchanged, a new version, a revert, suspect,
//! an error), what the check then writes (a [`CheckCommit`]) and reports (a
//! [`CaptureOutcome`]), when a page counts as gone, when a failing target
//! is reported, and whether validators may be sent. No database and no
//! network: the store only reads before and writes after.

use std::time::Duration;

use crate::alert::{Alerter, ChangeFacts};
use crate::detect::{self, ChangeClass, Earlier, Observed, Policy, SuspectKind};
use crate::diff::summarize;
use crate::fetch::Reach;
use crate::model::{
    CacheUpdate, Capture, CaptureOutcome, CheckCommit, CheckFacts, CheckRow, CheckStatus,
    NewDelivery, NewVersion, Next, PageCache, RawHtmlPolicy, Recent, Seen, StoreDecision, TargetId,
    TargetUpdate, Timestamp,
};

/// A page made ready for the store: the capture, and how detection sees it.
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    /// Shared with the store's read, so the page is not copied for it.
    pub capture: std::sync::Arc<Capture>,
    /// Why no article was found, if none was.
    pub nothing: Option<String>,
}

/// What every write of one check is based on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Basis<'a> {
    pub target: TargetId,
    /// The due time the target had when the check took it, if leased.
    pub lease: Option<Timestamp>,
    pub facts: &'a CheckFacts,
    /// What the check read of its target.
    pub recent: &'a Recent,
}

impl Basis<'_> {
    fn commit(
        &self,
        check: CheckRow,
        version: Option<NewVersion>,
        deliveries: Vec<NewDelivery>,
        update: TargetUpdate,
        next: Next,
    ) -> CheckCommit {
        CheckCommit {
            target: self.target,
            lease: self.lease,
            based_on: self.recent.latest,
            check,
            version,
            deliveries,
            update,
            next,
        }
    }

    fn row(&self, status: CheckStatus, version: Option<u32>, error: Option<String>) -> CheckRow {
        CheckRow {
            facts: self.facts.clone(),
            status,
            version,
            error,
            suspect: None,
            seen: None,
        }
    }
}

/// Whether a check may send the validators it has: they were taken under
/// the same rules, and the page was fetched in full within
/// `revalidate_after` (so a server whose `304`s are wrong hides an edit for
/// at most that long).
pub(super) fn conditional_allowed(
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
pub(super) fn body_hash(rules_fp: i64, body: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&rules_fp.to_le_bytes());
    h.update(body);
    *h.finalize().as_bytes()
}

/// Where a target's fetch may reach: one a feed, sitemap or section page
/// brought (it has a source) stays on public addresses unless the config
/// allows private ones; one a person added goes wherever it points.
pub(super) fn reach_for(discovered: bool, allow_private: bool) -> Reach {
    if discovered && !allow_private {
        Reach::Public
    } else {
        Reach::Any
    }
}

/// Why a page counts as gone: `410` at once, `404` after `gone_after`
/// answers in a row (`misses` counts this one).
pub(super) fn gone_reason(status: u16, misses: u32, gone_after: u32) -> Option<String> {
    match status {
        410 => Some("gone: the server answered HTTP 410".to_string()),
        404 if misses >= gone_after => Some(format!(
            "gone: the server answered HTTP 404 {misses} times in a row"
        )),
        _ => None,
    }
}

/// Whether a failure is the one that reports the target as failing:
/// `failures` in a row reach `failing_after` and it was not reported yet.
pub(super) fn failing_due(failures: u32, alerted: bool, failing_after: u32) -> bool {
    !alerted && failures >= failing_after
}

/// Runs detection on what the check read, and turns its answer into what
/// to record.
pub(super) fn classify(policy: &Policy, prepared: &Prepared, recent: &Recent) -> StoreDecision {
    let earlier: Vec<Earlier<'_>> = recent
        .versions
        .iter()
        .map(|v| Earlier {
            content_of: v.revert_of.unwrap_or(v.number),
            fields: v.fields(),
        })
        .collect();
    let checks = |kind: SuspectKind| {
        detect::suspect_run(recent.checks.iter().map(|c| (c.suspect, c.same_text)), kind)
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
        detect::Decision::Suspect { kind, reason } => StoreDecision::Suspect { kind, reason },
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

/// What a vanished page records: a `removed` change when it had versions,
/// else an error with the reason.
pub(super) fn gone_decision(recent: &Recent, nothing: &Capture, reason: &str) -> StoreDecision {
    match recent.versions.first() {
        None => StoreDecision::Error {
            message: reason.to_string(),
        },
        Some(latest) => StoreDecision::Store {
            class: Some(ChangeClass::Removed),
            revert_of: None,
            alert_paused: false,
            summary: Some(summarize(&latest.fields(), &nothing.fields())),
        },
    }
}

/// What alerts say about a target.
#[derive(Debug, Clone)]
pub(super) struct Labels {
    pub url: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub source: Option<String>,
}

impl Labels {
    /// The `target.recovered` deliveries.
    pub fn recovered(&self, alerter: &Alerter) -> Vec<NewDelivery> {
        alerter.target_deliveries(
            "target.recovered",
            &self.url,
            self.name.as_deref(),
            &self.tags,
            self.source.as_deref(),
            serde_json::json!({}),
        )
    }

    /// The `target.failing` deliveries.
    pub fn failing(&self, alerter: &Alerter, failures: u32, error: &str) -> Vec<NewDelivery> {
        alerter.target_deliveries(
            "target.failing",
            &self.url,
            self.name.as_deref(),
            &self.tags,
            self.source.as_deref(),
            serde_json::json!({ "failures": failures, "error": error }),
        )
    }
}

/// The webhook deliveries a decision calls for.
pub(super) fn outbox_for(
    alerter: &Alerter,
    decision: &StoreDecision,
    recent: &Recent,
    capture: &Capture,
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
    let Some(latest) = recent.versions.first() else {
        return Vec::new();
    };
    alerter.change_deliveries(
        &ChangeFacts {
            url: &labels.url,
            name: labels.name.as_deref(),
            from: (latest.number, latest.captured_at),
            to: (latest.number + 1, now),
            title_from: &latest.title,
            title_to: &capture.title,
            class: *class,
            revert_of: *revert_of,
            summary,
            tags: &labels.tags,
            source: labels.source.as_deref(),
        },
        *alert_paused,
    )
}

/// What a page that was read leaves behind.
#[derive(Debug, Clone)]
pub(super) struct PageFacts {
    /// Validators, body hash and rules of the page.
    pub cache: PageCache,
    /// The page's published time.
    pub published: Option<Timestamp>,
    /// When the target is due next.
    pub next: Next,
    /// Which versions keep their page.
    pub raw_html: RawHtmlPolicy,
}

/// The write and the outcome of a check that read a page.
pub(super) fn page_commit(
    b: Basis<'_>,
    decision: StoreDecision,
    capture: &Capture,
    page: PageFacts,
    deliveries: Vec<NewDelivery>,
) -> (CheckCommit, CaptureOutcome) {
    let latest = b.recent.latest;
    let mut version = None;
    let suspect = match &decision {
        StoreDecision::Suspect { kind, .. } => Some(*kind),
        _ => None,
    };
    let (status, number, error, outcome) = match decision {
        StoreDecision::Unchanged => (
            CheckStatus::Unchanged,
            latest,
            None,
            CaptureOutcome::Unchanged {
                version: latest.unwrap_or(0),
            },
        ),
        StoreDecision::Suspect { reason, .. } => (
            CheckStatus::Suspect,
            latest,
            Some(reason.clone()),
            CaptureOutcome::Suspect {
                reason,
                version: latest,
            },
        ),
        StoreDecision::Error { message } => (
            CheckStatus::Error,
            None,
            Some(message.clone()),
            CaptureOutcome::Failed { message },
        ),
        StoreDecision::Store {
            class,
            revert_of,
            alert_paused,
            summary,
        } => {
            let number = latest.map_or(1, |n| n + 1);
            let (status, outcome) = match (latest, &summary) {
                (Some(from), Some(summary)) => (
                    CheckStatus::Changed,
                    CaptureOutcome::Changed {
                        from,
                        to: number,
                        title: capture.title.clone(),
                        summary: summary.clone(),
                        class: class.unwrap_or(ChangeClass::Substantive),
                        revert_of,
                        alert_paused,
                    },
                ),
                _ => (CheckStatus::New, CaptureOutcome::New { version: number }),
            };
            version = Some(NewVersion {
                capture: capture.clone(),
                class,
                revert_of,
                alert_paused,
                diff: summary.filter(|_| latest.is_some()),
                raw_html: page.raw_html,
            });
            (status, Some(number), None, outcome)
        }
    };
    let mut row = b.row(status, number, error.clone());
    row.suspect = suspect;
    row.seen = (status != CheckStatus::Error).then(|| Seen {
        published: capture.published.clone(),
        modified: capture.modified.clone(),
        hash: capture.hash,
    });
    // Validators and the body hash describe the latest version's page, so
    // they are kept only when this page stored or matched it.
    let keep = matches!(
        status,
        CheckStatus::New | CheckStatus::Unchanged | CheckStatus::Changed
    );
    let failed = status == CheckStatus::Error;
    let update = TargetUpdate {
        // A suspect check is not an error of the target, but it is news: it
        // stays visible as the last error until a good check clears it.
        last_error: error,
        changed: status == CheckStatus::Changed,
        failures: if failed { b.recent.failures + 1 } else { 0 },
        misses: 0,
        failing_alerted: b.recent.failing_alerted && failed,
        cache: CacheUpdate::Replace(if keep {
            PageCache {
                fetched_at: None,
                ..page.cache.clone()
            }
        } else {
            PageCache::default()
        }),
        published_at: page.published.filter(|_| keep),
        full_fetch_at: page.cache.fetched_at,
    };
    (
        b.commit(row, version, deliveries, update, page.next),
        outcome,
    )
}

/// The write and the outcome of a check whose page is known to be the
/// latest version's without reading it (a `304`, or the same bytes);
/// `None` when there is no version to match (its history was purged).
pub(super) fn unchanged_commit(
    b: Basis<'_>,
    cache: &PageCache,
    next: Next,
    deliveries: Vec<NewDelivery>,
) -> Option<(CheckCommit, CaptureOutcome)> {
    let version = b.recent.latest?;
    let update = TargetUpdate {
        last_error: None,
        changed: false,
        failures: 0,
        misses: 0,
        failing_alerted: false,
        cache: CacheUpdate::Refresh {
            etag: cache.etag.clone(),
            last_modified: cache.last_modified.clone(),
        },
        published_at: None,
        full_fetch_at: cache.fetched_at,
    };
    let row = b.row(CheckStatus::Unchanged, Some(version), None);
    Some((
        b.commit(row, None, deliveries, update, next),
        CaptureOutcome::Unchanged { version },
    ))
}

/// The write of a failed check: the error, the streaks (`misses` counts
/// this check's `404`), no validators, and `failing` deliveries when this
/// failure is the one that reports the target.
pub(super) fn failure_commit(
    b: Basis<'_>,
    error: &str,
    misses: u32,
    next: Next,
    failing: Vec<NewDelivery>,
    failing_sent: bool,
) -> CheckCommit {
    let update = TargetUpdate {
        last_error: Some(error.to_string()),
        changed: false,
        failures: b.recent.failures + 1,
        misses,
        failing_alerted: b.recent.failing_alerted || failing_sent,
        cache: CacheUpdate::Clear,
        published_at: None,
        full_fetch_at: None,
    };
    let row = b.row(CheckStatus::Error, None, Some(error.to_string()));
    b.commit(row, None, failing, update, next)
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
