//! Captures as WARC records. Per capture, in time order:
//!
//! - a stored version whose exchange was kept: a `request` record (the
//!   request head sent) and a `response` record (the status line and
//!   headers as received, then the page's bytes as fetched); a version
//!   from before exchanges were kept: a `resource` record with the page;
//! - every version: a `conversion` record with the extracted text
//!   (`WARC-Refers-To` its response) and a `metadata` record with the
//!   version's fields and the diff from the previous version as JSON;
//! - an unchanged capture: a `revisit` record — `server-not-modified` for a
//!   `304`, `identical-payload-digest` when its body is byte-identical to
//!   a page written before it. An unchanged capture whose page differs
//!   from every kept page (furniture churned) cannot be archived: its bytes
//!   were not kept. It is counted, not invented;
//! - a version whose page was not kept (a revert shares the page of the
//!   version it returned to): a `revisit` when its bytes were those of a
//!   page written before, besides its conversion and metadata records.

use std::collections::HashMap;
use std::io::Write;

use super::cdxj::Entry;
use super::warc::{self, Record, RecordId, RecordType};
use super::{Selection, Tally};
use crate::model::{CaptureKind, CaptureRow, Exchange, Target, Timestamp, Version};
use crate::report::versions::DiffView;
use crate::store::{History, StoreError};

/// Who wrote the file, for the `warcinfo` record.
#[derive(Debug, Clone)]
pub struct Info {
    /// `WARC-Filename`.
    pub filename: String,
    /// `operator` (from `[export] operator`), when set.
    pub operator: Option<String>,
    /// When the export was made.
    pub created: Timestamp,
}

/// A record written earlier that a revisit can point at.
#[derive(Debug, Clone)]
struct Written {
    id: RecordId,
    uri: String,
    date: Timestamp,
}

/// Writes WARC records to `out`, counting offsets; collects index entries
/// and page lines when asked (for a WACZ). The index lists the records a
/// replay serves: responses, resources and identical-payload revisits (a
/// `304` revisit has no page of its own; a replay at its time finds the
/// nearest capture in the index).
pub struct WarcWriter<W: Write> {
    out: W,
    offset: u64,
    filename: String,
    /// Index entries of response, revisit and resource records.
    pub index: Option<super::cdxj::SortedLines>,
    /// `pages.jsonl` lines (one per version), written as they come.
    pub pages: Option<Box<dyn Write>>,
    pub tally: Tally,
}

impl<W: Write> WarcWriter<W> {
    /// Starts a WARC file with its `warcinfo` record.
    pub fn start(out: W, info: &Info) -> std::io::Result<Self> {
        let mut w = Self {
            out,
            offset: 0,
            filename: info.filename.clone(),
            index: None,
            pages: None,
            tally: Tally::default(),
        };
        let mut fields = format!(
            "software: Redline/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(op) = &info.operator {
            fields.push_str(&format!("operator: {}\r\n", one_line(op)));
        }
        let id = RecordId::derive(&format!(
            "warcinfo {} {}",
            info.filename,
            info.created.millis()
        ));
        let block = [fields.as_bytes()];
        w.write(
            &Record {
                kind: RecordType::Warcinfo,
                id: &id,
                date: info.created,
                target_uri: None,
                content_type: "application/warc-fields",
                fields: vec![("WARC-Filename", info.filename.clone())],
                block: &block,
            },
            None,
        )?;
        Ok(w)
    }

    /// Writes one record; indexes it when `entry` says how.
    fn write(
        &mut self,
        r: &Record<'_>,
        entry: Option<(&str, Option<u16>, String)>,
    ) -> std::io::Result<()> {
        let length = warc::write_record(&mut self.out, r)?;
        if let (Some(index), Some((mime, status, digest)), Some(uri)) =
            (self.index.as_mut(), entry, r.target_uri)
        {
            index.push(
                Entry {
                    url: uri.to_string(),
                    at: r.date,
                    mime: mime.to_string(),
                    status,
                    digest,
                    length,
                    offset: self.offset,
                    filename: self.filename.clone(),
                }
                .line(),
            )?;
        }
        self.offset += length;
        Ok(())
    }

