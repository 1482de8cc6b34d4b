//! Store behaviour, through the SQLite backend.

use super::*;
use crate::detect::ChangeClass;
use std::time::Duration;

use crate::model::{
    CacheUpdate, Capture, CaptureOutcome, ChangeQuery, CheckCommit, CheckFacts, CheckRow,
    CheckStatus, NewVersion, Next, PageCache, RawHtmlPolicy, Recent, TargetId, TargetSettings,
    TargetState, TargetUpdate, TargetUrl, Timestamp,
};
use crate::store::StoreError;

pub(super) fn settings(url: &str) -> TargetSettings {
    TargetSettings::new(TargetUrl::parse(url).unwrap())
}

pub(super) fn capture(title: &str, text: &str) -> Capture {
    Capture {
        title: title.into(),
        text: text.into(),
        byline: None,
        published: None,
        modified: None,
        canonical: None,
        description: None,
        hash: crate::model::ContentHash::of(format!("{title}\0{text}").as_bytes()),
        final_url: "https://e.com/a".into(),
        raw_html: b"<p>x</p>".to_vec(),
    }
}

fn facts(t: i64) -> CheckFacts {
    CheckFacts {
        started_at: Timestamp(t),
        duration: Duration::from_millis(5),
        http_status: Some(200),
        bytes: Some(10),
        exchange: None,
    }
}

/// A commit of a good check at `t` with nothing but the check row.
fn commit(id: TargetId, recent: &Recent, t: i64, status: CheckStatus) -> CheckCommit {
    CheckCommit {
        target: id,
        lease: None,
        based_on: recent.latest,
        check: CheckRow {
            facts: facts(t),
            status,
            version: recent.latest,
            error: None,
            suspect: None,
            seen: None,
        },
        version: None,
        deliveries: Vec::new(),
        update: TargetUpdate {
            last_error: None,
            changed: false,
            failures: 0,
            misses: 0,
            failing_alerted: false,
            cache: CacheUpdate::Replace(PageCache::default()),
            published_at: None,
            full_fetch_at: None,
        },
        next: Next::At(Timestamp(t + 1000)),
    }
}

/// Reads, decides (same wording: unchanged; else a substantive change)
/// and commits like a check does, keeping every page.
pub(super) fn store_capture(
    store: &mut Store,
    id: TargetId,
    t: i64,
    c: &Capture,
) -> CaptureOutcome {
    store_capture_with(store, id, t, c, RawHtmlPolicy::All)
}

fn store_capture_with(
    store: &mut Store,
    id: TargetId,
    t: i64,
    c: &Capture,
    raw_html: RawHtmlPolicy,
) -> CaptureOutcome {
    let recent = store.recent(id, 6, Some(c)).unwrap();
    let mut commit = commit(id, &recent, t, CheckStatus::Unchanged);
    let new = |class, diff| NewVersion {
        capture: c.clone(),
        class,
        revert_of: None,
        alert_paused: false,
        diff,
        raw_html,
    };
    let outcome = match recent.versions.first() {
        Some(prev) if prev.fields() == c.fields() => CaptureOutcome::Unchanged {
            version: prev.number,
        },
        Some(prev) => {
            let summary = crate::diff::summarize(&prev.fields(), &c.fields());
            commit.check.status = CheckStatus::Changed;
            commit.check.version = Some(prev.number + 1);
            commit.update.changed = true;
            commit.version = Some(new(Some(ChangeClass::Substantive), Some(summary.clone())));
            CaptureOutcome::Changed {
                from: prev.number,
                to: prev.number + 1,
                title: c.title.clone(),
                summary,
                class: ChangeClass::Substantive,
                revert_of: None,
                alert_paused: false,
            }
        }
        None => {
            commit.check.status = CheckStatus::New;
            commit.check.version = Some(1);
            commit.version = Some(new(None, None));
            CaptureOutcome::New { version: 1 }
        }
    };
    store.commit_check(&commit).unwrap();
    outcome
}

