//! Noise never becomes a version, failed pages are suspect, flapping is
//! recognised, user rules apply, every change is classified and alerts
//! follow the classes — all through `redline check` against a local server.

use crate::harness::{PageServer, Route, Workspace, article};

/// The article with furniture that changes on every request *inside* its
/// body: a stamp, counters, an ad slot with a fresh id, a related link.
fn with_inner_noise(n: u64, page: String) -> String {
    page.replacen(
        "      <h2 class=\"subheader\">",
        &format!(
            "      <p class=\"meta\">Updated {} minutes ago</p>\n      <p>{} comments</p>\n      <p>{}.{}k shares</p>\n      \
             <div class=\"ad-slot\" id=\"ad-{n}\"><p>Sponsored: offer {n} ends tonight</p></div>\n      \
             <div class=\"related-links\"><a href=\"/s/{n}\">Story {n} you may have missed, with many words in its title</a></div>\n      \
             <h2 class=\"subheader\">",
            n % 59 + 1,
            30 + n,
            n % 9 + 1,
            n % 10
        ),
        1,
    )
}

#[test]
fn furniture_changing_inside_the_article_makes_no_version() {
    let server = PageServer::start();
    server.route(
        "/a",
        Route::dynamic(|n| with_inner_noise(n, article::render(n, |p| p)).into_bytes()),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/a");
    assert_eq!(ws.check_one(&url)["status"], "new");
    for _ in 0..3 {
        assert_eq!(ws.check_one(&url)["status"], "unchanged");
    }
    let text = ws.json_lines(&["show", &url, "--json"])[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    for noise in [
        "minutes ago",
        "comments",
        "shares",
        "Sponsored",
        "you may have missed",
    ] {
        assert!(!text.contains(noise), "{noise:?} is not article text");
    }
}

fn serve_sequence(server: &PageServer, path: &str, html: String) {
    server.route(path, Route::html(html));
}

#[test]
fn walls_error_pages_and_vanished_articles_are_suspect_until_they_persist() {
    let server = PageServer::start();
    let good = article::render(1, |p| p);
    serve_sequence(&server, "/a", good.clone());
    let ws = Workspace::new();
    ws.write_config("[noise]\nsuspect_after = 2\n");
    let url = server.url("/a");
    assert_eq!(ws.check_one(&url)["status"], "new");

    let walls = [
        "<html><head><title>Just a moment...</title></head><body><h1>Checking your browser before accessing example.com</h1><p>Please enable JavaScript and cookies to continue.</p></body></html>",
        "<html><head><title>Before you continue</title></head><body><h1>We value your privacy</h1><p>We and our partners use cookies to store and access information on your device. Accept all cookies or manage your choices.</p></body></html>",
        "<html><head><title>Page not found</title></head><body><h1>404 Not Found</h1><p>Sorry, the page you were looking for may have been moved or removed from our site.</p></body></html>",
        "<html><body><nav><a href=\"/\">Home</a></nav></body></html>",
    ];
    for wall in walls {
        serve_sequence(&server, "/a", wall.to_string());
        let r = ws.check_one(&url);
        assert_eq!(r["status"], "suspect", "{wall}: {r}");
        assert!(r["error"].is_string());
        assert_eq!(
            r["version"], 1,
            "the suspect check names the version still standing"
        );
        // Back to normal in between: the wall was transient.
        serve_sequence(&server, "/a", good.clone());
        assert_eq!(ws.check_one(&url)["status"], "unchanged");
    }
    // A body cut to its first paragraph (a paywall teaser) is suspect too.
    serve_sequence(
        &server,
        "/a",
        good.replace(
            "<h2 class=\"subheader\">",
            "<!--cut--><h2 class=\"subheader\">",
        )
        .split("<!--cut-->")
        .next()
        .unwrap()
        .to_string()
            + "</div></article></main></body></html>",
    );
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "suspect", "{r}");
    assert!(r["error"].as_str().unwrap().starts_with("shrunk:"), "{r}");
    assert_eq!(
        ws.json_lines(&["history", &url, "--json"]).len(),
        1,
        "no version from any of it"
    );

    // The article is really gone: the same state twice is recorded.
    serve_sequence(&server, "/a", walls[2].to_string());
    assert_eq!(ws.check_one(&url)["status"], "suspect");
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "changed", "{r}");
    assert_eq!(r["class"], "removed");
    let list = ws.json_lines(&["list", "--json"]);
    assert!(
        list[0]["last_error"].is_null(),
        "a recorded change is not an error"
    );
}

