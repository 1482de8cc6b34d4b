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

use std::path::PathBuf;

use redline::model::{TargetSettings, TargetUrl, Timestamp};
use redline::store::Store;

#[path = "common/child.rs"]
mod child;
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
        let child::Run {
            cpu,
            rss,
            wall,
            lines,
        } = child::measure(
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
