//! `redline add`: watch a URL (or update one already watched).

use std::io::Write;

use super::Context;
use crate::store::TargetSettings;
use crate::types::{Timestamp, format_duration};

pub(super) fn run(ctx: &Context, settings: TargetSettings) -> anyhow::Result<()> {
    let mut store = ctx.open_synced_store()?;
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
