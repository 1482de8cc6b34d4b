//! The behaviour every store backend must have, checked through the
//! storage traits only (no SQL, no backend internals), so the same suite
//! runs against SQLite today and a second backend when it comes: claims
//! lease each target once, a check's commit is all or nothing and refused
//! when based on a stale read, failure streaks, suspect kinds, the alert
//! outbox, what reports read back (history, versions, changes, targets)
//! and what an operator and discovery change (sources, polls, removal).

use std::sync::Arc;
use std::time::Duration;

use super::{ClaimRequest, DueRequest, Storage, StoreError};
use crate::detect::SuspectKind;
use crate::model::{
    CacheUpdate, Capture, CheckCommit, CheckFacts, CheckRow, CheckStatus, ContentHash, NewDelivery,
    NewVersion, Next, PageCache, RawHtmlPolicy, Recent, RecentCheck, Seen, Target, TargetSettings,
    TargetUpdate, TargetUrl, Timestamp,
};
use crate::model::{Closed, Discovered, HostRules, SourceKind, SourceSettings, TargetState};

/// Runs every behaviour against fresh stores made by `fresh`.
pub(crate) async fn run_all(fresh: impl Fn() -> Arc<dyn Storage>) {
    claims_lease_each_target_once(fresh()).await;
    a_commit_is_all_or_nothing_and_refused_when_stale(fresh()).await;
    failures_count_and_clear(fresh()).await;
    suspect_checks_keep_their_kind(fresh()).await;
    the_outbox_delivers_in_order_and_retries_when_told(fresh()).await;
    reports_read_back_what_checks_committed(fresh()).await;
    sources_add_poll_and_remove(fresh()).await;
    removing_a_target_keeps_or_purges_its_history(fresh()).await;
    the_search_index_names_every_article_that_held_a_phrase(fresh()).await;
    captures_come_back_with_their_exchanges(fresh()).await;
    host_gates_hold_concurrency_gaps_and_retry_after(fresh()).await;
}

async fn target(s: &dyn Storage, url: &str, at: i64) -> Target {
    let settings = TargetSettings::new(TargetUrl::parse(url).unwrap());
    s.add_target(settings, Timestamp(at)).await.unwrap().0
}

fn capture(text: &str) -> Capture {
    let mut c = Capture {
        title: "Budget passes".into(),
        text: text.into(),
        byline: None,
        published: None,
        modified: None,
        canonical: None,
        description: None,
        hash: ContentHash([0; 32]),
        final_url: "https://news.example/a".into(),
        raw_html: format!("<html><p>{text}</p></html>").into_bytes(),
    };
    c.hash = ContentHash(c.fields().hash());
    c
}

/// A good check at `t`: a new version when `version` is given.
fn commit(t: &Target, recent: &Recent, at: i64, version: Option<Capture>) -> CheckCommit {
    let status = match (&version, recent.latest) {
        (Some(_), None) => CheckStatus::New,
        (Some(_), Some(_)) => CheckStatus::Changed,
        (None, _) => CheckStatus::Unchanged,
    };
    CheckCommit {
        target: t.id,
        lease: None,
        based_on: recent.latest,
        check: CheckRow {
            facts: CheckFacts {
                started_at: Timestamp(at),
                duration: Duration::from_millis(30),
                http_status: Some(200),
                bytes: Some(100),
                exchange: None,
            },
            status,
            version: version
                .as_ref()
                .map(|_| recent.latest.map_or(1, |n| n + 1))
                .or(recent.latest),
            error: None,
            suspect: None,
            seen: version.as_ref().map(|c| Seen {
                published: None,
                modified: None,
                hash: c.hash,
            }),
        },
        version: version.map(|capture| NewVersion {
            diff: recent
                .versions
                .first()
                .map(|prev| crate::diff::summarize(&prev.fields(), &capture.fields())),
            capture,
            class: None,
            revert_of: None,
            alert_paused: false,
            raw_html: RawHtmlPolicy::All,
        }),
        deliveries: Vec::new(),
        update: TargetUpdate {
            last_error: None,
            changed: status == CheckStatus::Changed,
            failures: 0,
            misses: 0,
            failing_alerted: false,
            cache: CacheUpdate::Replace(PageCache::default()),
            published_at: None,
            full_fetch_at: Some(Timestamp(at)),
        },
        next: Next::At(Timestamp(at + 60_000)),
    }
}

