//! `redline add`: watch a URL (or update one already watched).

use std::io::Write;

use super::Context;
use crate::store::TargetSettings;
use crate::types::{Timestamp, format_duration};

pub(super) fn run(ctx: &Context, settings: TargetSettings) -> anyhow::Result<()> {
    let mut store = ctx.open_synced_store()?;
    let (target, created) = store.add_target(&settings, Timestamp::now())?;
    let every = match ctx.config.fixed_interval(target.interval) {
        Some(d) => format!("checked every {}", format_duration(d)),
        None => match super::current_interval(&ctx.config, &target, Timestamp::now()) {
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
