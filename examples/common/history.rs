//! A history built through the store, as checks would commit it, for the
//! benchmarks that read it back (`search_bench`, `export_bench`): each
//! target's body is the fixture article with its own numbers, and every
//! version edits one sentence. One target in a hundred gains a rare phrase
//! at version 3 and loses it at version 6.

#![allow(dead_code)]

use std::time::Duration;

use redline::model::{
    CacheUpdate, Capture, CheckCommit, CheckFacts, CheckRow, CheckStatus, ContentHash, Exchange,
    NewVersion, Next, PageCache, RawHtmlPolicy, Seen, TargetUpdate, Timestamp,
};

const TEXT: &str = include_str!("../../tests/fixtures/un-xinjiang-report.txt");
pub const RARE: &str = "the ministry later withdrew the statement";

pub fn cpu() -> Duration {
    // SAFETY: getrusage writes into the struct we pass and nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    t(u.ru_utime) + t(u.ru_stime)
}

pub fn body(target: usize, version: usize) -> String {
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

/// The commit of version `number` with `text`; with the page and the
/// exchange when given (a page is kept only when given).
pub fn commit(
    target: redline::model::TargetId,
    number: u32,
    at: i64,
    text: String,
    page: Vec<u8>,
    exchange: Option<Exchange>,
) -> CheckCommit {
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
        raw_html: page,
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
                exchange,
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

/// An unchanged check of version `number` at `at`, with its exchange.
pub fn unchanged(
    target: redline::model::TargetId,
    number: u32,
    at: i64,
    exchange: Option<Exchange>,
) -> CheckCommit {
    let mut c = commit(target, number, at, String::new(), Vec::new(), exchange);
    c.version = None;
    c.based_on = Some(number);
    c.check.status = CheckStatus::Unchanged;
    c.check.seen = None;
    c.update.changed = false;
    c
}

/// `--targets N --versions M` from the command line (10,000 x 10 by
/// default).
pub fn size_from_args(program: &str) -> anyhow::Result<(usize, usize)> {
    let mut targets = 10_000;
    let mut versions = 10;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let n: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        match a.as_str() {
            "--targets" if n > 0 => targets = n,
            "--versions" if n > 0 => versions = n,
            _ => anyhow::bail!("usage: {program} [--targets N] [--versions N]"),
        }
    }
    Ok((targets, versions))
}
