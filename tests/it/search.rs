//! `redline search`: the tour's headline edit found by the phrase it took
//! out, body edits likewise, an older database indexed when it is opened,
//! and a purged article gone from the index.

use crate::harness::{Route, article, article_site};

const PHRASE: &str = "crimes against humanity";

/// The fixture's sentence in the body that holds the phrase.
fn body_sentence() -> &'static str {
    article::paragraphs()
        .into_iter()
        .find(|p| p.contains(PHRASE))
        .expect("the fixture's body holds the phrase")
}

#[test]
fn search_finds_where_a_phrase_was_removed_added_or_is() {
    let (server, ws, url) = article_site();
    ws.check_one(&url);
    // The tour's edit: the headline loses the phrase (version 2) ...
    let old = article::title();
    let new_title = "Xinjiang report: UN says China committed ‘serious human rights violations’";
    server.route(
        "/article",
        Route::dynamic(move |n| article::render(n, |p| p.replace(old, new_title)).into_bytes()),
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");
    // ... then the body's quote goes too (version 3).
    let sentence = body_sentence();
    let cut = sentence.replace(", in particular crimes against humanity", "");
    server.route(
        "/article",
        Route::dynamic(move |n| {
            article::render(n, |p| p.replace(old, new_title).replace(sentence, &cut)).into_bytes()
        }),
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");

    let removed = ws.json_lines(&["search", "--removed", PHRASE, "--json"]);
    let keys: Vec<&str> = removed[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "url",
            "version",
            "captured_at",
            "title",
            "field",
            "match",
            "snippet"
        ]
    );
    let got: Vec<(u64, &str, &str)> = removed
        .iter()
        .map(|h| {
            (
                h["version"].as_u64().unwrap(),
                h["field"].as_str().unwrap(),
                h["match"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(3, "body", "removed"), (2, "title", "removed")]);
    assert!(removed.iter().all(|h| h["url"] == url.as_str()));
    assert_eq!(
        removed[1]["title"], new_title,
        "the headline at the version"
    );
    assert_eq!(
        removed[1]["snippet"], old,
        "from the version before the edit"
    );
    assert!(
        removed[0]["snippet"]
            .as_str()
            .unwrap()
            .contains("in particular crimes against humanity"),
        "{}",
        removed[0]
    );
    // Case and punctuation aside, the same.
    assert_eq!(
        ws.json_lines(&["search", "--removed", "Crimes, against HUMANITY", "--json"]),
        removed
    );
    // Anywhere: the latest version holding it, per field.
    let anywhere = ws.json_lines(&["search", PHRASE, "--json"]);
    let got: Vec<(u64, &str)> = anywhere
        .iter()
        .map(|h| (h["version"].as_u64().unwrap(), h["field"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(2, "body"), (1, "title")]);
    assert!(anywhere.iter().all(|h| h["match"] == "present"));
    assert!(
        ws.json_lines(&["search", "--current", PHRASE, "--json"])
            .is_empty()
    );
    assert!(
        ws.json_lines(&["search", "--added", PHRASE, "--json"])
            .is_empty()
    );
    let added = ws.json_lines(&[
        "search",
        "--added",
        "serious human rights violations",
        "--json",
    ]);
    assert_eq!(added.len(), 1);
    assert_eq!(
        (added[0]["version"].as_u64(), added[0]["field"].as_str()),
        (Some(2), Some("title"))
    );
    // Words that are not whole words of the text do not match.
    assert!(
        ws.json_lines(&["search", "crimes against human", "--json"])
            .is_empty()
    );

    // The text output marks the phrase.
    let text = ws.ok(&["search", "--removed", PHRASE]);
    assert!(text.contains("v2  removed from the headline"), "{text}");
    assert!(text.contains("«crimes against humanity»"), "{text}");
    assert!(
        ws.ok(&["search", "--current", PHRASE])
            .contains("not found in any current version")
    );
    let empty = ws.run(&["search", " … "]);
    assert_eq!(empty.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("has no words"));
    assert_eq!(
        ws.run(&["search", "--removed", "--added", PHRASE])
            .status
            .code(),
        Some(2)
    );

    // A database from before the index: indexed when opened.
    {
        let db = rusqlite::Connection::open(ws.db()).unwrap();
        db.execute_batch(
            "DROP TRIGGER versions_leave_search; DROP TABLE version_search;
             DELETE FROM schema_migrations WHERE version = 9;",
        )
        .unwrap();
    }
    assert_eq!(
        ws.json_lines(&["search", "--removed", PHRASE, "--json"]),
        removed
    );

    // A purged article leaves the index with its versions.
    ws.ok(&["remove", &url, "--purge"]);
    assert!(ws.json_lines(&["search", PHRASE, "--json"]).is_empty());
    let db = rusqlite::Connection::open(ws.db()).unwrap();
    let indexed: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM version_search WHERE version_search MATCH 'humanity'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexed, 0);
}
