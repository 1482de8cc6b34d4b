//! `redline remove`: stop watching a URL, keeping its history unless
//! `--purge`; or stop polling a source.

use std::io::Write;

use super::{Context, UsageError, find_target};
use crate::config::ConfigOrigin;
use crate::model::TargetUrl;

pub(super) fn run(ctx: &Context, url: &TargetUrl, purge: bool) -> anyhow::Result<()> {
    if let ConfigOrigin::File(path) = &ctx.config.origin
        && ctx.config.targets.iter().any(|t| &t.url == url)
    {
        // Removing it here would be undone by the next config sync.
        return Err(UsageError(format!(
            "{url} is a [[target]] in {}: delete it there (its history is kept)",
            path.display()
        ))
        .into());
    }
    if let ConfigOrigin::File(path) = &ctx.config.origin
        && ctx.config.sources.iter().any(|s| &s.url == url)
    {
        return Err(UsageError(format!(
            "{url} is a [[source]] in {}: delete it there (its targets are kept)",
            path.display()
        ))
        .into());
    }
    let mut store = ctx.open_synced_store()?;
    if store.source_by_url(url)?.is_some() && store.target_by_url(url)?.is_none() {
        store.remove_source(url)?;
        writeln!(
            std::io::stdout().lock(),
            "removed source {url}: it is not polled any more; the articles found in it are checked until they retire"
        )?;
        return Ok(());
    }
    find_target(&store, url)?;
    store.remove_target(url, purge)?;
    let mut out = std::io::stdout().lock();
    if purge {
        writeln!(out, "removed {url} and deleted its history")?;
    } else {
        writeln!(
            out,
            "removed {url}; its history is kept (`redline history {url}`)"
        )?;
    }
    Ok(())
}