#[test]
fn a_flapping_headline_is_stored_as_reverts_and_alerts_pause() {
    let server = PageServer::start();
    let ws = Workspace::new();
    ws.write_config("[noise]\nflap_limit = 2\n");
    let url = server.url("/a");
    let a = article::title().to_string();
    let b = "UN report: China may have committed crimes against humanity in Xinjiang".to_string();
    let mut stderr_all = String::new();
    for (i, title) in [&a, &b, &a, &b, &a].iter().enumerate() {
        let t = (*title).clone();
        let a2 = a.clone();
        server.route(
            "/a",
            Route::dynamic(move |n| article::render(n, |p| p.replace(&a2, &t)).into_bytes()),
        );
        let out = ws.run(&["-v", "check", "--json", &url]);
        assert!(out.status.success());
        stderr_all.push_str(&String::from_utf8_lossy(&out.stderr));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let expected = match i {
            0 => ("new", None),
            1 => ("changed", Some("headline")),
            _ => ("changed", Some("revert")),
        };
        assert_eq!(r["status"], expected.0, "check {i}: {r}");
        assert_eq!(r["class"].as_str(), expected.1, "check {i}: {r}");
    }
    let history = ws.json_lines(&["history", &url, "--json"]);
    assert_eq!(history.len(), 5);
    assert_eq!(history[2]["revert_of"], 1);
    assert_eq!(history[3]["revert_of"], 2);
    assert_eq!(history[4]["revert_of"], 1);
    assert_eq!(
        history[2]["title"],
        a.as_str(),
        "a revert shows the text it returned to"
    );
    assert_eq!(
        history[3]["alert_paused"], true,
        "the third alternation is past the limit of two"
    );
    assert_eq!(history[2]["alert_paused"], false);
    assert!(
        ws.ok(&["history", &url])
            .contains("[flapping: alerts paused]")
    );
    // Alerts: versions 2 and 3 were reported, 4 and 5 were held back.
    assert_eq!(
        stderr_all.matches("article changed").count(),
        2,
        "{stderr_all}"
    );

    // The revert stores no second copy of the text.
    let db = rusqlite::Connection::open(ws.db()).unwrap();
    let (text_len, raw_len): (i64, i64) = db
        .query_row(
            "SELECT length(text), (SELECT COUNT(*) FROM pages p WHERE p.version_id = versions.id)
             FROM versions WHERE number = 3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((text_len, raw_len), (0, 0));
    let shown = &ws.json_lines(&["show", &url, "--version", "3", "--json"])[0];
    assert_eq!(shown["text"], article::paragraphs().join("\n\n"));
}

#[test]
fn ignore_exclude_and_date_masks() {
    let server = PageServer::start();
    let ws = Workspace::new();
    let url = server.url("/a");
    ws.write_config(&format!(
        "[defaults]\nmasks = [\"dates\"]\ninterval = \"1h\"\n\n[[target]]\nurl = \"{url}\"\nignore = [\"Reading time: \\\\d+ min\"]\nexclude = [\"div.live-box\"]\n"
    ));
    let page = |n: u64| {
        article::render(n, |p| {
            p.replacen(
                "      <h2 class=\"subheader\">",
                &format!(
                    "      <p>Reading time: {} min. The figures below were correct on {} November 2026, the office said.</p>\n      \
                     <div class=\"live-box\"><p>Live: the index rose {n} points in early trading, with banks leading the gains.</p></div>\n      \
                     <h2 class=\"subheader\">",
                    n % 9 + 2,
                    n % 28 + 1
                ),
                1,
            )
        })
    };
    server.route("/a", Route::dynamic(move |n| page(n).into_bytes()));
    assert_eq!(ws.check(&[])[&url]["status"], "new");
    for _ in 0..2 {
        assert_eq!(ws.check(&[])[&url]["status"], "unchanged");
    }
    let text = ws.json_lines(&["show", &url, "--json"])[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("Reading time:"),
        "the stored text keeps what is ignored"
    );
    assert!(!text.contains("index rose"), "excluded elements are gone");
    // A real edit next to the masked parts is still seen.
    server.route(
        "/a",
        Route::dynamic(move |n| {
            page(n)
                .replace("the office said", "the office said on Friday")
                .into_bytes()
        }),
    );
    let r = ws.check(&[]).remove(&url).unwrap();
    assert_eq!(r["status"], "changed");
    assert_eq!(r["class"], "minor");
}

#[test]
fn classes_are_reported_and_alert_filters_apply() {
    let server = PageServer::start();
    let ws = Workspace::new();
    ws.write_config("[[alert]]\nkind = \"log\"\nclasses = [\"headline\", \"substantive\"]\n");
    let url = server.url("/a");
    type Edit = fn(String) -> String;
    let edits: [(Edit, &str, bool); 4] = [
        (|p| p, "", false),
        // Quotes and case only: cosmetic.
        (
            |p| {
                p.replace("“rightfully rejecting”", "\"rightfully rejecting\"")
                    .replace("Separately on Thursday", "separately on Thursday")
            },
            "cosmetic",
            false,
        ),
        // A word: minor.
        (
            |p| p.replace("131-page document", "131-page response"),
            "minor",
            false,
        ),
        // A paragraph: substantive.
        (
            |p| {
                p.replacen("      <h2 class=\"subheader\">", "      <p>In a statement on Friday, China’s mission in Geneva denied every allegation in the report and called it a farce.</p>\n      <h2 class=\"subheader\">", 1)
            },
            "substantive",
            true,
        ),
    ];
    let mut applied: Vec<Edit> = Vec::new();
    for (i, (edit, class, alerted)) in edits.iter().enumerate() {
        applied.push(*edit);
        let chain = applied.clone();
        server.route(
            "/a",
            Route::dynamic(move |n| {
                article::render(n, |p| chain.iter().fold(p, |acc, f| f(acc))).into_bytes()
            }),
        );
        let out = ws.run(&["-v", "check", "--json", &url]);
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if i == 0 {
            assert_eq!(r["status"], "new");
            continue;
        }
        assert_eq!(r["class"], *class, "{r}");
        assert_eq!(
            stderr.contains("article changed"),
            *alerted,
            "alert for {class}: {stderr}"
        );
    }
    let history = ws.json_lines(&["history", &url, "--json"]);
    let classes: Vec<&str> = history
        .iter()
        .skip(1)
        .map(|h| h["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, vec!["cosmetic", "minor", "substantive"]);
    let changes = ws.json_lines(&["changes", "--json"]);
    assert_eq!(changes[0]["class"], "substantive", "newest first");
}

#[test]
fn moved_and_rewritten_paragraphs_read_well() {
    let server = PageServer::start();
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/a");
    server.route(
        "/a",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    ws.check_one(&url);
    let first = article::paragraphs()[0].to_string();
    let rewritten_from = article::paragraphs()[2].to_string();
    server.route(
        "/a",
        Route::dynamic(move |n| {
            article::render(n, |p| {
                let first_html = format!("<p class=\"paragraph inline-placeholder\" data-component-name=\"paragraph\">{first}</p>");
                let p = p.replacen(&format!("      {first_html}\n"), "", 1);
                let p = p.replacen("      <h2 class=\"subheader\">", &format!("      {first_html}\n      <h2 class=\"subheader\">"), 1);
                p.replace(&rewritten_from, "Diplomats in Geneva expect a heated session of the Human Rights Council when the findings are debated next month.")
            })
            .into_bytes()
        }),
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");
    let word = ws.ok(&["diff", &url]);
    assert!(
        word.contains("(moved here) @@\nAccording to the UN report"),
        "{word}"
    );
    let diff: serde_json::Value =
        serde_json::from_str(&ws.ok(&["diff", &url, "--format", "json"])).unwrap();
    let changes = diff["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["moved"] == true));
    let rewrite = changes
        .iter()
        .find(|c| c["kind"] == "replace")
        .expect("the rewritten paragraph");
    assert!(
        rewrite["old"]
            .as_str()
            .unwrap()
            .starts_with("Beijing’s response was released"),
        "{rewrite}"
    );
    assert!(
        rewrite["new"]
            .as_str()
            .unwrap()
            .starts_with("Diplomats in Geneva"),
        "{rewrite}"
    );
}
