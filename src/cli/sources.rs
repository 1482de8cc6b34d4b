//! `redline sources`: the feeds, sitemaps and pages articles are discovered
//! from, with their last poll, articles found and errors.

use std::io::Write;

use serde_json::json;

use super::{Context, json_line, time_or_dash};
use crate::types::format_duration;

pub(super) fn run(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let store = ctx.open_synced_store()?;
    let sources = store.list_sources()?;
    let mut out = std::io::stdout().lock();
    if json {
        for s in &sources {
            json_line(
                &mut out,
                &json!({
                    "url": s.source.url.as_str(),
                    "kind": s.source.kind.as_str(),
                    "last_poll": s.last_poll.map(|t| t.rfc3339()),
                    "articles": s.articles,
                    "last_error": s.last_error,
                    "state": if s.source.active { "active" } else { "removed" },
                    "active_articles": s.active_articles,
                    "interval": format_duration(s.source.settings.interval()),
                    "next_poll": s.source.active.then(|| s.next_poll.rfc3339()),
                }),
            )?;
        }
        return Ok(());
    }
    if sources.is_empty() {
        writeln!(
            out,
            "no sources yet: add one with `redline add --feed URL` (or --sitemap, --page) or a [[source]] in the config"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<8} {:<8} {:>8} {:>8}  {:<20}  URL",
        "STATE", "KIND", "ARTICLES", "ACTIVE", "LAST POLL"
    )?;
    for s in &sources {
        writeln!(
            out,
            "{:<8} {:<8} {:>8} {:>8}  {:<20}  {}",
            if s.source.active { "active" } else { "removed" },
            s.source.kind.as_str(),
            s.articles,
            s.active_articles,
            time_or_dash(s.last_poll),
            s.source.url,
        )?;
        if let Some(e) = &s.last_error {
            writeln!(out, "{:>8} last error: {e}", "")?;
        }
    }
    Ok(())
}
