//! `redline remove`: stop watching a URL, keeping its history unless
//! `--purge`; or stop polling a source.

use std::io::Write;

use super::{Context, UsageError, block_on, find_target};
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
    let source_removed = block_on(async {
        let store = ctx.storage().await?;
        if store.source_by_url(url.clone()).await?.is_some()
            && store.target_by_url(url.clone()).await?.is_none()
        {
            store.remove_source(url.clone()).await?;
            return Ok(true);
        }
        find_target(&*store, url).await?;
        store.remove_target(url.clone(), purge).await?;
        Ok(false)
    })?;
    if source_removed {
        writeln!(
            std::io::stdout().lock(),
            "removed source {url}: it is not polled any more; the articles found in it are checked until they retire"
        )?;
        return Ok(());
    }
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
