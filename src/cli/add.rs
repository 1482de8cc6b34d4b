//! `redline add`: watch a URL (or update one already watched).

use std::io::Write;
use std::time::Duration;

use super::Context;
use crate::extract::BodySelector;
use crate::store::TargetSettings;
use crate::types::{TargetUrl, Timestamp, format_duration};

pub(super) fn run(
    ctx: &Context,
    url: TargetUrl,
    interval: Option<Duration>,
    selector: Option<BodySelector>,
    name: Option<String>,
) -> anyhow::Result<()> {
    let mut store = ctx.open_synced_store()?;
    let settings = TargetSettings {
        url,
        name: name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
        interval,
        selector: selector.map(|s| s.as_str().to_string()),
    };
    let (target, created) = store.add_target(&settings, Timestamp::now())?;
    let every = format_duration(ctx.config.interval_for(target.interval));
    let mut out = std::io::stdout().lock();
    if created {
        writeln!(out, "added {} (checked every {every})", target.url)?;
    } else {
        writeln!(out, "updated {} (checked every {every})", target.url)?;
    }
    Ok(())
}
