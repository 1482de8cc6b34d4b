//! Store behaviour of discovery, through the SQLite backend: polls create
//! each article once within the caps, source defaults reach their targets,
//! and a shared canonical URL merges duplicates.

use super::tests::{capture, settings, store_capture};
use super::*;
use crate::model::{
    Discovered, PageCache, Source, SourceSettings, TargetState, TargetUrl, Timestamp,
};

fn discovered(url: &str, published: Option<i64>) -> Discovered {
    let url = TargetUrl::parse(url).unwrap();
    Discovered {
        key: crate::model::canon::key(url.as_url()),
        url,
        published: published.map(Timestamp),
    }
}

fn add_feed(store: &mut Store, s: SourceSettings) -> Source {
    let url = TargetUrl::parse("https://e.com/feed.xml").unwrap();
    store
        .add_source(&url, crate::model::SourceKind::Feed, &s, Timestamp(0))
        .unwrap();
    store.source_by_url(&url).unwrap().unwrap()
}

#[test]
fn polls_create_each_article_once_within_the_caps() {
    let mut store = Store::open_in_memory().unwrap();
    let src = add_feed(
        &mut store,
        SourceSettings {
            max_new_per_poll: 2,
            max_targets: 3,
            track_for_ms: Some(3_600_000),
            targets: crate::model::TargetDefaults {
                tags: vec!["world".into()],
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let claimed = store
        .claim_due_sources(Timestamp(0), 10, Timestamp(500))
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        store
            .claim_due_sources(Timestamp(0), 10, Timestamp(500))
            .unwrap()
            .is_empty(),
        "a claimed source is leased"
    );
    let links = [
        discovered("https://e.com/a", Some(5)),
        discovered("https://e.com/b", None),
        discovered("https://e.com/c", None),
    ];
    let r = store
        .record_poll(
            &src,
            Timestamp(1),
            Timestamp(100),
            &PageCache::default(),
            &links,
        )
        .unwrap();
    assert_eq!(r.created, ["https://e.com/a", "https://e.com/b"]);
    assert_eq!(r.capped_per_poll, 1);
    // The same links again, one spelled differently: only c is new,
    // then the total cap holds.
    let links = [
        discovered("https://e.com/a/", None),
        discovered("https://e.com/c", None),
        discovered("https://e.com/d", None),
    ];
    let r = store
        .record_poll(
            &src,
            Timestamp(2),
            Timestamp(100),
            &PageCache::default(),
            &links,
        )
        .unwrap();
    assert_eq!(r.created, ["https://e.com/c"]);
    assert_eq!((r.known, r.capped_total), (1, 1));
    let a = store
        .target_by_url(&TargetUrl::parse("https://e.com/a").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(a.source.as_deref(), Some("https://e.com/feed.xml"));
    assert_eq!(a.published_at, Some(Timestamp(5)));
    assert_eq!(a.tags, ["world"]);
    assert_eq!(a.track_for, Some(Duration::from_secs(3600)));
    let summary = &store.list_sources().unwrap()[0];
    assert_eq!((summary.articles, summary.active_articles), (3, 3));
    assert_eq!(summary.last_poll, Some(Timestamp(2)));

    store
        .record_poll_failure(src.id, Timestamp(3), Timestamp(200), "not a readable feed")
        .unwrap();
    let summary = &store.list_sources().unwrap()[0];
    assert_eq!(summary.last_error.as_deref(), Some("not a readable feed"));
    assert_eq!(summary.source.failures, 1);
}

#[test]
fn changed_source_defaults_reach_its_targets() {
    let mut store = Store::open_in_memory().unwrap();
    let src = add_feed(&mut store, SourceSettings::default());
    store
        .record_poll(
            &src,
            Timestamp(1),
            Timestamp(100),
            &PageCache::default(),
            &[discovered("https://e.com/a", None)],
        )
        .unwrap();
    let mut changed = src.settings.clone();
    changed.targets.selector = Some("article".into());
    changed.track_for_ms = Some(60_000);
    store
        .add_source(&src.url, src.kind, &changed, Timestamp(2))
        .unwrap();
    let a = store
        .target_by_url(&TargetUrl::parse("https://e.com/a").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(a.selector.as_deref(), Some("article"));
    assert_eq!(a.track_for, Some(Duration::from_secs(60)));
}

#[test]
fn a_shared_canonical_retires_the_discovered_duplicate() {
    let mut store = Store::open_in_memory().unwrap();
    let src = add_feed(&mut store, SourceSettings::default());
    // The canonical story was added by hand; the others discovered.
    let (a, _) = store
        .add_target(&settings("https://e.com/story"), Timestamp(0))
        .unwrap();
    store
        .record_poll(
            &src,
            Timestamp(0),
            Timestamp(100),
            &PageCache::default(),
            &[
                discovered("https://e.com/story?ref=home", None),
                discovered("https://e.com/other?ref=home", None),
            ],
        )
        .unwrap();
    let find = |store: &Store, u: &str| {
        store
            .target_by_url(&TargetUrl::parse(u).unwrap())
            .unwrap()
            .unwrap()
    };
    let b = find(&store, "https://e.com/story?ref=home");
    let c = find(&store, "https://e.com/other?ref=home");
    store_capture(&mut store, a.id, 1, &capture("Story", "a b c"));
    store_capture(&mut store, b.id, 2, &capture("Story", "a b c"));
    store_capture(&mut store, c.id, 3, &capture("Another story", "x y"));
    // A root canonical names no article.
    assert_eq!(
        store
            .merge_canonical(b.id, "e.com/", "Story", Timestamp(4))
            .unwrap(),
        None
    );
    // A different headline is not the same story.
    assert_eq!(
        store
            .merge_canonical(c.id, "e.com/story", "Another story", Timestamp(4))
            .unwrap(),
        None
    );
    let merged = store
        .merge_canonical(b.id, "e.com/story", "Story", Timestamp(4))
        .unwrap();
    let merged = merged.expect("a merge");
    assert_eq!(
        (merged.retired.as_str(), merged.kept.as_str()),
        ("https://e.com/story?ref=home", "https://e.com/story")
    );
    assert!(
        merged
            .reason
            .starts_with("duplicate of https://e.com/story:")
    );
    let b = store.target_by_url(&b.url).unwrap().unwrap();
    assert_eq!(b.state, TargetState::Retired);
    assert!(
        b.retired_reason
            .unwrap()
            .contains("duplicate of https://e.com/story")
    );
    let a = store.target_by_url(&a.url).unwrap().unwrap();
    assert_eq!(a.state, TargetState::Active);

    // Two targets added by hand are both kept, whatever they declare.
    let (d, _) = store
        .add_target(&settings("https://e.com/copy"), Timestamp(0))
        .unwrap();
    store_capture(&mut store, d.id, 5, &capture("Story", "a b c"));
    assert_eq!(
        store
            .merge_canonical(d.id, "e.com/story", "Story", Timestamp(6))
            .unwrap(),
        None
    );
}
