//! `redline diff`: the words that changed between two versions.

use std::io::Write;

use anyhow::anyhow;

use super::{Context, DiffFormat, UsageError, block_on, find_target, stdout_color};
use crate::diff::{
    DiffLabels, WordDiff, metadata_changes, render_html, render_unified, render_word,
};
use crate::model::TargetUrl;
use crate::report::versions::DiffView;

pub(super) fn run(
    ctx: &Context,
    url: &TargetUrl,
    from: Option<u32>,
    to: Option<u32>,
    format: DiffFormat,
) -> anyhow::Result<()> {
    let (old, new) = block_on(async {
        let store = ctx.reports().await?;
        let target = find_target(&*store, url).await?;
        let latest = store
            .version(target.id, None)
            .await?
            .ok_or_else(|| anyhow!("no versions of {url} yet (run `redline check {url}`)"))?;
        let to_n = to.unwrap_or(latest.number);
        let from_n = match from {
            Some(n) => n,
            None if to_n > 1 => to_n - 1,
            None => {
                return Err(anyhow!(
                    "only one version of {url} is stored: nothing to compare yet"
                ));
            }
        };
        if from_n == to_n {
            return Err(UsageError(format!("--from and --to are both version {to_n}")).into());
        }
        let load = async |n: u32| {
            store
                .version(target.id, Some(n))
                .await?
                .ok_or_else(|| anyhow!("{url} has no version {n} (see `redline history {url}`)"))
        };
        Ok((load(from_n).await?, load(to_n).await?))
    })?;
    let diff = WordDiff::new(&old.title, &old.text, &new.title, &new.text);
    let meta = metadata_changes(&old.fields(), &new.fields());
    let labels = DiffLabels {
        url: url.to_string(),
        from: format!("version {} ({})", old.number, old.captured_at.rfc3339()),
        to: format!("version {} ({})", new.number, new.captured_at.rfc3339()),
    };
    let mut out = std::io::stdout().lock();
    match format {
        DiffFormat::Word => {
            out.write_all(render_word(&diff, &meta, &labels, stdout_color()).as_bytes())?
        }
        DiffFormat::Unified => {
            out.write_all(render_unified(&old.fields(), &new.fields(), &labels).as_bytes())?
        }
        DiffFormat::Html => out.write_all(render_html(&diff, &meta, &labels).as_bytes())?,
        DiffFormat::Json => {
            let view = DiffView::new(url.as_str(), &old, &new);
            serde_json::to_writer_pretty(&mut out, &view)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
