//! Config errors and exit codes, config targets vs database targets, and the
//! report commands' formats.

use crate::harness::{PageServer, Route, Workspace, article};

#[test]
fn broken_config_exits_2_naming_file_and_line() {
    let ws = Workspace::new();
    std::fs::write(
        ws.config_path(),
        "[fetch]\ntimeout = \"30s\"\n\n[[target]]\nurl = \"https://example.com/a\"\ninterval = \"fortnightly\"\n",
    )
    .unwrap();
    let out = ws.run(&["list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("redline.toml:6:12"),
        "names file, line and column: {err}"
    );
    assert!(err.contains("fortnightly"), "{err}");

    std::fs::write(
        ws.config_path(),
        "[fetch]\ntimeout = \"30s\"\nretries = 3\n",
    )
    .unwrap();
    let out = ws.run(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("redline.toml:3:1") && err.contains("retries"),
        "{err}"
    );

    std::fs::write(
        ws.config_path(),
        "[[target]]\nurl = \"https://e.com/\"\nselector = \"div >> p\"\n",
    )
    .unwrap();
    let out = ws.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("redline.toml:3:"));
}

#[test]
fn missing_config_file_and_bad_arguments_exit_2() {
    let ws = Workspace::new();
    let out = ws.run(&["list"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "named config file does not exist"
    );
    ws.write_config("");
    assert_eq!(ws.run(&["history", "not a url"]).status.code(), Some(2));
    assert_eq!(
        ws.run(&["add", "https://e.com/a", "--interval", "soon"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        ws.run(&["add", "https://e.com/a", "--selector", "p[["])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(ws.run(&["frobnicate"]).status.code(), Some(2));
    // A URL that is not watched is a runtime failure, with a hint.
    let out = ws.run(&["history", "https://e.com/never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not watched"));
    // Help documents the exit codes.
    let help = ws
        .ok(&["--help"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains("2 usage or configuration error"), "{help}");
}

#[test]
fn config_targets_live_in_the_database_and_keep_history_when_removed() {
    let server = PageServer::start();
    server.route(
        "/a",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    server.route(
        "/b",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    let ws = Workspace::new();
    let (a, b) = (server.url("/a"), server.url("/b"));
    // The fixture article is from 2022: past the age schedule, so B is
    // retired after its first check (A has a fixed interval).
    ws.write_config(&format!(
        "[[target]]\nurl = \"{a}\"\nname = \"Story A\"\ninterval = \"10m\"\n\n[[target]]\nurl = \"{b}\"\n"
    ));
    let first = ws.check(&[]);
    assert_eq!(first.len(), 2);
    assert!(first.values().all(|r| r["status"] == "new"));

    // Added from the command line too.
    let server_c = server.url("/a?edition=intl");
    server.route(
        "/a?edition=intl",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    assert!(
        ws.ok(&["add", &server_c, "--name", "Intl", "--interval", "2h"])
            .contains("added")
    );

    // B leaves the config: no longer checked, history kept, listed as removed.
    ws.write_config(&format!(
        "[[target]]\nurl = \"{a}\"\nname = \"Story A\"\ninterval = \"10m\"\n"
    ));
    let list = ws.json_lines(&["list", "--json"]);
    let find = |url: &str| list.iter().find(|t| t["url"] == url).unwrap().clone();
    assert_eq!(find(&a)["state"], "active");
    assert_eq!(find(&a)["name"], "Story A");
    assert_eq!(find(&a)["interval"], "10m");
    assert_eq!(find(&b)["state"], "removed");
    assert_eq!(find(&b)["versions"], 1);
    assert_eq!(find(&server_c)["interval"], "2h");
    for key in [
        "url",
        "name",
        "state",
        "interval",
        "versions",
        "last_check",
        "last_change",
        "last_error",
        "source",
    ] {
        assert!(find(&a).get(key).is_some(), "list --json has key {key}");
    }
    let checked = ws.check(&[]);
    assert_eq!(
        checked.len(),
        2,
        "A and the CLI target; B is not checked: {checked:?}"
    );
    assert_eq!(server.hits("/b"), 1);
    assert_eq!(ws.json_lines(&["history", &b, "--json"]).len(), 1);

    // A config target cannot be removed from the command line.
    assert_eq!(ws.run(&["remove", &a]).status.code(), Some(2));
    // A CLI target can; --purge deletes its history.
    ws.ok(&["remove", &server_c]);
    assert_eq!(ws.json_lines(&["history", &server_c, "--json"]).len(), 1);
    ws.ok(&["remove", &server_c, "--purge"]);
    assert_eq!(ws.run(&["history", &server_c]).status.code(), Some(1));
}

#[test]
fn report_commands_and_formats() {
    let server = PageServer::start();
    server.route(
        "/a",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/a");
    ws.check_one(&url);
    server.route(
        "/a",
        Route::dynamic(|n| {
            article::render(n, |p| {
                p.replace(
                    "Twenty-six of those interviewed",
                    "Twenty-seven of those interviewed",
                )
            })
            .into_bytes()
        }),
    );
    ws.check_one(&url);

    let history = ws.json_lines(&["history", &url, "--json"]);
    for key in [
        "version",
        "captured_at",
        "title",
        "words",
        "added",
        "removed",
        "class",
    ] {
        assert!(
            history[1].get(key).is_some(),
            "history --json has key {key}"
        );
    }
    let captured = history[1]["captured_at"].as_str().unwrap();
    assert!(
        captured.ends_with('Z') && captured.contains('T'),
        "RFC 3339 UTC: {captured}"
    );

    let text = ws.ok(&["history", &url]);
    assert!(
        text.contains("VERSION") && text.lines().count() == 3,
        "{text}"
    );

    let v1 = &ws.json_lines(&["show", &url, "--version", "1", "--json"])[0];
    assert!(v1["text"].as_str().unwrap().contains("Twenty-six"));
    for key in [
        "url",
        "version",
        "captured_at",
        "title",
        "text",
        "byline",
        "published",
        "modified",
        "canonical",
        "description",
    ] {
        assert!(v1.get(key).is_some(), "show --json has key {key}");
    }
    assert!(ws.ok(&["show", &url]).contains("Twenty-seven"));
    assert_eq!(
        ws.run(&["show", &url, "--version", "9"]).status.code(),
        Some(1)
    );

    let unified = ws.ok(&["diff", &url, "--format", "unified"]);
    assert!(
        unified.contains("--- version 1") && unified.contains("+++ version 2"),
        "{unified}"
    );
    assert!(
        unified
            .lines()
            .any(|l| l.starts_with('-') && l.contains("Twenty-six"))
    );
    assert!(
        unified
            .lines()
            .any(|l| l.starts_with('+') && l.contains("Twenty-seven"))
    );

    let html = ws.ok(&["diff", &url, "--format", "html", "--from", "1", "--to", "2"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("Twenty-<del>six</del><ins>seven</ins>"),
        "inline marks"
    );
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "self-contained"
    );
    // It reads as a page: the article text is all there.
    let doc = scraper::Html::parse_document(&html);
    let text: String = doc.root_element().text().collect();
    assert!(text.contains("Inside Xinjiang") && text.contains(article::title()));

    let changes = ws.json_lines(&["changes", "--since", "1h", "--json"]);
    assert_eq!(changes.len(), 1);
    for key in [
        "url",
        "from",
        "to",
        "captured_at",
        "class",
        "added",
        "removed",
        "title",
    ] {
        assert!(
            changes[0].get(key).is_some(),
            "changes --json has key {key}"
        );
    }
    assert!(ws.ok(&["changes"]).contains("v1→v2"));

    // Version 1 alone has nothing to compare with.
    let server2 = server.url("/a?single");
    server.route(
        "/a?single",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    ws.check_one(&server2);
    let out = ws.run(&["diff", &server2]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only one version"));
}

#[test]
fn extract_prints_the_article_and_stores_nothing() {
    let ws = Workspace::new();
    ws.write_config("");
    let page = ws.path().join("page.html");
    std::fs::write(&page, article::render(1, |p| p)).unwrap();
    let empty = ws.path().join("empty.html");
    std::fs::write(&empty, "<html><body></body></html>").unwrap();
    let out = ws.run(&[
        "extract",
        "--json",
        page.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "one input failed");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["title"], article::title());
    assert_eq!(lines[0]["text"], article::paragraphs().join("\n\n"));
    assert_eq!(lines[0]["byline"], "Simone McCarthy");
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("no article found")
    );
    assert!(!ws.db().exists(), "extract stores nothing");

    let out = ws.ok(&[
        "extract",
        "--selector",
        "section#comments",
        page.to_str().unwrap(),
    ]);
    assert!(
        out.contains("Leave a Reply"),
        "the selector picks the body: {out}"
    );
}

/// `redline extract --json` over many files in one process gives exactly
/// the text the library (and so the extraction eval) gives.
#[test]
fn extract_cli_matches_the_library_on_many_files() {
    let ws = Workspace::new();
    ws.write_config("");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for (name, html) in [
        ("un.html", article::render(3, |p| p)),
        (
            "wp.html",
            include_str!("../fixtures/wordpress-opengraph.html").to_string(),
        ),
        (
            "ld.html",
            include_str!("../fixtures/jsonld-graph.html").to_string(),
        ),
        (
            "old.html",
            include_str!("../fixtures/time-only.html").to_string(),
        ),
    ] {
        let path = ws.path().join(name);
        std::fs::write(&path, html).unwrap();
        files.push(path);
    }
    // The extraction benchmark's pages too, when the shared data is beside
    // the checkout (as on developer machines and CI).
    let bench = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/extraction-bench/dev/html");
    if let Ok(entries) = std::fs::read_dir(&bench) {
        let mut pages: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        pages.sort();
        files.extend(pages);
    }
    let mut args = vec!["extract".to_string(), "--json".to_string()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ws.run(&args);
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), files.len());
    for (path, line) in files.iter().zip(&lines) {
        let mut bytes = std::fs::read(path).unwrap();
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::MultiGzDecoder::new(bytes.as_slice()),
                &mut plain,
            )
            .unwrap();
            bytes = plain;
        }
        let html = redline::decode::decode(&bytes, None, None).text;
        match redline::extract::extract(&html, None, None) {
            Ok(a) => assert_eq!(line["text"], a.text, "{}", path.display()),
            Err(_) => assert!(line["error"].is_string(), "{}", path.display()),
        }
    }
}
