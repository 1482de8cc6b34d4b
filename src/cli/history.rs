//! `redline history`: the versions of one article.

use std::io::Write;

use super::{Context, block_on, find_target, json_line};
use crate::diff::Field;
use crate::model::TargetUrl;
use crate::report::history::VersionView;

pub(super) fn run(ctx: &Context, url: &TargetUrl, json: bool) -> anyhow::Result<()> {
    let rows = block_on(async {
        let store = ctx.reports().await?;
        let target = find_target(&*store, url).await?;
        Ok(store.history(target.id).await?)
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        for r in &rows {
            json_line(&mut out, &VersionView::from(r))?;
        }
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "no versions of {url} yet (run `redline check {url}`)")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>7}  {:<20}  {:>6}  {:>6}  {:>7}  TITLE",
        "VERSION", "CAPTURED", "WORDS", "ADDED", "REMOVED"
    )?;
    for r in &rows {
        let dash = |n: Option<u64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
        let others: Vec<&str> = r
            .changed_fields
            .iter()
            .filter(|f| !matches!(f, Field::Title | Field::Body))
            .map(|f| f.label())
            .collect();
        let mut mark = String::new();
        if let Some(class) = r.class {
            mark.push_str(&format!("  [{}]", class.as_str()));
        }
        if let Some(n) = r.revert_of {
            mark.push_str(&format!("  [same as version {n}]"));
        }
        if r.alert_paused {
            mark.push_str("  [flapping: alerts paused]");
        }
        if r.title_changed && r.class != Some(crate::detect::ChangeClass::Headline) {
            mark.push_str("  [headline changed]");
        }
        if !others.is_empty() {
            mark.push_str(&format!("  [{} changed]", others.join(", ")));
        }
        writeln!(
            out,
            "{:>7}  {:<20}  {:>6}  {:>6}  {:>7}  {}{mark}",
            r.version,
            r.captured_at.rfc3339(),
            r.words,
            dash(r.added),
            dash(r.removed),
            r.title
        )?;
        if let Some(d) = &r.dates_seen {
            writeln!(
                out,
                "{:>9}dates changed on {} later check{} with the same wording (not a version); last seen {}: {}",
                "",
                d.checks,
                if d.checks == 1 { "" } else { "s" },
                d.checked_at.rfc3339(),
                dates_line(d.published.as_deref(), d.modified.as_deref()),
            )?;
        }
    }
    Ok(())
}

/// `published …, modified …` for the dates a page gave.
pub(super) fn dates_line(published: Option<&str>, modified: Option<&str>) -> String {
    format!(
        "published {}, modified {}",
        published.unwrap_or("(none)"),
        modified.unwrap_or("(none)")
    )
}
