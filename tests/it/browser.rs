//! The web pages in a real browser: Debian's headless Chromium loads the
//! recent changes, a history page and a split diff of the tour article,
//! takes screenshots (`target/screenshots/`), and dumps the diff page's DOM
//! as rendered, where the changed words must sit inside `<del>` and `<ins>`.
//! Chromium is pointed at the test server as its proxy for every address,
//! loopback included, so every request is seen. The browser's own calls
//! home (updates, sign-in) are measured first on a blank page; beyond
//! those, every request the pages make must be for the test server itself:
//! nothing leaves 127.0.0.1.
//!
//! Without Chromium the test says loudly that it was skipped, except under
//! `REDLINE_CI`, where `.ci/run` has installed it and a missing browser is
//! a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tokio_util::sync::CancellationToken;

use crate::web::{NEW_TITLE, seeded, web};

fn chromium() -> Option<PathBuf> {
    let from_env = std::env::var_os("REDLINE_CHROMIUM").map(PathBuf::from);
    from_env
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.is_file())
}

/// Runs Chromium headless on `url` with `extra` flags, through `proxy`.
fn browse(bin: &Path, profile: &Path, proxy: &str, extra: &[String], url: &str) -> String {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--metrics-recording-only",
        "--disable-client-side-phishing-detection",
        "--disable-domain-reliability",
        "--disable-breakpad",
        "--no-pings",
        "--safebrowsing-disable-auto-update",
        // The browser's own services, which would otherwise call home
        // (through the proxy, where the test would see them).
        "--disable-features=AutofillServerCommunication,NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,DialMediaRouteProvider,CertificateTransparencyComponentUpdater,SafeBrowsing,InterestFeedContentSuggestions",
        "--hide-scrollbars",
        "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--proxy-server=http://{proxy}"))
    // Without this, loopback addresses bypass the proxy.
    .arg("--proxy-bypass-list=<-loopback>")
    .args(extra)
    .arg(url);
    let out = cmd.output().expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text inside every `<tag>…</tag>` of `html` (no nesting expected).
fn inside(html: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    html.split(&open)
        .skip(1)
        .filter_map(|s| s.split(&close).next())
        .map(str::to_string)
        .collect()
}

#[test]
fn pages_render_in_a_real_browser_without_leaving_loopback() {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var_os("REDLINE_CI").is_none(),
            "REDLINE_CI is set but Chromium is missing: .ci/run installs it (apt-get install chromium)"
        );
        eprintln!(
            "SKIPPED: pages_render_in_a_real_browser_without_leaving_loopback: no Chromium \
             (install Debian's chromium, or set REDLINE_CHROMIUM)"
        );
        return;
    };
    let (_server, ws, url) = seeded();
    let id: i64 = rusqlite::Connection::open(ws.db())
        .unwrap()
        .query_row("SELECT id FROM targets WHERE url = ?1", [&url], |r| {
            r.get(0)
        })
        .unwrap();

    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stop = CancellationToken::new();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let record = {
        let seen = Arc::clone(&seen);
        move |request: Request, next: Next| {
            let seen = Arc::clone(&seen);
            async move {
                let host = request
                    .uri()
                    .authority()
                    .map(|a| a.to_string())
                    .or_else(|| {
                        request
                            .headers()
                            .get("host")
                            .and_then(|h| h.to_str().ok())
                            .map(str::to_string)
                    })
                    .unwrap_or_default();
                seen.lock().unwrap().push(format!(
                    "{} {host} {}",
                    request.method(),
                    request.uri().path()
                ));
                let response: Response = next.run(request).await;
                response
            }
        }
    };
    let app = web(&ws.db(), None)
        .router()
        .layer(axum::middleware::from_fn(record));
    // Redline's own listener, as `redline serve` runs it.
    let server = rt.spawn(redline::web::serve_with(
        app,
        listener,
        stop.clone(),
        Duration::from_secs(10),
    ));

    // What the browser requests by itself, on a blank page: its own
    // services (updates, sign-in) that no flag silences. The pages'
    // requests are judged beyond these.
    let profile = tempfile::tempdir().unwrap();
    let proxy = addr.to_string();
    browse(
        &bin,
        profile.path(),
        &proxy,
        &["--dump-dom".to_string()],
        "about:blank",
    );
    let own: Vec<String> = std::mem::take(&mut *seen.lock().unwrap())
        .iter()
        .filter_map(|r| r.split(' ').nth(1).map(str::to_string))
        .collect();
    assert!(
        !own.contains(&proxy),
        "a blank page asks nothing of the test server: {own:?}"
    );

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let base = format!("http://{addr}");
    let pages = [
        ("changes", format!("{base}/"), "1280,900"),
        ("history", format!("{base}/articles/{id}"), "1280,900"),
        (
            "diff-split",
            format!("{base}/articles/{id}/diff/2..3?view=split&context=1"),
            "1280,1100",
        ),
        (
            "diff-phone",
            format!("{base}/articles/{id}/diff/2..3"),
            "390,844",
        ),
    ];
    for (name, page, size) in &pages {
        let png = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&png);
        browse(
            &bin,
            profile.path(),
            &proxy,
            &[
                format!("--screenshot={}", png.display()),
                format!("--window-size={size}"),
            ],
            page,
        );
        let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot of {page}: {e}"));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{name}: a real picture"
        );
    }

    // The split diff as the browser built it: the headline's removed words
    // struck, the new ones inserted.
    let dom = browse(
        &bin,
        profile.path(),
        &proxy,
        &["--dump-dom".to_string()],
        &format!("{base}/articles/{id}/diff/1..2?view=split"),
    );
    let deleted = inside(&dom, "del").join(" | ");
    let inserted = inside(&dom, "ins").join(" | ");
    assert!(
        deleted.contains("crimes against humanity"),
        "the removed phrase is inside <del>: {deleted}"
    );
    let new_words = NEW_TITLE.split(':').nth(1).unwrap().trim();
    assert!(
        inserted.contains("serious human rights violations") || inserted.contains(new_words),
        "the new headline words are inside <ins>: {inserted}"
    );
    assert!(dom.contains("<table class=\"split\">"), "two columns");

    stop.cancel();
    rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    });
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|r| r.ends_with("/assets/style.css")),
        "the pages' own requests were recorded: {seen:?}"
    );
    let strangers: Vec<&String> = seen
        .iter()
        .filter(|r| {
            let host = r.split(' ').nth(1).unwrap_or_default();
            host != proxy && !own.iter().any(|o| o == host)
        })
        .collect();
    assert!(
        strangers.is_empty(),
        "requests for other hosts: {strangers:?}"
    );
    eprintln!("screenshots in {}", shots.display());
}
