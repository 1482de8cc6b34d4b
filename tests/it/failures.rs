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
        // Redline's own check, or SQLite's when it meets the missing pages
        // first: either way the file is named and nothing is read as empty.
        assert!(
            stderr.contains("the file is truncated") || stderr.contains("malformed"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("redline.db"), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read(ws.db()).unwrap(), cut, "never written to");
}

/// Mounts a tmpfs of `size` at `dir` for the life of the guard; `None`
/// (with a loud note) where this process may not mount.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Self> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // CI runs as root and sets this, so there the test cannot be
            // skipped by accident.
            assert!(
                std::env::var_os("REDLINE_CI").is_none(),
                "cannot mount a tmpfs at {}",
                dir.display()
            );
            eprintln!("SKIPPED: this test needs to mount a tmpfs (run as root, as .ci/run does)");
            return None;
        }
        Some(Self(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        self.remount(&format!("size={size}"));
    }

    fn remount(&self, options: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_full_disk_fails_checks_cleanly_and_the_daemon_recovers() {
    let ws = Workspace::new();
    let Some(disk) = Tmpfs::mount(ws.path(), "2m") else {
        return;
    };
    // Pages whose text changes completely on every fetch, in words that do
    // not compress: each check stores a new version of some 40 KB.
    let server = PageServer::start();
    for i in 0..8u64 {
        server.route(
            &format!("/news/{i}"),
            Route::dynamic(move |n| {
                let mut x = (n * 8 + i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let words: String = (0..3000)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        format!("w{:x} ", x % 0xfffff)
                    })
                    .collect();
                article::render(n, |p| p.replace("40 people", &format!("40 people {words}")))
                    .into_bytes()
            }),
        );
    }
    let targets: String = (0..8)
        .map(|i| {
            format!(
                "[[target]]\nurl = \"{}\"\ninterval = \"1s\"\n\n",
                server.url(&format!("/news/{i}"))
            )
        })
        .collect();
    ws.write_config(&targets);
    let logs = tempfile::tempdir().unwrap();
    let log_path = logs.path().join("daemon.log");
    let mut daemon = ws
        .cmd(&["run"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    crate::harness::wait_for("the disk to fill", Duration::from_secs(60), || {
        log().contains("disk is full")
    });
    // A clear error naming the database; the daemon is still running.
    let text = log();
    let line = text.lines().find(|l| l.contains("disk is full")).unwrap();
    assert!(line.contains("redline.db"), "{line}");
    assert!(
        daemon.try_wait().unwrap().is_none(),
        "the daemon carries on:\n{text}"
    );
    // Nothing half-written.
    let count_versions = || {
        let db = rusqlite::Connection::open_with_flags(
            ws.db(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let integrity: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        let gaps: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM (SELECT target_id FROM versions GROUP BY target_id
                 HAVING MAX(number) <> COUNT(*))",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(gaps, 0, "version numbers without gaps");
        db.query_row("SELECT COUNT(*) FROM versions", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let when_full = count_versions();
    // Space returns: the daemon stores versions again by itself.
    disk.resize("64m");
    crate::harness::wait_for(
        "versions after the disk had room",
        Duration::from_secs(60),
        || count_versions() >= when_full + 8,
    );
    crate::harness::sigterm(daemon.id());
    let status = crate::harness::wait_exit(&mut daemon, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", log());
    count_versions();
}

#[test]
fn a_database_on_a_read_only_disk_is_read_and_never_half_written() {
    let ws = Workspace::new();
    let Some(disk) = Tmpfs::mount(ws.path(), "4m") else {
        return;
    };
    ws.write_config("");
    ws.ok(&["add", "https://e.example/a"]);
    disk.remount("ro");
    let before = std::fs::read(ws.db()).unwrap();
    // Reports still read it (history, changes: read-only connections).
    let out = ws.ok(&["history", "https://e.example/a"]);
    assert!(
        out.contains("no versions of https://e.example/a yet"),
        "{out}"
    );
    ws.ok(&["changes"]);
    // Whatever must write says so, naming the database, with status 1.
    for (args, words) in [
        (&["run"][..], "Read-only file system"),
        (&["check", "https://e.example/a"], "Read-only file system"),
        (&["add", "https://e.example/b"], "cannot be written"),
        (&["list"], "cannot be written"),
    ] {
        let out = ws.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert!(
            stderr.contains("redline.db"),
            "{args:?} names the database: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(std::fs::read(ws.db()).unwrap(), before);
}
