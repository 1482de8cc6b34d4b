//! One row per version, for analysis: JSON Lines (an object a line) or
//! CSV (RFC 4180: a header row, fields quoted when they hold a comma, a
//! quote or a line break; lists joined with `;`). The keys are fixed by
//! the scripting contract: `url`, `source`, `tags`, `version`,
//! `captured_at`, `class`, `changed_fields`, `added`, `removed`,
//! `title_from`, `title_to`, and `text` with `--with-text`.

use std::io::Write;

use serde::Serialize;

use super::Selection;
use super::archive::ExportError;
use crate::diff::summarize;
use crate::model::{CaptureKind, Target, Version};
use crate::store::History;

/// One version as a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub url: String,
    pub source: Option<String>,
    pub tags: Vec<String>,
    pub version: u32,
    pub captured_at: String,
    pub class: Option<crate::detect::ChangeClass>,
    /// Fields that changed from the previous version (`title`, `byline`,
    /// `published`, `canonical`, `description`, `body`), in that order;
    /// empty for the first version.
    pub changed_fields: Vec<String>,
    pub added: usize,
    pub removed: usize,
    /// The previous version's headline (null for the first).
    pub title_from: Option<String>,
    pub title_to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Row {
    /// The row of version `v`, compared with `before` (its predecessor).
    pub fn new(target: &Target, v: &Version, before: Option<&Version>, with_text: bool) -> Self {
        let (changed_fields, added, removed) = match before {
            Some(b) => {
                let s = summarize(&b.fields(), &v.fields());
                let mut fields: Vec<crate::diff::Field> =
                    s.changes.iter().map(|c| c.field).collect();
                fields.sort_by_key(|f| *f as u8);
                fields.dedup();
                let names = fields
                    .into_iter()
                    .filter_map(|f| serde_json::to_value(f).ok())
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                (names, s.added, s.removed)
            }
            None => (Vec::new(), 0, 0),
        };
        Self {
            url: target.url.to_string(),
            source: target.source.clone(),
            tags: target.tags.clone(),
            version: v.number,
            captured_at: v.captured_at.rfc3339(),
            class: v.class,
            changed_fields,
            added,
            removed,
            title_from: before.map(|b| b.title.clone()),
            title_to: v.title.clone(),
            text: with_text.then(|| v.text.clone()),
        }
    }

    /// The CSV fields, in header order.
    fn csv_fields(&self, with_text: bool) -> Vec<String> {
        let mut f = vec![
            self.url.clone(),
            self.source.clone().unwrap_or_default(),
            self.tags.join(";"),
            self.version.to_string(),
            self.captured_at.clone(),
            self.class
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            self.changed_fields.join(";"),
            self.added.to_string(),
            self.removed.to_string(),
            self.title_from.clone().unwrap_or_default(),
            self.title_to.clone(),
        ];
        if with_text {
            f.push(self.text.clone().unwrap_or_default());
        }
        f
    }
}

/// The CSV header.
fn csv_header(with_text: bool) -> Vec<String> {
    let mut h: Vec<String> = [
        "url",
        "source",
        "tags",
        "version",
        "captured_at",
        "class",
        "changed_fields",
        "added",
        "removed",
        "title_from",
        "title_to",
    ]
    .map(String::from)
    .to_vec();
    if with_text {
        h.push("text".into());
    }
    h
}

/// One CSV record (RFC 4180), CRLF-terminated.
pub fn csv_record(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Writes the rows of every selected target.
pub async fn write(
    store: &dyn History,
    targets: &[Target],
    sel: &Selection,
    csv: bool,
    with_text: bool,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    if csv {
        out.write_all(csv_record(&csv_header(with_text)).as_bytes())?;
    }
    let mut rows = 0;
    for target in targets {
        let captures = store.captures(target.id, sel.since, sel.until).await?;
        let mut previous: Option<Version> = None;
        for c in captures {
            let CaptureKind::Version(n) = c.kind else {
                continue;
            };
            let Some(v) = store.version(target.id, Some(n)).await? else {
                continue;
            };
            let before = super::version_before(store, target, n, &mut previous).await?;
            let row = Row::new(target, &v, before.as_ref(), with_text);
            if csv {
                out.write_all(csv_record(&row.csv_fields(with_text)).as_bytes())?;
            } else {
                serde_json::to_writer(&mut *out, &row)?;
                out.write_all(b"\n")?;
            }
            rows += 1;
            previous = Some(v);
        }
    }
    out.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let f = ["plain", "a,b", "say \"no\"", "two\nlines", ""].map(String::from);
        assert_eq!(
            csv_record(&f),
            "plain,\"a,b\",\"say \"\"no\"\"\",\"two\nlines\",\r\n"
        );
    }

    #[test]
    fn a_row_names_the_fields_that_changed_and_counts_words() {
        let old = Version::plain(1, Timestamp(0), "Talks stall", "The minister said no.");
        let new = Version::plain(2, Timestamp(1000), "Talks resume", "The minister said no.");
        let target = crate::model::Target::plain("https://e.example/a");
        let row = Row::new(&target, &new, Some(&old), false);
        assert_eq!(row.changed_fields, vec!["title".to_string()]);
        assert_eq!((row.added, row.removed), (1, 1));
        assert_eq!(row.title_from.as_deref(), Some("Talks stall"));
        let first = Row::new(&target, &old, None, true);
        assert!(first.changed_fields.is_empty() && first.title_from.is_none());
        assert_eq!(first.text.as_deref(), Some("The minister said no."));
        let keys: Vec<String> = serde_json::to_value(&row)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, csv_header(false));
    }
}
