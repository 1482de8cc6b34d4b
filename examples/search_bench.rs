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
use std::time::Duration;

use redline::model::{
    CacheUpdate, Capture, CheckCommit, CheckFacts, CheckRow, CheckStatus, ContentHash, NewVersion,
    Next, PageCache, RawHtmlPolicy, Seen, TargetSettings, TargetUpdate, TargetUrl, Timestamp,
};
use redline::report::search::{self, Phrase, SearchMode};
use redline::store::Store;

const TEXT: &str = include_str!("../tests/fixtures/un-xinjiang-report.txt");
const RARE: &str = "the ministry later withdrew the statement";

fn cpu() -> Duration {
    // SAFETY: getrusage writes into the struct we pass and nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    t(u.ru_utime) + t(u.ru_stime)
}

fn body(target: usize, version: usize) -> String {
    let mut text: String = TEXT
        .lines()
        .skip(1)
        .take_while(|l| *l != "Leave a Reply")
        .collect::<Vec<_>>()
        .join("\n");
    text = text.replace("40 people", &format!("{} people", 40 + target % 500));
    // Each version edits one sentence: the figure in it goes up.
    text.push_str(&format!(
        "\nBy version {version}, {} detainees had been counted.",
        1000 + version * 7 + target
    ));
    if target.is_multiple_of(100) && (3..6).contains(&version) {
        text.push_str(&format!("\nA spokesman said {RARE} on Friday."));
    }
    text
}

fn commit(target: redline::model::TargetId, number: u32, at: i64, text: String) -> CheckCommit {
    let mut capture = Capture {
        title: format!(
            "Xinjiang report: UN says China may have committed crimes (update {number})"
        ),
        text,
        byline: None,
        published: None,
        modified: None,
        canonical: None,
        description: None,
        hash: ContentHash([0; 32]),
        final_url: String::new(),
        raw_html: Vec::new(),
    };
    capture.hash = ContentHash(capture.fields().hash());
    let status = if number == 1 {
        CheckStatus::New
    } else {
        CheckStatus::Changed
    };
    CheckCommit {
        target,
        lease: None,
        based_on: (number > 1).then_some(number - 1),
        check: CheckRow {
            facts: CheckFacts {
                started_at: Timestamp(at),
                duration: Duration::from_millis(5),
                http_status: Some(200),
                bytes: Some(100_000),
                exchange: None,
            },
            status,
            version: Some(number),
            error: None,
            suspect: None,
            seen: Some(Seen {
                published: None,
                modified: None,
                hash: capture.hash,
            }),
        },
        version: Some(NewVersion {
            capture,
            class: None,
            revert_of: None,
            alert_paused: false,
            diff: None,
            raw_html: RawHtmlPolicy::All,
        }),
        deliveries: Vec::new(),
        update: TargetUpdate {
            last_error: None,
            changed: number > 1,
            failures: 0,
            misses: 0,
            failing_alerted: false,
            cache: CacheUpdate::Replace(PageCache::default()),
            published_at: None,
            full_fetch_at: None,
        },
        next: Next::At(Timestamp(at + 3_600_000)),
    }
}

fn main() -> anyhow::Result<()> {
    let mut targets = 10_000;
    let mut versions = 10;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let n: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        match a.as_str() {
            "--targets" if n > 0 => targets = n,
            "--versions" if n > 0 => versions = n,
            _ => anyhow::bail!("usage: search_bench [--targets N] [--versions N]"),
        }
    }
    let dir = tempfile::tempdir()?;
    let db: PathBuf = dir.path().join("search.db");
    let started = std::time::Instant::now();
    {
        let mut store = Store::open(&db)?;
        let now = Timestamp::now().millis();
        for t in 0..targets {
            let url = TargetUrl::parse(&format!("https://news{}.example/story/{t}", t % 200))?;
            let (target, _) = store.add_target(&TargetSettings::new(url), Timestamp(now))?;
            for v in 1..=versions {
                let at = now - ((versions - v) as i64) * 3_600_000;
                store.commit_check(&commit(target.id, v as u32, at, body(t, v)))?;
            }
        }
    }
    eprintln!(
        "built {} versions in {:.1}s",
        targets * versions,
        started.elapsed().as_secs_f64()
    );
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
