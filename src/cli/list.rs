//! `redline list`: every target with its state and figures.

use std::io::Write;

use super::{Context, block_on, json_line, time_or_dash};
use crate::model::{TargetUrl, Timestamp, format_duration};
use crate::report::targets::TargetView;

pub(super) fn run(ctx: &Context, source: Option<&TargetUrl>, json: bool) -> anyhow::Result<()> {
    let mut targets = block_on(async {
        let store = ctx.storage().await?;
        if let Some(source) = source
            && store.source_by_url(source.clone()).await?.is_none()
        {
            return Err(anyhow::anyhow!(
                "{source} is not a source (see `redline sources`)"
            ));
        }
        Ok(store.list_targets().await?)
    })?;
    if let Some(source) = source {
        targets.retain(|s| s.target.source.as_deref() == Some(source.as_str()));
    }
    let now = Timestamp::now();
    let scheduler = ctx.config.scheduler();
    let interval =
        |t: &crate::model::Target| scheduler.current_interval(t, now).map(format_duration);
    let mut out = std::io::stdout().lock();
    if json {
        for s in &targets {
            let every = scheduler.current_interval(&s.target, now);
            json_line(&mut out, &TargetView::new(s, every))?;
        }
        return Ok(());
    }
    if targets.is_empty() {
        writeln!(
            out,
            "no targets yet: add one with `redline add URL` or a [[target]] in the config"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<8} {:>8} {:>8}  {:<20}  {:<20}  URL",
        "STATE", "VERSIONS", "INTERVAL", "LAST CHECK", "LAST CHANGE"
    )?;
    for s in &targets {
        let t = &s.target;
        let name = t
            .name
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        writeln!(
            out,
            "{:<8} {:>8} {:>8}  {:<20}  {:<20}  {}{name}",
            t.state.as_str(),
            s.versions,
            interval(t).unwrap_or_else(|| "-".into()),
            time_or_dash(s.last_check),
            time_or_dash(s.last_change),
            t.url,
        )?;
        if let Some(src) = &t.source {
            writeln!(out, "{:>8} from {src}", "")?;
        }
        if let Some(r) = &t.retired_reason {
            writeln!(out, "{:>8} retired: {r}", "")?;
        }
        if let Some(e) = &s.last_error {
            writeln!(out, "{:>8} last error: {e}", "")?;
        }
    }
    Ok(())
}
