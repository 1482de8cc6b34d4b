//! Shared test harness: a local page server on 127.0.0.1 (port 0) whose
//! routes tests program, a temp-dir workspace with a config and database,
//! and a runner for the real `redline` binary.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Produces a body for the n-th request to a route (n starts at 1).
pub type BodyFn = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

/// What the server answers on one path.
#[derive(Clone)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: BodyFn,
    /// Wait before sending anything.
    pub delay: Duration,
    /// Send the body one byte at a time with this pause.
    pub trickle: Option<Duration>,
    /// Omit Content-Length and close the connection to end the body.
    pub no_length: bool,
    /// Sent as `ETag`; a request with a matching `If-None-Match` gets 304.
    pub etag: Option<String>,
    /// Sent as `Last-Modified`; a request with a matching
    /// `If-Modified-Since` gets 304.
    pub last_modified: Option<String>,
    /// A broken server: every conditional request gets 304, changed page
    /// or not.
    pub always_304: bool,
}

impl Route {
    /// A 200 HTML page.
    pub fn html(body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        Self::dynamic(move |_| body.clone())
    }

    /// A 200 HTML page made anew for every request.
    pub fn dynamic(f: impl Fn(u64) -> Vec<u8> + Send + Sync + 'static) -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: Arc::new(f),
            delay: Duration::ZERO,
            trickle: None,
            no_length: false,
            etag: None,
            last_modified: None,
            always_304: false,
        }
    }

    /// An error status with a small HTML body.
    pub fn status(status: u16) -> Self {
        let mut r = Self::html(format!("<html><body><h1>Error {status}</h1></body></html>"));
        r.status = status;
        r
    }

    /// Replaces the Content-Type header.
    pub fn content_type(mut self, ct: &str) -> Self {
        self.headers.retain(|(k, _)| k != "Content-Type");
        self.headers.push(("Content-Type".into(), ct.into()));
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    pub fn trickle(mut self, d: Duration) -> Self {
        self.trickle = Some(d);
        self
    }

    pub fn no_length(mut self) -> Self {
        self.no_length = true;
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Serves the page with an ETag and answers matching conditional
    /// requests with 304.
    pub fn etag(mut self, etag: &str) -> Self {
        self.etag = Some(etag.into());
        self
    }

    /// Serves the page with this `Last-Modified` (and the same `Date`, as
    /// a page written in the second it is served) and answers a matching
    /// `If-Modified-Since` with 304.
    pub fn last_modified(mut self, http_date: &str) -> Self {
        self.last_modified = Some(http_date.into());
        self.headers.push(("Date".into(), http_date.into()));
        self
    }

    /// Answers every conditional request with 304, whatever the page.
    pub fn always_304(mut self) -> Self {
        self.always_304 = true;
        self
    }
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub at: std::time::Instant,
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    /// The status it was answered with.
    pub status: u16,
}

struct ServerState {
    routes: Mutex<HashMap<String, Route>>,
    hits: Mutex<HashMap<String, u64>>,
    stop: AtomicBool,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    log: Mutex<Vec<Request>>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 with programmable routes. Stops when
/// dropped.
pub struct PageServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
}

impl PageServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(ServerState {
            routes: Mutex::new(HashMap::new()),
            hits: Mutex::new(HashMap::new()),
            stop: AtomicBool::new(false),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
        });
        let s = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = Arc::clone(&s);
                thread::spawn(move || handle(stream, &s));
            }
        });
        Self { addr, state }
    }

    /// Full URL of a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sets (or replaces) what a path answers.
    pub fn route(&self, path: &str, route: Route) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), route);
    }

    /// Requests received for a path.
    pub fn hits(&self, path: &str) -> u64 {
        self.state
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> u64 {
        self.state.in_flight.load(Ordering::SeqCst)
    }

    /// Most requests ever answered at once.
    pub fn peak_in_flight(&self) -> u64 {
        self.state.peak_in_flight.load(Ordering::SeqCst)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn handle(mut stream: TcpStream, state: &ServerState) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let at = std::time::Instant::now();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let n = {
        let mut hits = state.hits.lock().unwrap();
        let n = hits.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let route = state.routes.lock().unwrap().get(&path).cloned();
    let mut route = route.unwrap_or_else(|| Route::status(404));
    let now_in_flight = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state
        .peak_in_flight
        .fetch_max(now_in_flight, Ordering::SeqCst);
    let conditional =
        headers.contains_key("if-none-match") || headers.contains_key("if-modified-since");
    let not_modified = (route.always_304 && conditional)
        || route
            .etag
            .as_ref()
            .is_some_and(|e| headers.get("if-none-match") == Some(e))
        || route
            .last_modified
            .as_ref()
            .is_some_and(|lm| headers.get("if-modified-since") == Some(lm));
    if let Some(e) = &route.etag {
        route.headers.push(("ETag".into(), e.clone()));
    }
    if let Some(lm) = &route.last_modified {
        route.headers.push(("Last-Modified".into(), lm.clone()));
    }
    if not_modified {
        route.status = 304;
        route.body = Arc::new(|_| Vec::new());
    }
    state.log.lock().unwrap().push(Request {
        at,
        path: path.clone(),
        headers,
        status: route.status,
    });
    thread::sleep(route.delay);
    let body = (route.body)(n);
    let reason = match route.status {
        200 => "OK",
        304 => "Not Modified",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nConnection: close\r\n",
        route.status
    );
    for (k, v) in &route.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !route.no_length {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    match route.trickle {
        Some(pause) => {
            for b in &body {
                if stream.write_all(&[*b]).is_err() {
                    break;
                }
                thread::sleep(pause);
            }
        }
        None => {
            let _ = stream.write_all(&body);
        }
    }
    let _ = stream.flush();
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // Drain so the client sees a clean close.
    let _ = reader.read(&mut [0u8; 64]);
}

/// Polls `ok` every 50 ms until it holds, failing the test after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM to a child process.
pub fn sigterm(pid: u32) {
    // SAFETY: kill(2) with a valid signal number has no memory effects; the
    // pid is our own child, which has not been reaped yet.
    let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0, "kill(SIGTERM) failed");
}

/// Waits up to `limit` for a child to exit, then kills it and fails: a
/// test never hangs on a process that ignores its signal.
pub fn wait_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {} did not exit within {limit:?}", child.id());
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A GET of `path` on 127.0.0.1:`port` (the metrics endpoint): the whole
/// response, head and body; `None` while nothing listens there.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    Some(out)
}

/// The value of an unlabelled counter in a Prometheus text exposition.
pub fn metric(exposition: &str, name: &str) -> Option<u64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An address on 127.0.0.1 where nothing listens.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/article")
}

