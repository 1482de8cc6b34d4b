//! The core path: first version, unchanged pages, edits, headline changes,
//! and page furniture that must never become a version.

use crate::harness::{Route, article, article_site};

fn edit_sentence(page: String) -> String {
    page.replace(
        "a foreign ministry spokesman said China was “rightfully rejecting” the report",
        "a foreign ministry spokeswoman said China was “firmly rejecting” the report",
    )
}

#[test]
fn first_check_stores_version_one_with_the_article_text() {
    let (_server, ws, url) = article_site();

    let report = ws.check_one(&url);
    assert_eq!(report["status"], "new");
    assert_eq!(report["version"], 1);
    assert!(report["error"].is_null());

    let shown = &ws.json_lines(&["show", &url, "--json"])[0];
    assert_eq!(shown["title"], article::title());
    assert_eq!(shown["text"], article::paragraphs().join("\n\n"));
    assert_eq!(shown["byline"], "Simone McCarthy");
    assert_eq!(shown["published"], "2022-09-01T10:02:00Z");
    assert_eq!(
        shown["canonical"],
        "https://www.example-news.com/2022/09/01/china/xinjiang-un-report-crimes-against-humanity/index.html"
    );
    let text = shown["text"].as_str().unwrap();
    for furniture in [
        "Leave a Reply",
        "Share on Facebook",
        "Most read",
        "Related Article",
        "Advertisement",
        "Sign up",
        "Photo:",
        "cookies",
    ] {
        assert!(
            !text.contains(furniture),
            "furniture {furniture:?} leaked into the body"
        );
    }
}

#[test]
fn unchanged_page_stores_no_new_version() {
    let (server, ws, url) = article_site();

    assert_eq!(ws.check_one(&url)["status"], "new");
    for _ in 0..3 {
        let r = ws.check_one(&url);
        assert_eq!(r["status"], "unchanged");
        assert_eq!(r["version"], 1);
    }
    assert_eq!(server.hits("/article"), 4);
    assert_eq!(ws.json_lines(&["history", &url, "--json"]).len(), 1);
}

#[test]
fn edited_sentence_gives_version_two_with_exactly_the_changed_words() {
    let (server, ws, url) = article_site();
    ws.check_one(&url);

    server.route(
        "/article",
        Route::dynamic(|n| article::render(n, edit_sentence).into_bytes()),
    );
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "changed");
    assert_eq!(r["version"], 2);

    let history = ws.json_lines(&["history", &url, "--json"]);
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["version"], 2);
    assert_eq!(history[1]["added"], 2);
    assert_eq!(history[1]["removed"], 2);
    assert!(
        history[0]["added"].is_null(),
        "version 1 has no previous version"
    );

    let diff: serde_json::Value =
        serde_json::from_str(&ws.ok(&["diff", &url, "--format", "json"])).unwrap();
    assert_eq!(diff["from"], 1);
    assert_eq!(diff["to"], 2);
    assert_eq!(diff["added"], 2);
    assert_eq!(diff["removed"], 2);
    let changes = diff["changes"].as_array().unwrap();
    let pairs: Vec<(&str, &str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap(),
                c["old"].as_str().unwrap(),
                c["new"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("replace", "spokesman", "spokeswoman"),
            ("replace", "rightfully", "firmly")
        ]
    );

    let word = ws.ok(&["diff", &url]);
    assert!(word.contains("[-spokesman-]{+spokeswoman+}"), "{word}");
    assert!(word.contains("“[-rightfully-]{+firmly+}"), "{word}");

    let changes = ws.json_lines(&["changes", "--json"]);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["url"], url.as_str());
    assert_eq!(
        (changes[0]["from"].as_u64(), changes[0]["to"].as_u64()),
        (Some(1), Some(2))
    );
}

#[test]
fn furniture_changes_in_header_and_footer_give_no_version() {
    // Every request already differs in clock, counters, ad ids, tokens,
    // ticker and "most read"; on top, swap the whole most-read list and the
    // cookie banner between two checks.
    let (server, ws, url) = article_site();
    ws.check_one(&url);
    server.route(
        "/article",
        Route::dynamic(|n| {
            article::render(n + 1000, |p| {
                p.replace("Most read", "Trending now").replace(
                    "We use cookies to improve your experience.",
                    "We and our 812 partners store data on your device.",
                )
            })
            .into_bytes()
        }),
    );
    for _ in 0..2 {
        assert_eq!(ws.check_one(&url)["status"], "unchanged");
    }
    assert_eq!(ws.json_lines(&["history", &url, "--json"]).len(), 1);
}

