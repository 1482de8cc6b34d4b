//! Scores Redline's extractor on an article-extraction benchmark directory
//! (`dev/` of `shared/extraction-bench`): precision, recall, F1, accuracy,
//! the ten worst pages, and speed in pages per CPU-second (parse + extract,
//! one thread, pages decoded into memory first).
//!
//! ```sh
//! cargo run --release --example extraction_eval -- ../shared/extraction-bench/dev
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use redline::eval::{PageScore, score_corpus, score_page};

/// CPU time of the calling thread.
fn thread_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/extraction-bench/dev"));
    let rounds: usize = std::env::var("EVAL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let truth: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(
        &std::fs::read(dir.join("ground-truth.json"))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display())),
    )
    .expect("ground-truth.json is a JSON object");
    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();

    // Read and decode every page first: only parsing and extraction are timed.
    let pages: Vec<(String, String, String)> = ids
        .iter()
        .map(|id| {
            let bytes = read_page(&dir.join("html").join(format!("{id}.html.gz")));
            let html = redline::decode::decode(&bytes, None, None).text;
            let body = truth[id.as_str()]["articleBody"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            ((*id).clone(), html, body)
        })
        .collect();

    let mut predictions = vec![String::new(); pages.len()];
    let mut cpu_per_round = Vec::new();
    for _ in 0..rounds {
        let start = thread_cpu();
        for (i, (_, html, _)) in pages.iter().enumerate() {
            predictions[i] = match redline::extract::extract(html, None, None) {
                Ok(a) => a.text,
                Err(_) => String::new(),
            };
        }
        cpu_per_round.push((thread_cpu() - start).as_secs_f64());
    }
    cpu_per_round.sort_by(f64::total_cmp);
    let cpu = cpu_per_round[cpu_per_round.len() / 2];

    let scores: Vec<PageScore> = pages
        .iter()
        .zip(&predictions)
        .map(|((_, _, truth), pred)| score_page(truth, pred))
        .collect();
    let corpus = score_corpus(&scores);
    let mbytes: f64 = pages.iter().map(|p| p.1.len()).sum::<usize>() as f64 / 1e6;
    println!("pages        {}", pages.len());
    println!("precision    {:.3}", corpus.precision);
    println!("recall       {:.3}", corpus.recall);
    println!("F1           {:.3}", corpus.f1);
    println!("accuracy     {:.3}", corpus.accuracy);
    println!(
        "speed        {:.0} pages per CPU-second ({:.1} MB/CPU-s; median of {rounds} rounds, {:.3} CPU-s per round, one thread)",
        pages.len() as f64 / cpu,
        mbytes / cpu,
        cpu
    );
    println!(
        "failed       {}",
        predictions.iter().filter(|p| p.is_empty()).count()
    );
    if let Some(path) = std::env::var_os("EVAL_DUMP") {
        // Per-page figures, to compare two runs while tuning.
        let lines: String = scores
            .iter()
            .zip(&pages)
            .map(|(s, p)| {
                format!(
                    "{}\t{:.4}\t{:.4}\n",
                    p.0,
                    s.precision.unwrap_or(0.0),
                    s.recall.unwrap_or(0.0)
                )
            })
            .collect();
        std::fs::write(path, lines).expect("write EVAL_DUMP");
    }
    // By the language the page declares (`<html lang>`): the ground truth
    // has no language of its own.
    let mut by_lang: std::collections::BTreeMap<String, Vec<PageScore>> = Default::default();
    for (score, page) in scores.iter().zip(&pages) {
        by_lang
            .entry(declared_language(&page.1))
            .or_default()
            .push(*score);
    }
    println!("\nby declared language (pages, F1):");
    for (lang, s) in &by_lang {
        println!("  {lang:<6} {:>4}  {:.3}", s.len(), score_corpus(s).f1);
    }
    println!("\nworst 10 pages (F1, precision, recall):");
    let mut ranked: Vec<(f64, f64, f64, &str)> = scores
        .iter()
        .zip(&pages)
        .map(|(s, p)| {
            let pr = s.precision.unwrap_or(0.0);
            let rc = s.recall.unwrap_or(0.0);
            let f = if pr + rc > 0.0 {
                2.0 * pr * rc / (pr + rc)
            } else {
                0.0
            };
            (f, pr, rc, p.0.as_str())
        })
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (f, p, r, id) in ranked.iter().take(10) {
        println!("  {f:.3}  {p:.3}  {r:.3}  {id}");
    }
}

/// The primary language subtag of `<html lang>`, or `?`.
fn declared_language(html: &str) -> String {
    let head = &html[..html.len().min(20_000)];
    let lower = head.to_ascii_lowercase();
    let Some(at) = lower.find("<html") else {
        return "?".into();
    };
    let tag = &lower[at..lower[at..].find('>').map_or(lower.len(), |e| at + e)];
    let Some(l) = tag.find(" lang=").or_else(|| tag.find("\nlang=")) else {
        return "?".into();
    };
    let value = tag[l + 6..].trim_start_matches(['"', '\'']);
    let code: String = value
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if code.is_empty() { "?".into() } else { code }
}

fn read_page(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}
