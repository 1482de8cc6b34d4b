//! Failing targets give an error check and no version, and never stop the
//! other targets.

use std::time::Duration;

use crate::harness::{PageServer, Route, Workspace, article, refused_url};

#[test]
fn each_failure_is_an_error_check_while_other_targets_succeed() {
    let server = PageServer::start();
    server.route(
        "/good",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    server.route("/missing", Route::status(404));
    server.route("/broken", Route::status(500));
    server.route(
        "/slow",
        Route::html(article::render(1, |p| p)).delay(Duration::from_secs(5)),
    );
    server.route(
        "/trickle",
        Route::html(article::render(1, |p| p)).trickle(Duration::from_millis(50)),
    );
    let huge = article::render(1, |p| {
        p.replace(
            "</body>",
            &format!("<p>{}</p></body>", "x".repeat(1_200_000)),
        )
    });
    server.route("/huge", Route::html(huge.clone()));
    server.route("/huge-chunked", Route::html(huge).no_length());
    server.route(
        "/pdf",
        Route::html(b"%PDF-1.7".to_vec()).content_type("application/pdf"),
    );
    server.route(
        "/empty",
        Route::html("<html><body><nav><a href=\"/\">Home</a></nav></body></html>"),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let refused = refused_url();
    let urls: Vec<String> = [
        "/good",
        "/missing",
        "/broken",
        "/slow",
        "/trickle",
        "/huge",
        "/huge-chunked",
        "/pdf",
        "/empty",
    ]
    .iter()
    .map(|p| server.url(p))
    .chain([refused.clone()])
    .collect();
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let reports = ws.check(&args);
    assert_eq!(reports.len(), urls.len());

    assert_eq!(reports[&server.url("/good")]["status"], "new");
    let expect_error = |path_or_url: &str, words: &[&str]| {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            server.url(path_or_url)
        };
        let r = &reports[&url];
        assert_eq!(r["status"], "error", "{url}: {r}");
        assert!(r["version"].is_null());
        let msg = r["error"].as_str().unwrap();
        for w in words {
            assert!(msg.contains(w), "{url}: error {msg:?} should mention {w:?}");
        }
        assert!(msg.contains(&url), "{url}: the error names the URL: {msg}");
    };
    expect_error("/missing", &["404"]);
    expect_error("/broken", &["500"]);
    expect_error("/slow", &["did not answer within 2s"]);
    expect_error("/trickle", &["did not answer within 2s"]);
    expect_error("/huge", &["1000000 bytes"]);
    expect_error("/huge-chunked", &["1000000 bytes"]);
    expect_error("/pdf", &["application/pdf"]);
    expect_error(&refused, &["connect"]);
    let empty = &reports[&server.url("/empty")];
    assert_eq!(empty["status"], "error");
    assert!(
        empty["error"]
            .as_str()
            .unwrap()
            .contains("no article found"),
        "{empty}"
    );

    // Nothing was stored for the failures, and the error is on the target.
    for url in urls.iter().filter(|u| !u.ends_with("/good")) {
        assert!(
            ws.json_lines(&["history", url, "--json"]).is_empty(),
            "{url} has no versions"
        );
    }
    let list = ws.json_lines(&["list", "--json"]);
    let missing = list
        .iter()
        .find(|t| t["url"] == server.url("/missing").as_str())
        .unwrap();
    assert!(missing["last_error"].as_str().unwrap().contains("404"));
    assert!(missing["last_check"].is_string());
    let good = list
        .iter()
        .find(|t| t["url"] == server.url("/good").as_str())
        .unwrap();
    assert!(good["last_error"].is_null());
    assert_eq!(good["versions"], 1);
}

#[test]
fn a_failure_after_a_good_version_keeps_the_history() {
    let server = PageServer::start();
    server.route(
        "/a",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/a");
    assert_eq!(ws.check_one(&url)["status"], "new");
    server.route("/a", Route::status(503));
    assert_eq!(ws.check_one(&url)["status"], "error");
    server.route(
        "/a",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    let r = ws.check_one(&url);
    assert_eq!(r["status"], "unchanged", "an outage is not a change: {r}");
    assert_eq!(ws.json_lines(&["history", &url, "--json"]).len(), 1);
    let list = ws.json_lines(&["list", "--json"]);
    assert!(
        list[0]["last_error"].is_null(),
        "a good check clears the error"
    );
}

#[test]
fn a_database_file_that_is_not_whole_is_refused_and_left_alone() {
    let ws = Workspace::new();
    ws.write_config("");
    // Not SQLite at all.
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(ws.db(), &garbage).unwrap();
    for args in [&["list"][..], &["history", "https://e.example/a"], &["run"]] {
        let out = ws.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("not a database"), "{args:?}: {stderr}");
        assert!(stderr.contains("redline.db"), "names the file: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(
        std::fs::read(ws.db()).unwrap(),
        garbage,
        "never overwritten"
    );

    // A real database cut short (its write-ahead log folded in first, so
    // the main file alone holds everything, then half of it lost).
    std::fs::remove_file(ws.db()).unwrap();
    for i in 0..20 {
        ws.ok(&["add", &format!("https://e.example/story-{i}")]);
    }
    let db = rusqlite::Connection::open(ws.db()).unwrap();
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(db);
    let whole = std::fs::read(ws.db()).unwrap();
    assert!(whole.len() >= 3 * 4096, "a few pages");
    let cut = &whole[..whole.len() / 2];
    std::fs::write(ws.db(), cut).unwrap();
    for args in [
        &["list"][..],
        &["history", "https://e.example/story-1"],
        &["run"],
    ] {
        let out = ws.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("the file is truncated"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(std::fs::read(ws.db()).unwrap(), cut, "never written to");
}
