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
use crate::model::{
    CacheUpdate, Capture, CaptureOutcome, CheckCommit, CheckFacts, CheckRow, CheckStatus,
    NewDelivery, NewVersion, Next, PageCache, RawHtmlPolicy, Recent, Seen, StoreDecision, TargetId,
    TargetUpdate, Timestamp,
};

/// A page made ready for the store: the capture, and how detection sees it.
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    pub capture: Capture,
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
    let (status, number, error, outcome) = match decision {
        StoreDecision::Unchanged => (
            CheckStatus::Unchanged,
            latest,
            None,
            CaptureOutcome::Unchanged {
                version: latest.unwrap_or(0),
            },
        ),
        StoreDecision::Suspect { reason } => (
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
mod tests {
    use super::*;
    use crate::model::{ContentHash, Version};

    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(86_400);
    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    const TEXT: &str = "The council approved the budget on Tuesday after a long debate.\n\nMembers voted nine to two in favour of the plan.";

    fn capture(title: &str, text: &str) -> Capture {
        let mut c = Capture {
            title: title.into(),
            text: text.into(),
            byline: None,
            published: Some("2026-11-29T08:00:00Z".into()),
            modified: None,
            canonical: None,
            description: None,
            hash: ContentHash([0; 32]),
            final_url: "https://news.example/a".into(),
            raw_html: b"<html></html>".to_vec(),
        };
        c.hash = ContentHash(c.fields().hash());
        c
    }

    fn article(title: &str, text: &str) -> Prepared {
        Prepared {
            capture: capture(title, text),
            nothing: None,
        }
    }

    fn nothing(why: &str) -> Prepared {
        Prepared {
            capture: capture("", ""),
            nothing: Some(why.into()),
        }
    }

    fn version(number: u32, title: &str, text: &str) -> Version {
        Version {
            number,
            captured_at: Timestamp(NOW.0 - i64::from(10 - number) * 3_600_000),
            title: title.into(),
            text: text.into(),
            words: crate::text::word_count(text) as u64,
            byline: None,
            published: None,
            modified: None,
            canonical: None,
            description: None,
            class: None,
            revert_of: None,
            alert_paused: false,
        }
    }

    /// What a check read: `versions` newest first.
    fn recent(versions: Vec<Version>) -> Recent {
        Recent {
            latest: versions.first().map(|v| v.number),
            versions,
            url: "https://news.example/a".into(),
            ..Recent::default()
        }
    }

    fn facts() -> CheckFacts {
        CheckFacts {
            started_at: NOW,
            duration: Duration::from_millis(40),
            http_status: Some(200),
            bytes: Some(12_000),
        }
    }

    fn page() -> PageFacts {
        PageFacts {
            cache: PageCache {
                etag: Some("\"e1\"".into()),
                last_modified: None,
                body_hash: Some([7; 32]),
                rules: Some(11),
                fetched_at: Some(NOW),
            },
            published: Some(Timestamp(NOW.0 - 3_600_000)),
            next: Next::At(NOW.plus(HOUR)),
            raw_html: RawHtmlPolicy::All,
        }
    }

    /// Classifies and builds the write as the checker does.
    fn run(p: &Prepared, r: &Recent) -> (CheckCommit, CaptureOutcome) {
        let decision = classify(&Policy::default(), p, r);
        let f = facts();
        let basis = Basis {
            target: TargetId(4),
            lease: Some(NOW),
            facts: &f,
            recent: r,
        };
        page_commit(basis, decision, &p.capture, page(), Vec::new())
    }

    #[test]
    fn a_first_article_is_version_one_and_keeps_the_page_cache() {
        let (commit, outcome) = run(&article("Budget passes", TEXT), &recent(Vec::new()));
        assert!(matches!(outcome, CaptureOutcome::New { version: 1 }));
        assert_eq!(commit.based_on, None);
        assert_eq!(commit.lease, Some(NOW));
        assert_eq!(commit.check.status, CheckStatus::New);
        assert_eq!(commit.check.version, Some(1));
        let v = commit.version.expect("a version to store");
        assert_eq!((v.class, v.diff.is_some()), (None, false));
        assert_eq!(v.capture.title, "Budget passes");
        assert!(!commit.update.changed);
        match &commit.update.cache {
            CacheUpdate::Replace(c) => {
                assert_eq!(c.etag.as_deref(), Some("\"e1\""));
                assert_eq!(c.body_hash, Some([7; 32]));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(commit.update.full_fetch_at, Some(NOW));
        assert!(commit.update.published_at.is_some());
        let seen = commit.check.seen.expect("the dates it saw");
        assert_eq!(seen.published.as_deref(), Some("2026-11-29T08:00:00Z"));
    }

    #[test]
    fn no_article_on_a_first_check_is_an_error_not_a_version() {
        let (commit, outcome) = run(&nothing("no article found"), &recent(Vec::new()));
        assert!(matches!(outcome, CaptureOutcome::Failed { .. }));
        assert_eq!(commit.check.status, CheckStatus::Error);
        assert!(commit.version.is_none());
        assert_eq!(commit.check.seen, None);
        assert_eq!(commit.update.failures, 1);
        assert_eq!(
            commit.update.last_error.as_deref(),
            Some("no article found")
        );
        // The page is no version's: no validators for next time.
        assert_eq!(
            commit.update.cache,
            CacheUpdate::Replace(PageCache::default())
        );
    }

    #[test]
    fn the_same_wording_is_unchanged_and_stores_nothing() {
        let r = recent(vec![version(3, "Budget passes", TEXT)]);
        let (commit, outcome) = run(&article("Budget passes", TEXT), &r);
        assert!(matches!(outcome, CaptureOutcome::Unchanged { version: 3 }));
        assert_eq!(commit.check.status, CheckStatus::Unchanged);
        assert_eq!(commit.check.version, Some(3));
        assert!(commit.version.is_none());
        assert_eq!(commit.based_on, Some(3));
    }

    #[test]
    fn an_edit_is_the_next_version_with_its_diff() {
        let r = recent(vec![version(2, "Budget passes", TEXT)]);
        let edited = TEXT.replace("nine to two", "eight to three");
        let (commit, outcome) = run(&article("Budget passes", &edited), &r);
        let CaptureOutcome::Changed {
            from, to, summary, ..
        } = outcome
        else {
            panic!("{outcome:?}")
        };
        assert_eq!((from, to), (2, 3));
        // "nine" and "two" out, "eight" and "three" in.
        assert_eq!((summary.added, summary.removed), (2, 2));
        assert_eq!(commit.check.status, CheckStatus::Changed);
        assert_eq!(commit.check.version, Some(3));
        assert!(commit.update.changed);
        let v = commit.version.expect("a version");
        assert!(v.class.is_some() && v.diff.is_some());
    }

    #[test]
    fn wording_that_comes_back_is_a_revert_of_the_earlier_version() {
        let edited = TEXT.replace("Tuesday", "Wednesday");
        let r = recent(vec![
            version(2, "Budget passes", &edited),
            version(1, "Budget passes", TEXT),
        ]);
        let (commit, outcome) = run(&article("Budget passes", TEXT), &r);
        assert!(
            matches!(
                outcome,
                CaptureOutcome::Changed {
                    from: 2,
                    to: 3,
                    revert_of: Some(1),
                    ..
                }
            ),
            "{outcome:?}"
        );
        assert_eq!(commit.version.and_then(|v| v.revert_of), Some(1));
    }

    #[test]
    fn an_empty_page_after_versions_is_suspect_until_it_persists() {
        let r = recent(vec![version(1, "Budget passes", TEXT)]);
        let (commit, outcome) = run(&nothing("no article found"), &r);
        let CaptureOutcome::Suspect { reason, version } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(version, Some(1));
        assert!(reason.starts_with(SuspectKind::Empty.tag()), "{reason}");
        assert_eq!(commit.check.status, CheckStatus::Suspect);
        assert!(commit.version.is_none());
        // Not a failure of the target, but visible, and no validators.
        assert_eq!(commit.update.failures, 0);
        assert_eq!(commit.update.last_error, Some(reason));
        assert_eq!(
            commit.update.cache,
            CacheUpdate::Replace(PageCache::default())
        );
    }

    #[test]
    fn a_match_without_reading_needs_a_version_and_clears_the_streaks() {
        let f = facts();
        let none = recent(Vec::new());
        let basis = |r| Basis {
            target: TargetId(4),
            lease: None,
            facts: &f,
            recent: r,
        };
        let cache = PageCache {
            etag: Some("\"e2\"".into()),
            ..PageCache::default()
        };
        assert!(unchanged_commit(basis(&none), &cache, Next::At(NOW), Vec::new()).is_none());
        let mut r = recent(Vec::new());
        r.latest = Some(5);
        r.failures = 3;
        r.failing_alerted = true;
        let (commit, outcome) =
            unchanged_commit(basis(&r), &cache, Next::At(NOW), Vec::new()).unwrap();
        assert!(matches!(outcome, CaptureOutcome::Unchanged { version: 5 }));
        assert_eq!((commit.update.failures, commit.update.misses), (0, 0));
        assert!(!commit.update.failing_alerted);
        assert_eq!(
            commit.update.cache,
            CacheUpdate::Refresh {
                etag: Some("\"e2\"".into()),
                last_modified: None
            }
        );
    }

    #[test]
    fn failures_count_up_and_the_failing_report_is_sent_once() {
        let f = facts();
        let mut r = recent(Vec::new());
        r.failures = 2;
        let basis = Basis {
            target: TargetId(4),
            lease: None,
            facts: &f,
            recent: &r,
        };
        let c = failure_commit(
            basis,
            "timed out",
            0,
            Next::At(NOW.plus(DAY)),
            Vec::new(),
            true,
        );
        assert_eq!(c.update.failures, 3);
        assert!(c.update.failing_alerted);
        assert_eq!(c.update.cache, CacheUpdate::Clear);
        assert_eq!(c.check.status, CheckStatus::Error);
        assert_eq!(c.check.error.as_deref(), Some("timed out"));
        assert!(failing_due(3, false, 3));
        assert!(!failing_due(2, false, 3), "not yet");
        assert!(!failing_due(4, true, 3), "already sent");
    }

    #[test]
    fn a_page_is_gone_at_410_or_after_enough_404s() {
        assert!(gone_reason(410, 1, 3).is_some());
        assert!(gone_reason(404, 2, 3).is_none());
        assert!(gone_reason(404, 3, 3).unwrap().contains("3 times"));
        assert!(gone_reason(500, 9, 3).is_none());
        // Gone with versions: a removal; without: an error.
        let blank = capture("", "");
        assert!(matches!(
            gone_decision(&recent(Vec::new()), &blank, "gone"),
            StoreDecision::Error { .. }
        ));
        let r = recent(vec![version(1, "Budget passes", TEXT)]);
        assert!(matches!(
            gone_decision(&r, &blank, "gone"),
            StoreDecision::Store {
                class: Some(ChangeClass::Removed),
                summary: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn validators_expire_after_revalidate_after() {
        let mut cache = PageCache {
            etag: Some("\"v1\"".into()),
            rules: Some(5),
            fetched_at: Some(Timestamp(NOW.0 - 3_600_000)),
            ..PageCache::default()
        };
        assert!(conditional_allowed(&cache, 5, NOW, DAY));
        // Other rules: the page must be read again.
        assert!(!conditional_allowed(&cache, 6, NOW, DAY));
        // The last full fetch is older than revalidate_after.
        assert!(!conditional_allowed(&cache, 5, NOW, HOUR / 2));
        // Never fetched in full (an old database): fetch in full.
        cache.fetched_at = None;
        assert!(!conditional_allowed(&cache, 5, NOW, DAY));
    }
}