async fn captures_come_back_with_their_exchanges(s: Arc<dyn Storage>) {
    use crate::model::{CaptureKind, Exchange};
    let t = target(&*s, "https://news.example/x", 0).await;
    let exchange = |at: i64| Exchange {
        url: "https://news.example/x".into(),
        request_head: format!("GET /x HTTP/1.1\r\nhost: news.example\r\nx-at: {at}"),
        response_head: "HTTP/1.1 200 OK\r\ncontent-type: text/html".into(),
        payload_sha256: Some([at as u8; 32]),
        ip: Some(std::net::Ipv4Addr::LOCALHOST.into()),
    };
    for (at, text) in [
        (1_000, Some("First.")),
        (2_000, None),
        (3_000, Some("Second.")),
    ] {
        let recent = s.recent(t.id, 1, None).await.unwrap();
        let mut c = commit(&t, &recent, at, text.map(capture));
        c.check.facts.exchange = Some(exchange(at));
        s.commit_check(c).await.unwrap();
    }
    let all = s.captures(t.id, None, None).await.unwrap();
    let kinds: Vec<CaptureKind> = all.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            CaptureKind::Version(1),
            CaptureKind::Unchanged(1),
            CaptureKind::Version(2)
        ]
    );
    assert_eq!(
        all[1].at,
        Timestamp(2_000),
        "an unchanged capture is dated by its check"
    );
    assert_eq!(all[1].exchange, Some(exchange(2_000)));
    assert_eq!(
        all[2].exchange,
        Some(exchange(3_000)),
        "a version has its own check's"
    );
    assert_eq!(all[0].status, Some(200));
    let window = s
        .captures(t.id, Some(Timestamp(1_500)), Some(Timestamp(2_500)))
        .await
        .unwrap();
    assert_eq!(window.len(), 1, "from inclusive, until exclusive");
    assert_eq!(window[0].kind, CaptureKind::Unchanged(1));
}

async fn claims_lease_each_target_once(s: Arc<dyn Storage>) {
    for (i, url) in [
        "https://a.example/1",
        "https://b.example/1",
        "https://c.example/1",
    ]
    .iter()
    .enumerate()
    {
        target(&*s, url, i as i64).await;
    }
    let due = s
        .due_candidates(DueRequest {
            now: Timestamp(10),
            limit: 10,
            skip_hosts: vec!["c.example".into()],
        })
        .await
        .unwrap();
    let urls: Vec<&str> = due.iter().map(|t| t.url.as_str()).collect();
    assert_eq!(urls, ["https://a.example/1", "https://b.example/1"]);
    let request = ClaimRequest {
        targets: due.iter().map(|t| (t.id, t.next_check_at)).collect(),
        lease_until: Timestamp(5_000),
    };
    assert_eq!(s.claim(request.clone()).await.unwrap().len(), 2);
    // The same claim again, as a second worker with the same read would
    // make it: nothing is handed out twice.
    assert!(s.claim(request).await.unwrap().is_empty());
    let b = s.backlog(Timestamp(10)).await.unwrap();
    assert_eq!((b.due, b.active), (1, 3), "only the skipped one is due");
    assert_eq!(s.next_due_at().await.unwrap(), Some(Timestamp(2)));
}

