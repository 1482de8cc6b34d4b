//! Search of history over many versions: how large the full-text index is
//! next to the database, and how long `redline search` takes.
//!
//!     cargo run --release --example search_bench -- --targets 10000 --versions 10
//!
//! Builds a database through the store (every version committed as a check
//! would commit it, so its text is compressed and indexed as in a real
//! run): each target's body is the fixture article with its own numbers, and
//! every version edits one sentence. One target in a hundred gains a rare
//! phrase at version 3 and loses it at version 6. Pages are not kept (the
//! index's share is then an upper bound: real databases also hold pages).
//! Then each query runs through the same code as `redline search`, a few
//! times, and the median CPU time (this process, all threads) is printed.

use std::path::PathBuf;

use redline::report::search::{self, Phrase, SearchMode};

#[path = "common/history.rs"]
mod history;

use history::{RARE, cpu};

fn main() -> anyhow::Result<()> {
    let (targets, versions) = history::size_from_args("search_bench")?;
    let dir = tempfile::tempdir()?;
    let db: PathBuf = dir.path().join("search.db");
    history::build(&db, targets, versions, false)?;
    let conn = rusqlite::Connection::open(&db)?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    let total: i64 = conn.query_row("SELECT SUM(pgsize) FROM dbstat", [], |r| r.get(0))?;
    let index: i64 = conn.query_row(
        "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'version_search%'",
        [],
        |r| r.get(0),
    )?;
    let text: i64 = conn.query_row(
        "SELECT SUM(length(text)) + SUM(length(text_zstd)) FROM versions",
        [],
        |r| r.get(0),
    )?;
    println!(
        "{} targets x {} versions = {} versions; database {:.1} MB, search index {:.1} MB = {:.0}% of it (stored text {:.1} MB)",
        targets,
        versions,
        targets * versions,
        total as f64 / 1e6,
        index as f64 / 1e6,
        100.0 * index as f64 / total as f64,
        text as f64 / 1e6
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let reports = redline::store::open_reports(&db)?;
    let queries = [
        ("rare, removed", RARE, SearchMode::Removed),
        ("rare, anywhere", RARE, SearchMode::Anywhere),
        (
            "absent",
            "a phrase that no article holds",
            SearchMode::Anywhere,
        ),
        (
            "every article, current",
            "crimes against humanity",
            SearchMode::Current,
        ),
        (
            "every article, removed",
            "crimes against humanity",
            SearchMode::Removed,
        ),
    ];
    for (name, query, mode) in queries {
        let phrase = Phrase::parse(query).expect("words");
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..5 {
            let before = cpu();
            let wall = std::time::Instant::now();
            hits = runtime
                .block_on(search::search(&*reports, &phrase, mode, None))?
                .len();
            times.push((cpu() - before, wall.elapsed()));
            if times.len() == 1 && query != RARE && mode == SearchMode::Removed {
                break; // every version of every article read: once is enough
            }
        }
        times.sort();
        let (cpu_t, wall_t) = times[times.len() / 2];
        println!(
            "{name:>24}: {hits:>6} hits, {:>9.2} ms CPU, {:>9.2} ms wall (median of {})",
            cpu_t.as_secs_f64() * 1e3,
            wall_t.as_secs_f64() * 1e3,
            times.len()
        );
    }
    Ok(())
}