    /// Writes every capture of `target` in the selection's period.
    pub async fn target(
        &mut self,
        store: &dyn History,
        target: &Target,
        sel: &Selection,
    ) -> Result<(), ExportError> {
        let captures = store.captures(target.id, sel.since, sel.until).await?;
        if captures.is_empty() {
            return Ok(());
        }
        self.tally.articles += 1;
        // Pages written for this article, by payload digest, and the
        // latest response, for revisits.
        let mut by_digest: HashMap<[u8; 32], Written> = HashMap::new();
        let mut latest: Option<(Written, [u8; 32])> = None;
        let mut previous: Option<Version> = None;
        for capture in &captures {
            match capture.kind {
                CaptureKind::Version(n) => {
                    let Some(version) = store.version(target.id, Some(n)).await? else {
                        continue;
                    };
                    let before = super::version_before(store, target, n, &mut previous).await?;
                    let page = store.raw_html(target.id, n).await?;
                    // A version whose page was not kept (a revert shares
                    // the page of the version it returned to) is still a
                    // capture: a revisit when its bytes were those of a
                    // page written before.
                    let revisit = match (&page, revisit_of(capture, &by_digest, None)) {
                        (None, Some((profile, original, digest))) => {
                            Some(self.revisit(capture, profile, &original, digest)?)
                        }
                        _ => None,
                    };
                    let written = self.version(
                        target,
                        capture,
                        &version,
                        before.as_ref(),
                        page.as_deref(),
                        revisit,
                    )?;
                    if let Some((w, digest)) = written {
                        by_digest.insert(digest, w.clone());
                        latest = Some((w, digest));
                    }
                    previous = Some(version);
                }
                CaptureKind::Unchanged(_) => {
                    match revisit_of(capture, &by_digest, latest.as_ref()) {
                        Some((profile, original, digest)) => {
                            self.revisit(capture, profile, &original, digest)?;
                        }
                        None => self.tally.unkept += 1,
                    }
                }
            }
        }
        Ok(())
    }

