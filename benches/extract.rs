//! Criterion benchmark of parsing + extraction: the realistic article
//! fixture, the first pages of the extraction benchmark when
//! `../shared/extraction-bench/dev` is present, and two adversarial pages
//! (5 MB, 10,000 levels of nesting) that must stay linear.
//!
//! ```sh
//! cargo bench --bench extract
//! ```

use std::hint::black_box;
use std::io::Read;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redline::extract::extract;

fn bench_pages() -> Vec<(String, String)> {
    let mut pages = vec![(
        "un-xinjiang-report".to_string(),
        include_str!("../tests/fixtures/un-xinjiang-report.html").to_string(),
    )];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/extraction-bench/dev/html");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files.into_iter().take(4) {
            let mut html = String::new();
            let raw = std::fs::read(&path).expect("read page");
            if flate2::read::MultiGzDecoder::new(raw.as_slice())
                .read_to_string(&mut html)
                .is_ok()
            {
                let name = path.file_name().unwrap().to_string_lossy()[..12].to_string();
                pages.push((name, html));
            }
        }
    }
    pages
}

fn five_megabytes() -> String {
    let mut page = String::from("<html><body><article><h1>Big</h1>");
    while page.len() < 5 * 1024 * 1024 {
        page.push_str("<p>A paragraph of the article, repeated, with commas, clauses, and words enough.</p>\n");
    }
    page.push_str("</article></body></html>");
    page
}

fn deep_nesting() -> String {
    let mut page = String::from("<html><body>");
    for i in 0..10_000 {
        page.push_str(&format!("<div>level {i} has some text of its own"));
    }
    page.push_str(&"</div>".repeat(10_000));
    page.push_str("</body></html>");
    page
}

fn extraction(c: &mut Criterion) {
    let mut group = c.benchmark_group("extract");
    for (name, html) in bench_pages() {
        group.throughput(Throughput::Bytes(html.len() as u64));
        group.bench_function(&name, |b| b.iter(|| extract(black_box(&html), None, None)));
    }
    group.sample_size(10);
    for (name, html) in [("5MB", five_megabytes()), ("nested-10000", deep_nesting())] {
        group.throughput(Throughput::Bytes(html.len() as u64));
        group.bench_function(name, |b| b.iter(|| extract(black_box(&html), None, None)));
    }
    group.finish();
}

criterion_group!(benches, extraction);
criterion_main!(benches);
