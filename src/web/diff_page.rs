//! The diff permalink `/articles/{id}/diff/{from}..{to}[.ext]`: the page
//! (inline or split, with a chosen amount of context) and its renditions,
//! which are the CLI's `diff` formats. The page's rows are built here by
//! pure functions from the merged word diff, as plain text pieces the
//! template escapes; the feeds render the same rows.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::params::{ContextSize, DiffRange, Layout, Rendition};
use super::{Failure, Web};
use crate::diff::{
    Change, DiffLabels, MergedParagraph, Piece, WordDiff, metadata_changes, render_html,
    render_unified, render_word,
};
use crate::model::{Target, TargetId, Version};
use crate::report::versions::DiffView;

/// One run of words: unchanged, deleted or inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    /// `same`, `del` or `ins`.
    pub kind: &'static str,
    /// The words, as text.
    pub text: String,
}

/// One row of a diff: a paragraph, or a run of unchanged ones left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `same`, `changed`, `moved` (arrived here), `moved-away` or `gap`.
    pub kind: &'static str,
    /// The change's number on the page (1-based), for `#change-N` links.
    pub change: usize,
    /// Both sides in line.
    pub inline: Vec<Seg>,
    /// The old side (unchanged and deleted words).
    pub old: Vec<Seg>,
    /// The new side (unchanged and inserted words).
    pub new: Vec<Seg>,
    /// For a gap: how many paragraphs it stands for.
    pub skipped: usize,
}

fn segs(p: &MergedParagraph) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::new();
    for piece in &p.pieces {
        let (kind, text) = match piece {
            Piece::Same(t) => ("same", t),
            Piece::Deleted(t) => ("del", t),
            Piece::Inserted(t) => ("ins", t),
        };
        match out.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(text),
            _ => out.push(Seg {
                kind,
                text: text.clone(),
            }),
        }
    }
    out
}

fn side(all: &[Seg], drop: &str) -> Vec<Seg> {
    all.iter().filter(|s| s.kind != drop).cloned().collect()
}

/// A paragraph as a row.
pub fn row(p: &MergedParagraph, change: usize) -> Row {
    let inline = segs(p);
    let kind = if p.moved {
        if matches!(p.pieces.as_slice(), [Piece::Inserted(_)]) {
            "moved"
        } else {
            "moved-away"
        }
    } else if p.changed() {
        "changed"
    } else {
        "same"
    };
    Row {
        kind,
        change,
        old: side(&inline, "ins"),
        new: side(&inline, "del"),
        inline,
        skipped: 0,
    }
}

/// The body's rows: every changed or moved paragraph, numbered, with
/// `context` unchanged paragraphs on each side; the rest fold into gaps.
pub fn rows(body: &[MergedParagraph], context: ContextSize) -> Vec<Row> {
    let changed: Vec<bool> = body.iter().map(|p| p.moved || p.changed()).collect();
    let keep: Vec<bool> = match context {
        ContextSize::All => vec![true; body.len()],
        ContextSize::Paragraphs(n) => (0..body.len())
            .map(|i| {
                let lo = i.saturating_sub(n);
                let hi = (i + n).min(body.len().saturating_sub(1));
                changed[lo..=hi].iter().any(|c| *c)
            })
            .collect(),
    };
    let mut out: Vec<Row> = Vec::new();
    let mut n = 0;
    for (i, p) in body.iter().enumerate() {
        if !keep[i] {
            match out.last_mut() {
                Some(gap) if gap.kind == "gap" => gap.skipped += 1,
                _ => out.push(Row {
                    kind: "gap",
                    change: 0,
                    inline: Vec::new(),
                    old: Vec::new(),
                    new: Vec::new(),
                    skipped: 1,
                }),
            }
            continue;
        }
        if changed[i] {
            n += 1;
        }
        out.push(row(p, if changed[i] { n } else { 0 }));
    }
    out
}

/// A metadata field that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaRow {
    /// The field's name.
    pub field: &'static str,
    /// Its old value (empty when it had none).
    pub old: String,
    /// Its new value (empty when it has none).
    pub new: String,
}

/// Everything a diff page (or a feed entry) shows.
#[derive(Debug, Clone)]
pub struct DiffBody {
    /// The headline, merged.
    pub title: Row,
    /// Whether the headline's wording changed.
    pub title_changed: bool,
    /// Metadata that changed.
    pub meta: Vec<MetaRow>,
    /// The body's rows.
    pub rows: Vec<Row>,
    /// Words added, headline and body.
    pub added: usize,
    /// Words removed, headline and body.
    pub removed: usize,
    /// Changed paragraphs numbered in `rows`.
    pub changes: usize,
}