    /// A version's records; returns the page's record and digest.
    fn version(
        &mut self,
        target: &Target,
        capture: &CaptureRow,
        v: &Version,
        before: Option<&Version>,
        page: Option<&[u8]>,
        revisit: Option<RecordId>,
    ) -> Result<Option<(Written, [u8; 32])>, ExportError> {
        self.tally.versions += 1;
        let at = capture.at;
        let uri = capture
            .exchange
            .as_ref()
            .map(|x| x.url.clone())
            .or_else(|| v.final_url.clone())
            .unwrap_or_else(|| target.url.to_string());
        let seed = format!("{} v{} {}", target.url, v.number, at.millis());
        let mut written = None;
        match (page, &capture.exchange) {
            (Some(body), Some(x)) => {
                let digest = warc::sha256(body);
                let response_id = RecordId::derive(&format!("response {seed}"));
                self.request(x, &uri, at, &seed, &response_id)?;
                let head =
                    warc::head_bytes(&warc::head_for_kept_body(&x.response_head, body.len()));
                let mut fields = vec![("WARC-Payload-Digest", warc::labelled(&digest))];
                if let Some(ip) = x.ip {
                    fields.push(("WARC-IP-Address", ip.to_string()));
                }
                let mime = content_type(&x.response_head);
                self.write(
                    &Record {
                        kind: RecordType::Response,
                        id: &response_id,
                        date: at,
                        target_uri: Some(&uri),
                        content_type: "application/http;msgtype=response",
                        fields,
                        block: &[&head, b"\r\n\r\n", body],
                    },
                    Some((&mime, capture.status, warc::labelled(&digest))),
                )?;
                written = Some((
                    Written {
                        id: response_id,
                        uri: uri.clone(),
                        date: at,
                    },
                    digest,
                ));
            }
            (Some(body), None) => {
                let digest = warc::sha256(body);
                let id = RecordId::derive(&format!("resource {seed}"));
                self.write(
                    &Record {
                        kind: RecordType::Resource,
                        id: &id,
                        date: at,
                        target_uri: Some(&uri),
                        content_type: "text/html",
                        fields: vec![("WARC-Payload-Digest", warc::labelled(&digest))],
                        block: &[body],
                    },
                    Some(("text/html", None, warc::labelled(&digest))),
                )?;
                written = Some((
                    Written {
                        id,
                        uri: uri.clone(),
                        date: at,
                    },
                    digest,
                ));
            }
            (None, _) => self.tally.without_page += 1,
        }
        let refers = written
            .as_ref()
            .map(|(w, _)| w.id.as_str().to_string())
            .or_else(|| revisit.map(|r| r.as_str().to_string()));
        let text = format!("{}\n\n{}\n", v.title, v.text);
        let conversion = RecordId::derive(&format!("conversion {seed}"));
        let mut fields = Vec::new();
        if let Some(r) = &refers {
            fields.push(("WARC-Refers-To", r.clone()));
        }
        self.write(
            &Record {
                kind: RecordType::Conversion,
                id: &conversion,
                date: at,
                target_uri: Some(&uri),
                content_type: "text/plain; charset=utf-8",
                fields: fields.clone(),
                block: &[text.as_bytes()],
            },
            None,
        )?;
        let meta = serde_json::to_vec(&VersionMeta::new(target, v, before))?;
        let metadata = RecordId::derive(&format!("metadata {seed}"));
        self.write(
            &Record {
                kind: RecordType::Metadata,
                id: &metadata,
                date: at,
                target_uri: Some(&uri),
                content_type: "application/json",
                fields,
                block: &[&meta],
            },
            None,
        )?;
        if let Some(pages) = self.pages.as_mut() {
            let line = serde_json::json!({
                "id": format!("{}-{}", target.id.0, v.number),
                "url": uri,
                "ts": at.rfc3339(),
                "title": v.title,
                "text": v.text,
            });
            serde_json::to_writer(&mut *pages, &line)?;
            pages.write_all(b"\n")?;
        }
        Ok(written)
    }

    /// The request record that went with a response or revisit.
    fn request(
        &mut self,
        x: &Exchange,
        uri: &str,
        at: Timestamp,
        seed: &str,
        concurrent: &RecordId,
    ) -> std::io::Result<()> {
        let id = RecordId::derive(&format!("request {seed}"));
        let head = warc::head_bytes(&x.request_head);
        self.write(
            &Record {
                kind: RecordType::Request,
                id: &id,
                date: at,
                target_uri: Some(uri),
                content_type: "application/http;msgtype=request",
                fields: vec![("WARC-Concurrent-To", concurrent.as_str().to_string())],
                block: &[&head, b"\r\n\r\n"],
            },
            None,
        )
    }

    /// Writes a capture as a revisit of `original` (with its request);
    /// returns the revisit's ID.
    fn revisit(
        &mut self,
        capture: &CaptureRow,
        profile: &'static str,
        original: &Written,
        digest: [u8; 32],
    ) -> std::io::Result<RecordId> {
        let Some(x) = &capture.exchange else {
            return Err(std::io::Error::other("a revisit needs its exchange"));
        };
        let seed = format!("{} capture {}", x.url, capture.at.millis());
        let id = RecordId::derive(&format!("revisit {seed}"));
        self.request(x, &x.url, capture.at, &seed, &id)?;
        let head = warc::head_bytes(&x.response_head);
        self.write(
            &Record {
                kind: RecordType::Revisit,
                id: &id,
                date: capture.at,
                target_uri: Some(&x.url),
                content_type: "application/http;msgtype=response",
                fields: vec![
                    ("WARC-Profile", profile.to_string()),
                    ("WARC-Refers-To", original.id.as_str().to_string()),
                    ("WARC-Refers-To-Target-URI", original.uri.clone()),
                    ("WARC-Refers-To-Date", warc::warc_date(original.date)),
                    ("WARC-Payload-Digest", warc::labelled(&digest)),
                ],
                block: &[&head, b"\r\n\r\n"],
            },
            // A 304 has no page to show: replay is left to find the
            // capture it confirmed, so it is not in the index.
            (profile == warc::IDENTICAL_PAYLOAD)
                .then(|| ("warc/revisit", capture.status, warc::labelled(&digest))),
        )?;
        self.tally.revisits += 1;
        Ok(id)
    }

