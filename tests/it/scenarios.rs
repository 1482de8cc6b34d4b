//! The noise scenario generator: real article pages put through random
//! page-furniture churn and random real edits, run through the real
//! pipeline (decode, extract, detect, store, diff), and counted.
//!
//! Pages: the realistic fixtures, plus the 91 real news pages of
//! `../shared/extraction-bench/dev` when present beside the checkout. Each
//! scenario takes one page through several checks: furniture churn alone
//! (must stay unchanged), edits (must be recorded with their words and the
//! right class), walls and error pages served with 200 (must stay suspect,
//! never a version) and reverts. The counts are printed and must be perfect
//! but for the class, which must be right on ≥ 98% of changes.

use std::io::{Read, Write};
use std::sync::Arc;

use redline::check::Checker;
use redline::config::Config;
use redline::detect::ChangeClass;
use redline::fetch::FetchedPage;
use redline::store::{CheckStatus, Store, StoreHandle, TargetSettings};
use redline::types::{TargetUrl, Timestamp};

use crate::harness::article;

/// Scenarios run in the normal test suite.
const SCENARIOS: usize = 1000;
/// Fixed seed: every run generates the same scenarios.
const SEED: u64 = 0x5EED_2026_1127;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A page and the paragraphs of its article that appear verbatim in its
/// HTML, so edits can be made in the HTML exactly where a reader sees them.
struct Page {
    name: String,
    html: String,
    title: String,
    editable: Vec<String>,
}

fn load_pages() -> Vec<Page> {
    let mut raw: Vec<(String, String)> = vec![
        ("un-xinjiang".into(), article::render(0, |p| p)),
        (
            "wordpress".into(),
            include_str!("../fixtures/wordpress-opengraph.html").into(),
        ),
        (
            "jsonld".into(),
            include_str!("../fixtures/jsonld-graph.html").into(),
        ),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/extraction-bench/dev/html");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let mut html = String::new();
            if flate2::read::MultiGzDecoder::new(bytes.as_slice())
                .read_to_string(&mut html)
                .is_ok()
            {
                raw.push((
                    path.file_name().unwrap().to_string_lossy()[..12].to_string(),
                    html,
                ));
            }
        }
    }
    raw.into_iter()
        .filter_map(|(name, html)| {
            let a = redline::extract::extract(&html, None, None).ok()?;
            let editable: Vec<String> = a
                .text
                .split("\n\n")
                .filter(|p| p.split(' ').count() >= 12 && html.matches(*p).count() == 1)
                .map(str::to_string)
                .collect();
            let title_found = !a.title.is_empty() && html.contains(&a.title);
            (editable.len() >= 2 && title_found).then_some(Page {
                name,
                html,
                title: a.title,
                editable,
            })
        })
        .collect()
}

