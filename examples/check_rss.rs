//! Peak memory of `redline check` over many targets, as a new user would
//! run it: the real binary as a child process over a database of N
//! targets, against the benchmarks' page server (`common/page_server.rs`:
//! ~150 KB generated pages whose furniture changes on every request, on
//! `--hosts` ports).
//!
//!     cargo build --release --bin redline --example check_rss
//!     target/release/examples/check_rss --targets 10000
//!
//! Two passes: the first stores every first version, the second finds every
//! page unchanged (after a full parse: the furniture differs). For each:
//! wall time, CPU time and peak RSS of the `redline check` process (from
//! `wait4`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redline::model::{TargetSettings, TargetUrl, Timestamp};
use redline::store::Store;

#[path = "common/page_server.rs"]
mod page_server;

/// The sibling binary `name` in this example's target directory.
fn sibling(name: &str, up: usize) -> anyhow::Result<PathBuf> {
    let mut dir = std::env::current_exe()?;
    for _ in 0..=up {
        dir = dir
            .parent()
            .ok_or_else(|| anyhow::anyhow!("no parent"))?
            .to_path_buf();
    }
    let path = dir.join(name);
    anyhow::ensure!(
        path.is_file(),
        "{} is missing: cargo build --release --bin redline first",
        path.display()
    );
    Ok(path)
}

/// Runs `bin` with `args`; returns CPU time, peak RSS in bytes, wall time
/// and the lines it printed.
fn measure(bin: &Path, args: &[&str]) -> anyhow::Result<(Duration, u64, Duration, usize)> {
    use std::os::unix::process::ExitStatusExt;
    let wall = Instant::now();
    let mut child = std::process::Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().expect("piped");
    let lines = std::thread::spawn(move || BufReader::new(out).lines().count());
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes the status and usage of our own child into the
    // values we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    anyhow::ensure!(r == pid, "wait4 failed");
    let status = std::process::ExitStatus::from_raw(status);
    anyhow::ensure!(status.success(), "redline {args:?} failed: {status}");
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    Ok((
        t(usage.ru_utime) + t(usage.ru_stime),
        usage.ru_maxrss as u64 * 1024,
        wall.elapsed(),
        lines.join().unwrap_or(0),
    ))
}

fn main() -> anyhow::Result<()> {
    let mut targets = 10_000_usize;
    let mut hosts = 100_usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--serve" {
            page_server::serve_pages(&args.collect::<Vec<_>>());
            return Ok(());
        }
        let n: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        match a.as_str() {
            "--targets" if n > 0 => targets = n,
            "--hosts" if n > 0 => hosts = n,
            _ => anyhow::bail!("usage: check_rss [--targets N] [--hosts N]"),
        }
    }
    let redline = sibling("redline", 1)?;
    let mut server = page_server::Server::start(hosts, false)?;
    let ports = server.ports.clone();

    let dir = tempfile::tempdir()?;
    let db = dir.path().join("check.db");
    let config = dir.path().join("check.toml");
    std::fs::write(
        &config,
        "[fetch]\nconcurrency = 32\nper_host_concurrency = 2\nper_host_gap = \"0s\"\ntimeout = \"60s\"\nrobots_txt = false\n[defaults]\ninterval = \"1h\"\n",
    )?;
    {
        let mut store = Store::open(&db)?;
        let settings: Vec<TargetSettings> = (0..targets)
            .map(|i| {
                let port = ports[i % ports.len()];
                Ok(TargetSettings::new(TargetUrl::parse(&format!(
                    "http://127.0.0.1:{port}/a/{i}"
                ))?))
            })
            .collect::<anyhow::Result<_>>()?;
        store.add_targets(&settings, Timestamp::now())?;
    }
    println!("`redline check` over {targets} targets on {hosts} hosts");
    println!("| pass | wall | CPU | CPU per check | peak RSS |");
    println!("|---|---|---|---|---|");
    let (db_arg, config_arg) = (
        db.to_string_lossy().into_owned(),
        config.to_string_lossy().into_owned(),
    );
    for pass in ["new", "unchanged"] {
        // No body is edited in this round: only the furniture changes.
        server.ask("round 0")?;
        let (cpu, rss, wall, lines) = measure(
            &redline,
            &[
                "--config",
                &config_arg,
                "--db",
                &db_arg,
                "-q",
                "check",
                "--json",
            ],
        )?;
        anyhow::ensure!(
            lines == targets,
            "{lines} checks reported for {targets} targets"
        );
        println!(
            "| {pass} | {:.1} s | {:.1} s | {:.2} ms | {:.0} MB |",
            wall.as_secs_f64(),
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1000.0 / targets as f64,
            rss as f64 / 1e6
        );
    }
    drop(server);
    Ok(())
}
