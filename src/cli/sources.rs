//! `redline sources`: the feeds, sitemaps and pages articles are discovered
//! from, with their last poll, articles found and errors; `--poll` polls
//! every active source once now (for cron, or to try a new source).

use std::io::Write;

use std::sync::Arc;

use anyhow::Context as _;

use super::{Context, block_on, json_line, runtime, time_or_dash};
use crate::check::Checker;
use crate::report::outbox::SourceView;

pub(super) fn run(ctx: &Context, poll: bool, json: bool) -> anyhow::Result<()> {
    if poll {
        return poll_now(ctx, json);
    }
    let sources = block_on(async { Ok(ctx.storage().await?.list_sources().await?) })?;
    let mut out = std::io::stdout().lock();
    if json {
        for s in &sources {
            json_line(&mut out, &SourceView::from(s))?;
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

/// Polls every active source once, now, and says what each poll did.
fn poll_now(ctx: &Context, json: bool) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let store = ctx.fetching_storage("sources --poll").await?;
        let sources: Vec<_> = store
            .list_sources()
            .await?
            .into_iter()
            .filter(|s| s.source.active)
            .map(|s| s.source)
            .collect();
        if sources.is_empty() {
            eprintln!("redline: no active sources to poll");
            return Ok(());
        }
        let checker =
            Arc::new(Checker::new(&ctx.config, store).context("setting up the HTTP client")?);
        let discoverer =
            crate::daemon::discoverer_for(&checker, Arc::new(tokio::sync::Notify::new()));
        let mut out = std::io::stdout().lock();
        let mut failed = 0;
        for source in &sources {
            let result = discoverer.poll(source).await;
            if json {
                let (new, error) = match &result {
                    Ok(s) => (s.created.clone(), None),
                    Err(e) => (Vec::new(), Some(e.to_string())),
                };
                json_line(
                    &mut out,
                    &serde_json::json!({ "url": source.url.as_str(), "new": new, "error": error }),
                )?;
            } else {
                match &result {
                    Ok(s) if s.unchanged => writeln!(out, "{}: not modified", source.url)?,
                    Ok(s) => {
                        writeln!(
                            out,
                            "{}: {} listed, {} new, {} already watched{}",
                            source.url,
                            s.listed,
                            s.created.len(),
                            s.known,
                            if s.capped_per_poll + s.capped_total > 0 {
                                format!(", {} left by the caps", s.capped_per_poll + s.capped_total)
                            } else {
                                String::new()
                            }
                        )?;
                        for url in &s.created {
                            writeln!(out, "    new {url}")?;
                        }
                    }
                    Err(e) => writeln!(out, "{}: error: {e}", source.url)?,
                }
            }
            failed += usize::from(result.is_err());
        }
        if failed > 0 {
            anyhow::bail!("{failed} of {} sources could not be polled", sources.len());
        }
        Ok(())
    })
}
