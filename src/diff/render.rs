//! Renderings of a diff: inline words like `git diff --word-diff`, a
//! unified diff by paragraph, and a self-contained HTML page.

use std::fmt::Write as _;

use similar::Algorithm;

use super::*;

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

pub(super) fn escape_html(s: &str) -> String {
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
pub(super) fn plain_new(p: &MergedParagraph) -> String {
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
