//! The decisions of a check, on records written for the purpose.

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
        capture: std::sync::Arc::new(capture(title, text)),
        nothing: None,
    }
}

fn nothing(why: &str) -> Prepared {
    Prepared {
        capture: std::sync::Arc::new(capture("", "")),
        nothing: Some(why.into()),
    }
}

fn version(number: u32, title: &str, text: &str) -> Version {
    Version::plain(
        number,
        Timestamp(NOW.0 - i64::from(10 - number) * 3_600_000),
        title,
        text,
    )
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
        exchange: None,
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
    let (commit, outcome) = unchanged_commit(basis(&r), &cache, Next::At(NOW), Vec::new()).unwrap();
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

#[test]
fn only_discovered_targets_are_kept_off_the_private_network() {
    use crate::fetch::Reach;
    assert_eq!(reach_for(true, false), Reach::Public);
    assert_eq!(reach_for(true, true), Reach::Any, "the config allows it");
    assert_eq!(reach_for(false, false), Reach::Any, "a person added it");
    assert_eq!(reach_for(false, true), Reach::Any);
}