/// The `redline` binary: Cargo's for integration tests; for an example
/// that borrows this harness (`examples/kill_loop.rs`), `REDLINE_BIN` or
/// the `redline` built beside it.
pub fn redline_bin() -> PathBuf {
    if let Some(bin) = option_env!("CARGO_BIN_EXE_redline") {
        return PathBuf::from(bin);
    }
    if let Some(bin) = std::env::var_os("REDLINE_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("the running example's path");
    // target/<profile>/examples/<name> → target/<profile>/redline
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("redline"))
        .expect("a target directory");
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build --release --bin redline) or set REDLINE_BIN",
        bin.display()
    );
    bin
}

/// A temp dir with a config file and a database, and the binary to run.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db(&self) -> PathBuf {
        self.path().join("redline.db")
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("redline.toml")
    }

    /// Writes the config: quick fetch limits for tests plus `extra`.
    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "[storage]\ndatabase = \"{}\"\n\n[fetch]\ntimeout = \"2s\"\nmax_body_bytes = 1000000\nper_host_gap = \"0s\"\n\n{extra}\n",
            self.db().display()
        );
        std::fs::write(self.config_path(), text).unwrap();
    }

    /// Writes the config as [`Self::write_config`] does, letting targets
    /// found by discovery reach private addresses: the test servers are on
    /// 127.0.0.1.
    pub fn write_local_config(&self, extra: &str) {
        self.write_config(&format!("[discovery]\nallow_private = true\n\n{extra}"));
    }

    /// A `redline` command with this workspace's config, run in its dir.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(redline_bin());
        c.current_dir(self.path())
            .env_remove("REDLINE_CONFIG")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .arg("--config")
            .arg(self.config_path())
            .args(args);
        c
    }

    /// Runs `redline` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run redline")
    }

    /// Runs `redline`, requires success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "redline {args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// Runs a `--json` command and parses one object per line.
    pub fn json_lines(&self, args: &[&str]) -> Vec<serde_json::Value> {
        self.ok(args)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }

    /// `check --json` for some URLs, keyed by URL.
    pub fn check(&self, urls: &[&str]) -> HashMap<String, serde_json::Value> {
        let mut args = vec!["check", "--json"];
        args.extend_from_slice(urls);
        self.json_lines(&args)
            .into_iter()
            .map(|v| (v["url"].as_str().unwrap().to_string(), v))
            .collect()
    }

    /// Starts `redline run` in the background, its log captured.
    pub fn start_daemon(&self) -> std::process::Child {
        self.cmd(&["run"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start redline run")
    }

    /// Stops a daemon with SIGTERM; requires exit 0 and returns its log.
    pub fn stop_daemon(&self, mut child: std::process::Child) -> String {
        sigterm(child.id());
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "daemon did not stop"
            );
            thread::sleep(Duration::from_millis(50));
        };
        let mut log = String::new();
        child
            .stderr
            .as_mut()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        assert_eq!(status.code(), Some(0), "exit 0 on SIGTERM; log:\n{log}");
        log
    }

    /// `check --json` for one URL.
    pub fn check_one(&self, url: &str) -> serde_json::Value {
        self.check(&[url])
            .remove(url)
            .expect("a report for the URL")
    }
}

