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

use std::sync::Arc;
use std::time::{Duration, Instant};

use redline::check::Checker;
use redline::config::Config;
use redline::daemon::{self, DaemonOptions};
use redline::model::{TargetSettings, TargetUrl, Timestamp};
use redline::store::{Store, StoreHandle};
use tokio_util::sync::CancellationToken;

#[path = "common/page_server.rs"]
mod page_server;

use page_server::{Server, serve_pages};

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
