//! Change fidelity through the real binary: an edit is never hidden by a
//! weak `Last-Modified` or a server whose `304`s are wrong, an old story a
//! person added is never retired by age, volatile bylines and re-stamped
//! dates never make versions, and a short article that happens to say "no
//! longer available" is still recorded.

use std::time::Duration;

use crate::harness::{PageServer, Route, Workspace};

/// A plain article page; `body` is its text.
fn page(title: &str, head: &str, byline: &str, body: &str) -> String {
    let paragraphs: String = body.split("\n\n").map(|p| format!("<p>{p}</p>")).collect();
    format!(
        "<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>\
         <nav><a href=\"/\">Home</a> <a href=\"/world\">World</a></nav>\
         <article><h1>{title}</h1>{byline}{paragraphs}</article>\
         <footer><p>© Example News</p></footer></body></html>"
    )
}

const BODY: &str = "The river authority said on Monday that the old weir would be rebuilt next spring, after engineers found cracks in the structure during a routine inspection.\n\n\
    Residents who live along the bank were told that the footpath would stay open for most of the work, although some sections would close for a few days at a time.\n\n\
    The authority expects the project to cost about four million pounds, paid for by a national flood defence fund and a smaller grant from the county council.";

fn statuses(ws: &Workspace, url: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| ws.check_one(url)["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_same_second_last_modified_never_hides_an_edit() {
    let server = PageServer::start();
    // Written and served in the same second: a weak validator.
    let stamp = "Sun, 29 Nov 2026 08:00:00 GMT";
    server.route(
        "/weir",
        Route::html(page("Weir to be rebuilt", "", "", BODY)).last_modified(stamp),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/weir");
    ws.ok(&["add", &url]);
    assert_eq!(ws.check_one(&url)["status"], "new");
    // Edited within the same second: the server still says the same time.
    server.route(
        "/weir",
        Route::html(page(
            "Weir to be rebuilt",
            "",
            "",
            &BODY.replace("next spring", "next autumn"),
        ))
        .last_modified(stamp),
    );
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "changed", "{r}");
    // The weak validator was never sent back.
    assert!(
        server
            .requests()
            .iter()
            .all(|q| !q.headers.contains_key("if-modified-since")),
        "If-Modified-Since was sent for a weak Last-Modified"
    );
    // A strong one (long before the response) is used: an unchanged page
    // then costs a 304.
    let old = "Tue, 01 Mar 2022 10:00:00 GMT";
    // The field alone: the builder also sends a `Date` of the same second.
    let mut strong = Route::html(page("Weir to be rebuilt", "", "", BODY));
    strong.last_modified = Some(old.into());
    server.route("/weir", strong);
    assert_eq!(ws.check_one(&url)["status"], "changed");
    assert_eq!(ws.check_one(&url)["status"], "unchanged");
    let last = server.requests().pop().unwrap();
    assert_eq!(
        last.headers.get("if-modified-since").map(String::as_str),
        Some(old)
    );
    assert_eq!(last.status, 304);
}

#[test]
fn a_server_that_always_answers_304_costs_at_most_revalidate_after() {
    let server = PageServer::start();
    server.route(
        "/dam",
        Route::html(page("Dam inspection", "", "", BODY))
            .etag("\"v1\"")
            .always_304(),
    );
    let ws = Workspace::new();
    ws.write_config("");
    // The workspace's config has a [fetch] table already; add the key.
    let config = std::fs::read_to_string(ws.config_path())
        .unwrap()
        .replace("[fetch]\n", "[fetch]\nrevalidate_after = \"1s\"\n");
    std::fs::write(ws.config_path(), config).unwrap();
    let url = server.url("/dam");
    ws.ok(&["add", &url]);
    assert_eq!(ws.check_one(&url)["status"], "new");
    server.route(
        "/dam",
        Route::html(page(
            "Dam inspection",
            "",
            "",
            &BODY.replace("four million", "six million"),
        ))
        .etag("\"v2\"")
        .always_304(),
    );
    // Within revalidate_after the broken 304 is believed...
    assert_eq!(ws.check_one(&url)["status"], "unchanged");
    // ...after it, the page is fetched in full and the edit is recorded.
    std::thread::sleep(Duration::from_millis(1100));
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "changed", "{r}");
    let unconditional = server.requests().pop().unwrap();
    assert!(!unconditional.headers.contains_key("if-none-match"));
}

