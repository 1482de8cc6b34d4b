//! `redline run`: checks targets when due and stops cleanly on SIGTERM.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{PageServer, Route, Workspace, article, sigterm, wait_exit, wait_for};

#[test]
fn sigterm_during_a_check_finishes_it_and_exits_0() {
    let server = PageServer::start();
    server.route(
        "/fast",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    server.route(
        "/slow",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes())
            .delay(Duration::from_millis(1200)),
    );
    let ws = Workspace::new();
    ws.write_config(&format!(
        "[[target]]\nurl = \"{}\"\ninterval = \"1s\"\n\n[[target]]\nurl = \"{}\"\ninterval = \"1h\"\n",
        server.url("/fast"),
        server.url("/slow")
    ));
    let mut child = ws
        .cmd(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The fast target is checked again and again at its 1s interval.
    wait_for("repeated checks", Duration::from_secs(20), || {
        server.hits("/fast") >= 2
    });
    // The slow target's first check is in flight (the server holds it
    // 1.2 s): stop the daemon now, and make sure it was mid-check.
    wait_for("the slow check", Duration::from_secs(10), || {
        server.hits("/slow") > 0
    });
    sigterm(child.id());
    assert!(
        server.in_flight() > 0,
        "SIGTERM arrived while the slow check was in flight"
    );
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "daemon did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = {
        let mut s = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut s).unwrap();
        s
    };
    assert_eq!(
        status.code(),
        Some(0),
        "exit 0 on SIGTERM; stderr:\n{stderr}"
    );

    // The in-flight check was finished and committed, not cut in half.
    let slow = ws.json_lines(&["history", &server.url("/slow"), "--json"]);
    assert_eq!(
        slow.len(),
        1,
        "the slow check finished before exit: {stderr}"
    );
    let fast = ws.json_lines(&["history", &server.url("/fast"), "--json"]);
    assert_eq!(fast.len(), 1, "furniture churn made no versions");

    // Every check row is whole: each stored version has its check.
    let db = rusqlite::Connection::open(ws.db()).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let orphans: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM versions v WHERE NOT EXISTS
             (SELECT 1 FROM checks c WHERE c.target_id = v.target_id AND c.version = v.number AND c.outcome IN ('new','changed'))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    let unchanged: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM checks WHERE outcome = 'unchanged'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(unchanged >= 1, "the fast target was checked more than once");
}

#[test]
fn the_daemon_records_a_change_and_survives_a_failing_target() {
    let server = PageServer::start();
    server.route(
        "/a",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    server.route("/down", Route::status(500));
    let ws = Workspace::new();
    ws.write_config(&format!(
        "[[target]]\nurl = \"{}\"\ninterval = \"1s\"\n\n[[target]]\nurl = \"{}\"\ninterval = \"1s\"\n",
        server.url("/a"),
        server.url("/down")
    ));
    let child = ws
        .cmd(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("first checks", Duration::from_secs(20), || {
        server.hits("/a") >= 1 && server.hits("/down") >= 2
    });
    server.route(
        "/a",
        Route::dynamic(|n| {
            article::render(n, |p| p.replace("131-page document", "131-page response")).into_bytes()
        }),
    );
    wait_for("the change", Duration::from_secs(20), || {
        ws.json_lines(&["history", &server.url("/a"), "--json"])
            .len()
            == 2
    });
    wait_for(
        "retries of the failing target",
        Duration::from_secs(20),
        || server.hits("/down") >= 3,
    );
    let stderr = ws.stop_daemon(child);
    // The log sink reported the change.
    assert!(stderr.contains("article changed"), "{stderr}");
    assert!(stderr.contains("[-document-]{+response+}"), "{stderr}");
}

#[test]
fn one_process_fetches_for_a_database_and_the_rest_are_told_which() {
    let server = PageServer::start();
    server.route(
        "/a",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    let ws = Workspace::new();
    let url = server.url("/a");
    ws.write_config(&format!("[[target]]\nurl = \"{url}\"\ninterval = \"1h\"\n"));
    let daemon = ws.start_daemon();
    wait_for("the first check", Duration::from_secs(20), || {
        let out = ws.run(&["history", &url, "--json"]);
        out.status.success() && !out.stdout.is_empty()
    });
    let hits = server.hits("/a");
    // A second daemon, a one-shot check and a poll now would each fetch
    // beside it, with politeness counted apart: all refused, naming the
    // daemon, with exit status 1.
    for args in [
        vec!["run"],
        vec!["check", url.as_str()],
        vec!["sources", "--poll"],
    ] {
        let out = ws.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("`redline run` (pid {},", daemon.id())),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(
        server.hits("/a"),
        hits,
        "nothing was fetched beside the daemon"
    );
    // Commands that only read or edit the watch list work beside it.
    assert_eq!(ws.json_lines(&["list", "--json"]).len(), 1);
    ws.ok(&["add", &server.url("/b")]);
    ws.stop_daemon(daemon);
    // Once it is gone, however it went, the next one gets the database: a
    // daemon killed outright leaves its lock file behind, but not its lock.
    let mut again = ws.start_daemon();
    let lock = std::path::PathBuf::from(format!("{}.lock", ws.db().display()));
    wait_for("the new daemon's lock", Duration::from_secs(20), || {
        std::fs::read_to_string(&lock)
            .is_ok_and(|held| held.contains(&format!("(pid {},", again.id())))
    });
    again.kill().unwrap();
    wait_exit(&mut again, Duration::from_secs(20));
    assert!(lock.exists());
    assert_eq!(ws.check(&[&url]).len(), 1);
}