/// The usual start of a test: a page server serving the realistic article
/// (fresh furniture on every request) at `/article`, and a workspace with the
/// default test config. Returns them with the article's URL.
pub fn article_site() -> (PageServer, Workspace, String) {
    let server = PageServer::start();
    server.route(
        "/article",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/article");
    (server, ws, url)
}

/// The article text fixture and the realistic page built around it.
pub mod article {
    pub const TEXT: &str = include_str!("../fixtures/un-xinjiang-report.txt");
    const TEMPLATE: &str = include_str!("../fixtures/un-xinjiang-report.html");

    /// The headline (first line of the text fixture).
    pub fn title() -> &'static str {
        TEXT.lines().next().unwrap().trim()
    }

    /// The body paragraphs as the extractor should return them. The text
    /// fixture was captured with the page's comment form at its end ("Leave a
    /// Reply" …); that is furniture, and the page puts it in the form.
    pub fn paragraphs() -> Vec<&'static str> {
        TEXT.lines()
            .skip(1)
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take_while(|l| *l != "Leave a Reply")
            .collect()
    }

    /// Page furniture that differs on every request `n`: a clock, counters,
    /// ad ids, tokens, a ticker and a "most read" list.
    pub fn render(n: u64, edit: impl Fn(String) -> String) -> String {
        let most_read: String = (0..5)
            .map(|i| {
                format!(
                    "<li><a href=\"/story/{}\">Story number {} that is popular right now, with details</a></li>",
                    n * 7 + i,
                    (n + i) % 13
                )
            })
            .collect();
        let page = TEMPLATE
            .replace("{{CLOCK}}", &format!("{:02}:{:02}", (n / 60) % 24, n % 60))
            .replace("{{AD_ID}}", &format!("gpt-{}", n * 31))
            .replace(
                "{{AD_TEXT}}",
                &format!("Limited offer number {n}, today only"),
            )
            .replace("{{COMMENT_COUNT}}", &(40 + n).to_string())
            .replace("{{MODIFIED}}", "2022-09-01T12:00:00Z")
            .replace("{{MOST_READ}}", &most_read)
            .replace("{{REQUEST_ID}}", &format!("req-{n:08x}"))
            .replace("{{SHARES}}", &format!("{}", 1000 + n * 17))
            .replace("{{TICKER}}", &format!("Markets move {n} points"))
            .replace("{{TS}}", &(1_662_000_000 + n).to_string())
            .replace("{{UPDATED_AGO}}", &format!("{n} minutes"));
        edit(page)
    }
}

#[path = "receiver.rs"]
mod receiver;
pub use receiver::{Received, Receiver};

#[path = "driven.rs"]
mod driven;
pub use driven::Driven;
