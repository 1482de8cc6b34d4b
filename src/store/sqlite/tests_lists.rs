//! The web's lists: the change list's filters, newest-first order and
//! keyset cursor; the article list's orders and cursor; the status counts;
//! and the lookup of a target by URL identity.

use super::tests::{capture, settings, store_capture};
use super::*;
use crate::model::{
    ChangeKey, ChangeQuery, ChangeRow, TargetId, TargetQuery, TargetSort, TargetState, TargetUrl,
    Timestamp,
};

/// Two targets with two changes each, at times 10, 20 (a) and 15, 20 (b):
/// two changes share a capture time, so only the sequence orders them.
fn four_changes() -> (Store, TargetId, TargetId) {
    let mut store = Store::open_in_memory().unwrap();
    let mut a = settings("https://one.example/politics/budget");
    a.tags = vec!["politics".into()];
    let (a, _) = store.add_target(&a, Timestamp(0)).unwrap();
    let (b, _) = store
        .add_target(&settings("https://two.example/sport/final"), Timestamp(0))
        .unwrap();
    store_capture(
        &mut store,
        a.id,
        1,
        &capture("Budget talks", "one two three"),
    );
    store_capture(
        &mut store,
        b.id,
        2,
        &capture("Final tonight", "four five six"),
    );
    store_capture(
        &mut store,
        a.id,
        10,
        &capture("Budget passes", "one two three"),
    );
    store_capture(
        &mut store,
        b.id,
        15,
        &capture("Final tonight", "four five seven"),
    );
    store_capture(
        &mut store,
        a.id,
        20,
        &capture("Budget passes", "one two four"),
    );
    store_capture(
        &mut store,
        b.id,
        20,
        &capture("Final tonight", "four nine seven"),
    );
    (store, a.id, b.id)
}

fn keys(rows: &[ChangeRow]) -> Vec<(i64, u32)> {
    rows.iter().map(|r| (r.target.0, r.to)).collect()
}

#[test]
fn changes_come_newest_first_and_a_cursor_resumes_after_its_row() {
    let (store, a, b) = four_changes();
    let all = store.changes(&ChangeQuery::default()).unwrap();
    // Time 20 twice (the later-stored first), then 15, then 10.
    assert_eq!(keys(&all), [(b.0, 3), (a.0, 3), (b.0, 2), (a.0, 2)]);
    let mut walked = Vec::new();
    let mut before: Option<ChangeKey> = None;
    loop {
        let page = store
            .changes(&ChangeQuery {
                before,
                limit: Some(1),
                ..ChangeQuery::default()
            })
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.key);
        walked.extend(keys(&page));
    }
    assert_eq!(
        walked,
        keys(&all),
        "pages of one cover the list once, in order"
    );
}

#[test]
fn changes_filter_by_time_target_tag_class_and_text() {
    let (store, a, b) = four_changes();
    let q = |f: fn(&mut ChangeQuery)| {
        let mut q = ChangeQuery::default();
        f(&mut q);
        keys(&store.changes(&q).unwrap())
    };
    assert_eq!(
        q(|q| q.since = Some(Timestamp(15))),
        [(b.0, 3), (a.0, 3), (b.0, 2)]
    );
    assert_eq!(q(|q| q.tag = Some("politics".into())), [(a.0, 3), (a.0, 2)]);
    assert_eq!(q(|q| q.tag = Some("polit".into())), [], "tags match whole");
    assert_eq!(q(|q| q.text = Some("BUDGET".into())), [(a.0, 3), (a.0, 2)]);
    assert_eq!(q(|q| q.text = Some("sport/".into())), [(b.0, 3), (b.0, 2)]);
    // The test store files every change as substantive.
    assert_eq!(
        q(|q| q.class = Some(crate::detect::ChangeClass::Substantive)).len(),
        4
    );
    assert_eq!(
        q(|q| q.class = Some(crate::detect::ChangeClass::Headline)),
        []
    );
    let mut only_b = ChangeQuery {
        target: Some(b),
        ..ChangeQuery::default()
    };
    assert_eq!(keys(&store.changes(&only_b).unwrap()), [(b.0, 3), (b.0, 2)]);
    only_b.source = Some("https://feeds.example/rss".into());
    assert!(store.changes(&only_b).unwrap().is_empty(), "no such source");
}