#[test]
fn headline_change_is_recorded_and_shown_first() {
    let (server, ws, url) = article_site();
    ws.check_one(&url);

    let old = article::title();
    let new = "Xinjiang report: UN says China committed ‘serious human rights violations’";
    let new_owned = new.to_string();
    server.route(
        "/article",
        Route::dynamic(move |n| article::render(n, |p| p.replace(old, &new_owned)).into_bytes()),
    );
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "changed");

    let history = ws.json_lines(&["history", &url, "--json"]);
    assert_eq!(history[1]["title"], new);
    let diff: serde_json::Value =
        serde_json::from_str(&ws.ok(&["diff", &url, "--format", "json"])).unwrap();
    assert_eq!(diff["title_from"], old);
    assert_eq!(diff["title_to"], new);
    let word = ws.ok(&["diff", &url]);
    let headline_at = word.find("headline:").expect("headline line");
    assert!(
        word.find("@@").is_none_or(|p| p > headline_at),
        "headline first: {word}"
    );
    assert!(ws.ok(&["history", &url]).contains("[headline]"));
    assert_eq!(history[1]["class"], "headline");
}

#[test]
fn paragraph_added_after_a_denial_is_one_insert() {
    let (server, ws, url) = article_site();
    ws.check_one(&url);
    let added = "<p>In a statement on Friday, China’s mission in Geneva denied every allegation in the report.</p>";
    server.route(
        "/article",
        Route::dynamic(move |n| {
            article::render(n, |p| {
                p.replacen(
                    "      <h2 class=\"subheader\">",
                    &format!("      {added}\n      <h2 class=\"subheader\">"),
                    1,
                )
            })
            .into_bytes()
        }),
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");
    let diff: serde_json::Value =
        serde_json::from_str(&ws.ok(&["diff", &url, "--format", "json"])).unwrap();
    let changes = diff["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["kind"], "insert");
    assert!(
        changes[0]["new"]
            .as_str()
            .unwrap()
            .contains("denied every allegation in the report.")
    );
    assert_eq!(diff["removed"], 0);
    assert_eq!(diff["added"], 15);
}

#[test]
fn byline_change_is_a_version_but_a_new_modified_time_alone_is_not() {
    let (server, ws, url) = article_site();
    ws.check_one(&url);

    // The site re-stamps its modified time: not a change of the article.
    server.route(
        "/article",
        Route::dynamic(|n| {
            article::render(n, |p| {
                p.replace("2022-09-01T12:00:00Z", "2022-09-02T08:30:00Z")
            })
            .into_bytes()
        }),
    );
    assert_eq!(ws.check_one(&url)["status"], "unchanged");

    // A second author is credited: a new version, with the byline change.
    server.route(
        "/article",
        Route::dynamic(|n| {
            article::render(n, |p| {
                p.replace("2022-09-01T12:00:00Z", "2022-09-02T08:30:00Z").replace(
                    "\"name\":\"Simone McCarthy\"}",
                    "\"name\":\"Simone McCarthy\"},{\"@type\":\"Person\",\"name\":\"Nectar Gan\"}",
                )
            })
            .into_bytes()
        }),
    );
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "changed");
    let history = ws.json_lines(&["history", &url, "--json"]);
    assert_eq!(history[1]["changed_fields"], serde_json::json!(["byline"]));
    assert_eq!(
        (history[1]["added"].as_u64(), history[1]["removed"].as_u64()),
        (Some(0), Some(0))
    );
    let diff: serde_json::Value =
        serde_json::from_str(&ws.ok(&["diff", &url, "--format", "json"])).unwrap();
    let change = &diff["changes"][0];
    assert_eq!(change["field"], "byline");
    assert_eq!(change["old"], "Simone McCarthy");
    assert_eq!(change["new"], "Simone McCarthy, Nectar Gan");
    assert!(
        ws.ok(&["diff", &url])
            .contains("byline: [-Simone McCarthy-]{+Simone McCarthy, Nectar Gan+}")
    );
    assert!(ws.ok(&["history", &url]).contains("[byline changed]"));
    let shown = &ws.json_lines(&["show", &url, "--json"])[0];
    assert_eq!(
        shown["modified"], "2022-09-02T08:30:00Z",
        "the latest modified time is kept with the version"
    );
}
