//! `redline export`: the seed article with two edits, an unchanged capture
//! and a `304`, exported as WARC and WACZ and checked with the archiving
//! world's own tools (warcio, py-wacz, cdxj-indexer, pywb; installed into
//! `target/oracles` by `.ci/run`), and as JSON Lines and CSV read back by
//! Python's csv module.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::harness::{PageServer, Route, Workspace, article};

/// The Python that has the oracles, or `None` (and a loud line) when this
/// machine has none; in CI their absence is a failure.
fn oracle_python() -> Option<PathBuf> {
    let python = std::env::var_os("REDLINE_ORACLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oracles/bin/python"));
    if python.is_file() {
        return Some(python);
    }
    assert!(
        std::env::var_os("REDLINE_CI").is_none(),
        "CI must have the archive oracles at {} (.ci/run installs them)",
        python.display()
    );
    eprintln!(
        "SKIPPED: no archive oracles at {} (python3 -m venv target/oracles && target/oracles/bin/pip install -r tests/oracles/requirements.txt)",
        python.display()
    );
    None
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// One capture as the test saw it: what the server sent, and when.
struct Seen {
    kind: &'static str,
    body: Vec<u8>,
    after_ms: u64,
    before_ms: u64,
    request_headers: std::collections::HashMap<String, String>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the article once and notes what the server sent and when.
fn capture(
    ws: &Workspace,
    server: &PageServer,
    url: &str,
    kind: &'static str,
    body: &[u8],
    want: &str,
) -> Seen {
    // Captures at least a second apart: archives index them to the second.
    std::thread::sleep(Duration::from_millis(1100));
    let after_ms = now_ms();
    let report = ws.check_one(url);
    let before_ms = now_ms();
    assert_eq!(report["status"], want, "{report}");
    let last = server.requests().into_iter().last().expect("a request");
    Seen {
        kind,
        body: body.to_vec(),
        after_ms,
        before_ms,
        request_headers: last.headers,
    }
}

#[test]
fn an_export_is_a_web_archive_that_standard_tools_accept_and_replay() {
    let server = PageServer::start();
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/article");
    let page = |edit: &dyn Fn(String) -> String| article::render(1, edit).into_bytes();
    let v1 = page(&|p| p);
    let old_title = article::title();
    let new_title = "Xinjiang report: UN says China committed ‘serious human rights violations’";
    let v2 = page(&|p| p.replace(old_title, new_title));
    let first = article::paragraphs()[0];
    let v3 = page(&|p| {
        p.replace(old_title, new_title).replace(
            first,
            "This paragraph was rewritten after publication by the editors.",
        )
    });

    let mut seen = Vec::new();
    server.route("/article", Route::html(v1.clone()));
    seen.push(capture(&ws, &server, &url, "response", &v1, "new"));
    seen.push(capture(&ws, &server, &url, "revisit", &v1, "unchanged"));
    server.route("/article", Route::html(v2.clone()));
    seen.push(capture(&ws, &server, &url, "response", &v2, "changed"));
    server.route("/article", Route::html(v3.clone()).etag("\"v3\""));
    seen.push(capture(&ws, &server, &url, "response", &v3, "changed"));
    // The next check sends the validator back: a 304.
    seen.push(capture(
        &ws,
        &server,
        &url,
        "not-modified",
        &v3,
        "unchanged",
    ));
    assert_eq!(
        server.requests().last().unwrap().status,
        304,
        "the last capture was answered Not Modified"
    );
    // The edit is taken back: version 4 is a revert to version 2, whose
    // page it shares (a revisit of version 2's response).
    server.route("/article", Route::html(v2.clone()));
    seen.push(capture(&ws, &server, &url, "revisit", &v2, "changed"));
    let history = ws.json_lines(&["history", &url, "--json"]);
    assert_eq!(history[3]["revert_of"], 2, "{}", history[3]);

    let dir = ws.path().to_path_buf();
    let warc = dir.join("out.warc.gz");
    let wacz = dir.join("out.wacz");
    ws.ok(&["export", "--format", "warc", "-o", warc.to_str().unwrap()]);
    ws.ok(&["export", "--format", "wacz", "-o", wacz.to_str().unwrap()]);
    // No scratch files are left beside the outputs.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial") || n.contains(".parts"))
        .collect();
    assert!(names.is_empty(), "{names:?}");

    // JSON Lines: one row per version with the contract's keys.
    let rows = ws.json_lines(&["export", "--format", "jsonl"]);
    assert_eq!(rows.len(), 4);
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "url",
            "source",
            "tags",
            "version",
            "captured_at",
            "class",
            "changed_fields",
            "added",
            "removed",
            "title_from",
            "title_to"
        ]
    );
    assert_eq!(rows[1]["title_from"], old_title);
    assert_eq!(rows[1]["title_to"], new_title);
    assert!(
        rows[1]["changed_fields"]
            .as_array()
            .unwrap()
            .contains(&"title".into()),
        "{}",
        rows[1]
    );
    assert!(
        rows[2]["changed_fields"]
            .as_array()
            .unwrap()
            .contains(&"body".into()),
        "{}",
        rows[2]
    );
    let text = ws.json_lines(&["export", "--format", "jsonl", "--with-text"]);
    assert!(
        text[2]["text"]
            .as_str()
            .unwrap()
            .contains("rewritten after publication")
    );
    // The period: from version 3's capture on, one row.
    let since = rows[2]["captured_at"].as_str().unwrap();
    let late = ws.json_lines(&["export", "--format", "jsonl", "--since", since]);
    assert_eq!(late.len(), 2);
    assert_eq!(late[0]["version"], 3);
    let csv = dir.join("out.csv");
    let jsonl = dir.join("out.jsonl");
    ws.ok(&[
        "export",
        "--format",
        "csv",
        "--with-text",
        "-o",
        csv.to_str().unwrap(),
    ]);
    ws.ok(&[
        "export",
        "--format",
        "jsonl",
        "--with-text",
        "-o",
        jsonl.to_str().unwrap(),
    ]);

    // Mistakes are usage errors that name what is wrong.
    let out = ws.run(&["export", "--format", "wacz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-o"));
    let out = ws.run(&["export", "--format", "jsonl", "--since", "last week"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"last week\""));
    let out = ws.run(&[
        "export",
        "--format",
        "jsonl",
        "https://not.watched.example/x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not watched"));
    // A destination in a folder that does not exist is named, and the
    // folder is not made.
    let missing = dir.join("missing");
    for (format, name) in [("wacz", "x.wacz"), ("warc", "x.warc.gz")] {
        let to = missing.join(name);
        let out = ws.run(&["export", "--format", format, "-o", to.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(to.to_str().unwrap()), "{stderr}");
        assert!(!missing.exists(), "{format}: the folder was made");
    }

    let Some(python) = oracle_python() else {
        return;
    };
    oracle(
        &python,
        &[
            warc.as_os_str(),
            wacz.as_os_str(),
            expect_path_for(&dir, &seen, &url).as_os_str(),
        ],
    );
    oracle(
        &python,
        &["table".as_ref(), csv.as_os_str(), jsonl.as_os_str()],
    );
}