impl DiffBody {
    /// The diff from `old` to `new` with `context` around each change.
    pub fn new(old: &Version, new: &Version, context: ContextSize) -> Self {
        let diff = WordDiff::new(&old.title, &old.text, &new.title, &new.text);
        let summary = diff.summary();
        let meta = metadata_changes(&old.fields(), &new.fields())
            .into_iter()
            .map(|c: Change| MetaRow {
                field: c.field.label(),
                old: c.old,
                new: c.new,
            })
            .collect();
        let rows = rows(&diff.merged_body(), context);
        let changes = rows.iter().map(|r| r.change).max().unwrap_or(0);
        Self {
            title: row(&diff.merged_title(), 0),
            title_changed: summary.title_changed,
            meta,
            rows,
            added: summary.added,
            removed: summary.removed,
            changes,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "diff.html")]
struct DiffPage {
    target: Target,
    from: Version,
    to: Version,
    body: DiffBody,
    split: bool,
    context: &'static str,
    latest: u32,
}

impl DiffPage {
    fn base(&self) -> String {
        format!(
            "/articles/{}/diff/{}..{}",
            self.target.id, self.from.number, self.to.number
        )
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct DiffQuery {
    context: Option<String>,
    view: Option<String>,
}

/// Loads a target and the two versions `range` names.
pub(super) async fn load(
    web: &Web,
    id: i64,
    range: &DiffRange,
) -> Result<(Target, Version, Version, u32), Failure> {
    let store = web.store();
    let target = store
        .target_by_id(TargetId(id))
        .await?
        .ok_or_else(|| Failure::NotFound(format!("no article {id} is tracked")))?;
    let latest = store
        .version(target.id, None)
        .await?
        .ok_or_else(|| Failure::NotFound(format!("{} has no versions yet", target.url)))?;
    let (from, to) = range.resolve(latest.number).ok_or_else(|| {
        Failure::NotFound(format!(
            "{} has versions 1 to {}: that range names none of them, or one twice",
            target.url, latest.number
        ))
    })?;
    // The newest version is often one end; it is read once.
    let get = async |n: u32| {
        if n == latest.number {
            return Ok(latest.clone());
        }
        store
            .version(target.id, Some(n))
            .await?
            .ok_or_else(|| Failure::NotFound(format!("{} has no version {n}", target.url)))
    };
    let (old, new) = (get(from).await?, get(to).await?);
    Ok((target, old, new, latest.number))
}

/// `GET /articles/{id}/diff/{range}`.
pub(super) async fn diff(
    State(web): State<Web>,
    Path((id, range)): Path<(i64, String)>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, Failure> {
    let range = DiffRange::parse(&range)?;
    let context = ContextSize::parse(q.context.as_deref())?;
    let layout = Layout::parse(q.view.as_deref())?;
    let (target, from, to, latest) = load(&web, id, &range).await?;
    let rendition = range.rendition;
    tokio::task::spawn_blocking(move || {
        render(target, from, to, latest, rendition, context, layout)
    })
    .await
    .map_err(|e| Failure::Internal(format!("the diff failed: {e}")))
}

fn render(
    target: Target,
    from: Version,
    to: Version,
    latest: u32,
    rendition: Rendition,
    context: ContextSize,
    layout: Layout,
) -> Response {
    let labels = || DiffLabels {
        url: target.url.to_string(),
        from: format!("version {} ({})", from.number, from.captured_at.rfc3339()),
        to: format!("version {} ({})", to.number, to.captured_at.rfc3339()),
    };
    let text = |content_type: &'static str, body: String| {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    match rendition {
        Rendition::Json => {
            axum::Json(DiffView::new(target.url.as_str(), &from, &to)).into_response()
        }
        Rendition::Patch => text(
            "text/x-diff; charset=utf-8",
            render_unified(&from.fields(), &to.fields(), &labels()),
        ),
        Rendition::Text | Rendition::Html => {
            let diff = WordDiff::new(&from.title, &from.text, &to.title, &to.text);
            let meta = metadata_changes(&from.fields(), &to.fields());
            if rendition == Rendition::Text {
                text(
                    "text/plain; charset=utf-8",
                    render_word(&diff, &meta, &labels(), false),
                )
            } else {
                text(
                    "text/html; charset=utf-8",
                    render_html(&diff, &meta, &labels()),
                )
            }
        }
        Rendition::Page => {
            let body = DiffBody::new(&from, &to, context);
            DiffPage {
                target,
                from,
                to,
                body,
                split: layout == Layout::Split,
                context: context.as_str(),
                latest,
            }
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn body(old: &str, new: &str, context: ContextSize) -> Vec<Row> {
        let a = Version::plain(1, Timestamp(0), "T", old);
        let b = Version::plain(2, Timestamp(1), "T", new);
        DiffBody::new(&a, &b, context).rows
    }

    #[test]
    fn unchanged_paragraphs_far_from_a_change_fold_into_one_gap() {
        let old = "One a.\n\nTwo b.\n\nThree c.\n\nFour d.\n\nFive e.";
        let new = "One a.\n\nTwo b.\n\nThree c.\n\nFour d.\n\nFive changed.";
        let rows = body(old, new, ContextSize::Paragraphs(1));
        let kinds: Vec<&str> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ["gap", "same", "changed"]);
        assert_eq!(rows[0].skipped, 3);
        assert_eq!(rows[2].change, 1);
        let all = body(old, new, ContextSize::All);
        assert_eq!(all.len(), 5);
        assert!(all.iter().all(|r| r.kind != "gap"));
    }

    #[test]
    fn the_two_sides_of_a_changed_paragraph_keep_their_own_words() {
        let rows = body(
            "The minister said no.",
            "The minister said yes.",
            ContextSize::All,
        );
        let r = &rows[0];
        let text = |s: &[Seg]| s.iter().map(|s| s.text.as_str()).collect::<String>();
        assert!(text(&r.old).contains("no.") && !text(&r.old).contains("yes"));
        assert!(text(&r.new).contains("yes.") && !text(&r.new).contains("no."));
        assert!(
            r.inline
                .iter()
                .any(|s| s.kind == "del" && s.text.contains("no"))
        );
        assert!(
            r.inline
                .iter()
                .any(|s| s.kind == "ins" && s.text.contains("yes"))
        );
    }
}