#[test]
fn rows_from_before_the_url_columns_get_them_filled() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .conn
        .execute(
            "INSERT INTO targets (url, origin, state, created_at, next_check_at)
             VALUES ('https://E.com:443/story/?utm_source=x', 'cli', 'active', 0, 0)",
            [],
        )
        .unwrap();
    store.fill_url_columns().unwrap();
    let (host, key): (String, String) = store
        .conn
        .query_row("SELECT host, url_key FROM targets", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((host.as_str(), key.as_str()), ("e.com", "e.com/story"));
}

#[test]
fn versions_are_stored_only_on_change() {
    let mut store = Store::open_in_memory().unwrap();
    let (t, created) = store
        .add_target(&settings("https://e.com/a"), Timestamp(0))
        .unwrap();
    assert!(created);
    assert!(matches!(
        store_capture(&mut store, t.id, 1, &capture("T", "a b c")),
        CaptureOutcome::New { version: 1 }
    ));
    assert!(matches!(
        store_capture(&mut store, t.id, 2, &capture("T", "a b c")),
        CaptureOutcome::Unchanged { version: 1 }
    ));
    match store_capture(&mut store, t.id, 3, &capture("T", "a x c")) {
        CaptureOutcome::Changed {
            from: 1,
            to: 2,
            summary,
            ..
        } => assert_eq!((summary.added, summary.removed), (1, 1)),
        other => panic!("{other:?}"),
    }
    let history = store.history(t.id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].added, None);
    assert_eq!(history[1].added, Some(1));
    let changes = store.stored_changes(t.id, 2).unwrap().unwrap();
    assert_eq!(changes[0].new, "x");
    assert_eq!(store.raw_html(t.id, 2).unwrap().unwrap(), b"<p>x</p>");
    let since = |t| ChangeQuery {
        since: Some(Timestamp(t)),
        ..ChangeQuery::default()
    };
    assert_eq!(store.changes(&since(0)).unwrap().len(), 1);
    assert_eq!(store.changes(&since(4)).unwrap().len(), 0);
    let list = store.list_targets().unwrap();
    assert_eq!(list[0].versions, 2);
    assert_eq!(list[0].last_change, Some(Timestamp(3)));
    store.integrity_check().unwrap();
}

#[test]
fn config_sync_adds_updates_and_retires() {
    let mut store = Store::open_in_memory().unwrap();
    let a = settings("https://e.com/a");
    let b = settings("https://e.com/b");
    let r = store
        .sync_config_targets(&[a.clone(), b.clone()], Timestamp(0))
        .unwrap();
    assert_eq!(r.added.len(), 2);
    let id_b = store.target_by_url(&b.url).unwrap().unwrap().id;
    store_capture(&mut store, id_b, 1, &capture("T", "text"));
    let r = store
        .sync_config_targets(std::slice::from_ref(&a), Timestamp(10))
        .unwrap();
    assert_eq!(r.removed, vec!["https://e.com/b".to_string()]);
    assert_eq!(store.active_targets().unwrap().len(), 1);
    // History of the removed target is kept.
    assert_eq!(store.history(id_b).unwrap().len(), 1);
    // A CLI target is not touched by config sync.
    store
        .add_target(&settings("https://e.com/c"), Timestamp(0))
        .unwrap();
    store.sync_config_targets(&[a], Timestamp(20)).unwrap();
    assert_eq!(store.active_targets().unwrap().len(), 2);
}

