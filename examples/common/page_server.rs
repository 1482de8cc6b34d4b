//! The page server of the benchmarks that check many targets
//! (`cycle_bench`, `check_rss`): a child process (the benchmark's own
//! binary with `--serve HOSTS [--etag]`, 127.0.0.1 only) listening on HOSTS
//! ports, each a separate host to Redline's politeness, serving generated
//! ~150 KB article pages: the fixture article inside realistic furniture
//! (style sheet, state blob, mega menu, link farm) in which a clock,
//! counters, ad ids and a request id change on every request. A `round
//! PERMILLE` line on its standard input starts a round in which that share
//! of article bodies is edited; `stats` reports what it saw of politeness.
//! `Server` starts and drives it from the benchmark.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const TEMPLATE: &str = include_str!("../../tests/fixtures/un-xinjiang-report.html");

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

pub fn serve_pages(args: &[String]) {
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

pub struct Server {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: BufReader<std::process::ChildStdout>,
    /// One port per host.
    pub ports: Vec<u16>,
}

impl Server {
    pub fn start(hosts: usize, etags: bool) -> anyhow::Result<Self> {
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

    pub fn ask(&mut self, cmd: &str) -> anyhow::Result<String> {
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
