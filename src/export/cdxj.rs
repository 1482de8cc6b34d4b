//! CDXJ index lines for a WARC file, as WACZ readers look them up: the
//! URL's SURT key, the 14-digit capture time and a JSON block with where
//! the record sits in the file. Lines sort by key, then time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use crate::model::Timestamp;

/// The SURT form of `url` as web archives sort it (the canonicalisation
/// of the `surt` library for ordinary URLs): scheme and fragment dropped,
/// lower case, a leading `www.` (or `www2.` …) dropped, the default port
/// dropped, host labels reversed and joined by commas, `)` before the
/// path, query arguments sorted, an empty query dropped.
pub fn surt(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_ascii_lowercase();
    };
    let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let host = strip_www(host);
    let mut key: String = host.split('.').rev().collect::<Vec<_>>().join(",");
    if let Some(port) = parsed.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    key.push(')');
    key.push_str(&parsed.path().to_ascii_lowercase());
    if let Some(query) = parsed.query().filter(|q| !q.is_empty()) {
        let mut args: Vec<String> = query.split('&').map(str::to_ascii_lowercase).collect();
        args.sort();
        key.push('?');
        key.push_str(&args.join("&"));
    }
    key
}

/// `www.`, `www2.` and the like name the same site: dropped.
fn strip_www(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix("www")
        && let Some(dot) = rest.find('.')
        && rest[..dot].bytes().all(|b| b.is_ascii_digit())
        && dot + 1 < rest.len()
    {
        return &rest[dot + 1..];
    }
    host
}

/// The 14-digit UTC time of a capture, `YYYYMMDDhhmmss`.
pub fn timestamp14(at: Timestamp) -> String {
    // The digits of the WARC-Date, to the second.
    super::warc::warc_date(at)
        .chars()
        .take(19)
        .filter(char::is_ascii_digit)
        .collect()
}

/// One index entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub url: String,
    pub at: Timestamp,
    pub mime: String,
    pub status: Option<u16>,
    pub digest: String,
    pub length: u64,
    pub offset: u64,
    pub filename: String,
}

impl Entry {
    /// The line. The JSON block is written as
    /// `cdxj-indexer` writes it (`", "` and `": "` between items), so the
    /// same WARC gives the same bytes.
    pub fn line(&self) -> String {
        let key = surt(&self.url);
        let mut items: Vec<(&str, String)> =
            vec![("url", self.url.clone()), ("mime", self.mime.clone())];
        if let Some(status) = self.status {
            items.push(("status", status.to_string()));
        }
        items.push(("digest", self.digest.clone()));
        items.push(("length", self.length.to_string()));
        items.push(("offset", self.offset.to_string()));
        items.push(("filename", self.filename.clone()));
        let json = items
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}: {}",
                    serde_json::Value::from(*k),
                    serde_json::Value::from(v.as_str())
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let ts = timestamp14(self.at);
        format!("{key} {ts} {{{json}}}")
    }
}

/// Index lines sorted in bounded memory: lines are held up to `limit`
/// bytes, then sorted and spilled to a run file in `dir`; the runs are
/// merged at the end. Lines sort as byte strings, which orders them by
/// SURT key, then time, as CDXJ readers search them.
pub struct SortedLines {
    dir: PathBuf,
    buf: Vec<String>,
    bytes: usize,
    limit: usize,
    runs: Vec<PathBuf>,
}

impl SortedLines {
    /// Sorts in `dir` (which must exist), holding up to `limit` bytes.
    pub fn new(dir: PathBuf, limit: usize) -> Self {
        Self {
            dir,
            buf: Vec::new(),
            bytes: 0,
            limit,
            runs: Vec::new(),
        }
    }

    /// Adds a line (without its newline).
    pub fn push(&mut self, line: String) -> io::Result<()> {
        self.bytes += line.len() + std::mem::size_of::<String>();
        self.buf.push(line);
        if self.bytes >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buf.sort_unstable();
        let path = self.dir.join(format!("index-run-{}.cdx", self.runs.len()));
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        for line in self.buf.drain(..) {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        self.bytes = 0;
        self.runs.push(path);
        Ok(())
    }

    /// Writes every line, sorted, each ending in a newline.
    pub fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        if self.runs.is_empty() {
            self.buf.sort_unstable();
            for line in &self.buf {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
            return Ok(());
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        let mut readers = Vec::new();
        let mut heap = BinaryHeap::new();
        for (i, path) in self.runs.iter().enumerate() {
            let mut r = BufReader::new(std::fs::File::open(path)?);
            let mut line = String::new();
            if r.read_line(&mut line)? > 0 {
                heap.push(Reverse((line, i)));
            }
            readers.push(r);
        }
        while let Some(Reverse((line, i))) = heap.pop() {
            out.write_all(line.as_bytes())?;
            let mut next = String::new();
            if readers[i].read_line(&mut next)? > 0 {
                heap.push(Reverse((next, i)));
            }
        }
        for path in &self.runs {
            let _ = std::fs::remove_file(path);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surt_keys_as_web_archives_write_them() {
        // Expected values as the `surt` Python library (0.3) writes them.
        for (url, want) in [
            (
                "http://127.0.0.1:8080/a/B?b=2&a=1#x",
                "1,0,0,127:8080)/a/b?a=1&b=2",
            ),
            (
                "https://www.Example.com/News/Story.html",
                "com,example)/news/story.html",
            ),
            ("https://www2.example.co.uk:443/x?", "uk,co,example)/x"),
            ("http://example.com", "com,example)/"),
        ] {
            assert_eq!(surt(url), want, "{url}");
        }
    }

    #[test]
    fn lines_sort_the_same_in_memory_and_through_runs() {
        let dir = tempfile::tempdir().unwrap();
        let lines: Vec<String> = (0..500_u32)
            .map(|i| format!("key{} {:06}", (i * 7919) % 97, i))
            .collect();
        let mut want = lines.clone();
        want.sort();
        let want: String = want.iter().map(|l| format!("{l}\n")).collect();
        for limit in [usize::MAX, 1_000, 1] {
            let mut sorter = SortedLines::new(dir.path().to_path_buf(), limit);
            for l in &lines {
                sorter.push(l.clone()).unwrap();
            }
            let mut out = Vec::new();
            sorter.finish(&mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "limit {limit}");
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "runs removed"
        );
    }

    #[test]
    fn a_line_is_key_time_and_json() {
        let e = Entry {
            url: "https://e.example/a".into(),
            at: Timestamp(1_700_000_000_999),
            mime: "text/html".into(),
            status: Some(200),
            digest: "sha256:X".into(),
            length: 10,
            offset: 20,
            filename: "data.warc.gz".into(),
        };
        let line = e.line();
        assert_eq!(
            line,
            r#"example,e)/a 20231114221320 {"url": "https://e.example/a", "mime": "text/html", "status": "200", "digest": "sha256:X", "length": "10", "offset": "20", "filename": "data.warc.gz"}"#
        );
    }
}
