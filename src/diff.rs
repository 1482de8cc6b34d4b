//! Word-level differences between two versions of an article, and their
//! renderings: inline word diff (like `git diff --word-diff`), unified diff
//! by paragraph, JSON, and a self-contained HTML page.
//!
//! Texts are compared as word tokens (see [`crate::text::tokens`]) with the
//! patience algorithm under a deadline, so a pathological pair of texts costs
//! bounded time. The headline is diffed separately from the body and always
//! reported first: a changed headline is the change readers notice most.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

use crate::text::{PARAGRAPH_BREAK, Token, tokens};

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

/// Where a token of an alignment is: in both texts, only the old, or only
/// the new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Both,
    Old,
    New,
}

/// Whether a change starting after `prev` starts a sentence or paragraph:
/// 2 for a paragraph, 1 for a sentence, 0 otherwise.
fn boundary_strength(prev: Option<&str>) -> u8 {
    match prev {
        None => 2,
        Some(PARAGRAPH_BREAK) => 2,
        Some(t) if t.ends_with(['.', '!', '?', '"', '”', '’', ':', '。', '！', '？', '」']) => {
            1
        }
        Some(_) => 0,
    }
}

/// Shifts each pure insertion or deletion along the equal text around it
/// to where it reads best. "A. B. B. C." → "A. B. C." can delete either "B."
/// — both are minimal, but a diff should cut at sentence and paragraph
/// starts, so an added paragraph shows as that paragraph, not as its second
/// word to the first word of the next one.
///
/// A run can slide one token left when the equal token before it is the
/// same as its last token: the texts read the same, only which copy counts
/// as changed moves. So sliding changes sides, never tokens.
fn slide_to_boundaries(old: &[Token<'_>], new: &[Token<'_>], ops: &[DiffOp]) -> Vec<DiffOp> {
    let mut steps: Vec<(Side, Token<'_>)> = Vec::new();
    for op in ops {
        match *op {
            DiffOp::Equal { old_index, len, .. } => steps.extend(
                old[old_index..old_index + len]
                    .iter()
                    .map(|t| (Side::Both, *t)),
            ),
            DiffOp::Delete {
                old_index, old_len, ..
            } => steps.extend(
                old[old_index..old_index + old_len]
                    .iter()
                    .map(|t| (Side::Old, *t)),
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => steps.extend(
                new[new_index..new_index + new_len]
                    .iter()
                    .map(|t| (Side::New, *t)),
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                steps.extend(
                    old[old_index..old_index + old_len]
                        .iter()
                        .map(|t| (Side::Old, *t)),
                );
                steps.extend(
                    new[new_index..new_index + new_len]
                        .iter()
                        .map(|t| (Side::New, *t)),
                );
            }
        }
    }
    let mut i = 0;
    while i < steps.len() {
        let side = steps[i].0;
        if side == Side::Both {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < steps.len() && steps[j].0 == side {
            j += 1;
        }
        // Only pure runs, with equal text on both sides, can slide.
        let pure = (i == 0 || steps[i - 1].0 == Side::Both)
            && (j == steps.len() || steps[j].0 == Side::Both);
        if !pure {
            i = j;
            continue;
        }
        let (mut a, mut b) = (i, j);
        while a > 0 && steps[a - 1].0 == Side::Both && steps[a - 1].1 == steps[b - 1].1 {
            steps[a - 1].0 = side;
            steps[b - 1].0 = Side::Both;
            a -= 1;
            b -= 1;
        }
        let strength = |a: usize, steps: &[(Side, Token<'_>)]| {
            boundary_strength((a > 0).then(|| steps[a - 1].1.text))
        };
        let mut best = (strength(a, &steps), a);
        let (mut x, mut y) = (a, b);
        while y < steps.len() && steps[y].0 == Side::Both && steps[y].1 == steps[x].1 {
            steps[x].0 = Side::Both;
            steps[y].0 = side;
            x += 1;
            y += 1;
            let st = strength(x, &steps);
            if st > best.0 {
                best = (st, x);
            }
        }
        while x > best.1 {
            steps[x - 1].0 = side;
            steps[y - 1].0 = Side::Both;
            x -= 1;
            y -= 1;
        }
        i = y;
    }
    collapse_rewrites(&mut steps);
    absorb_glued_equalities(&mut steps);
    // Rebuild ops, deriving indices from the order of sides.
    let mut out: Vec<DiffOp> = Vec::new();
    let (mut oi, mut ni) = (0usize, 0usize);
    let mut k = 0;
    while k < steps.len() {
        let start = k;
        if steps[k].0 == Side::Both {
            while k < steps.len() && steps[k].0 == Side::Both {
                k += 1;
            }
            let len = k - start;
            out.push(DiffOp::Equal {
                old_index: oi,
                new_index: ni,
                len,
            });
            oi += len;
            ni += len;
            continue;
        }
        let (mut dels, mut ins) = (0, 0);
        while k < steps.len() && steps[k].0 != Side::Both {
            if steps[k].0 == Side::Old {
                dels += 1;
            } else {
                ins += 1;
            }
            k += 1;
        }
        out.push(match (dels, ins) {
            (d, 0) => DiffOp::Delete {
                old_index: oi,
                old_len: d,
                new_index: ni,
            },
            (0, n) => DiffOp::Insert {
                old_index: oi,
                new_index: ni,
                new_len: n,
            },
            (d, n) => DiffOp::Replace {
                old_index: oi,
                old_len: d,
                new_index: ni,
                new_len: n,
            },
        });
        oi += dels;
        ni += ins;
    }
    out
}

/// Below this share of unchanged words, a changed paragraph is shown as its
/// old and new text whole, not as confetti of little changes.
const REWRITE_SIMILARITY: f64 = 0.4;

/// Rewrites each heavily rewritten paragraph as one replacement. Paragraphs
/// are the stretches between paragraph breaks that both texts share.
fn collapse_rewrites(steps: &mut Vec<(Side, Token<'_>)>) {
    let mut out: Vec<(Side, Token<'_>)> = Vec::with_capacity(steps.len());
    let mut seg_start = 0;
    fn flush<'a>(seg: &[(Side, Token<'a>)], out: &mut Vec<(Side, Token<'a>)>) {
        let words = |side: Side| {
            seg.iter()
                .filter(|(s, t)| *s == side && t.is_word())
                .count()
        };
        let (same, old, new) = (words(Side::Both), words(Side::Old), words(Side::New));
        let similarity = 2.0 * same as f64 / (2 * same + old + new).max(1) as f64;
        if old > 0 && new > 0 && similarity < REWRITE_SIMILARITY {
            out.extend(
                seg.iter()
                    .filter(|(s, _)| *s != Side::New)
                    .map(|(_, t)| (Side::Old, *t)),
            );
            out.extend(
                seg.iter()
                    .filter(|(s, _)| *s != Side::Old)
                    .map(|(_, t)| (Side::New, *t)),
            );
        } else {
            out.extend_from_slice(seg);
        }
    }
    for k in 0..steps.len() {
        if steps[k].0 == Side::Both && steps[k].1.is_break() {
            flush(&steps[seg_start..k], &mut out);
            out.push(steps[k]);
            seg_start = k + 1;
        }
    }
    flush(&steps[seg_start..], &mut out);
    *steps = out;
}

/// Inside a run of text written without spaces (Thai, Lao, Khmer, Burmese;
/// Chinese and Japanese too), tokens are single characters, and a changed
/// word can share a letter with its replacement: `ร้ายแรง` → `กว้างขวาง`
/// aligns on `า` and splits into two changes. An unchanged stretch glued to
/// changes on both sides (no space before it or after it) and no longer
/// than either change is taken into them, as diff-match-patch's semantic
/// clean-up does, so the change reads as the words that changed. Text with
/// spaces between words is never touched: there a kept word is a word.
fn absorb_glued_equalities(steps: &mut Vec<(Side, Token<'_>)>) {
    let chars = |run: &[(Side, Token<'_>)], side: Side| -> usize {
        run.iter()
            .filter(|(s, _)| *s == side)
            .map(|(_, t)| t.text.chars().count())
            .sum()
    };
    loop {
        // Runs of one kind: (start, end, changed).
        let mut runs: Vec<(usize, usize, bool)> = Vec::new();
        let mut k = 0;
        while k < steps.len() {
            let changed = steps[k].0 != Side::Both;
            let start = k;
            while k < steps.len() && (steps[k].0 != Side::Both) == changed {
                k += 1;
            }
            runs.push((start, k, changed));
        }
        let found = runs.windows(3).find_map(|w| {
            let [(a0, a1, true), (e0, e1, false), (b0, b1, true)] = *w else {
                return None;
            };
            let equal = &steps[e0..e1];
            let glued = equal.iter().all(|(_, t)| !t.spaced && !t.is_break())
                && steps[b0..b1].iter().all(|(_, t)| !t.is_break())
                && !steps[b0].1.spaced;
            let len = chars(equal, Side::Both);
            let side_len = |r: &[(Side, Token<'_>)]| chars(r, Side::Old).max(chars(r, Side::New));
            (glued && len <= side_len(&steps[a0..a1]) && len <= side_len(&steps[b0..b1]))
                .then_some((e0, e1))
        });
        let Some((e0, e1)) = found else {
            return;
        };
        let equal: Vec<Token<'_>> = steps[e0..e1].iter().map(|(_, t)| *t).collect();
        let replacement = equal
            .iter()
            .map(|t| (Side::Old, *t))
            .chain(equal.iter().map(|t| (Side::New, *t)));
        steps.splice(e0..e1, replacement);
    }
}

/// One side-by-side comparison of two tokenised texts.
struct Segment<'a> {
    field: Field,
    old: Vec<Token<'a>>,
    new: Vec<Token<'a>>,
    ops: Vec<DiffOp>,
}

impl<'a> Segment<'a> {
    fn new(field: Field, old: &'a str, new: &'a str) -> Self {
        let old = tokens(old);
        let new = tokens(new);
        let ops = capture_diff_slices_deadline(
            Algorithm::Patience,
            &old,
            &new,
            Some(Instant::now() + DIFF_DEADLINE),
        );
        let ops = slide_to_boundaries(&old, &new, &ops);
        Self {
            field,
            old,
            new,
            ops,
        }
    }

    fn changed(&self) -> bool {
        self.ops
            .iter()
            .any(|op| !matches!(op, DiffOp::Equal { .. }))
    }
}

/// A word diff between two versions (headline and body).
pub struct WordDiff<'a> {
    title: Segment<'a>,
    body: Segment<'a>,
}

/// A piece of a rendered paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text in both versions.
    Same(String),
    /// Text only in the old version.
    Deleted(String),
    /// Text only in the new version.
    Inserted(String),
}

/// A paragraph of the merged view, and whether it holds a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedParagraph {
    /// Pieces in reading order.
    pub pieces: Vec<Piece>,
    /// Whether this whole paragraph moved (it stands deleted at its old place
    /// and inserted at its new one).
    pub moved: bool,
}

impl MergedParagraph {
    /// Whether any piece is a deletion or insertion.
    pub fn changed(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Same(_)))
    }
}

fn join_tokens(tokens: &[Token<'_>]) -> String {
    crate::text::join(tokens)
}

/// Words among tokens: punctuation and paragraph breaks do not count.
fn count_words(tokens: &[Token<'_>]) -> usize {
    tokens.iter().filter(|t| t.is_word()).count()
}

impl<'a> WordDiff<'a> {
    /// Compares two versions. Texts must be normalised (see [`crate::text`]).
    pub fn new(
        old_title: &'a str,
        old_body: &'a str,
        new_title: &'a str,
        new_body: &'a str,
    ) -> Self {
        Self {
            title: Segment::new(Field::Title, old_title, new_title),
            body: Segment::new(Field::Body, old_body, new_body),
        }
    }

    /// Whether anything differs.
    pub fn changed(&self) -> bool {
        self.title.changed() || self.body.changed()
    }

    /// Counts and the list of changes, headline first.
    pub fn summary(&self) -> DiffSummary {
        let mut summary = DiffSummary {
            added: 0,
            removed: 0,
            title_changed: self.title.changed(),
            changes: Vec::new(),
        };
        for seg in [&self.title, &self.body] {
            for op in &seg.ops {
                let (kind, old_range, new_range) = match *op {
                    DiffOp::Equal { .. } => continue,
                    DiffOp::Delete {
                        old_index,
                        old_len,
                        new_index,
                    } => (
                        ChangeKind::Delete,
                        old_index..old_index + old_len,
                        new_index..new_index,
                    ),
                    DiffOp::Insert {
                        old_index,
                        new_index,
                        new_len,
                    } => (
                        ChangeKind::Insert,
                        old_index..old_index,
                        new_index..new_index + new_len,
                    ),
                    DiffOp::Replace {
                        old_index,
                        old_len,
                        new_index,
                        new_len,
                    } => (
                        ChangeKind::Replace,
                        old_index..old_index + old_len,
                        new_index..new_index + new_len,
                    ),
                };
                let old = &seg.old[old_range.clone()];
                let new = &seg.new[new_range];
                summary.removed += count_words(old);
                summary.added += count_words(new);
                let before_start = old_range.start.saturating_sub(CONTEXT_WORDS);
                let after_end = (old_range.end + CONTEXT_WORDS).min(seg.old.len());
                summary.changes.push(Change {
                    kind,
                    field: seg.field,
                    old: join_tokens(old),
                    new: join_tokens(new),
                    before: join_tokens(&seg.old[before_start..old_range.start]),
                    after: join_tokens(&seg.old[old_range.end..after_end]),
                    moved: false,
                });
            }
        }
        mark_moves(&mut summary);
        summary
    }

    /// The headline as a single merged paragraph.
    pub fn merged_title(&self) -> MergedParagraph {
        merged(&self.title)
            .into_iter()
            .reduce(|mut a, b| {
                a.pieces.push(Piece::Same(" ".into()));
                a.pieces.extend(b.pieces);
                a
            })
            .unwrap_or(MergedParagraph {
                pieces: Vec::new(),
                moved: false,
            })
    }

    /// The body as merged paragraphs (old and new interleaved).
    pub fn merged_body(&self) -> Vec<MergedParagraph> {
        let mut paragraphs = merged(&self.body);
        let whole = |p: &MergedParagraph| match p.pieces.as_slice() {
            [Piece::Deleted(t)] => Some((false, t.clone())),
            [Piece::Inserted(t)] => Some((true, t.clone())),
            _ => None,
        };
        let deleted: Vec<String> = paragraphs
            .iter()
            .filter_map(whole)
            .filter(|(ins, _)| !ins)
            .map(|(_, t)| t)
            .collect();
        let inserted: Vec<String> = paragraphs
            .iter()
            .filter_map(whole)
            .filter(|(ins, _)| *ins)
            .map(|(_, t)| t)
            .collect();
        for p in &mut paragraphs {
            if let Some((ins, t)) = whole(p) {
                p.moved = if ins {
                    deleted.contains(&t)
                } else {
                    inserted.contains(&t)
                };
            }
        }
        paragraphs
    }
}

/// Walks the ops and builds paragraphs of pieces. A paragraph break inside an
/// unchanged or changed run starts a new paragraph of the merged view.
fn merged(seg: &Segment<'_>) -> Vec<MergedParagraph> {
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Same,
        Deleted,
        Inserted,
    }
    let new_paragraph = || MergedParagraph {
        pieces: Vec::new(),
        moved: false,
    };
    let mut paragraphs = vec![new_paragraph()];
    // Appends one token; a space goes where the text had one, in the
    // unchanged text before a change where there is some, so a change
    // reads `a [-big-]{+small+} dog`.
    let push = |paragraphs: &mut Vec<MergedParagraph>, kind: Kind, token: Token<'_>| {
        let current = &mut paragraphs.last_mut().expect("never empty").pieces;
        let space = token.spaced && !current.is_empty();
        let make = |text: String| match kind {
            Kind::Same => Piece::Same(text),
            Kind::Deleted => Piece::Deleted(text),
            Kind::Inserted => Piece::Inserted(text),
        };
        match (current.last_mut(), kind) {
            (Some(Piece::Same(a)), Kind::Same)
            | (Some(Piece::Deleted(a)), Kind::Deleted)
            | (Some(Piece::Inserted(a)), Kind::Inserted) => {
                if space {
                    a.push(' ');
                }
                a.push_str(token.text);
            }
            (Some(Piece::Same(a)), _) => {
                if space {
                    a.push(' ');
                }
                current.push(make(token.text.to_string()));
            }
            (Some(_), Kind::Same) => current.push(Piece::Same(format!(
                "{}{}",
                if space { " " } else { "" },
                token.text
            ))),
            // A replacement reads best as `[-old-]{+new+}` with no gap.
            (Some(Piece::Deleted(_)), Kind::Inserted) => current.push(make(token.text.to_string())),
            (Some(_), _) => {
                if space {
                    current.push(Piece::Same(" ".into()));
                }
                current.push(make(token.text.to_string()));
            }
            (None, _) => current.push(make(token.text.to_string())),
        }
    };
    // A paragraph break starts a new paragraph of the merged view; a
    // changed run keeps its breaks, so a paragraph added or removed whole
    // shows as a paragraph of its own.
    let push_run = |paragraphs: &mut Vec<MergedParagraph>, run: &[Token<'_>], kind: Kind| {
        for t in run {
            if t.is_break() {
                paragraphs.push(new_paragraph());
            } else {
                push(paragraphs, kind, *t);
            }
        }
    };
    for op in &seg.ops {
        match *op {
            DiffOp::Equal { old_index, len, .. } => push_run(
                &mut paragraphs,
                &seg.old[old_index..old_index + len],
                Kind::Same,
            ),
            DiffOp::Delete {
                old_index, old_len, ..
            } => push_run(
                &mut paragraphs,
                &seg.old[old_index..old_index + old_len],
                Kind::Deleted,
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push_run(
                &mut paragraphs,
                &seg.new[new_index..new_index + new_len],
                Kind::Inserted,
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push_run(
                    &mut paragraphs,
                    &seg.old[old_index..old_index + old_len],
                    Kind::Deleted,
                );
                push_run(
                    &mut paragraphs,
                    &seg.new[new_index..new_index + new_len],
                    Kind::Inserted,
                );
            }
        }
    }
    paragraphs.retain(|p| !p.pieces.is_empty());
    paragraphs
}

/// Labels for the two sides of a rendered diff.
#[derive(Debug, Clone)]
pub struct DiffLabels {
    /// The article URL.
    pub url: String,
    /// e.g. `version 1 (2026-11-27T20:17:44Z)`.
    pub from: String,
    /// e.g. `version 2 (2026-11-27T21:17:44Z)`.
    pub to: String,
}

/// Inline word diff: `[-old-]{+new+}`, only the paragraphs that changed, the
/// headline first. With `color`, deletions are red and insertions green.
pub fn render_word(
    diff: &WordDiff<'_>,
    meta: &[Change],
    labels: &DiffLabels,
    color: bool,
) -> String {
    let (red, green, bold, reset) = if color {
        ("\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let mut out = String::new();
    let _ = writeln!(out, "{bold}--- {}{reset}", labels.from);
    let _ = writeln!(out, "{bold}+++ {}{reset}", labels.to);
    let _ = writeln!(out, "{bold}{}{reset}", labels.url);
    let inline = |p: &MergedParagraph| {
        let mut s = String::new();
        for piece in &p.pieces {
            match piece {
                Piece::Same(t) => s.push_str(t),
                Piece::Deleted(t) => {
                    let _ = write!(s, "{red}[-{t}-]{reset}");
                }
                Piece::Inserted(t) => {
                    let _ = write!(s, "{green}{{+{t}+}}{reset}");
                }
            }
        }
        s
    };
    let title = diff.merged_title();
    if title.changed() {
        let _ = writeln!(out, "\n{bold}headline:{reset} {}", inline(&title));
    }
    for c in meta {
        let mut line = format!("{bold}{}:{reset} ", c.field.label());
        if !c.old.is_empty() {
            let _ = write!(line, "{red}[-{}-]{reset}", c.old);
        }
        if !c.new.is_empty() {
            let _ = write!(line, "{green}{{+{}+}}{reset}", c.new);
        }
        let _ = writeln!(out, "{}{line}", if title.changed() { "" } else { "\n" });
    }
    let body = diff.merged_body();
    let mut any = title.changed() || !meta.is_empty();
    for (i, p) in body.iter().enumerate() {
        if p.moved {
            any = true;
            let (label, text) = match p.pieces.as_slice() {
                [Piece::Inserted(t)] => ("moved here", t.as_str()),
                [Piece::Deleted(t)] => ("moved away from here", t.as_str()),
                _ => ("moved", ""),
            };
            let _ = writeln!(
                out,
                "\n{bold}@@ paragraph {} ({label}) @@{reset}\n{text}",
                i + 1
            );
        } else if p.changed() {
            any = true;
            let _ = writeln!(
                out,
                "\n{bold}@@ paragraph {} @@{reset}\n{}",
                i + 1,
                inline(p)
            );
        }
    }
    if !any {
        out.push_str("\n(no differences in wording)\n");
    }
    out
}

/// Unified diff with one paragraph per line and the headline as the first
/// line, for tools that read patches.
pub fn render_unified(old: &Fields<'_>, new: &Fields<'_>, labels: &DiffLabels) -> String {
    let as_lines = |f: &Fields<'_>| {
        let mut s = format!("# {}\n", f.title);
        for (field, value) in f.metadata() {
            if let Some(v) = value {
                s.push_str(&format!("{}: {v}\n", field.label()));
            }
        }
        s.push('\n');
        for p in crate::text::paragraphs(f.text) {
            s.push_str(p);
            s.push('\n');
        }
        s
    };
    let old = as_lines(old);
    let new = as_lines(new);
    let text_diff = similar::TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(DIFF_DEADLINE)
        .diff_lines(old.as_str(), new.as_str());
    text_diff
        .unified_diff()
        .context_radius(1)
        .header(&labels.from, &labels.to)
        .to_string()
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One self-contained HTML page: the whole new text with `<del>`/`<ins>`
/// marks, the headline first, and a summary of the counts.
pub fn render_html(diff: &WordDiff<'_>, meta: &[Change], labels: &DiffLabels) -> String {
    let summary = diff.summary();
    let inline = |p: &MergedParagraph| {
        let mut s = String::new();
        for piece in &p.pieces {
            match piece {
                Piece::Same(t) => s.push_str(&escape_html(t)),
                Piece::Deleted(t) => {
                    let _ = write!(s, "<del>{}</del>", escape_html(t));
                }
                Piece::Inserted(t) => {
                    let _ = write!(s, "<ins>{}</ins>", escape_html(t));
                }
            }
        }
        s
    };
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Changes: {title_plain}</title>
<style>
body {{ font-family: Georgia, "Times New Roman", serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.6; color: #1a1a1a; background: #fff; }}
header.meta {{ font-family: system-ui, sans-serif; font-size: .9rem; color: #555; border-bottom: 1px solid #ddd; padding-bottom: .75rem; margin-bottom: 1.5rem; }}
header.meta a {{ color: #0645ad; word-break: break-all; }}
h1 {{ font-size: 1.8rem; line-height: 1.25; }}
del {{ background: #ffe0e0; color: #8b0000; text-decoration: line-through; }}
ins {{ background: #d8f5d8; color: #064006; text-decoration: none; }}
del + ins {{ margin-left: .2em; }}
table.fields {{ font-family: system-ui, sans-serif; font-size: .9rem; border-collapse: collapse; margin-bottom: 1rem; }}
table.fields th {{ text-align: left; padding-right: 1rem; color: #555; font-weight: 600; vertical-align: top; }}
p.moved {{ border-left: 3px solid #5b7bd5; padding-left: .75rem; margin-left: -.9rem; }}
p.moved::before {{ content: "moved here · "; font-family: system-ui, sans-serif; font-size: .8rem; color: #5b7bd5; }}
p.moved-away {{ font-family: system-ui, sans-serif; font-size: .8rem; color: #5b7bd5; }}
p.changed {{ border-left: 3px solid #e0b000; padding-left: .75rem; margin-left: -.9rem; }}
.counts {{ font-weight: 600; }}
.counts .plus {{ color: #064006; }} .counts .minus {{ color: #8b0000; }}
</style>
</head>
<body>
<header class="meta">
<div><a href="{url}">{url_text}</a></div>
<div>from {from} to {to}</div>
<div class="counts"><span class="plus">+{added} words</span> · <span class="minus">−{removed} words</span>{headline_note}</div>
</header>
{meta_rows}<article>
<h1>{title}</h1>
"#,
        title_plain = escape_html(&plain_new(&diff.merged_title())),
        url = escape_html(&labels.url),
        url_text = escape_html(&labels.url),
        from = escape_html(&labels.from),
        to = escape_html(&labels.to),
        added = summary.added,
        removed = summary.removed,
        headline_note = if summary.title_changed {
            " · headline changed"
        } else {
            ""
        },
        title = inline(&diff.merged_title()),
        meta_rows = if meta.is_empty() {
            String::new()
        } else {
            let rows: String = meta
                .iter()
                .map(|c| {
                    let old = if c.old.is_empty() {
                        String::new()
                    } else {
                        format!("<del>{}</del> ", escape_html(&c.old))
                    };
                    let new = if c.new.is_empty() {
                        String::new()
                    } else {
                        format!("<ins>{}</ins>", escape_html(&c.new))
                    };
                    format!("<tr><th>{}</th><td>{old}{new}</td></tr>\n", c.field.label())
                })
                .collect();
            format!("<table class=\"fields\">\n{rows}</table>\n")
        },
    );
    for p in diff.merged_body() {
        if p.moved {
            match p.pieces.as_slice() {
                [Piece::Inserted(t)] => {
                    let _ = writeln!(out, "<p class=\"moved\">{}</p>", escape_html(t));
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "<p class=\"moved-away\">(a paragraph moved from here)</p>"
                    );
                }
            }
            continue;
        }
        let class = if p.changed() {
            " class=\"changed\""
        } else {
            ""
        };
        let _ = writeln!(out, "<p{class}>{}</p>", inline(&p));
    }
    out.push_str("</article>\n</body>\n</html>\n");
    out
}

/// The new side of a merged paragraph as plain text.
fn plain_new(p: &MergedParagraph) -> String {
    p.pieces
        .iter()
        .filter_map(|piece| match piece {
            Piece::Same(t) | Piece::Inserted(t) => Some(t.as_str()),
            Piece::Deleted(_) => None,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn summary(old: &str, new: &str) -> DiffSummary {
        WordDiff::new("T", old, "T", new).summary()
    }

    #[test]
    fn a_changed_word_is_reported_exactly() {
        let s = summary(
            "The report was released on Wednesday by the office.",
            "The report was published on Wednesday by the office.",
        );
        assert_eq!((s.added, s.removed), (1, 1));
        assert_eq!(s.changes.len(), 1);
        let c = &s.changes[0];
        assert_eq!(c.kind, ChangeKind::Replace);
        assert_eq!((c.old.as_str(), c.new.as_str()), ("released", "published"));
        assert_eq!(c.before, "The report was");
        assert_eq!(c.after, "on Wednesday by the office.");
        assert!(!s.title_changed);
    }

    #[test]
    fn inserted_and_deleted_sentences() {
        let s = summary("A b c.\n\nD e f.", "A b c. New words here.\n\nD e f.");
        assert_eq!((s.added, s.removed), (3, 0));
        assert_eq!(s.changes[0].kind, ChangeKind::Insert);
        assert_eq!(s.changes[0].new, "New words here.");

        let s = summary("A b c.\n\nGone para.\n\nD e f.", "A b c.\n\nD e f.");
        assert_eq!((s.added, s.removed), (0, 2));
        assert_eq!(s.changes[0].kind, ChangeKind::Delete);
        assert!(s.changes[0].old.contains("Gone para."));
    }

    #[test]
    fn headline_changes_come_first() {
        let d = WordDiff::new("Old headline", "a b c", "New headline", "a x c");
        let s = d.summary();
        assert!(s.title_changed);
        assert_eq!(s.changes[0].field, Field::Title);
        assert_eq!(s.changes[1].field, Field::Body);
        assert_eq!((s.added, s.removed), (2, 2));
    }

    #[test]
    fn identical_texts_have_no_changes() {
        let d = WordDiff::new("T", "a b\n\nc", "T", "a b\n\nc");
        assert!(!d.changed());
        assert!(d.summary().changes.is_empty());
    }

    #[test]
    fn word_rendering_marks_changes_inline() {
        let d = WordDiff::new(
            "T",
            "one two three\n\nfour five",
            "T",
            "one 2 three\n\nfour five",
        );
        let labels = DiffLabels {
            url: "https://e.com/a".into(),
            from: "version 1".into(),
            to: "version 2".into(),
        };
        let out = render_word(&d, &[], &labels, false);
        assert!(
            out.contains("@@ paragraph 1 @@\none [-two-]{+2+} three"),
            "{out}"
        );
        assert!(
            !out.contains("four five"),
            "unchanged paragraphs are left out: {out}"
        );
        let colored = render_word(&d, &[], &labels, true);
        assert!(colored.contains("\x1b[31m[-two-]\x1b[0m"));
    }

    #[test]
    fn html_rendering_escapes_and_marks() {
        let d = WordDiff::new("A <b>", "x & y", "A <i>", "x & z");
        let labels = DiffLabels {
            url: "https://e.com/?a=1&b=2".into(),
            from: "v1".into(),
            to: "v2".into(),
        };
        let html = render_html(&d, &[], &labels);
        assert!(
            html.contains("A &lt;<del>b</del><ins>i</ins>&gt;"),
            "{html}"
        );
        assert!(html.contains("x &amp; <del>y</del><ins>z</ins>"), "{html}");
        assert!(html.contains("href=\"https://e.com/?a=1&amp;b=2\""));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn unified_rendering_is_by_paragraph() {
        let labels = DiffLabels {
            url: "u".into(),
            from: "v1".into(),
            to: "v2".into(),
        };
        let f = |text| Fields {
            title: "T",
            text,
            byline: None,
            published: None,
            canonical: None,
            description: None,
        };
        let out = render_unified(&f("p one\n\np two"), &f("p one\n\np 2"), &labels);
        assert!(out.contains("--- v1"));
        assert!(out.contains("-p two\n+p 2\n"), "{out}");
    }

    #[test]
    fn metadata_changes_follow_the_headline() {
        let old = Fields {
            title: "Old",
            text: "a b c",
            byline: Some("Jane Doe"),
            published: Some("2026-01-01"),
            canonical: None,
            description: Some("same"),
        };
        let new = Fields {
            title: "New",
            text: "a x c",
            byline: Some("Jane Doe and John Roe"),
            published: Some("2026-01-01"),
            canonical: Some("https://e.com/a"),
            description: Some("same"),
        };
        let s = summarize(&old, &new);
        let fields: Vec<Field> = s.changes.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            vec![Field::Title, Field::Byline, Field::Canonical, Field::Body]
        );
        assert_eq!(s.changes[1].kind, ChangeKind::Replace);
        assert_eq!(s.changes[2].kind, ChangeKind::Insert);
        assert_eq!(
            (s.added, s.removed),
            (2, 2),
            "counts cover headline and body words"
        );
        assert_eq!(
            s.changed_fields(),
            vec![Field::Title, Field::Byline, Field::Canonical, Field::Body]
        );
        assert_ne!(old.hash(), new.hash());
        let same_but_no_byline = Fields {
            byline: None,
            ..old
        };
        assert_ne!(old.hash(), same_but_no_byline.hash());
        assert_ne!(
            Fields {
                byline: Some(""),
                ..old
            }
            .hash(),
            same_but_no_byline.hash()
        );

        let d = WordDiff::new(old.title, old.text, new.title, new.text);
        let labels = DiffLabels {
            url: "u".into(),
            from: "v1".into(),
            to: "v2".into(),
        };
        let meta = metadata_changes(&old, &new);
        let out = render_word(&d, &meta, &labels, false);
        assert!(
            out.contains("byline: [-Jane Doe-]{+Jane Doe and John Roe+}"),
            "{out}"
        );
        assert!(out.find("headline:").unwrap() < out.find("byline:").unwrap());
        let html = render_html(&d, &meta, &labels);
        assert!(
            html.contains("<th>canonical</th><td><ins>https://e.com/a</ins></td>"),
            "{html}"
        );
    }

    #[test]
    fn changes_are_cut_at_sentence_and_paragraph_starts() {
        // Deleting the first of two sentences that start with the same word.
        let s = summary(
            "Ascom is based in Baar. Ascom employs 1,300 people.",
            "Ascom employs 1,300 people.",
        );
        assert_eq!(s.changes.len(), 1);
        assert_eq!(s.changes[0].old, "Ascom is based in Baar.");
        // Inserting a paragraph before one that starts with the same word.
        let s = summary(
            "In June the law passed.\n\nIn July it took effect.",
            "In June the law passed.\n\nIn a statement, the firm objected.\n\nIn July it took effect.",
        );
        assert_eq!(s.changes.len(), 1);
        assert_eq!(s.changes[0].new, "In a statement, the firm objected.\n\n");
    }

    #[test]
    fn a_moved_paragraph_is_shown_as_moved_and_not_counted() {
        let old = "Alpha paragraph one here.\n\nBravo paragraph two here.\n\nCharlie paragraph three here.";
        let new = "Bravo paragraph two here.\n\nCharlie paragraph three here.\n\nAlpha paragraph one here.";
        let d = WordDiff::new("T", old, "T", new);
        let s = d.summary();
        assert_eq!((s.added, s.removed), (0, 0), "{s:?}");
        assert!(s.changes.iter().all(|c| c.moved), "{s:?}");
        let labels = DiffLabels {
            url: "u".into(),
            from: "1".into(),
            to: "2".into(),
        };
        let out = render_word(&d, &[], &labels, false);
        assert!(
            out.contains("(moved here) @@\nAlpha paragraph one here."),
            "{out}"
        );
        assert!(!out.contains("{+Alpha"), "{out}");
    }

    #[test]
    fn a_rewritten_paragraph_is_shown_old_and_new() {
        let old = "Kept paragraph stays the same.\n\nThe mayor said the plan was sound and would go ahead in spring.";
        let new = "Kept paragraph stays the same.\n\nCritics called the scheme reckless, and the council has now paused it.";
        let s = summary(old, new);
        assert_eq!(s.changes.len(), 1, "{s:?}");
        assert_eq!(s.changes[0].kind, ChangeKind::Replace);
        assert_eq!(
            s.changes[0].old,
            "The mayor said the plan was sound and would go ahead in spring."
        );
        assert_eq!(
            s.changes[0].new,
            "Critics called the scheme reckless, and the council has now paused it."
        );
        // A light edit keeps its word-level detail.
        let s = summary(
            "The mayor said the plan was sound.",
            "The mayor said the plan was flawed.",
        );
        assert_eq!(
            (s.changes[0].old.as_str(), s.changes[0].new.as_str()),
            ("sound", "flawed")
        );
    }

    /// A one-word edit in a script written without spaces is a change of
    /// just that word, in the JSON changes, the inline word diff and the
    /// HTML page; the unified diff (one line per paragraph) shows the
    /// paragraph with it.
    #[test]
    fn one_word_edits_in_scripts_without_spaces() {
        let cases = [
            (
                "联合国人权事务高级专员办事处发布报告，称新疆存在严重侵犯人权的行为。报告呼吁中国政府释放所有被任意拘押的人。",
                "严重",
                "重大",
            ),
            (
                "国連人権高等弁務官事務所は報告書を公表し、新疆で深刻な人権侵害が行われていると指摘した。中国政府は報告を強く批判した。",
                "深刻",
                "重大",
            ),
            (
                "สำนักงานข้าหลวงใหญ่เพื่อสิทธิมนุษยชนแห่งสหประชาชาติเผยแพร่รายงาน ระบุว่ามีการละเมิดสิทธิมนุษยชนอย่างร้ายแรงในซินเจียง",
                "ร้ายแรง",
                "กว้างขวาง",
            ),
        ];
        for (old, word, replacement) in cases {
            let new = old.replacen(word, replacement, 1);
            let s = WordDiff::new("T", old, "T", &new).summary();
            assert_eq!(s.changes.len(), 1, "{old}: {:?}", s.changes);
            let c = &s.changes[0];
            // Only characters of the word change; shared characters may stay.
            assert!(!c.old.is_empty() && word.contains(c.old.as_str()), "{c:?}");
            assert!(
                !c.new.is_empty() && replacement.contains(c.new.as_str()),
                "{c:?}"
            );
            let labels = DiffLabels {
                url: "u".into(),
                from: "1".into(),
                to: "2".into(),
            };
            let diff = WordDiff::new("T", old, "T", &new);
            let word_view = render_word(&diff, &[], &labels, false);
            assert!(
                word_view.contains(&format!("[-{}-]{{+{}+}}", c.old, c.new)),
                "{word_view}"
            );
            // No spaces are invented around the change.
            let rebuilt = word_view
                .lines()
                .last()
                .unwrap()
                .replace(&format!("[-{}-]", c.old), "")
                .replace(&format!("{{+{}+}}", c.new), &c.new);
            assert_eq!(rebuilt, new);
            let html = render_html(&diff, &[], &labels);
            assert!(html.contains(&format!("<del>{}</del><ins>{}</ins>", c.old, c.new)));
            let old_f = Fields {
                title: "T",
                text: old,
                byline: None,
                published: None,
                canonical: None,
                description: None,
            };
            let new_f = Fields {
                text: &new,
                ..old_f
            };
            let unified = render_unified(&old_f, &new_f, &labels);
            assert!(unified.contains(&format!("+{new}")), "{unified}");
            assert!(s.added >= 1 && s.added <= replacement.chars().count());
        }
    }

    #[test]
    fn excerpt_is_bounded() {
        let s = summary("a b c", "a x c");
        assert_eq!(s.excerpt(80), "[-b-]{+x+}");
        let long = summary("a", &"word ".repeat(100));
        assert!(long.excerpt(40).chars().count() <= 40);
    }

    /// Rebuilds the new token list from the old one and the ops.
    fn apply(old: &[Token<'_>], new: &[Token<'_>], ops: &[DiffOp]) -> Vec<String> {
        let mut out = Vec::new();
        for op in ops {
            match *op {
                DiffOp::Equal { old_index, len, .. } => out.extend(
                    old[old_index..old_index + len]
                        .iter()
                        .map(|s| s.text.to_string()),
                ),
                DiffOp::Delete { .. } => {}
                DiffOp::Insert {
                    new_index, new_len, ..
                }
                | DiffOp::Replace {
                    new_index, new_len, ..
                } => out.extend(
                    new[new_index..new_index + new_len]
                        .iter()
                        .map(|s| s.text.to_string()),
                ),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn applying_the_diff_to_the_old_text_gives_the_new(
            old in proptest::collection::vec("[a-e]{1,3}", 0..40),
            new in proptest::collection::vec("[a-e]{1,3}", 0..40),
        ) {
            let old = old.join(" ");
            let new = new.join(" ");
            let seg = Segment::new(Field::Body, &old, &new);
            let rebuilt = apply(&seg.old, &seg.new, &seg.ops);
            prop_assert_eq!(rebuilt.join(" "), new.clone());
            let s = WordDiff::new("", &old, "", &new).summary();
            let old_words = crate::text::word_count(&old) as i64;
            let new_words = crate::text::word_count(&new) as i64;
            prop_assert_eq!(new_words - old_words, s.added as i64 - s.removed as i64);
        }
    }
}
