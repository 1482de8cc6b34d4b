//! `redline export`: parses the period and destination, chooses the
//! targets, and hands them to `export` in the format asked for. A file is
//! written under a temporary name beside the destination and renamed into
//! place only when complete.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};

use super::args::ExportFormat;
use super::{Context, UsageError, block_on};
use crate::export::archive::{Info, WarcWriter};
use crate::export::{self, Selection, Tally, parse_time_bound, table, wacz};
use crate::model::{TargetUrl, Timestamp};

/// What was asked for.
pub(super) struct Request {
    pub format: ExportFormat,
    pub since: Option<String>,
    pub until: Option<String>,
    pub source: Option<TargetUrl>,
    pub tags: Vec<String>,
    pub with_text: bool,
    pub output: Option<PathBuf>,
    pub urls: Vec<TargetUrl>,
}

pub(super) fn run(ctx: &Context, req: Request) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let bound = |s: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
        s.as_deref()
            .map(|s| parse_time_bound(s, now).map_err(|e| UsageError(e).into()))
            .transpose()
    };
    let sel = Selection {
        since: bound(&req.since)?,
        until: bound(&req.until)?,
        source: req.source.clone(),
        tags: req
            .tags
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        urls: req.urls.clone(),
    };
    if let (Some(s), Some(u)) = (sel.since, sel.until)
        && s >= u
    {
        return Err(UsageError("--since must be before --until".into()).into());
    }
    if req.with_text && matches!(req.format, ExportFormat::Warc | ExportFormat::Wacz) {
        return Err(UsageError(
            "--with-text is for jsonl and csv: archives always carry the text (conversion records, pages.jsonl)".into(),
        )
        .into());
    }
    let output = req.output.clone();
    match (req.format, &output) {
        (ExportFormat::Wacz, None) => {
            return Err(UsageError("a WACZ is a ZIP file: give -o PATH.wacz".into()).into());
        }
        (ExportFormat::Warc, None) if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            return Err(UsageError(
                "a WARC is gzipped binary: give -o PATH.warc.gz, or redirect standard output"
                    .into(),
            )
            .into());
        }
        _ => {}
    }
    let info = Info {
        filename: output.as_deref().and_then(Path::file_name).map_or_else(
            || "redline.warc.gz".into(),
            |n| n.to_string_lossy().into_owned(),
        ),
        operator: ctx.config.export.operator.clone(),
        created: now,
    };
    let summary = block_on(async {
        let store = ctx.reports().await?;
        let targets = export::select(&*store, &sel).await?;
        let what = match req.format {
            ExportFormat::Wacz => {
                let path = output.as_deref().unwrap_or(Path::new("export.wacz"));
                let tally = wacz::write(&*store, &targets, &sel, &info, path)
                    .await
                    .with_context(|| format!("writing {}", path.display()))?;
                tally.summary()
            }
            ExportFormat::Warc => {
                let tally = to_output(output.as_deref(), async |out| {
                    let mut warc = WarcWriter::start(out, &info)?;
                    for t in &targets {
                        warc.target(&*store, t, &sel).await?;
                    }
                    let (_, _, tally) = warc.finish()?;
                    Ok::<Tally, export::archive::ExportError>(tally)
                })
                .await?;
                tally.summary()
            }
            ExportFormat::Jsonl | ExportFormat::Csv => {
                let csv = req.format == ExportFormat::Csv;
                let rows = to_output(output.as_deref(), async |mut out| {
                    table::write(&*store, &targets, &sel, csv, req.with_text, &mut out).await
                })
                .await?;
                format!("{rows} versions")
            }
        };
        Ok::<_, anyhow::Error>(what)
    })?;
    // The summary says what was left out; `-q` (errors only) silences it.
    if tracing::enabled!(tracing::Level::WARN) {
        match &output {
            Some(path) => eprintln!("exported {summary} to {}", path.display()),
            None => eprintln!("exported {summary}"),
        }
    }
    Ok(())
}

/// Runs `write` on standard output, or on a file beside `path` that is
/// renamed to `path` once `write` succeeded (and removed if it failed).
async fn to_output<T, E>(
    path: Option<&Path>,
    write: impl AsyncFnOnce(Box<dyn Write>) -> Result<T, E>,
) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let Some(path) = path else {
        let out: Box<dyn Write> = Box::new(BufWriter::new(std::io::stdout().lock()));
        return Ok(write(out).await?);
    };
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file name", path.display()))?;
    let partial = path.with_file_name(format!(
        ".{}.{}.partial",
        name.to_string_lossy(),
        std::process::id()
    ));
    let file = std::fs::File::create(&partial).with_context(|| {
        format!(
            "cannot write {} (it is written as {} first, then renamed)",
            path.display(),
            partial.display()
        )
    })?;
    // A second handle to the same file, to sync it once the writer is done.
    let sync = file.try_clone()?;
    let done: anyhow::Result<T> = async {
        let value = write(Box::new(BufWriter::new(file))).await?;
        sync.sync_all()?;
        std::fs::rename(&partial, path)?;
        Ok(value)
    }
    .await;
    if done.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    done.with_context(|| format!("writing {}", path.display()))
}
