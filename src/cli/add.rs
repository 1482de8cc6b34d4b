//! `redline add`: watch a URL (or update one already watched), or add a
//! source that articles are discovered from.

use std::io::Write;

use super::{Context, block_on};
use crate::model::{SourceKind, SourceSettings, TargetSettings, Timestamp, format_duration};

pub(super) fn run(ctx: &Context, settings: TargetSettings) -> anyhow::Result<()> {
    let (target, created) = block_on(async {
        let store = ctx.storage().await?;
        Ok(store.add_target(settings, Timestamp::now()).await?)
    })?;
    let every = match ctx.config.fixed_interval(target.interval) {
        Some(d) => format!("checked every {}", format_duration(d)),
        None => match ctx
            .config
            .scheduler()
            .current_interval(&target, Timestamp::now())
        {
            Some(d) => format!(
                "checked every {} for now, less often as the article ages",
                format_duration(d)
            ),
            None => "past the age schedule: give it an --interval to keep checking it".into(),
        },
    };
    let verb = if created { "added" } else { "updated" };
    writeln!(std::io::stdout().lock(), "{verb} {} ({every})", target.url)?;
    Ok(())
}

/// `redline add --feed/--sitemap/--page URL`: a source the daemon polls.
pub(super) fn run_source(
    ctx: &Context,
    url: crate::model::TargetUrl,
    kind: SourceKind,
    settings: SourceSettings,
) -> anyhow::Result<()> {
    if let crate::config::ConfigOrigin::File(path) = &ctx.config.origin
        && ctx.config.sources.iter().any(|s| s.url == url)
    {
        return Err(super::UsageError(format!(
            "{url} is a [[source]] in {}: change it there",
            path.display()
        ))
        .into());
    }
    let interval = settings.interval();
    let created = block_on(async {
        let store = ctx.storage().await?;
        Ok(store
            .add_source(url.clone(), kind, settings, Timestamp::now())
            .await?)
    })?;
    let verb = if created { "added" } else { "updated" };
    writeln!(
        std::io::stdout().lock(),
        "{verb} {} source {url} (polled every {}; `redline run` picks it up)",
        kind.as_str(),
        format_duration(interval)
    )?;
    Ok(())
}
