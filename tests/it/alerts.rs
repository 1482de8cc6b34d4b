//! Webhook alerts that are never lost: receivers that fail, go down, are
//! slow or say 410; signatures checked with an independent implementation;
//! failure alerts; and a daemon killed while delivering.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{PageServer, Receiver, Route, Workspace, article, wait_exit};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn webhook_config(receiver: &Receiver, extra: &str) -> String {
    format!(
        "[[alert]]\nkind = \"webhook\"\nname = \"newsroom\"\nurl = \"{}\"\nsecret = \"{SECRET}\"\nretry_min = \"100ms\"\nretry_max = \"300ms\"\n{extra}\n",
        receiver.url()
    )
}

fn verify(r: &crate::harness::Received) {
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    wh.verify(r.body.as_bytes(), &r.headers)
        .expect("a valid Standard Webhooks signature");
    assert_eq!(
        r.headers["webhook-id"].to_str().unwrap(),
        r.json()["id"],
        "the body carries the webhook-id"
    );
}

fn edit(server: &PageServer, path: &str, edits: Vec<(&'static str, &'static str)>) {
    server.route(
        path,
        Route::dynamic(move |n| {
            article::render(n, |p| edits.iter().fold(p, |acc, (a, b)| acc.replace(a, b)))
                .into_bytes()
        }),
    );
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn alerts_survive_errors_and_an_outage_and_arrive_in_order_signed() {
    let server = PageServer::start();
    let mut receiver = Receiver::start(|n| (if n <= 2 { 500 } else { 200 }, Duration::ZERO));
    let ws = Workspace::new();
    ws.write_config(&webhook_config(&receiver, ""));
    let url = server.url("/a");
    edit(&server, "/a", vec![]);
    assert_eq!(ws.check_one(&url)["status"], "new");

    // Change 1: the receiver answers 500.
    edit(
        &server,
        "/a",
        vec![("131-page document", "131-page response")],
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");
    std::thread::sleep(Duration::from_millis(400));
    // Change 2: the first alert is retried (500 again), the second waits its turn.
    edit(
        &server,
        "/a",
        vec![
            ("131-page document", "131-page response"),
            ("Twenty-six", "Twenty-seven"),
        ],
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");
    assert_eq!(receiver.delivered().len(), 0);
    // The receiver goes down; change 3 meets a refused connection.
    receiver.down();
    std::thread::sleep(Duration::from_millis(400));
    edit(
        &server,
        "/a",
        vec![
            ("131-page document", "131-page response"),
            ("Twenty-six", "Twenty-seven"),
            ("40 people", "41 people"),
        ],
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");
    let pending = ws.json_lines(&["alerts", "--pending", "--json"]);
    assert_eq!(pending.len(), 3, "{pending:?}");
    assert!(pending.iter().any(|d| d["attempts"].as_u64().unwrap() >= 2));
    for key in [
        "id",
        "sink",
        "event",
        "url",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
    ] {
        assert!(pending[0].get(key).is_some(), "alerts --json has {key}");
    }
    // Back up: every alert arrives, in order, signed.
    receiver.up();
    std::thread::sleep(Duration::from_millis(400));
    ws.check_one(&url);
    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 3, "{delivered:?}");
    let versions: Vec<u64> = delivered
        .iter()
        .map(|r| r.json()["data"]["to"]["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 3, 4], "in order");
    for r in &delivered {
        verify(r);
        let data = &r.json()["data"];
        assert_eq!(r.json()["type"], "article.changed");
        assert_eq!(r.json()["schema"], "redline.event/1");
        assert_eq!(data["url"], url.as_str());
        assert_eq!(data["class"], "minor");
        assert!(
            data["command"]
                .as_str()
                .unwrap()
                .starts_with("redline diff ")
        );
    }
    assert_eq!(delivered[0].json()["data"]["changes"][0]["new"], "response");
    // Retries carried the same id.
    let ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[0], ids[1], "the retry of the first alert has its id");
    assert!(ws.json_lines(&["alerts", "--pending", "--json"]).is_empty());
    assert_eq!(
        ws.json_lines(&["alerts", "--json"])
            .iter()
            .filter(|d| d["state"] == "delivered")
            .count(),
        3
    );
}

#[test]
fn a_410_disables_the_sink_until_retried() {
    let server = PageServer::start();
    let receiver = Receiver::start(|_| (410, Duration::ZERO));
    let ws = Workspace::new();
    ws.write_config(&webhook_config(&receiver, ""));
    let url = server.url("/a");
    edit(&server, "/a", vec![]);
    ws.check_one(&url);
    edit(
        &server,
        "/a",
        vec![("131-page document", "131-page response")],
    );
    let out = ws.run(&["check", &url]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("410"),
        "the disabling is logged as an error"
    );
    assert_eq!(receiver.started(), 1);
    std::thread::sleep(Duration::from_millis(300));
    edit(
        &server,
        "/a",
        vec![
            ("131-page document", "131-page response"),
            ("40 people", "41 people"),
        ],
    );
    ws.check_one(&url);
    assert_eq!(receiver.started(), 1, "a disabled sink gets nothing more");
    assert!(ws.ok(&["alerts"]).contains("sink newsroom is disabled"));
    // The receiver is fixed; the user retries.
    receiver.answer(|_| (200, Duration::ZERO));
    let id = ws
        .json_lines(&["alerts", "--pending", "--json"])
        .last()
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    ws.ok(&["alerts", "retry", &id]);
    ws.check_one(&url);
    assert_eq!(
        receiver.delivered().len(),
        2,
        "both alerts, in order, once the sink is back on"
    );
}

#[test]
fn a_slow_receiver_is_retried_with_the_same_id() {
    let server = PageServer::start();
    let receiver = Receiver::start(|n| {
        (
            200,
            if n == 1 {
                Duration::from_millis(1500)
            } else {
                Duration::ZERO
            },
        )
    });
    let ws = Workspace::new();
    ws.write_config(&webhook_config(&receiver, "timeout = \"300ms\""));
    let url = server.url("/a");
    edit(&server, "/a", vec![]);
    ws.check_one(&url);
    edit(
        &server,
        "/a",
        vec![("131-page document", "131-page response")],
    );
    ws.check_one(&url);
    let pending = ws.json_lines(&["alerts", "--pending", "--json"]);
    assert!(
        pending[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("no answer within"),
        "{pending:?}"
    );
    std::thread::sleep(Duration::from_millis(1600));
    ws.check_one(&url);
    let all = receiver.received();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].headers["webhook-id"], all[1].headers["webhook-id"]);
    verify(&all[1]);
}

#[test]
fn failing_and_recovered_targets_are_alerted_once() {
    let server = PageServer::start();
    let receiver = Receiver::start(|_| (200, Duration::ZERO));
    let ws = Workspace::new();
    ws.write_config(&format!(
        "[defaults]\nfailing_after = 2\n\n{}",
        webhook_config(&receiver, "classes = [\"headline\"]")
    ));
    let url = server.url("/a");
    edit(&server, "/a", vec![]);
    ws.check_one(&url);
    server.route("/a", Route::status(500));
    for _ in 0..4 {
        assert_eq!(ws.check_one(&url)["status"], "error");
    }
    edit(&server, "/a", vec![]);
    assert_eq!(ws.check_one(&url)["status"], "unchanged");
    let events: Vec<String> = receiver
        .delivered()
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        events,
        vec!["target.failing", "target.recovered"],
        "once each, whatever the class filter"
    );
    let failing = receiver.delivered()[0].json();
    assert_eq!(failing["data"]["detail"]["failures"], 2);
    assert!(
        failing["data"]["detail"]["error"]
            .as_str()
            .unwrap()
            .contains("500")
    );
    verify(&receiver.delivered()[1]);
}

#[test]
fn slack_format_and_test_event() {
    let receiver = Receiver::start(|_| (200, Duration::ZERO));
    let ws = Workspace::new();
    ws.write_config(&webhook_config(&receiver, "format = \"slack\""));
    assert!(ws.ok(&["alerts", "test", "newsroom"]).contains("delivered"));
    let got = receiver.delivered();
    assert_eq!(got[0].json()["type"], "test");
    verify(&got[0]);
    assert_eq!(ws.run(&["alerts", "test", "nope"]).status.code(), Some(2));

    let server = PageServer::start();
    let url = server.url("/a");
    edit(&server, "/a", vec![]);
    ws.check_one(&url);
    edit(
        &server,
        "/a",
        vec![(
            "Xinjiang report: UN report says",
            "Xinjiang report: UN says",
        )],
    );
    ws.check_one(&url);
    let msg = receiver.delivered()[1].json();
    let text = msg["text"].as_str().unwrap();
    assert!(
        text.contains("headline change") && text.contains("Headline:"),
        "{text}"
    );
}

#[test]
fn secrets_are_never_printed() {
    let receiver = Receiver::start(|_| (200, Duration::ZERO));
    let ws = Workspace::new();
    let secret_file = ws.path().join("hook.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    ws.write_config(&format!(
        "[[alert]]\nkind = \"webhook\"\nurl = \"{}\"\nsecret = \"file:{}\"\nheaders = {{ Authorization = \"env:REDLINE_IT_TOKEN\" }}\n",
        receiver.url(),
        secret_file.display()
    ));
    let out = ws
        .cmd(&["-vv", "alerts", "test", &receiver.url()])
        .env("REDLINE_IT_TOKEN", "Bearer s3cr3t-token")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !printed.contains("MfKQ9r8") && !printed.contains("s3cr3t"),
        "{printed}"
    );
    assert_eq!(
        receiver.delivered()[0].headers["authorization"],
        "Bearer s3cr3t-token"
    );
    verify(&receiver.delivered()[0]);
    // An unset variable is a config error naming it.
    let out = ws.run(&["alerts"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("REDLINE_IT_TOKEN"));
}

#[test]
fn a_daemon_killed_while_delivering_loses_no_alert() {
    let server = PageServer::start();
    // Slow answers keep deliveries in flight long enough to kill the daemon.
    let receiver = Receiver::start(|_| (200, Duration::from_millis(700)));
    let ws = Workspace::new();
    let url = server.url("/a");
    ws.write_config(&format!(
        "[[target]]\nurl = \"{url}\"\ninterval = \"1s\"\n\n{}",
        webhook_config(&receiver, "timeout = \"5s\"")
    ));
    edit(&server, "/a", vec![]);
    let mut daemon = ws
        .cmd(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("version 1", Duration::from_secs(20), || {
        server.hits("/a") >= 1 && ws.json_lines(&["history", &url, "--json"]).len() == 1
    });
    edit(
        &server,
        "/a",
        vec![("131-page document", "131-page response")],
    );
    wait_for("a delivery in flight", Duration::from_secs(20), || {
        receiver.started() >= 1
    });
    daemon.kill().unwrap(); // SIGKILL, mid-delivery
    wait_exit(&mut daemon, Duration::from_secs(20));
    edit(
        &server,
        "/a",
        vec![
            ("131-page document", "131-page response"),
            ("40 people", "41 people"),
        ],
    );
    let mut daemon = ws
        .cmd(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("both alerts delivered", Duration::from_secs(30), || {
        let ids: std::collections::HashSet<String> = receiver
            .delivered()
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_string())
            .collect();
        ids.len() >= 2
    });
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(daemon.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(
        wait_exit(&mut daemon, Duration::from_secs(20)).code(),
        Some(0)
    );
    let delivered = receiver.delivered();
    let mut by_id: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for r in &delivered {
        verify(r);
        by_id
            .entry(r.headers["webhook-id"].to_str().unwrap().to_string())
            .or_default()
            .push(r.body.clone());
    }
    assert_eq!(by_id.len(), 2, "every alert arrived");
    for bodies in by_id.values() {
        assert!(
            bodies.iter().all(|b| *b == bodies[0]),
            "a duplicate is the same alert, same id"
        );
    }
    let versions: Vec<u64> = delivered
        .iter()
        .map(|r| r.json()["data"]["to"]["version"].as_u64().unwrap())
        .collect();
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(versions, sorted, "in order");
}

#[test]
fn sinks_filter_by_tags_and_targets() {
    let server = PageServer::start();
    let receiver = Receiver::start(|_| (200, Duration::ZERO));
    let ws = Workspace::new();
    let (politics, sport) = (server.url("/politics"), server.url("/sport"));
    ws.write_config(&format!(
        "[[target]]\nurl = \"{politics}\"\ntags = [\"politics\"]\ninterval = \"1h\"\n\n[[target]]\nurl = \"{sport}\"\ntags = [\"sport\"]\ninterval = \"1h\"\n\n{}",
        webhook_config(&receiver, "tags = [\"politics\"]")
    ));
    edit(&server, "/politics", vec![]);
    edit(&server, "/sport", vec![]);
    ws.check(&[]);
    edit(
        &server,
        "/politics",
        vec![("131-page document", "131-page response")],
    );
    edit(
        &server,
        "/sport",
        vec![("131-page document", "131-page response")],
    );
    let reports = ws.check(&[]);
    assert!(reports.values().all(|r| r["status"] == "changed"));
    let got = receiver.delivered();
    assert_eq!(got.len(), 1, "only the politics story");
    assert_eq!(got[0].json()["data"]["url"], politics.as_str());
}
