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

/// Builds `targets` articles of `versions` versions each in a new database
/// at `db`, without pages; with `diffs`, every version after the first
/// carries its diff and a class, as a check stores a change (so it is on
/// the change list). Capture times step an hour per version, and a
/// millisecond per target so no two changes share a time.
pub fn build(
    db: &std::path::Path,
    targets: usize,
    versions: usize,
    diffs: bool,
) -> anyhow::Result<()> {
    use redline::model::{TargetSettings, TargetUrl};
    let started = std::time::Instant::now();
    let mut store = redline::store::Store::open(db)?;
    let now = Timestamp::now().millis();
    for t in 0..targets {
        let url = TargetUrl::parse(&format!("https://news{}.example/story/{t}", t % 200))?;
        let (target, _) = store.add_target(&TargetSettings::new(url), Timestamp(now))?;
        let mut previous: Option<Capture> = None;
        for v in 1..=versions {
            let at = now - ((versions - v) as i64) * 3_600_000 - t as i64;
            let mut c = commit(target.id, v as u32, at, body(t, v), Vec::new(), None);
            let version = c.version.as_mut().expect("a commit with a version");
            if let (true, Some(prev)) = (diffs, &previous) {
                version.diff = Some(redline::diff::summarize(
                    &prev.fields(),
                    &version.capture.fields(),
                ));
                version.class = Some(redline::detect::ChangeClass::Substantive);
            }
            previous = Some(version.capture.clone());
            store.commit_check(&c)?;
        }
    }
    eprintln!(
        "built {} versions of {targets} articles in {:.1}s",
        targets * versions,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
