//! Full check cycles over many targets, with the real pipeline and a real
//! database file, against a local page server in a separate process.
//!
//!     cargo run --release --example cycle_bench -- --targets 10000
//!
//! The server (this same binary with `--serve`, 127.0.0.1 only) listens on
//! `--hosts` ports, each a separate host to Redline's politeness, and serves
//! generated ~150 KB article pages: the fixture article inside realistic
//! furniture (style sheet, state blob, mega menu, link farm) in which a
//! clock, counters, ad ids and a request id change on every request. Between
//! rounds a chosen share of article bodies is edited. Nothing is stored: a
//! page is generated from (target, round, request number).
//!
//! Rounds: `new` (first versions), `unchanged` (no body edited; every page
//! still differs in its furniture, so every check is fully processed),
//! `changed` (every body edited), `mixed` (`--change` of them edited). For
//! each: wall time, CPU ms per check (this process's user+sys over the
//! round's checks; the server's CPU is its own), and database growth per
//! check. Then peak RSS, database bytes per target and per version, and what
//! the server saw of politeness: most requests in flight to one host, and
//! most requests to one host in one second. `--hosts`, `--concurrency`,
//! `--per-host` and `--gap` set the politeness; `--repeat` how many
//! unchanged and changed rounds the medians are taken over. With `--conditional` the server
//! also sends ETags and answers 304, and the unchanged round shows that path.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redline::check::Checker;
use redline::config::Config;
use redline::daemon::{self, DaemonOptions};
use redline::model::{TargetSettings, TargetUrl, Timestamp};
use redline::store::{Store, StoreHandle};
use tokio_util::sync::CancellationToken;

const TEMPLATE: &str = include_str!("../tests/fixtures/un-xinjiang-report.html");

struct Args {
    targets: usize,
    hosts: usize,
    change: f64,
    conditional: bool,
    concurrency: u32,
    per_host: u32,
    gap: String,
    raw_html: String,
    db: Option<std::path::PathBuf>,
    repeat: usize,
}