async fn a_commit_is_all_or_nothing_and_refused_when_stale(s: Arc<dyn Storage>) {
    let t = target(&*s, "https://news.example/a", 0).await;
    let first = capture("The council approved the budget.");
    let recent = s
        .recent(t.id, 6, Some(Arc::new(first.clone())))
        .await
        .unwrap();
    assert_eq!(recent.latest, None);
    s.commit_check(commit(&t, &recent, 1_000, Some(first.clone())))
        .await
        .unwrap();
    let edited = capture("The council rejected the budget.");
    let stale = recent;
    let recent = s
        .recent(t.id, 6, Some(Arc::new(edited.clone())))
        .await
        .unwrap();
    assert_eq!(recent.latest, Some(1));
    assert_eq!(recent.versions[0].text, first.text);
    // Based on the read before version 1: refused, nothing written.
    let err = s
        .commit_check(commit(&t, &stale, 2_000, Some(edited.clone())))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { retry: true, .. }),
        "{err}"
    );
    // Under a lease the target no longer has: refused for good.
    let mut leased = commit(&t, &recent, 2_000, Some(edited.clone()));
    leased.lease = Some(Timestamp(123));
    let err = s.commit_check(leased).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { retry: false, .. }),
        "{err}"
    );
    let after = s.recent(t.id, 6, None).await.unwrap();
    assert_eq!(after.latest, Some(1), "no version from refused commits");
    // Based on the current read: version 2, with its text.
    s.commit_check(commit(&t, &recent, 3_000, Some(edited.clone())))
        .await
        .unwrap();
    let after = s.recent(t.id, 6, Some(Arc::new(first))).await.unwrap();
    assert_eq!(after.latest, Some(2));
    let texts: Vec<&str> = after.versions.iter().map(|v| v.text.as_str()).collect();
    assert_eq!(
        texts,
        [edited.text.as_str(), "The council approved the budget."]
    );
}

async fn failures_count_and_clear(s: Arc<dyn Storage>) {
    let t = target(&*s, "https://news.example/b", 0).await;
    for n in 1..=3u32 {
        let recent = s.recent(t.id, 0, None).await.unwrap();
        assert_eq!(recent.failures, n - 1);
        let mut failed = commit(&t, &recent, i64::from(n) * 1_000, None);
        failed.check.status = CheckStatus::Error;
        failed.check.version = None;
        failed.check.error = Some("timed out".into());
        failed.update.last_error = Some("timed out".into());
        failed.update.failures = recent.failures + 1;
        failed.update.failing_alerted = n == 3;
        failed.update.cache = CacheUpdate::Clear;
        s.commit_check(failed).await.unwrap();
    }
    let recent = s.recent(t.id, 0, None).await.unwrap();
    assert_eq!((recent.failures, recent.failing_alerted), (3, true));
    s.commit_check(commit(&t, &recent, 9_000, Some(capture("Back."))))
        .await
        .unwrap();
    let recent = s.recent(t.id, 0, None).await.unwrap();
    assert_eq!((recent.failures, recent.failing_alerted), (0, false));
}

async fn suspect_checks_keep_their_kind(s: Arc<dyn Storage>) {
    let t = target(&*s, "https://news.example/s", 0).await;
    let first = capture("The council met.");
    let recent = s.recent(t.id, 0, None).await.unwrap();
    s.commit_check(commit(&t, &recent, 1_000, Some(first.clone())))
        .await
        .unwrap();
    let wall = capture("Just a moment");
    for (n, kind) in [
        SuspectKind::Shrunk,
        SuspectKind::Blocked,
        SuspectKind::Blocked,
    ]
    .into_iter()
    .enumerate()
    {
        let recent = s
            .recent(t.id, 1, Some(Arc::new(wall.clone())))
            .await
            .unwrap();
        let mut suspect = commit(&t, &recent, 2_000 + n as i64, None);
        suspect.check.status = CheckStatus::Suspect;
        suspect.check.suspect = Some(kind);
        suspect.check.error = Some(format!("{}: why", kind.tag()));
        suspect.check.seen = Some(Seen {
            published: None,
            modified: None,
            hash: if n == 2 { wall.hash } else { first.hash },
        });
        s.commit_check(suspect).await.unwrap();
    }
    let recent = s.recent(t.id, 1, Some(Arc::new(wall))).await.unwrap();
    let got: Vec<RecentCheck> = recent.checks.into_iter().collect();
    let want = [
        (Some(SuspectKind::Blocked), true),
        (Some(SuspectKind::Blocked), false),
        (Some(SuspectKind::Shrunk), false),
        (None, false),
    ]
    .map(|(suspect, same_text)| RecentCheck { suspect, same_text });
    assert_eq!(
        got, want,
        "newest first, with kind and whether each saw the capture's text"
    );
}