    /// Flushes and hands back the output.
    pub fn finish(mut self) -> std::io::Result<(W, Option<super::cdxj::SortedLines>, Tally)> {
        self.out.flush()?;
        if let Some(p) = self.pages.as_mut() {
            p.flush()?;
        }
        Ok((self.out, self.index, self.tally))
    }
}

/// What a capture whose page was not kept can be archived as: a revisit
/// of the page written before with the same bytes (by payload digest), or,
/// for a `304`, of the `latest` page. `None`: its bytes are not in the
/// archive.
fn revisit_of(
    capture: &CaptureRow,
    by_digest: &HashMap<[u8; 32], Written>,
    latest: Option<&(Written, [u8; 32])>,
) -> Option<(&'static str, Written, [u8; 32])> {
    let x = capture.exchange.as_ref()?;
    if capture.status == Some(304) {
        let (w, d) = latest?;
        return Some((warc::SERVER_NOT_MODIFIED, w.clone(), *d));
    }
    let d = x.payload_sha256?;
    by_digest
        .get(&d)
        .map(|w| (warc::IDENTICAL_PAYLOAD, w.clone(), d))
}

/// The `Content-Type` of a response head, without parameters.
fn content_type(head: &str) -> String {
    head.split("\r\n")
        .skip(1)
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim().eq_ignore_ascii_case("content-type").then(|| {
                value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
        })
        .unwrap_or_else(|| "unk".to_string())
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// A version's fields and its diff from the previous one, for its
/// `metadata` record.
#[derive(serde::Serialize)]
struct VersionMeta {
    url: String,
    version: u32,
    captured_at: String,
    class: Option<crate::detect::ChangeClass>,
    revert_of: Option<u32>,
    title: String,
    byline: Option<String>,
    published: Option<String>,
    modified: Option<String>,
    canonical: Option<String>,
    description: Option<String>,
    /// The diff from the previous version (`diff --format json`), or null
    /// for the first.
    diff: Option<DiffView>,
}

impl VersionMeta {
    fn new(target: &Target, v: &Version, before: Option<&Version>) -> Self {
        let url = target.url.to_string();
        Self {
            diff: before.map(|b| DiffView::new(&url, b, v)),
            url,
            version: v.number,
            captured_at: v.captured_at.rfc3339(),
            class: v.class,
            revert_of: v.revert_of,
            title: v.title.clone(),
            byline: v.byline.clone(),
            published: v.published.clone(),
            modified: v.modified.clone(),
            canonical: v.canonical.clone(),
            description: v.description.clone(),
        }
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    // The cause is the error's source: `{:#}` prints it after the colon.
    #[error("cannot write the export")]
    Io(#[from] std::io::Error),
    #[error("cannot write the export")]
    Json(#[from] serde_json::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_type_is_read_from_the_head_without_parameters() {
        assert_eq!(
            content_type("HTTP/1.1 200 OK\r\nserver: x\r\nContent-Type: Text/HTML; charset=utf-8"),
            "text/html"
        );
        assert_eq!(content_type("HTTP/1.1 200 OK"), "unk");
    }
}