fn parse_args() -> Result<(Args, Option<Vec<String>>), String> {
    let mut a = Args {
        targets: 1000,
        hosts: 100,
        change: 0.1,
        conditional: false,
        concurrency: 32,
        per_host: 2,
        gap: "0s".into(),
        raw_html: "all".into(),
        db: None,
        repeat: 3,
    };
    let mut it = std::env::args().skip(1);
    let mut serve = None;
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--targets" => a.targets = value()?.parse().map_err(|e| format!("--targets: {e}"))?,
            "--hosts" => a.hosts = value()?.parse().map_err(|e| format!("--hosts: {e}"))?,
            "--change" => a.change = value()?.parse().map_err(|e| format!("--change: {e}"))?,
            "--concurrency" => {
                a.concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--per-host" => {
                a.per_host = value()?.parse().map_err(|e| format!("--per-host: {e}"))?
            }
            "--raw-html" => a.raw_html = value()?,
            "--gap" => a.gap = value()?,
            "--repeat" => a.repeat = value()?.parse().map_err(|e| format!("--repeat: {e}"))?,
            "--db" => a.db = Some(value()?.into()),
            "--conditional" => a.conditional = true,
            "--serve" => {
                serve = Some(it.by_ref().collect());
                break;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.targets == 0 || a.hosts == 0 || a.repeat == 0 {
        return Err("--targets and --hosts must be at least 1".into());
    }
    Ok((a, serve))
}

fn main() {
    let (args, serve) = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cycle_bench: {e}");
            std::process::exit(2);
        }
    };
    if let Some(serve_args) = serve {
        serve_pages(&serve_args);
        return;
    }
    if let Err(e) = bench(&args) {
        eprintln!("cycle_bench: {e:#}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// The page server (child process).

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Furniture that is the same on every request (~130 KB), built once.
fn static_furniture() -> (String, String, String) {
    let mut style = String::from("<style>\n");
    for i in 0..400 {
        style.push_str(&format!(
            ".c-{i}{{margin:0 {}px;padding:{}px;font:400 1rem/1.5 'Example Sans',sans-serif;color:#1{:02x}}}\n.c-{i}:hover{{text-decoration:underline}}\n",
            i % 17,
            i % 9,
            i % 255
        ));
    }
    style.push_str("</style>\n");
    let mut nav = String::from("<nav class=\"mega-menu\" aria-label=\"Sections\"><ul>\n");
    for s in 0..40 {
        nav.push_str(&format!(
            "<li class=\"mega-menu__section\"><a href=\"/section/{s}\">Section {s}</a><ul>"
        ));
        for k in 0..12 {
            nav.push_str(&format!(
                "<li><a class=\"c-{}\" href=\"/section/{s}/topic-{k}\">Topic {k} of section {s}</a></li>",
                (s * 12 + k) % 400
            ));
        }
        nav.push_str("</ul></li>\n");
    }
    nav.push_str("</ul></nav>\n");
    let mut farm = String::from("<footer class=\"site-footer\"><div class=\"related-grid\">\n");
    for i in 0..120 {
        farm.push_str(&format!(
            "<div class=\"card\"><a href=\"/2026/11/{:02}/story-{i}.html\"><img src=\"/img/{i}.jpg\" alt=\"\"><span>Related story number {i} that readers also liked this week</span></a></div>\n",
            i % 28 + 1
        ));
    }
    farm.push_str("</div></footer>\n");
    (style, nav, farm)
}

/// A state blob with per-request values (~35 KB), as news sites inline.
fn state_blob(id: u64, n: u64) -> String {
    let mut s = String::with_capacity(36_000);
    s.push_str("<script>window.__STATE__={\"page\":{\"id\":");
    s.push_str(&id.to_string());
    s.push_str(",\"req\":");
    s.push_str(&n.to_string());
    s.push_str("},\"modules\":[");
    for i in 0..300 {
        s.push_str(&format!(
            "{{\"m\":{i},\"slot\":\"ad-{}\",\"ttl\":{},\"k\":\"v{}\"}},",
            splitmix(n ^ i) % 100_000,
            i * 7,
            splitmix(id + i) % 9973
        ));
    }
    s.push_str("{}]};</script>\n");
    s
}

struct Plan {
    /// Edited share, per round, in thousandths.
    rounds: Mutex<Vec<u64>>,
}

impl Plan {
    /// How many times a target's body was edited up to now.
    fn version(&self, id: u64) -> u64 {
        let rounds = self.rounds.lock().unwrap();
        rounds
            .iter()
            .enumerate()
            .filter(|(r, permille)| splitmix(id ^ ((*r as u64) << 40)) % 1000 < **permille)
            .count() as u64
    }
}

fn render(
    furniture: &(String, String, String),
    id: u64,
    version: u64,
    n: u64,
    published: &str,
) -> String {
    let mut page = TEMPLATE
        .replace("{{CLOCK}}", &format!("{:02}:{:02}", (n / 60) % 24, n % 60))
        .replace("{{AD_ID}}", &format!("gpt-{}", n * 31))
        .replace(
            "{{AD_TEXT}}",
            &format!("Limited offer number {n}, today only"),
        )
        .replace("{{COMMENT_COUNT}}", &(40 + n % 500).to_string())
        .replace("{{MODIFIED}}", published)
        .replace(
            "{{MOST_READ}}",
            &format!("<li><a href=\"/story/{n}\">Most read story {n}</a></li>"),
        )
        .replace("{{REQUEST_ID}}", &format!("req-{n:08x}"))
        .replace("{{SHARES}}", &(1000 + n * 17).to_string())
        .replace("{{TICKER}}", &format!("Markets move {} points", n % 97))
        .replace("{{TS}}", &(1_762_000_000 + n).to_string())
        .replace("{{UPDATED_AGO}}", &format!("{} minutes", n % 59))
        .replace("2022-09-01T10:02:00Z", published)
        .replace(
            "may have committed ‘crimes against humanity’",
            &format!("may have committed ‘crimes against humanity’ (report {id})"),
        );
    if version > 0 {
        // Each edit rewrites one sentence and adds one: small, real edits.
        page = page.replacen(
            "dividing families",
            &format!("dividing families and communities (revision {version}: officials later disputed the figures)"),
            1,
        );
    }
    let (style, nav, farm) = furniture;
    page = page.replacen(
        "</head>",
        &format!("{style}{}</head>", state_blob(id, n)),
        1,
    );
    page = page.replacen(
        "<body class=\"layout-article\">",
        &format!("<body class=\"layout-article\">{nav}"),
        1,
    );
    page.replacen("</body>", &format!("{farm}</body>"), 1)
}

#[derive(Default)]
struct HostStats {
    requests: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    per_second: Mutex<HashMap<u64, u64>>,
}

fn serve_pages(args: &[String]) {
    let hosts: usize = args.first().and_then(|h| h.parse().ok()).unwrap_or(1);
    let etags = args.iter().any(|a| a == "--etag");
    let furniture = Arc::new(static_furniture());
    let plan = Arc::new(Plan {
        rounds: Mutex::new(Vec::new()),
    });
    let published = (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let published = Arc::new(published);
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut stats = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..hosts {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        ports.push(listener.local_addr().unwrap().port());
        let st = Arc::new(HostStats::default());
        stats.push(Arc::clone(&st));
        let (furniture, plan, published, counter) = (
            Arc::clone(&furniture),
            Arc::clone(&plan),
            Arc::clone(&published),
            Arc::clone(&counter),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (furniture, plan, published, counter, st) = (
                    Arc::clone(&furniture),
                    Arc::clone(&plan),
                    Arc::clone(&published),
                    Arc::clone(&counter),
                    Arc::clone(&st),
                );
                std::thread::spawn(move || {
                    let _ = connection(
                        stream, &furniture, &plan, &published, &counter, &st, etags, started,
                    );
                });
            }
        });
    }
    // The control channel: stdin lines, answered on stdout.
    let line: Vec<String> = ports.iter().map(u16::to_string).collect();
    println!("{}", line.join(" "));
    std::io::stdout().flush().unwrap();
    for cmd in std::io::stdin().lock().lines() {
        let Ok(cmd) = cmd else { break };
        let mut parts = cmd.split_whitespace();
        match parts.next() {
            Some("round") => {
                let permille: u64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
                plan.rounds.lock().unwrap().push(permille);
                for s in &stats {
                    s.peak_in_flight.store(0, Ordering::SeqCst);
                    s.per_second.lock().unwrap().clear();
                }
                println!("ok");
            }
            Some("stats") => {
                let peak = stats
                    .iter()
                    .map(|s| s.peak_in_flight.load(Ordering::SeqCst))
                    .max()
                    .unwrap_or(0);
                let busiest_second = stats
                    .iter()
                    .map(|s| {
                        s.per_second
                            .lock()
                            .unwrap()
                            .values()
                            .copied()
                            .max()
                            .unwrap_or(0)
                    })
                    .max()
                    .unwrap_or(0);
                let requests: u64 = stats
                    .iter()
                    .map(|s| s.requests.load(Ordering::SeqCst))
                    .sum();
                println!("{peak} {busiest_second} {requests}");
            }
            _ => println!("?"),
        }
        std::io::stdout().flush().unwrap();
    }
}

#[allow(clippy::too_many_arguments)]
fn connection(
    stream: TcpStream,
    furniture: &(String, String, String),
    plan: &Plan,
    published: &str,
    counter: &AtomicU64,
    st: &HostStats,
    etags: bool,
    started: Instant,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut if_none_match = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("if-none-match")
            {
                if_none_match = Some(v.trim().to_string());
            }
        }
        let now_in = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        st.peak_in_flight.fetch_max(now_in, Ordering::SeqCst);
        st.requests.fetch_add(1, Ordering::SeqCst);
        *st.per_second
            .lock()
            .unwrap()
            .entry(started.elapsed().as_secs())
            .or_default() += 1;
        let path = request_line.split_whitespace().nth(1).unwrap_or("/");
        let id: Option<u64> = path.strip_prefix("/a/").and_then(|i| i.parse().ok());
        let response = match id {
            None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            Some(id) => {
                let version = plan.version(id);
                let etag = format!("\"{id}-{version}\"");
                if etags && if_none_match.as_deref() == Some(etag.as_str()) {
                    format!(
                        "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n"
                    )
                    .into_bytes()
                } else {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let body = render(furniture, id, version, n, published);
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{}\r\n",
                        body.len(),
                        if etags { format!("ETag: {etag}\r\n") } else { String::new() }
                    )
                    .into_bytes();
                    r.extend_from_slice(body.as_bytes());
                    r
                }
            }
        };
        let written = out.write_all(&response);
        st.in_flight.fetch_sub(1, Ordering::SeqCst);
        written?;
    }
}