#[test]
fn a_target_is_found_by_its_url_without_tracking_parameters() {
    let (store, a, _) = four_changes();
    let find = |u: &str| {
        store
            .target_by_identity(&TargetUrl::parse(u).unwrap())
            .unwrap()
            .map(|t| t.id)
    };
    assert_eq!(find("https://one.example/politics/budget"), Some(a));
    assert_eq!(
        find("https://one.example/politics/budget?utm_source=x"),
        Some(a)
    );
    assert_eq!(find("https://one.example/politics/other"), None);
    assert_eq!(store.target_by_id(a).unwrap().map(|t| t.id), Some(a));
    assert_eq!(
        store.target_by_id(TargetId(999)).unwrap().map(|t| t.id),
        None
    );
}

/// Every page of `q` one at a time, as target ids.
fn walk(store: &Store, mut q: TargetQuery) -> Vec<i64> {
    let mut out = Vec::new();
    q.limit = 1;
    loop {
        let page = store.target_page(&q).unwrap();
        let Some(last) = page.last() else { break };
        q.after = Some(last.target.id);
        out.extend(page.iter().map(|s| s.target.id.0));
    }
    out
}

#[test]
fn article_pages_follow_each_order_from_their_cursor() {
    let (mut store, a, b) = four_changes();
    let (c, _) = store
        .add_target(&settings("https://three.example/a"), Timestamp(30))
        .unwrap();
    let c = c.id;
    let q = |sort| TargetQuery {
        sort,
        ..TargetQuery::default()
    };
    assert_eq!(walk(&store, q(TargetSort::Added)), [a.0, b.0, c.0]);
    // one.example < three.example < two.example
    assert_eq!(walk(&store, q(TargetSort::Url)), [a.0, c.0, b.0], "by URL");
    // Both changed at 20 (b's id is higher, so first); c never changed.
    assert_eq!(walk(&store, q(TargetSort::Changed)), [b.0, a.0, c.0]);
    let mut only = q(TargetSort::Changed);
    only.text = Some("POLITICS".into());
    assert_eq!(walk(&store, only), [a.0]);
    let mut retired = q(TargetSort::Added);
    retired.state = Some(TargetState::Retired);
    assert!(walk(&store, retired).is_empty());
    let one = store
        .target_page(&TargetQuery {
            id: Some(b),
            limit: 1,
            ..TargetQuery::default()
        })
        .unwrap();
    assert_eq!((one[0].target.id, one[0].versions), (b, 3));
}

#[test]
fn status_counts_states_late_targets_and_failing_hosts() {
    let (store, _, _) = four_changes();
    let s = store.target_status(Timestamp(i64::MAX), 10).unwrap();
    assert_eq!(s.by_state, [(TargetState::Active, 2)]);
    assert_eq!(s.overdue, 2, "both are due before the end of time");
    assert!(s.failing_hosts.is_empty());
    assert_eq!(store.target_status(Timestamp(0), 10).unwrap().overdue, 0);
}

#[test]
fn a_change_carries_the_headline_at_that_version_and_the_current_one() {
    let (mut store, a, _) = four_changes();
    store_capture(
        &mut store,
        a,
        30,
        &capture("Budget passes, at last", "one two four"),
    );
    let rows = store
        .changes(&ChangeQuery {
            target: Some(a),
            ..ChangeQuery::default()
        })
        .unwrap();
    let titles: Vec<(u32, &str, &str)> = rows
        .iter()
        .map(|r| (r.to, r.title.as_str(), r.current_title.as_str()))
        .collect();
    assert_eq!(
        titles,
        [
            (4, "Budget passes, at last", "Budget passes, at last"),
            (3, "Budget passes", "Budget passes, at last"),
            (2, "Budget passes", "Budget passes, at last"),
        ]
    );
}
