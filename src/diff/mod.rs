//! Word-level differences between two versions of an article, and their
//! renderings: inline word diff (like `git diff --word-diff`), unified diff
//! by paragraph, JSON, and a self-contained HTML page.
//!
//! Texts are compared as word tokens (see [`crate::text::tokens`]) with the
//! patience algorithm under a deadline, so a pathological pair of texts costs
//! bounded time. The headline is diffed separately from the body and always
//! reported first: a changed headline is the change readers notice most.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::text::PARAGRAPH_BREAK;

mod align;
mod merge;
mod render;
#[cfg(test)]
mod tests;

use align::*;
pub use merge::{MergedParagraph, Piece, WordDiff};
pub use render::{DiffLabels, render_html, render_unified, render_word};

/// Longest time spent diffing one pair of texts before settling for a
/// coarser (still correct) diff.
const DIFF_DEADLINE: Duration = Duration::from_secs(2);
/// Words of context kept on each side of a change in [`Change`].
const CONTEXT_WORDS: usize = 6;

/// Which part of the article a change is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The headline.
    Title,
    /// The byline.
    Byline,
    /// The publication time.
    Published,
    /// The canonical URL.
    Canonical,
    /// The description or standfirst.
    Description,
    /// The body text.
    Body,
}

impl Field {
    /// The name shown in reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Title => "headline",
            Self::Byline => "byline",
            Self::Published => "published",
            Self::Canonical => "canonical",
            Self::Description => "description",
            Self::Body => "body",
        }
    }
}

/// The parts of an article that versions compare. A change to the
/// headline, body, byline, canonical URL or description is a new version.
/// The published time is carried for reports (a diff shows it when it
/// changed together with the wording) but is not compared: equality and
/// [`Fields::hash`] leave it out, because sites re-stamp it on requests and
/// a date alone is not a change of wording. (The modified time is not here
/// at all.)
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// Headline.
    pub title: &'a str,
    /// Body text.
    pub text: &'a str,
    /// Byline.
    pub byline: Option<&'a str>,
    /// Publication time.
    pub published: Option<&'a str>,
    /// Canonical URL.
    pub canonical: Option<&'a str>,
    /// Description or standfirst.
    pub description: Option<&'a str>,
}

impl PartialEq for Fields<'_> {
    /// Same wording: every field but the published time.
    fn eq(&self, other: &Self) -> bool {
        self.title == other.title
            && self.text == other.text
            && self.byline == other.byline
            && self.canonical == other.canonical
            && self.description == other.description
    }
}

impl Eq for Fields<'_> {}

impl Fields<'_> {
    /// The metadata fields, in report order.
    fn metadata(&self) -> [(Field, Option<&str>); 4] {
        [
            (Field::Byline, self.byline),
            (Field::Published, self.published),
            (Field::Canonical, self.canonical),
            (Field::Description, self.description),
        ]
    }

    /// The content hash (BLAKE3) of these fields.
    pub fn hash(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(self.title.as_bytes());
        h.update(&[0]);
        h.update(self.text.as_bytes());
        for (_, value) in self
            .metadata()
            .into_iter()
            .filter(|(f, _)| *f != Field::Published)
        {
            // 1 marks a present value, so None and "" differ.
            match value {
                Some(v) => {
                    h.update(&[0, 1]);
                    h.update(v.as_bytes());
                }
                None => {
                    h.update(&[0, 0]);
                }
            }
        }
        *h.finalize().as_bytes()
    }
}

/// Changes to the metadata fields, as whole values.
pub fn metadata_changes(old: &Fields<'_>, new: &Fields<'_>) -> Vec<Change> {
    old.metadata()
        .into_iter()
        .zip(new.metadata())
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, a), (_, b))| Change {
            kind: match (a, b) {
                (None, _) => ChangeKind::Insert,
                (_, None) => ChangeKind::Delete,
                _ => ChangeKind::Replace,
            },
            field,
            old: a.unwrap_or_default().to_string(),
            new: b.unwrap_or_default().to_string(),
            before: String::new(),
            after: String::new(),
            moved: false,
        })
        .collect()
}

/// Everything that changed between two versions: headline first, then the
/// metadata, then the body. Word counts cover headline and body.
pub fn summarize(old: &Fields<'_>, new: &Fields<'_>) -> DiffSummary {
    let mut summary = WordDiff::new(old.title, old.text, new.title, new.text).summary();
    let meta = metadata_changes(old, new);
    let title_changes = summary
        .changes
        .iter()
        .take_while(|c| c.field == Field::Title)
        .count();
    summary.changes.splice(title_changes..title_changes, meta);
    summary
}

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Words added.
    Insert,
    /// Words removed.
    Delete,
    /// Words replaced by others.
    Replace,
}

/// One contiguous change, carrying exactly the changed words and a little
/// context around them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Insert, delete or replace.
    pub kind: ChangeKind,
    /// Headline or body.
    pub field: Field,
    /// The words removed (empty for an insert).
    pub old: String,
    /// The words added (empty for a delete).
    pub new: String,
    /// A few words before the change, in the old text.
    pub before: String,
    /// A few words after the change, in the old text.
    pub after: String,
    /// For a paragraph deleted here and inserted unchanged elsewhere (or the
    /// reverse): it moved. Its words are not counted as added or removed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub moved: bool,
}

/// The stored result of comparing two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    /// Words added (headline and body).
    pub added: usize,
    /// Words removed (headline and body).
    pub removed: usize,
    /// Whether the headline changed.
    pub title_changed: bool,
    /// Every change: headline, metadata, then the body in reading order.
    pub changes: Vec<Change>,
}

impl DiffSummary {
    /// The fields that changed, in report order, without repeats.
    pub fn changed_fields(&self) -> Vec<Field> {
        let mut out: Vec<Field> = Vec::new();
        for c in &self.changes {
            if !out.contains(&c.field) {
                out.push(c.field);
            }
        }
        out
    }
}

impl DiffSummary {
    /// A short, single-line excerpt of the first changes for logs and alerts.
    pub fn excerpt(&self, max_chars: usize) -> String {
        let mut out = String::new();
        for c in &self.changes {
            let piece = match c.kind {
                ChangeKind::Insert => format!("{{+{}+}}", c.new),
                ChangeKind::Delete => format!("[-{}-]", c.old),
                ChangeKind::Replace => format!("[-{}-]{{+{}+}}", c.old, c.new),
            };
            if !out.is_empty() {
                out.push_str(" … ");
            }
            out.push_str(&piece.replace(PARAGRAPH_BREAK, " ¶ "));
            if out.chars().count() >= max_chars {
                break;
            }
        }
        truncate_chars(&out, max_chars)
    }
}

/// Pairs deletions and insertions of the same whole paragraph: a move.
/// Their words no longer count as removed and added.
fn mark_moves(summary: &mut DiffSummary) {
    let key = |s: &str| s.trim_matches('\n').to_string();
    for d in 0..summary.changes.len() {
        let c = &summary.changes[d];
        if c.kind != ChangeKind::Delete
            || c.field != Field::Body
            || c.moved
            || key(&c.old).is_empty()
        {
            continue;
        }
        let text = key(&c.old);
        if let Some(i) = summary.changes.iter().position(|x| {
            x.kind == ChangeKind::Insert
                && x.field == Field::Body
                && !x.moved
                && key(&x.new) == text
        }) {
            let words = crate::text::word_count(&text);
            summary.changes[d].moved = true;
            summary.changes[i].moved = true;
            summary.removed = summary.removed.saturating_sub(words);
            summary.added = summary.added.saturating_sub(words);
        }
    }
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}