// ---------------------------------------------------------------------------
// The benchmark (parent process).

struct Server {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: BufReader<std::process::ChildStdout>,
    ports: Vec<u16>,
}

impl Server {
    fn start(hosts: usize, etags: bool) -> anyhow::Result<Self> {
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.arg("--serve").arg(hosts.to_string());
        if etags {
            cmd.arg("--etag");
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        output.read_line(&mut line)?;
        let ports = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<Vec<u16>, _>>()?;
        Ok(Self {
            child,
            input,
            output,
            ports,
        })
    }

    fn ask(&mut self, cmd: &str) -> anyhow::Result<String> {
        writeln!(self.input, "{cmd}")?;
        self.input.flush()?;
        let mut line = String::new();
        self.output.read_line(&mut line)?;
        Ok(line.trim().to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This process's user+sys CPU time and peak RSS (KiB).
fn usage() -> (Duration, u64) {
    // SAFETY: getrusage writes into the struct we pass and nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (tv(u.ru_utime) + tv(u.ru_stime), u.ru_maxrss as u64)
}

struct RoundResult {
    name: &'static str,
    checks: u64,
    wall: Duration,
    cpu: Duration,
    db_growth: i64,
    versions: u64,
    not_modified: u64,
}

fn bench(args: &Args) -> anyhow::Result<()> {
    let mut server = Server::start(args.hosts, args.conditional)?;
    let dir = tempfile::tempdir()?;
    let db_path = args
        .db
        .clone()
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let _ = std::fs::remove_file(&db_path);
    let config = Config::from_toml(
        &format!(
            "[storage]\nraw_html = \"{}\"\n[fetch]\nconcurrency = {}\nper_host_concurrency = {}\nper_host_gap = \"{}\"\ntimeout = \"60s\"\n[defaults]\ninterval = \"1h\"\n",
            args.raw_html, args.concurrency, args.per_host, args.gap
        ),
        std::path::Path::new("bench.toml"),
    )?;
    let mut store = Store::open(&db_path)?;
    let settings: Vec<TargetSettings> = (0..args.targets)
        .map(|i| {
            let port = server.ports[i % server.ports.len()];
            Ok(TargetSettings::new(TargetUrl::parse(&format!(
                "http://127.0.0.1:{port}/a/{i}"
            ))?))
        })
        .collect::<anyhow::Result<_>>()?;
    store.add_targets(&settings, Timestamp::now())?;
    drop(settings);
    let empty_bytes = store.storage_bytes()?;
    let handle = StoreHandle::new(store);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let checker = Arc::new(Checker::new(&config, Arc::new(handle.clone()))?);
    println!(
        "cycle_bench: {} targets on {} hosts, {} requests in flight ({} per host, {} apart), raw pages: {}, {}",
        args.targets,
        args.hosts,
        args.concurrency,
        args.per_host,
        args.gap,
        args.raw_html,
        if args.conditional {
            "server sends ETags (304 path)"
        } else {
            "no validators: every page fully processed"
        }
    );
    // The unchanged and changed rounds are repeated and their medians
    // reported: the machine is shared, and one round can be unlucky.
    let mut plan: Vec<(&'static str, f64)> = vec![("new", 0.0)];
    for _ in 0..args.repeat {
        plan.push(("unchanged", 0.0));
        plan.push(("changed", 1.0));
    }
    plan.push(("mixed", args.change));
    let mut results = Vec::new();
    let mut bytes_before = empty_bytes;
    let mut bytes_after_new = 0;
    let mut total_versions = 0;
    let started = Instant::now();
    for (name, share) in plan {
        let reply = server.ask(&format!("round {}", (share * 1000.0).round() as u64))?;
        anyhow::ensure!(reply == "ok", "server: {reply}");
        handle_call(&rt, &handle, |s| {
            s.schedule_all_at(Timestamp::now()).map(|_| ())
        })?;
        let before = checker.metrics().snapshot();
        let (cpu0, _) = usage();
        let wall0 = Instant::now();
        let cancel = CancellationToken::new();
        let target = before.checks + args.targets as u64;
        rt.block_on(async {
            let watcher = {
                let (checker, cancel) = (Arc::clone(&checker), cancel.clone());
                tokio::spawn(async move {
                    while checker.metrics().snapshot().checks < target {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    cancel.cancel();
                })
            };
            let options = DaemonOptions {
                checks_in_flight: args.concurrency as usize * 2,
                fetch_timeout: Duration::from_secs(60),
                summary_every: Duration::from_secs(3600),
                metrics: None,
            };
            let r = daemon::run(Arc::clone(&checker), options, cancel).await;
            watcher.abort();
            r
        })?;
        let wall = wall0.elapsed();
        let (cpu1, _) = usage();
        let after = checker.metrics().snapshot();
        let bytes = handle_call(&rt, &handle, |s| s.storage_bytes())?;
        if name == "new" {
            bytes_after_new = bytes;
        }
        let r = RoundResult {
            name,
            checks: after.checks - before.checks,
            wall,
            cpu: cpu1 - cpu0,
            db_growth: bytes as i64 - bytes_before as i64,
            versions: after.versions - before.versions,
            not_modified: after.not_modified - before.not_modified,
        };
        anyhow::ensure!(
            after.errors == before.errors,
            "{} checks failed in round {name}",
            after.errors - before.errors
        );
        total_versions += r.versions;
        bytes_before = bytes;
        println!(
            "  round {:<9} {:>7} checks  wall {:>7.1}s  CPU {:>6.3} ms/check  {:>7} versions  {:>6} x 304  DB +{:.0} B/check",
            r.name,
            r.checks,
            r.wall.as_secs_f64(),
            r.cpu.as_secs_f64() * 1000.0 / r.checks.max(1) as f64,
            r.versions,
            r.not_modified,
            r.db_growth as f64 / r.checks.max(1) as f64
        );
        results.push(r);
    }
    let stats = server.ask("stats")?;
    let mut s = stats
        .split_whitespace()
        .map(|v| v.parse::<u64>().unwrap_or(0));
    let (peak, busiest_second, requests) = (
        s.next().unwrap_or(0),
        s.next().unwrap_or(0),
        s.next().unwrap_or(0),
    );
    let (_, rss_kib) = usage();
    let median = |kind: &str| {
        let mut v: Vec<f64> = results
            .iter()
            .filter(|r| r.name == kind)
            .map(|r| r.cpu.as_secs_f64() * 1000.0 / r.checks.max(1) as f64)
            .collect();
        v.sort_by(|a, b| a.total_cmp(b));
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let (u, u_lo, u_hi) = median("unchanged");
    let (c, c_lo, c_hi) = median("changed");
    println!(
        "  CPU per check, median of {} rounds: unchanged {u:.3} ms (range {u_lo:.3}-{u_hi:.3}), changed {c:.3} ms (range {c_lo:.3}-{c_hi:.3})",
        args.repeat
    );
    let first_unchanged = results.iter().find(|r| r.name == "unchanged").unwrap();
    let first_changed = results.iter().find(|r| r.name == "changed").unwrap();
    println!(
        "  database growth: {:.0} bytes per unchanged check, {:.0} bytes per changed version",
        first_unchanged.db_growth as f64 / first_unchanged.checks.max(1) as f64,
        first_changed.db_growth as f64 / first_changed.versions.max(1) as f64
    );
    let total_wall = started.elapsed();
    let final_bytes = bytes_before;
    let checks: u64 = results.iter().map(|r| r.checks).sum();
    println!(
        "  total: {checks} checks, {requests} requests, wall {:.1}s",
        total_wall.as_secs_f64()
    );
    println!("  peak RSS: {:.1} MB", rss_kib as f64 / 1024.0);
    println!(
        "  database: {:.0} bytes per target after the first round (first version included); {:.1} MB in all",
        (bytes_after_new - empty_bytes) as f64 / args.targets as f64,
        final_bytes as f64 / 1e6
    );
    println!(
        "  politeness (server side, last round): at most {peak} requests in flight to one host (limit {}); busiest host-second {busiest_second} requests (gap {}); mean {:.1} requests per host per second",
        args.per_host,
        args.gap,
        results.last().unwrap().checks as f64
            / args.hosts as f64
            / results.last().unwrap().wall.as_secs_f64()
    );
    println!("  versions stored: {total_versions}");
    Ok(())
}

fn handle_call<R: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    handle: &StoreHandle,
    f: impl FnOnce(&mut Store) -> Result<R, redline::store::StoreError> + Send + 'static,
) -> anyhow::Result<R> {
    Ok(rt.block_on(handle.call(f))?)
}
