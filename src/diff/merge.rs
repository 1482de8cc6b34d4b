//! The word diff of two versions: aligned segments of headline and body,
//! and the merged paragraphs (old and new words interleaved) that every
//! rendering reads.

use std::time::Instant;

use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

use super::*;
use crate::text::{Token, tokens};

/// One side-by-side comparison of two tokenised texts.
pub(super) struct Segment<'a> {
    pub(super) field: Field,
    pub(super) old: Vec<Token<'a>>,
    pub(super) new: Vec<Token<'a>>,
    pub(super) ops: Vec<DiffOp>,
}

impl<'a> Segment<'a> {
    pub(super) fn new(field: Field, old: &'a str, new: &'a str) -> Self {
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

    pub(super) fn changed(&self) -> bool {
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

pub(super) fn join_tokens(tokens: &[Token<'_>]) -> String {
    crate::text::join(tokens)
}

/// Words among tokens: punctuation and paragraph breaks do not count.
pub(super) fn count_words(tokens: &[Token<'_>]) -> usize {
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
pub(super) fn merged(seg: &Segment<'_>) -> Vec<MergedParagraph> {
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