async fn the_outbox_delivers_in_order_and_retries_when_told(s: Arc<dyn Storage>) {
    let t = target(&*s, "https://news.example/c", 0).await;
    let recent = s.recent(t.id, 0, None).await.unwrap();
    let mut c = commit(&t, &recent, 1_000, Some(capture("Text.")));
    c.deliveries = ["one", "two"]
        .map(|id| NewDelivery {
            id: id.into(),
            sink: "hook".into(),
            event: "article.changed".into(),
            payload: format!("{{\"id\":\"{id}\"}}"),
        })
        .to_vec();
    s.commit_check(c).await.unwrap();
    // One target's alerts go out in the order queued, one at a time.
    let due = s.due_deliveries(Timestamp(1_000), 10).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["one"]);
    assert_eq!(due[0].url, "https://news.example/c");
    s.mark_delivered(due[0].seq, Timestamp(1_100))
        .await
        .unwrap();
    let due = s.due_deliveries(Timestamp(1_100), 10).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["two"], "delivered once, then the next");
    assert_eq!(
        s.delivery_counts().await.unwrap(),
        [
            (crate::model::DeliveryState::Delivered, 1),
            (crate::model::DeliveryState::Pending, 1)
        ]
    );
    s.mark_attempt_failed(due[0].seq, Some(Timestamp(5_000)), "HTTP 500".into())
        .await
        .unwrap();
    assert!(
        s.due_deliveries(Timestamp(4_999), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = s.due_deliveries(Timestamp(5_000), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id.as_str(), again[0].attempts), ("two", 1));
    assert_eq!(s.next_delivery_at().await.unwrap(), Some(Timestamp(5_000)));
}

