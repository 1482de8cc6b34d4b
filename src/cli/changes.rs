//! `redline changes`: every change recorded in a period, across all targets.

use std::io::Write;
use std::time::Duration;

use super::{Context, block_on, json_line};
use crate::model::{TargetUrl, Timestamp, format_duration};
use crate::report::changes::ChangeView;

pub(super) fn run(
    ctx: &Context,
    since: Duration,
    source: Option<&TargetUrl>,
    tags: &[String],
    json: bool,
) -> anyhow::Result<()> {
    let mut rows = block_on(async {
        let store = ctx.reports().await?;
        if let Some(source) = source
            && store.source_by_url(source.clone()).await?.is_none()
        {
            return Err(anyhow::anyhow!(
                "{source} is not a source (see `redline sources`)"
            ));
        }
        Ok(store.changes_since(Timestamp::now().minus(since)).await?)
    })?;
    rows.retain(|c| {
        source.is_none_or(|s| c.source.as_deref() == Some(s.as_str()))
            && (tags.is_empty() || tags.iter().any(|t| c.tags.contains(t)))
    });
    let mut out = std::io::stdout().lock();
    if json {
        for c in &rows {
            json_line(&mut out, &ChangeView::from(c))?;
        }
        return Ok(());
    }
    if rows.is_empty() {
        let filtered = if source.is_some() || !tags.is_empty() {
            " matching the filter"
        } else {
            ""
        };
        writeln!(
            out,
            "no changes{filtered} in the last {}",
            format_duration(since)
        )?;
        return Ok(());
    }
    for c in &rows {
        let class = c
            .class
            .map(|k| format!(" [{}]", k.as_str()))
            .unwrap_or_default();
        let headline = if c.title_changed && c.class != Some(crate::detect::ChangeClass::Headline) {
            " [headline changed]"
        } else {
            ""
        };
        writeln!(
            out,
            "{}  v{}→v{}  +{} −{}  {}{class}{headline}\n    {}",
            c.captured_at.rfc3339(),
            c.from,
            c.to,
            c.added,
            c.removed,
            c.url,
            c.title
        )?;
    }
    Ok(())
}
