//! `redline check`: one pass over all targets (or the URLs given) now.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::{Context, json_line, runtime};
use crate::check::{CheckReport, Checker};
use crate::model::{CheckStatus, Target, TargetId, TargetSettings, TargetUrl, Timestamp};
use crate::store::Storage;

pub(super) fn run(ctx: &Context, urls: Vec<TargetUrl>, json: bool) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let store = ctx.fetching_storage("check").await?;
        let mut targets = Targets::new(&*store, urls).await?;
        if targets.total == 0 {
            eprintln!(
                "redline: no targets to check (add one with `redline add URL` or in the config)"
            );
            return Ok(());
        }
        let progress =
            ProgressBar::with_draw_target(Some(targets.total), ProgressDrawTarget::stderr());
        progress.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} checked {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        let checker = Arc::new(
            Checker::new(&ctx.config, Arc::clone(&store)).context("setting up the HTTP client")?,
        );
        // Checks in flight at once: enough to keep every request slot busy
        // while others parse or wait for the database, and no more, so
        // memory follows the checks in flight, not the number of targets.
        let in_flight = 2 * ctx.config.fetch.concurrency.max(1) as usize;
        let mut tasks = tokio::task::JoinSet::new();
        let stdout = std::io::stdout();
        loop {
            while tasks.len() < in_flight {
                let Some(target) = targets.next(&*store).await? else {
                    break;
                };
                let checker = Arc::clone(&checker);
                tasks.spawn(async move { checker.check(&target).await });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let report = joined.context("a check task failed")?;
            progress.inc(1);
            progress.suspend(|| -> anyhow::Result<()> {
                let mut out = stdout.lock();
                if json {
                    json_line(&mut out, &report_json(&report))?;
                } else {
                    writeln!(out, "{}", report_line(&report))?;
                }
                out.flush()?;
                Ok(())
            })?;
        }
        progress.finish_and_clear();
        // Deliver the alerts these checks queued (and any due retries) now,
        // so `check` run from cron alerts without a daemon.
        let dispatcher = crate::alert::dispatch::Dispatcher::new(
            Arc::clone(checker.storage()) as Arc<dyn crate::store::Outbox>,
            checker.alerter().webhooks(),
        )
        .context("setting up webhook delivery")?;
        if !dispatcher.is_empty() {
            let stats = dispatcher.dispatch_due().await?;
            if stats != Default::default() {
                eprintln!(
                    "redline: alerts: {} delivered, {} to retry, {} failed (see `redline alerts`)",
                    stats.delivered, stats.retrying, stats.failed
                );
            }
        }
        Ok(())
    })
}

/// The targets of one `check`: every active target, read from the store a
/// page at a time, or the URLs given (added first when not watched), each
/// once.
struct Targets {
    /// How many there are (for the progress bar).
    total: u64,
    /// The targets in hand: the URLs given, or the page last read.
    page: std::vec::IntoIter<Target>,
    /// Walking the store: the last id read, while pages may follow.
    walk: Option<Option<TargetId>>,
}

/// Targets read from the store at once.
const PAGE: usize = 256;

impl Targets {
    async fn new(store: &dyn Storage, urls: Vec<TargetUrl>) -> anyhow::Result<Self> {
        if urls.is_empty() {
            return Ok(Self {
                total: store.backlog(Timestamp::now()).await?.active,
                page: Vec::new().into_iter(),
                walk: Some(None),
            });
        }
        let mut targets: Vec<Target> = Vec::new();
        for url in urls {
            let target = match store.target_by_url(url.clone()).await? {
                Some(t) => t,
                None => {
                    let settings = TargetSettings::new(url.clone());
                    let (t, _) = store.add_target(settings, Timestamp::now()).await?;
                    tracing::info!(url = %url, "added");
                    t
                }
            };
            if !targets.iter().any(|t| t.id == target.id) {
                targets.push(target);
            }
        }
        Ok(Self {
            total: targets.len() as u64,
            page: targets.into_iter(),
            walk: None,
        })
    }

    /// The next target to check, if any.
    async fn next(&mut self, store: &dyn Storage) -> anyhow::Result<Option<Target>> {
        if let Some(t) = self.page.next() {
            return Ok(Some(t));
        }
        let Some(after) = self.walk else {
            return Ok(None);
        };
        let page = store.active_targets_after(after, PAGE).await?;
        self.walk = (page.len() == PAGE).then(|| page.last().map(|t| t.id));
        self.page = page.into_iter();
        Ok(self.page.next())
    }
}

fn report_json(r: &CheckReport) -> serde_json::Value {
    json!({
        "url": r.url.as_str(),
        "status": r.status.as_str(),
        "version": r.version,
        "class": r.class,
        "error": r.error,
    })
}

fn report_line(r: &CheckReport) -> String {
    let version = r
        .version
        .map_or_else(|| "-".to_string(), |v| format!("v{v}"));
    let mut line = format!("{:<9} {:>5}  {}", r.status.as_str(), version, r.url);
    if let Some(name) = &r.name {
        line.push_str(&format!(" ({name})"));
    }
    match r.status {
        CheckStatus::Changed => {
            if let Some(class) = r.class {
                line.push_str(&format!("  {}", class.as_str()));
            }
            if let Some(n) = r.revert_of {
                line.push_str(&format!(" (same as v{n})"));
            }
            if let Some(s) = &r.summary {
                line.push_str(&format!(
                    "  +{} −{} words{}",
                    s.added,
                    s.removed,
                    if s.title_changed {
                        ", headline changed"
                    } else {
                        ""
                    }
                ));
            }
        }
        CheckStatus::Error | CheckStatus::Suspect => {
            if let Some(e) = &r.error {
                line.push_str(&format!("  {e}"));
            }
        }
        _ => {}
    }
    if let Some(reason) = &r.retired {
        line.push_str(&format!("  [retired: {reason}]"));
    }
    line
}