async fn reports_read_back_what_checks_committed(s: Arc<dyn Storage>) {
    let t = target(&*s, "https://news.example/h", 0).await;
    let texts = ["The council met.", "The council met on Monday and voted."];
    for (i, text) in texts.iter().enumerate() {
        let recent = s.recent(t.id, 1, None).await.unwrap();
        let at = 1_000 * (i as i64 + 1);
        s.commit_check(commit(&t, &recent, at, Some(capture(text))))
            .await
            .unwrap();
    }
    let url = TargetUrl::parse("https://news.example/h").unwrap();
    let found = s.target_by_url(url).await.unwrap().expect("watched");
    assert_eq!(found.id, t.id);
    let history = s.history(t.id).await.unwrap();
    let numbers: Vec<u32> = history.iter().map(|h| h.version).collect();
    assert_eq!(numbers, [1, 2], "oldest first");
    assert_eq!((history[1].added, history[1].removed), (Some(4), Some(0)));
    let latest = s.version(t.id, None).await.unwrap().unwrap();
    assert_eq!((latest.number, latest.text.as_str()), (2, texts[1]));
    let first = s.version(t.id, Some(1)).await.unwrap().unwrap();
    assert_eq!(first.text, texts[0]);
    assert!(s.version(t.id, Some(3)).await.unwrap().is_none());
    let changes = s.stored_changes(t.id, 2).await.unwrap().unwrap();
    assert!(!changes.is_empty(), "version 2 keeps its diff");
    assert!(s.stored_changes(t.id, 1).await.unwrap().is_none());
    let page = s.raw_html(t.id, 2).await.unwrap().unwrap();
    assert_eq!(
        page,
        capture(texts[1]).raw_html,
        "the page comes back whole"
    );
    let since = s.changes_since(Timestamp(1_500)).await.unwrap();
    assert_eq!(since.len(), 1);
    assert_eq!((since[0].from, since[0].to), (1, 2));
    assert!(s.changes_since(Timestamp(2_001)).await.unwrap().is_empty());
    let listed = s.list_targets().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].versions, 2);
    assert_eq!(s.active_targets().await.unwrap().len(), 1);
    let second = target(&*s, "https://news.example/i", 0).await;
    let first = s.active_targets_after(None, 1).await.unwrap();
    assert_eq!(first.iter().map(|t| t.id).collect::<Vec<_>>(), [t.id]);
    let next = s.active_targets_after(Some(t.id), 10).await.unwrap();
    assert_eq!(next.iter().map(|t| t.id).collect::<Vec<_>>(), [second.id]);
    assert!(
        s.active_targets_after(Some(second.id), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn sources_add_poll_and_remove(s: Arc<dyn Storage>) {
    let url = TargetUrl::parse("https://news.example/feed.xml").unwrap();
    let settings = SourceSettings {
        max_new_per_poll: 1,
        ..Default::default()
    };
    let new = s
        .add_source(url.clone(), SourceKind::Feed, settings, Timestamp(0))
        .await
        .unwrap();
    assert!(new);
    let source = s.source_by_url(url.clone()).await.unwrap().unwrap();
    assert_eq!(source.kind, SourceKind::Feed);
    let claimed = s
        .claim_due_sources(Timestamp(0), 10, Timestamp(500))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        s.claim_due_sources(Timestamp(0), 10, Timestamp(500))
            .await
            .unwrap()
            .is_empty(),
        "a claimed source is leased"
    );
    let links = ["https://news.example/a1", "https://news.example/a2"].map(|u| {
        let url = TargetUrl::parse(u).unwrap();
        Discovered {
            key: crate::model::canon::key(url.as_url()),
            url,
            published: None,
        }
    });
    let report = s
        .record_poll(
            source.clone(),
            Timestamp(1),
            Timestamp(100),
            PageCache::default(),
            links.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(report.created, ["https://news.example/a1"]);
    assert_eq!(report.capped_per_poll, 1, "the cap per poll holds");
    let listed = s.list_sources().await.unwrap();
    assert_eq!((listed[0].articles, listed[0].active_articles), (1, 1));
    assert_eq!(s.next_poll_due().await.unwrap(), Some(Timestamp(100)));
    s.record_poll_failure(source.id, Timestamp(100), Timestamp(400), "HTTP 500".into())
        .await
        .unwrap();
    let listed = s.list_sources().await.unwrap();
    assert_eq!(listed[0].last_error.as_deref(), Some("HTTP 500"));
    assert!(s.remove_source(url.clone()).await.unwrap());
    let gone = s.source_by_url(url).await.unwrap().unwrap();
    assert!(!gone.active, "a removed source stays, inactive");
    let found = TargetUrl::parse("https://news.example/a1").unwrap();
    let kept = s.target_by_url(found).await.unwrap().unwrap();
    assert_eq!(kept.state, TargetState::Active, "its articles stay watched");
}

async fn removing_a_target_keeps_or_purges_its_history(s: Arc<dyn Storage>) {
    for (url, purge) in [
        ("https://news.example/k", false),
        ("https://news.example/p", true),
    ] {
        let t = target(&*s, url, 0).await;
        let recent = s.recent(t.id, 1, None).await.unwrap();
        s.commit_check(commit(&t, &recent, 1_000, Some(capture("Text."))))
            .await
            .unwrap();
        let url = TargetUrl::parse(url).unwrap();
        assert!(s.remove_target(url.clone(), purge).await.unwrap());
        let after = s.target_by_url(url).await.unwrap();
        if purge {
            assert!(after.is_none(), "purged: gone with its history");
        } else {
            let after = after.expect("kept");
            assert_eq!(after.state, TargetState::Removed);
            assert_eq!(s.history(t.id).await.unwrap().len(), 1, "history kept");
        }
    }
    assert!(s.active_targets().await.unwrap().is_empty());
    let nobody = TargetUrl::parse("https://news.example/never").unwrap();
    assert!(!s.remove_target(nobody, false).await.unwrap());
}

async fn the_search_index_names_every_article_that_held_a_phrase(s: Arc<dyn Storage>) {
    let council = target(&*s, "https://news.example/council", 0).await;
    let vote = target(&*s, "https://news.example/vote", 0).await;
    let texts = ["The council met.", "The council met on Monday and voted."];
    for (i, text) in texts.iter().enumerate() {
        let recent = s.recent(council.id, 1, None).await.unwrap();
        let at = 1_000 * (i as i64 + 1);
        s.commit_check(commit(&council, &recent, at, Some(capture(text))))
            .await
            .unwrap();
    }
    let recent = s.recent(vote.id, 1, None).await.unwrap();
    s.commit_check(commit(
        &vote,
        &recent,
        1_000,
        Some(capture("Voted, on Monday.")),
    ))
    .await
    .unwrap();
    let ids = |targets: Vec<Target>| -> Vec<crate::model::TargetId> {
        let mut ids: Vec<_> = targets.into_iter().map(|t| t.id).collect();
        ids.sort_by_key(|id| id.0);
        ids
    };
    let find = |phrase: &str| {
        let words = phrase
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        s.phrase_targets(words)
    };
    assert_eq!(ids(find("monday and voted").await.unwrap()), [council.id]);
    assert_eq!(ids(find("MONDAY").await.unwrap()), [council.id, vote.id]);
    assert_eq!(
        ids(find("voted on").await.unwrap()),
        [council.id, vote.id],
        "every word, in any order (the order is the caller's to read)"
    );
    assert_eq!(
        ids(find("budget passes").await.unwrap()),
        [council.id, vote.id],
        "headlines too"
    );
    assert_eq!(ids(find("council voted").await.unwrap()), [council.id]);
    assert!(
        find("council friday").await.unwrap().is_empty(),
        "every word"
    );
    assert!(find("counc").await.unwrap().is_empty(), "whole words");
    assert!(
        find("\"OR\" NOT council").await.unwrap().is_empty(),
        "no operators"
    );
    let versions = s.versions(council.id).await.unwrap();
    let got: Vec<(u32, &str)> = versions
        .iter()
        .map(|v| (v.number, v.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [(1, texts[0]), (2, texts[1])],
        "oldest first, whole texts"
    );
    // A purged article leaves the index.
    assert!(
        s.remove_target(
            TargetUrl::parse("https://news.example/council").unwrap(),
            true
        )
        .await
        .unwrap()
    );
    assert_eq!(ids(find("monday").await.unwrap()), [vote.id]);
    assert!(find("council").await.unwrap().is_empty());
}

async fn host_gates_hold_concurrency_gaps_and_retry_after(s: Arc<dyn Storage>) {
    let two = HostRules {
        concurrency: 2,
        gap: Duration::ZERO,
        robots_txt: true,
    };
    assert_eq!(s.try_take("a.example", two).await.unwrap(), Ok(()));
    assert_eq!(s.try_take("a.example", two).await.unwrap(), Ok(()));
    assert_eq!(
        s.try_take("a.example", two).await.unwrap(),
        Err(Closed::Full)
    );
    assert_eq!(
        s.try_take("b.example", two).await.unwrap(),
        Ok(()),
        "per host"
    );
    let (closed, _) = s.closed_hosts().await.unwrap();
    assert_eq!(closed, ["a.example"]);
    s.give_back("a.example");
    assert_eq!(s.try_take("a.example", two).await.unwrap(), Ok(()));
    // A long gap: the next slot waits for it, and so does the next send.
    let paced = HostRules {
        concurrency: 5,
        gap: Duration::from_secs(3600),
        robots_txt: true,
    };
    assert_eq!(s.try_take("c.example", paced).await.unwrap(), Ok(()));
    match s.try_take("c.example", paced).await.unwrap() {
        Err(Closed::For(wait)) => assert!(wait > Duration::from_secs(3500), "{wait:?}"),
        other => panic!("the gap did not hold: {other:?}"),
    }
    assert_eq!(s.send_wait("c.example", paced.gap).await.unwrap(), None);
    let wait = s.send_wait("c.example", paced.gap).await.unwrap();
    assert!(
        wait.is_some_and(|w| w > Duration::from_secs(3500)),
        "{wait:?}"
    );
    let (closed, opens) = s.closed_hosts().await.unwrap();
    assert!(closed.contains(&"c.example".to_string()));
    assert!(opens.is_some_and(|o| o > Duration::from_secs(3500)));
    // Retry-After closes a host that had room.
    s.hold("b.example", Duration::from_secs(120)).await.unwrap();
    match s.try_take("b.example", two).await.unwrap() {
        Err(Closed::For(wait)) => assert!(wait > Duration::from_secs(100), "{wait:?}"),
        other => panic!("the hold did not close the host: {other:?}"),
    }
    assert!(
        s.send_wait("b.example", Duration::ZERO)
            .await
            .unwrap()
            .is_some()
    );
}