#[test]
fn a_commit_is_refused_when_the_target_moved_on() {
    let mut store = Store::open_in_memory().unwrap();
    let (t, _) = store
        .add_target(&settings("https://e.com/a"), Timestamp(0))
        .unwrap();
    // Read, then another writer stores version 1: the stale decision
    // would number its version 1 again.
    let stale = store.recent(t.id, 6, None).unwrap();
    store_capture(&mut store, t.id, 1, &capture("T", "a b c"));
    let mut late = commit(t.id, &stale, 2, CheckStatus::New);
    late.version = Some(NewVersion {
        capture: capture("T", "other"),
        class: None,
        revert_of: None,
        alert_paused: false,
        diff: None,
        raw_html: RawHtmlPolicy::All,
    });
    let err = store.commit_check(&late).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    // A claimed target whose lease another claim replaced.
    let due = store.due_candidates(Timestamp(5000), 1, &[]).unwrap();
    let claimed = store
        .claim(&[(due[0].id, due[0].next_check_at)], Timestamp(9000))
        .unwrap();
    assert_eq!(claimed, vec![t.id], "leased until 9000");
    let recent = store.recent(t.id, 0, None).unwrap();
    let mut leased = commit(t.id, &recent, 3, CheckStatus::Unchanged);
    leased.lease = Some(Timestamp(8000));
    let err = store.commit_check(&leased).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    // Nothing of either was written.
    assert_eq!(store.history(t.id).unwrap().len(), 1);
    let checks: i64 = store
        .conn
        .query_row("SELECT COUNT(*) FROM checks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(checks, 1);
    // With the lease it holds, the check is recorded.
    leased.lease = Some(Timestamp(9000));
    store.commit_check(&leased).unwrap();
}

#[test]
fn due_targets_follow_next_check_time() {
    let mut store = Store::open_in_memory().unwrap();
    let (t, _) = store
        .add_target(&settings("https://e.com/a"), Timestamp(100))
        .unwrap();
    assert_eq!(store.due_targets(Timestamp(99), 10).unwrap().len(), 0);
    assert_eq!(store.due_targets(Timestamp(100), 10).unwrap().len(), 1);
    let recent = store.recent(t.id, 0, None).unwrap();
    let mut failed = commit(t.id, &recent, 100, CheckStatus::Error);
    failed.check.error = Some("boom".into());
    failed.update.last_error = Some("boom".into());
    failed.update.failures = recent.failures + 1;
    failed.update.cache = CacheUpdate::Clear;
    failed.next = Next::At(Timestamp(5000));
    store.commit_check(&failed).unwrap();
    let t = store.target_by_url(&t.url).unwrap().unwrap();
    assert_eq!((t.failures, t.misses), (1, 0));
    assert_eq!(store.due_targets(Timestamp(4999), 10).unwrap().len(), 0);
    assert_eq!(store.next_due_at().unwrap(), Some(Timestamp(5000)));
    assert_eq!(
        store.list_targets().unwrap()[0].last_error.as_deref(),
        Some("boom")
    );
}

#[test]
fn later_pages_are_stored_as_deltas_against_the_first() {
    let mut store = Store::open_in_memory().unwrap();
    let (t, _) = store
        .add_target(&settings("https://e.com/a"), Timestamp(0))
        .unwrap();
    let template: String = (0..2000)
        .map(|i| format!("<div class=\"nav-{i}\">menu item {i}</div>\n"))
        .collect();
    let page =
        |body: &str| format!("<html><body>{template}<article>{body}</article></body></html>");
    for (n, body) in ["first text here", "second text now", "third text at last"]
        .iter()
        .enumerate()
    {
        let mut c = capture("T", body);
        c.raw_html = page(body).into_bytes();
        store_capture(&mut store, t.id, n as i64 + 1, &c);
    }
    let sizes: Vec<(i64, Option<i64>)> = store
        .conn
        .prepare(
            "SELECT length(p.zstd), p.base FROM versions v JOIN pages p ON p.version_id = v.id
             ORDER BY v.number",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(sizes[0].1, None);
    assert_eq!(sizes[1].1, Some(1));
    assert!(
        sizes[1].0 * 5 < sizes[0].0,
        "a delta is far smaller: {sizes:?}"
    );
    for (n, body) in [
        (1, "first text here"),
        (2, "second text now"),
        (3, "third text at last"),
    ] {
        assert_eq!(
            store.raw_html(t.id, n).unwrap().unwrap(),
            page(body).into_bytes()
        );
    }
}

#[test]
fn first_and_latest_policy_drops_pages_in_between() {
    let mut store = Store::open_in_memory().unwrap();
    let (t, _) = store
        .add_target(&settings("https://e.com/a"), Timestamp(0))
        .unwrap();
    for n in 1..=4i64 {
        let c = capture("T", &format!("text number {n}"));
        store_capture_with(&mut store, t.id, n, &c, RawHtmlPolicy::FirstAndLatest);
    }
    let kept: Vec<bool> = (1..=4)
        .map(|n| store.raw_html(t.id, n).unwrap().is_some())
        .collect();
    assert_eq!(kept, vec![true, false, false, true]);
    // The texts are all still there.
    assert_eq!(
        store.version(t.id, Some(2)).unwrap().unwrap().text,
        "text number 2"
    );
}

#[test]
fn claims_skip_busy_hosts_and_lease_only_what_is_still_due() {
    let mut store = Store::open_in_memory().unwrap();
    for (i, url) in [
        "https://a.com/1",
        "https://a.com/2",
        "https://b.com:8080/1",
        "https://c.com/1",
    ]
    .iter()
    .enumerate()
    {
        store
            .add_target(&settings(url), Timestamp(i as i64))
            .unwrap();
    }
    let candidates = store
        .due_candidates(Timestamp(10), 10, &["c.com".to_string()])
        .unwrap();
    let hosts: Vec<&str> = candidates.iter().map(|t| t.host.as_str()).collect();
    assert_eq!(
        hosts,
        vec!["a.com", "a.com", "b.com:8080"],
        "most overdue first"
    );
    // One request per host: the caller picks the first of each.
    let mut seen = std::collections::HashSet::new();
    let picked: Vec<(TargetId, Timestamp)> = candidates
        .iter()
        .filter(|t| seen.insert(t.host.clone()))
        .map(|t| (t.id, t.next_check_at))
        .collect();
    let claimed = store.claim(&picked, Timestamp(1000)).unwrap();
    let urls: Vec<String> = claimed
        .iter()
        .map(|id| {
            candidates
                .iter()
                .find(|t| t.id == *id)
                .unwrap()
                .url
                .to_string()
        })
        .collect();
    assert_eq!(urls, vec!["https://a.com/1", "https://b.com:8080/1"]);
    // A claim as of a stale read takes nothing: they are leased already.
    assert!(store.claim(&picked, Timestamp(2000)).unwrap().is_empty());
    // Claimed targets are leased; the others stay due.
    let due: Vec<String> = store
        .due_targets(Timestamp(10), 10)
        .unwrap()
        .into_iter()
        .map(|t| t.url.to_string())
        .collect();
    assert_eq!(due, vec!["https://a.com/2", "https://c.com/1"]);
    let b = store.backlog(Timestamp(10)).unwrap();
    assert_eq!((b.due, b.active, b.oldest_due), (2, 4, Some(Timestamp(1))));
}

#[test]
fn unchanged_without_reading_and_retirement() {
    let mut store = Store::open_in_memory().unwrap();
    let (t, _) = store
        .add_target(&settings("https://e.com/a"), Timestamp(0))
        .unwrap();
    let recent = store.recent(t.id, 0, None).unwrap();
    assert_eq!(recent.latest, None, "no version to match yet");
    assert!(recent.versions.is_empty() && recent.checks.is_empty());
    store_capture(&mut store, t.id, 2, &capture("T", "text"));
    let recent = store.recent(t.id, 0, None).unwrap();
    assert_eq!(recent.latest, Some(1));
    assert!(recent.versions.is_empty(), "nothing decompressed");
    let mut unchanged = commit(t.id, &recent, 3, CheckStatus::Unchanged);
    unchanged.update.cache = CacheUpdate::Refresh {
        etag: Some("\"v2\"".into()),
        last_modified: None,
    };
    unchanged.next = Next::Retire("too old".into());
    store.commit_check(&unchanged).unwrap();
    let t = store.target_by_url(&t.url).unwrap().unwrap();
    assert_eq!(t.state, TargetState::Retired);
    assert_eq!(t.retired_reason.as_deref(), Some("too old"));
    // Config sync does not bring a retired target back; `add` does.
    let s = settings("https://e.com/a");
    store
        .sync_config_targets(std::slice::from_ref(&s), Timestamp(9))
        .unwrap();
    assert_eq!(
        store.target_by_url(&s.url).unwrap().unwrap().state,
        TargetState::Retired
    );
    let (t, _) = store.add_target(&s, Timestamp(10)).unwrap();
    assert_eq!((t.state, t.retired_reason), (TargetState::Active, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_batches_calls_and_isolates_failures() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let handle = StoreHandle::new(store);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            h.call(move |s| {
                let (t, _) =
                    s.add_target(&settings(&format!("https://e.com/{i}")), Timestamp(0))?;
                if i % 10 == 0 {
                    // A failing call in the middle of a batch.
                    s.conn
                        .run("INSERT INTO no_such_table VALUES (1)", [])
                        .map_err(s.sql())?;
                }
                Ok(t.id)
            })
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 45);
    let n = handle
        .call(|s| Ok(s.active_targets()?.len()))
        .await
        .unwrap();
    // A failing call's own writes are undone, and nobody else's.
    assert_eq!(n, 45);
    let panicked = handle
        .call(|_| -> Result<(), StoreError> { panic!("boom") })
        .await;
    assert!(matches!(panicked, Err(StoreError::Task(_))));
    assert!(
        handle.call(|s| s.integrity_check()).await.is_ok(),
        "the thread lives on"
    );
}

#[test]
fn purge_deletes_history_and_remove_keeps_it() {
    let mut store = Store::open_in_memory().unwrap();
    let s = settings("https://e.com/a");
    let (t, _) = store.add_target(&s, Timestamp(0)).unwrap();
    store_capture(&mut store, t.id, 1, &capture("T", "text"));
    assert!(store.remove_target(&s.url, false).unwrap());
    assert_eq!(store.history(t.id).unwrap().len(), 1);
    assert!(store.remove_target(&s.url, true).unwrap());
    assert_eq!(store.history(t.id).unwrap().len(), 0);
    assert!(!store.remove_target(&s.url, true).unwrap());
}

#[test]
fn a_reader_reads_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    // No database yet: the reader creates it like a writer would.
    drop(Store::open_reader(&path).unwrap());
    let mut store = Store::open(&path).unwrap();
    let (t, _) = store
        .add_target(&settings("https://e.com/a"), Timestamp(0))
        .unwrap();
    store_capture(&mut store, t.id, 1, &capture("T", "a b c"));
    let mut reader = Store::open_reader(&path).unwrap();
    assert_eq!(reader.history(t.id).unwrap().len(), 1);
    assert!(
        reader
            .add_target(&settings("https://e.com/b"), Timestamp(2))
            .is_err(),
        "a reader cannot write"
    );
    // The writer is not held up by the open reader.
    store_capture(&mut store, t.id, 3, &capture("T", "a x c"));
    assert_eq!(reader.history(t.id).unwrap().len(), 2);
}

/// The backend-independent store behaviour, through the traits only.
#[tokio::test]
async fn sqlite_passes_the_conformance_suite() {
    // In memory, reads go through the writer thread; on a file, through
    // the read-only pool.
    crate::store::conformance::run_all(|| {
        std::sync::Arc::new(super::StoreHandle::new(Store::open_in_memory().unwrap()))
            as std::sync::Arc<dyn crate::store::Storage>
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    crate::store::conformance::run_all(|| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::store::open(&dir.path().join(format!("{i}.db"))).unwrap()
    })
    .await;
}