#[test]
fn an_old_story_added_by_hand_stays_watched() {
    let server = PageServer::start();
    let ld = r#"<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Weir to be rebuilt","datePublished":"2022-08-31T22:10:00Z"}</script>"#;
    server.route(
        "/2022",
        Route::html(page("Weir to be rebuilt", ld, "", BODY)),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/2022");
    ws.ok(&["add", &url]);
    assert_eq!(statuses(&ws, &url, 3), ["new", "unchanged", "unchanged"]);
    let list = ws.json_lines(&["list", "--json"]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["state"], "active", "{}", list[0]);
    // Checked at the last age tier's pace from now on.
    assert!(!list[0]["interval"].is_null(), "{}", list[0]);
}

#[test]
fn volatile_bylines_and_restamped_dates_make_no_versions() {
    let server = PageServer::start();
    let author = std::sync::Arc::new(std::sync::Mutex::new("Ana Costa".to_string()));
    let who = std::sync::Arc::clone(&author);
    server.route(
        "/harbour",
        Route::dynamic(move |n| {
            let stamp = format!("2026-11-29T{:02}:{:02}:{:02}Z", n % 24, (n * 7) % 60, (n * 13) % 60);
            let head = format!(
                "<meta property=\"article:published_time\" content=\"{stamp}\">\
                 <script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\
                 \"datePublished\":\"{stamp}\",\"dateModified\":\"{stamp}\"}}</script>"
            );
            let byline = format!(
                "<p class=\"byline\">By <span class=\"author\">{}</span> &middot; <time datetime=\"{stamp}\">Updated {:02}:{:02}</time> \
                 &middot; <span class=\"views\">{} views</span> &middot; <a href=\"#comments\">{} comments</a></p>",
                who.lock().unwrap(),
                n % 24,
                n % 60,
                1000 + n * 37,
                n * 3
            );
            page("Harbour reopens", &head, &byline, BODY).into_bytes()
        }),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/harbour");
    ws.ok(&["add", &url]);
    let seen = statuses(&ws, &url, 20);
    assert_eq!(seen[0], "new");
    assert!(seen[1..].iter().all(|s| s == "unchanged"), "{seen:?}");
    assert_eq!(ws.json_lines(&["history", &url, "--json"]).len(), 1);
    // The dates the checks saw are kept and shown.
    let shown = ws.json_lines(&["show", &url, "--json"]);
    assert_eq!(shown[0]["byline"], "Ana Costa", "{}", shown[0]);
    assert!(
        shown[0]["dates_seen"]["checks"].as_u64().unwrap() >= 18,
        "{}",
        shown[0]
    );
    // Another author is a change of wording.
    *author.lock().unwrap() = "Li Wei".into();
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "changed", "{r}");
    assert!(
        matches!(
            r["class"].as_str(),
            Some("minor" | "substantive" | "headline")
        ),
        "{r}"
    );
    let diff: serde_json::Value =
        serde_json::from_str(&ws.ok(&["diff", &url, "--format", "json"])).unwrap();
    let byline = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "byline")
        .unwrap_or_else(|| panic!("no byline change in {diff}"));
    assert_eq!(
        (byline["old"].as_str(), byline["new"].as_str()),
        (Some("Ana Costa"), Some("Li Wei"))
    );
}

#[test]
fn a_short_article_with_a_wall_phrase_becomes_a_version() {
    let server = PageServer::start();
    let body = "The island ferry service is no longer available on Sundays from March, the operator said on Friday, after passenger numbers fell for a third winter in a row and two of its four crews left for mainland routes.\n\n\
        Islanders said the change would cut them off from weekend hospital visits and markets on the mainland. The council has asked the operator to keep a single Sunday crossing at midday until a review in the summer.\n\n\
        The operator said it would look again at the timetable if bookings recover, and that weekday crossings are not affected. A public meeting is planned at the village hall next Thursday evening for residents who want to speak.";
    assert!(body.split_whitespace().count() < 250);
    server.route(
        "/ferry",
        Route::html(page("Sunday ferry to end", "", "", body)),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/ferry");
    ws.ok(&["add", &url]);
    // suspect_after = 3 by default: the same text three times is the article.
    assert_eq!(statuses(&ws, &url, 3), ["suspect", "suspect", "new"]);
    assert_eq!(ws.check_one(&url)["status"], "unchanged");
}
