//! Exports of a large history: `redline export` in each format over
//! N targets x M versions, as child processes, with the CPU time and the
//! peak resident memory (getrusage of the child) of each.
//!
//!     cargo build --release --bin redline
//!     cargo run --release --example export_bench -- --targets 10000 --versions 10
//!
//! The history is built through the store as checks commit it: every
//! version keeps its page (an HTML page around the fixture article, with
//! its own numbers) and its HTTP exchange, and after each version one
//! unchanged check with a byte-identical page (a revisit in the archives).
//! Memory should not grow with the history: WARC, JSON Lines and CSV hold
//! one version at a time; WACZ also holds its sorted index lines (about
//! 300 bytes per capture).

#[path = "common/child.rs"]
mod child;
#[path = "common/history.rs"]
mod history;

use std::path::PathBuf;
use std::time::Instant;

use history::{body, commit, unchanged};
use redline::model::{Exchange, TargetSettings, TargetUrl, Timestamp};
use redline::store::Store;

fn page(title: &str, text: &str) -> Vec<u8> {
    let paragraphs: String = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{l}</p>\n"))
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><nav><a href=\"/\">Home</a></nav><article><h1>{title}</h1>\n{paragraphs}</article>\
         <footer>Copyright</footer></body></html>"
    )
    .into_bytes()
}

fn exchange(url: &str, page: &[u8]) -> Exchange {
    let u = url::Url::parse(url).expect("a bench URL");
    Exchange {
        url: url.to_string(),
        request_head: format!(
            "GET {} HTTP/1.1\r\nhost: {}\r\nuser-agent: Redline bench\r\naccept: text/html",
            u.path(),
            u.host_str().unwrap_or("")
        ),
        response_head: format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}",
            page.len()
        ),
        payload_sha256: Some(Exchange::digest(page)),
        ip: Some(std::net::Ipv4Addr::new(192, 0, 2, 1).into()),
    }
}

fn main() -> anyhow::Result<()> {
    let (targets, versions) = history::size_from_args("export_bench")?;
    let bin: PathBuf = std::env::var_os("REDLINE_BIN").map_or_else(
        || {
            std::env::current_exe()
                .ok()
                .and_then(|e| Some(e.parent()?.parent()?.join("redline")))
                .unwrap_or_else(|| PathBuf::from("target/release/redline"))
        },
        PathBuf::from,
    );
    anyhow::ensure!(
        bin.is_file(),
        "{} is missing: cargo build --release --bin redline first (or set REDLINE_BIN)",
        bin.display()
    );
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("export.db");
    let started = Instant::now();
    {
        let mut store = Store::open(&db)?;
        let now = Timestamp::now().millis();
        for t in 0..targets {
            let url = format!("https://news{}.example/story/{t}", t % 200);
            let (target, _) = store.add_target(
                &TargetSettings::new(TargetUrl::parse(&url)?),
                Timestamp(now),
            )?;
            for v in 1..=versions {
                let at = now - ((versions - v) as i64) * 3_600_000 - 1_800_000;
                let text = body(t, v);
                let title = format!(
                    "Xinjiang report: UN says China may have committed crimes (update {v})"
                );
                let html = page(&title, &text);
                let x = exchange(&url, &html);
                store.commit_check(&commit(
                    target.id,
                    v as u32,
                    at,
                    text,
                    html,
                    Some(x.clone()),
                ))?;
                store.commit_check(&unchanged(target.id, v as u32, at + 1_800_000, Some(x)))?;
            }
        }
    }
    let db_size = std::fs::metadata(&db)?.len();
    eprintln!(
        "built {} versions ({} captures) in {:.1}s; database {:.1} MB",
        targets * versions,
        2 * targets * versions,
        started.elapsed().as_secs_f64(),
        db_size as f64 / 1e6
    );
    println!(
        "{targets} targets x {versions} versions = {} versions, {} captures",
        targets * versions,
        2 * targets * versions
    );
    println!("| format | output | CPU | wall | peak RSS | versions per CPU-second |");
    println!("|---|---|---|---|---|---|");
    let db_arg = db.to_string_lossy().into_owned();
    for (format, name) in [
        ("warc", "out.warc.gz"),
        ("wacz", "out.wacz"),
        ("jsonl", "out.jsonl"),
        ("csv", "out.csv"),
    ] {
        let out = dir.path().join(name);
        let out_arg = out.to_string_lossy().into_owned();
        let child::Run { cpu, rss, wall, .. } = child::measure(
            &bin,
            &[
                "--db", &db_arg, "-q", "export", "--format", format, "-o", &out_arg,
            ],
        )?;
        let size = std::fs::metadata(&out)?.len();
        println!(
            "| {format} | {:.1} MB | {:.1} s | {:.1} s | {:.1} MB | {:.0} |",
            size as f64 / 1e6,
            cpu.as_secs_f64(),
            wall.as_secs_f64(),
            rss as f64 / 1e6,
            (targets * versions) as f64 / cpu.as_secs_f64()
        );
    }
    Ok(())
}