/// Furniture that changes on every request, around and inside the article:
/// a clock, a ticker, trending and related lists, an ad slot with a fresh
/// id, share and comment counters, a cookie banner, tokens in attributes
/// and scripts.
fn churn(html: &str, page: &Page, rng: &mut Rng) -> String {
    let n = rng.next() % 100_000;
    let headlines = [
        "Markets rally as rate fears ease, analysts say",
        "Storm warnings issued for the coast tonight",
        "Five things to know before the big match on Saturday",
        "Celebrity couple announce surprise engagement",
        "Opinion: why the new budget misses the point entirely",
    ];
    let mut list = String::new();
    for _ in 0..4 {
        list.push_str(&format!(
            "<li><a href=\"/s/{}\">{}</a></li>",
            rng.next() % 9999,
            rng.pick(&headlines)
        ));
    }
    let header = format!(
        "<header class=\"site-header\"><div class=\"clock\">{:02}:{:02}</div><nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav>\
         <div class=\"ticker\">LIVE: index {} points</div></header>\
         <div class=\"cookie-banner\" role=\"dialog\"><p>We use {} cookies to improve your experience on our website.</p></div>",
        n % 24,
        n % 60,
        n,
        n % 900
    );
    let footer = format!(
        "<aside class=\"trending\"><h3>Trending</h3><ol>{list}</ol></aside>\
         <footer class=\"site-footer\"><p>Page generated in {} ms · request {n:x}</p></footer>\
         <script>window.__token = \"{:x}\";</script>",
        n % 500,
        rng.next()
    );
    let in_article = format!(
        "<div class=\"ad-slot\" id=\"ad-{n}\"><span>Advertisement</span></div>\
         <div class=\"share-bar\"><a href=\"#\">Share</a> <span>{} shares</span></div>\
         <p class=\"updated\">Updated {} minutes ago</p>\
         <div class=\"related-links\"><a href=\"/r/{n}\">{}</a></div>",
        n % 5000,
        n % 59 + 1,
        rng.pick(&headlines)
    );
    let mut out = html.replacen("<body", &format!("<body data-request=\"{n:x}\""), 1);
    if let Some(pos) = out
        .find("<body")
        .and_then(|b| out[b..].find('>').map(|e| b + e + 1))
    {
        out.insert_str(pos, &header);
    }
    if let Some(pos) = out.rfind("</body>") {
        out.insert_str(pos, &footer);
    }
    // Inside the article: before the paragraph that holds the second
    // editable text.
    let anchor = &page.editable[1];
    if let Some(text_at) = out.find(anchor.as_str())
        && let Some(p_at) = out[..text_at].rfind("<p")
    {
        out.insert_str(p_at, &in_article);
    }
    out
}

