//! `redline search`: where a phrase is in the history, or where it was
//! removed or added. The index names the articles; `report::search` reads
//! their versions and decides.

use std::io::Write;
use std::time::Duration;

use anyhow::anyhow;

use super::{Context, block_on, json_line, stdout_color};
use crate::model::Timestamp;
use crate::report::search::{self, Phrase, SearchMode};

pub(super) fn run(
    ctx: &Context,
    text: &str,
    mode: SearchMode,
    since: Option<Duration>,
    json: bool,
) -> anyhow::Result<()> {
    let phrase = Phrase::parse(text)
        .ok_or_else(|| anyhow!("the phrase {text:?} has no words to search for"))?;
    let since = since.map(|d| Timestamp::now().minus(d));
    let hits = block_on(async {
        let store = ctx.reports().await?;
        Ok::<_, anyhow::Error>(search::search(&*store, &phrase, mode, since).await?)
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        for hit in &hits {
            json_line(&mut out, hit)?;
        }
        return Ok(());
    }
    if hits.is_empty() {
        let what = match mode {
            SearchMode::Anywhere => "in any version",
            SearchMode::Removed => "removed from any version",
            SearchMode::Added => "added to any version",
            SearchMode::Current => "in any current version",
        };
        writeln!(out, "{text:?} not found {what}")?;
        return Ok(());
    }
    let (on, off) = if stdout_color() {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    for hit in &hits {
        writeln!(
            out,
            "{}  v{}  {}  {}\n    {}\n    {}{on}{}{off}{}",
            hit.captured_at,
            hit.version,
            hit.describe(),
            hit.url,
            hit.title,
            &hit.snippet[..hit.mark.start],
            &hit.snippet[hit.mark.clone()],
            &hit.snippet[hit.mark.end..]
        )?;
    }
    Ok(())
}
