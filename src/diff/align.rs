//! Aligning word tokens: the patience diff's operations slid to word and
//! sentence boundaries, small equalities glued into the edits around them,
//! and heavy rewrites of a stretch collapsed into one replacement.

use similar::DiffOp;

use crate::text::{PARAGRAPH_BREAK, Token};

/// Where a token of an alignment is: in both texts, only the old, or only
/// the new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Both,
    Old,
    New,
}

/// Whether a change starting after `prev` starts a sentence or paragraph:
/// 2 for a paragraph, 1 for a sentence, 0 otherwise.
pub(super) fn boundary_strength(prev: Option<&str>) -> u8 {
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
pub(super) fn slide_to_boundaries(
    old: &[Token<'_>],
    new: &[Token<'_>],
    ops: &[DiffOp],
) -> Vec<DiffOp> {
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
pub(super) const REWRITE_SIMILARITY: f64 = 0.4;

/// Rewrites each heavily rewritten paragraph as one replacement. Paragraphs
/// are the stretches between paragraph breaks that both texts share.
pub(super) fn collapse_rewrites(steps: &mut Vec<(Side, Token<'_>)>) {
    let mut out: Vec<(Side, Token<'_>)> = Vec::with_capacity(steps.len());
    let mut seg_start = 0;
    pub(super) fn flush<'a>(seg: &[(Side, Token<'a>)], out: &mut Vec<(Side, Token<'a>)>) {
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
pub(super) fn absorb_glued_equalities(steps: &mut Vec<(Side, Token<'_>)>) {
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