const WALLS: &[(&str, &str)] = &[
    (
        "Just a moment...",
        "<h1>Checking your browser before accessing the site.</h1><p>This process is automatic. Your browser will redirect to your requested content shortly. Please enable JavaScript and cookies.</p>",
    ),
    (
        "Before you continue",
        "<h1>We value your privacy</h1><p>We and our partners store and access information on your device, such as cookies, to show personalised ads and content. Accept all cookies or manage your choices.</p>",
    ),
    (
        "Page not found",
        "<h1>404 Not Found</h1><p>Sorry, the page you were looking for may have moved or been removed. Try our home page or search for the story you wanted.</p>",
    ),
    (
        "Subscribe to continue reading",
        "<h1>Subscribe to continue reading</h1><p>This story is available to subscribers only. Already a subscriber? Sign in to continue reading this and every other story.</p>",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    WordSwap,
    SentenceInsert,
    SentenceDelete,
    ParagraphInsert,
    Headline,
}

const NEW_SENTENCES: &[&str] = &[
    "Officials confirmed the figures in a statement released on Monday evening.",
    "The ministry declined to comment when contacted by reporters this week.",
    "Critics said the decision would be challenged in court within days.",
];
const NEW_PARAGRAPHS: &[&str] = &[
    "In a statement issued after publication, the company denied any wrongdoing and said it would cooperate fully with the investigation.",
    "Update: a spokesperson for the regional government said on Tuesday that a full review of the findings would be published next month.",
];
const NEW_WORDS: &[&str] = &[
    "alleged",
    "disputed",
    "confirmed",
    "reported",
    "unverified",
    "official",
];

/// Applies a real edit to the HTML; returns the new HTML and the words a
/// correct diff must hold, or `None` when the edit does not apply here.
fn edit(html: &str, page: &mut Page, kind: Edit, rng: &mut Rng) -> Option<(String, Vec<String>)> {
    let i = rng.below(page.editable.len());
    let para = page.editable[i].clone();
    let (new_para, expect): (String, Vec<String>) = match kind {
        Edit::WordSwap => {
            let words: Vec<&str> = para.split(' ').collect();
            let at = 2 + rng.below(words.len() - 4);
            let replacement = rng.pick(NEW_WORDS);
            if words.contains(replacement) || words[at].chars().any(|c| !c.is_alphabetic()) {
                return None;
            }
            let mut w = words.clone();
            w[at] = replacement;
            (
                w.join(" "),
                vec![words[at].to_string(), replacement.to_string()],
            )
        }
        Edit::SentenceInsert => {
            let s = *rng.pick(NEW_SENTENCES);
            (format!("{para} {s}"), vec![s.to_string()])
        }
        Edit::SentenceDelete => {
            let cut = para.find(". ")?;
            let first = &para[..cut + 1];
            if first.split(' ').count() < 6 {
                return None;
            }
            (para[cut + 2..].to_string(), vec![first.to_string()])
        }
        Edit::ParagraphInsert => {
            let p = *rng.pick(NEW_PARAGRAPHS);
            let at = html.find(para.as_str())?;
            let close = html[at..].find("</p>")? + at + 4;
            let mut out = html.to_string();
            out.insert_str(close, &format!("\n<p>{p}</p>"));
            return Some((out, vec![p.to_string()]));
        }
        Edit::Headline => {
            let new_title = format!("{} – corrected", page.title);
            let out = html.replace(page.title.as_str(), &new_title);
            page.title = new_title;
            return Some((out, vec!["corrected".to_string()]));
        }
    };
    if !html.contains(para.as_str()) {
        return None;
    }
    let out = html.replacen(para.as_str(), &new_para, 1);
    page.editable[i] = new_para;
    Some((out, expect))
}

fn expected_class(kind: Edit) -> ChangeClass {
    match kind {
        Edit::WordSwap => ChangeClass::Minor,
        Edit::SentenceInsert | Edit::SentenceDelete | Edit::ParagraphInsert => {
            ChangeClass::Substantive
        }
        Edit::Headline => ChangeClass::Headline,
    }
}

#[derive(Debug, Default)]
struct Counts {
    scenarios: usize,
    checks: usize,
    edits: usize,
    edits_recorded: usize,
    edits_with_words: usize,
    churn_checks: usize,
    false_versions: usize,
    walls: usize,
    wall_versions: usize,
    reverts: usize,
    reverts_recorded: usize,
    classes_right: usize,
    classes_total: usize,
    failures: Vec<String>,
}

fn page_response(url: &str, html: String) -> FetchedPage {
    FetchedPage {
        etag: None,
        last_modified: None,
        final_url: url.to_string(),
        status: 200,
        content_type: Some("text/html; charset=utf-8".into()),
        body: html.into_bytes(),
        elapsed: std::time::Duration::ZERO,
    }
}

#[test]
fn a_thousand_noise_scenarios_through_the_pipeline() {
    let pages = load_pages();
    assert!(!pages.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("scenarios.db")).unwrap();
    let handle = StoreHandle::new(store);
    let checker = Arc::new(Checker::new(&Config::builtin(), handle.clone()).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rng = Rng(SEED);
    let mut c = Counts::default();

    for s in 0..SCENARIOS {
        c.scenarios += 1;
        let base = &pages[s % pages.len()];
        let mut page = Page {
            name: base.name.clone(),
            html: base.html.clone(),
            title: base.title.clone(),
            editable: base.editable.clone(),
        };
        let url = format!("https://news.example/{}/{s}", page.name);
        let settings = TargetSettings::new(TargetUrl::parse(&url).unwrap());
        let target = runtime
            .block_on(handle.call(move |st| st.add_target(&settings, Timestamp::now())))
            .unwrap()
            .0;
        let check = |html: String, c: &mut Counts| {
            c.checks += 1;
            runtime.block_on(checker.check_page(&target, page_response(&url, html)))
        };

        let first = check(churn(&page.html, &page, &mut rng), &mut c);
        if first.status != CheckStatus::New {
            c.failures.push(format!(
                "{}: first check was {:?} {:?}",
                page.name, first.status, first.error
            ));
            continue;
        }
        let seen_text = |html: &str| {
            redline::extract::extract(html, None, None)
                .map(|a| format!("{}\n{}", a.title, a.text))
                .unwrap_or_default()
        };
        let mut versions_html = vec![page.html.clone()];
        let mut versions_text = vec![seen_text(&churn(&page.html, &page, &mut Rng(SEED)))];
        let steps = 3 + rng.below(3);
        // Walls are transient here: a third in a row would be a persisting
        // state, which is rightly recorded as a removal.
        let mut walls_in_row = 0;
        for _ in 0..steps {
            let roll = rng.below(10);
            let roll = if roll == 3 && walls_in_row >= 2 {
                0
            } else {
                roll
            };
            if roll == 3 {
                walls_in_row += 1;
            }
            match roll {
                // Furniture churn alone.
                0..=2 => {
                    walls_in_row = 0;
                    c.churn_checks += 1;
                    let r = check(churn(&page.html, &page, &mut rng), &mut c);
                    if r.status != CheckStatus::Unchanged {
                        c.false_versions += 1;
                        c.failures.push(format!(
                            "{}: churn gave {:?} {:?}",
                            page.name,
                            r.status,
                            r.summary.map(|s| s.excerpt(200))
                        ));
                    }
                }
                // A wall or error page served with 200.
                3 => {
                    c.walls += 1;
                    let (title, body) = *rng.pick(WALLS);
                    let html = format!(
                        "<html><head><title>{title}</title></head><body>{body}</body></html>"
                    );
                    let r = check(html, &mut c);
                    if matches!(r.status, CheckStatus::Changed | CheckStatus::New) {
                        c.wall_versions += 1;
                        c.failures.insert(
                            0,
                            format!(
                                "{}: wall {title:?} became a version: {:?} {:?}",
                                page.name, r.class, r.error
                            ),
                        );
                    }
                }
                // Back to an earlier version.
                4 if versions_html.len() >= 2 => {
                    // One of the versions within the revert window whose text
                    // differs from the latest.
                    let window = redline::detect::DEFAULT_REVERT_WINDOW as usize;
                    let oldest = versions_html.len().saturating_sub(window + 1);
                    let latest = versions_text.last().unwrap().clone();
                    let choices: Vec<usize> = (oldest..versions_html.len() - 1)
                        .filter(|k| versions_text[*k] != latest)
                        .collect();
                    if choices.is_empty() {
                        continue;
                    }
                    let back = *rng.pick(&choices);
                    c.reverts += 1;
                    walls_in_row = 0;
                    let old_html = versions_html[back].clone();
                    let r = check(churn(&old_html, &page, &mut rng), &mut c);
                    if r.status == CheckStatus::Changed && r.class == Some(ChangeClass::Revert) {
                        c.reverts_recorded += 1;
                        // Later edits continue from the restored text.
                        let restored = redline::extract::extract(&old_html, None, None).unwrap();
                        page.html = old_html.clone();
                        page.title = restored.title;
                        page.editable = restored
                            .text
                            .split("\n\n")
                            .filter(|p| {
                                p.split(' ').count() >= 12 && page.html.matches(*p).count() == 1
                            })
                            .map(str::to_string)
                            .collect();
                        versions_text.push(versions_text[back].clone());
                        versions_html.push(old_html);
                        if page.editable.len() < 2 {
                            break;
                        }
                    } else {
                        c.failures.push(format!(
                            "{}: revert gave {:?} {:?}",
                            page.name, r.status, r.class
                        ));
                    }
                }
                // A real edit.
                _ => {
                    let kind = *rng.pick(&[
                        Edit::WordSwap,
                        Edit::WordSwap,
                        Edit::SentenceInsert,
                        Edit::SentenceDelete,
                        Edit::ParagraphInsert,
                        Edit::Headline,
                    ]);
                    let mut edited_page = Page {
                        name: page.name.clone(),
                        html: page.html.clone(),
                        title: page.title.clone(),
                        editable: page.editable.clone(),
                    };
                    let Some((html, expect)) = edit(&page.html, &mut edited_page, kind, &mut rng)
                    else {
                        continue;
                    };
                    // Only edits a reader would see count: the generator's
                    // text surgery must land in the extracted article.
                    // Judged on the page as served (with its furniture), as the
                    // pipeline sees it.
                    let seen = seen_text(&churn(&html, &edited_page, &mut Rng(SEED)));
                    let before = seen_text(&churn(&page.html, &page, &mut Rng(SEED)));
                    if seen == before
                        || !expect
                            .iter()
                            .all(|w| seen.contains(w.as_str()) || before.contains(w.as_str()))
                    {
                        continue;
                    }
                    // Making an edit made before, after a revert, brings an
                    // earlier text back: that is a revert, rightly.
                    let expected = if versions_text.contains(&seen) {
                        ChangeClass::Revert
                    } else {
                        expected_class(kind)
                    };
                    edited_page.html = html.clone();
                    c.edits += 1;
                    walls_in_row = 0;
                    let churned = churn(&html, &edited_page, &mut rng);
                    let r = check(churned.clone(), &mut c);
                    if r.status != CheckStatus::Changed {
                        let pipeline_sees = redline::extract::extract(&churned, None, None)
                            .map(|a| a.title)
                            .unwrap_or_default();
                        c.failures.push(format!(
                            "{}: {kind:?} gave {:?} {:?}; the churned page's title is {pipeline_sees:?}, the edit's {:?}",
                            page.name, r.status, r.error, seen.lines().next()
                        ));
                        continue;
                    }
                    c.edits_recorded += 1;
                    let summary = r.summary.clone().unwrap();
                    let olds: String = summary
                        .changes
                        .iter()
                        .map(|ch| format!("{} ", ch.old))
                        .collect();
                    let news: String = summary
                        .changes
                        .iter()
                        .map(|ch| format!("{} ", ch.new))
                        .collect();
                    let all = format!("{olds} {news}");
                    let words_ok = expect.iter().all(|w| all.contains(w.as_str()));
                    if words_ok {
                        c.edits_with_words += 1;
                    } else {
                        c.failures.push(format!(
                            "{}: {kind:?} diff lacks {expect:?}: {}",
                            page.name,
                            summary.excerpt(300)
                        ));
                    }
                    c.classes_total += 1;
                    if r.class == Some(expected) {
                        c.classes_right += 1;
                    } else {
                        c.failures
                            .push(format!("{}: {kind:?} classed {:?}", page.name, r.class));
                    }
                    page = edited_page;
                    versions_html.push(html);
                    versions_text.push(seen);
                }
            }
        }
    }

    let report = format!(
        "\nnoise scenarios (seed {SEED:#x}, {} pages): {} scenarios, {} checks\n\
         real edits recorded: {}/{} ({} with the right words in the diff)\n\
         reverts recorded as reverts: {}/{}\n\
         false versions from furniture churn: {} of {} churn-only checks\n\
         versions from walls and error pages: {} of {}\n\
         classes right: {}/{}\n",
        pages.len(),
        c.scenarios,
        c.checks,
        c.edits_recorded,
        c.edits,
        c.edits_with_words,
        c.reverts_recorded,
        c.reverts,
        c.false_versions,
        c.churn_checks,
        c.wall_versions,
        c.walls,
        c.classes_right,
        c.classes_total,
    );
    // Printed past the test harness's capture, so the counts show in every run.
    let _ = std::io::stderr().write_all(report.as_bytes());
    for f in c.failures.iter().take(20) {
        let _ = writeln!(std::io::stderr(), "  {f}");
    }
    assert!(c.edits >= SCENARIOS, "enough edits were made: {report}");
    assert_eq!(c.edits_recorded, c.edits, "{report}");
    assert_eq!(c.edits_with_words, c.edits, "{report}");
    assert_eq!(c.reverts_recorded, c.reverts, "{report}");
    assert_eq!(c.false_versions, 0, "{report}");
    assert_eq!(c.wall_versions, 0, "{report}");
    assert!(c.classes_right * 100 >= c.classes_total * 98, "{report}");
}