/// Runs the oracle script with `args`; fails the test with its words.
fn oracle(python: &Path, args: &[&std::ffi::OsStr]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracles/archive_check.py");
    let out = std::process::Command::new(python)
        .arg(&script)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the oracle expects of the archive: the records, and each capture
/// as the test saw it.
fn expect_path_for(dir: &Path, seen: &[Seen], url: &str) -> PathBuf {
    let captures: Vec<serde_json::Value> = seen
        .iter()
        .map(|s| {
            serde_json::json!({
                "url": url,
                "kind": s.kind,
                "sha256": sha256_hex(&s.body),
                "after_ms": s.after_ms,
                "before_ms": s.before_ms,
                "request_headers": s.request_headers,
            })
        })
        .collect();
    let expect = serde_json::json!({
        "records": {
            "warcinfo": 1, "request": 6, "response": 3, "revisit": 3,
            "conversion": 4, "metadata": 4,
        },
        "versions": 4,
        "captures": captures,
    });
    let path = dir.join("expect.json");
    std::fs::write(&path, expect.to_string()).unwrap();
    path
}

#[test]
fn a_database_that_kept_no_exchanges_exports_its_pages_as_resources() {
    let server = PageServer::start();
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/article");
    let v1 = article::render(1, |p| p).into_bytes();
    let v2 = article::render(1, |p| {
        p.replace(article::title(), "A new headline for the report")
    })
    .into_bytes();
    server.route("/article", Route::html(v1.clone()));
    capture(&ws, &server, &url, "resource", &v1, "new");
    server.route("/article", Route::html(v2.clone()));
    capture(&ws, &server, &url, "resource", &v2, "changed");
    // As a database written before exchanges were kept: the columns empty.
    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    conn.execute(
        "UPDATE checks SET url = NULL, request_head = NULL, response_head = NULL, payload_sha256 = NULL, ip = NULL",
        [],
    )
    .unwrap();
    drop(conn);
    let warc = ws.path().join("old.warc.gz");
    ws.ok(&["export", "--format", "warc", "-o", warc.to_str().unwrap()]);
    let Some(python) = oracle_python() else {
        return;
    };
    let expect = serde_json::json!({
        "records": {"warcinfo": 1, "resource": 2, "conversion": 2, "metadata": 2},
        "sha256": [sha256_hex(&v1), sha256_hex(&v2)],
    });
    let path = ws.path().join("expect.json");
    std::fs::write(&path, expect.to_string()).unwrap();
    oracle(
        &python,
        &["older".as_ref(), warc.as_os_str(), path.as_os_str()],
    );
}
