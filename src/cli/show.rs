//! `redline show`: the headline and text of one version.

use std::io::Write;

use anyhow::anyhow;

use super::{Context, block_on, find_target, json_line};
use crate::model::TargetUrl;
use crate::report::versions::VersionTextView;

pub(super) fn run(
    ctx: &Context,
    url: &TargetUrl,
    version: Option<u32>,
    json: bool,
) -> anyhow::Result<()> {
    let (v, seen) = block_on(async {
        let store = ctx.reports().await?;
        let target = find_target(&*store, url).await?;
        let v = store
            .version(target.id, version)
            .await?
            .ok_or_else(|| match version {
                Some(n) => anyhow!("{url} has no version {n} (see `redline history {url}`)"),
                None => anyhow!("no versions of {url} yet (run `redline check {url}`)"),
            })?;
        let seen = store
            .dates_seen(target.id, v.number, v.published.clone(), v.modified.clone())
            .await?;
        Ok((v, seen))
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        json_line(
            &mut out,
            &VersionTextView::new(url.as_str(), &v, seen.as_ref()),
        )?;
        return Ok(());
    }
    writeln!(out, "{}", v.title)?;
    writeln!(
        out,
        "version {} of {url}, captured {}",
        v.number,
        v.captured_at.rfc3339()
    )?;
    for (label, value) in [
        ("by", &v.byline),
        ("published", &v.published),
        ("modified", &v.modified),
    ] {
        if let Some(value) = value {
            writeln!(out, "{label}: {value}")?;
        }
    }
    if let Some(read_from) = v.final_url.as_deref().filter(|f| *f != url.as_str()) {
        writeln!(out, "read from: {read_from} (after redirects)")?;
    }
    if let Some(d) = &seen {
        writeln!(
            out,
            "dates since: {} (seen on {} check{} with the same wording, last {})",
            super::history::dates_line(d.published.as_deref(), d.modified.as_deref()),
            d.checks,
            if d.checks == 1 { "" } else { "s" },
            d.checked_at.rfc3339()
        )?;
    }
    writeln!(out, "\n{}", v.text)?;
    Ok(())
}
