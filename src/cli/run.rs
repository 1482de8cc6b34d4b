//! `redline run`: the daemon on the configured database until SIGINT/SIGTERM.

use std::sync::Arc;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use super::{Context, runtime};
use crate::check::Checker;
use crate::daemon::{self, DaemonOptions, shutdown_signal};

pub(super) fn run(ctx: &Context) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let store = ctx.fetching_storage("run").await?;
        // The web front binds before checking starts, so a taken address
        // is reported at once.
        let web = super::serve::web_front(ctx, store.clone()).await?;
        // Counted, not read: a large database's targets never sit in memory.
        let active = store.backlog(crate::model::Timestamp::now()).await?.active;
        tracing::info!(
            database = %ctx.db_path.display(),
            targets = active,
            "redline running; stop with Ctrl-C or SIGTERM"
        );
        let checker =
            Arc::new(Checker::new(&ctx.config, store).context("setting up the HTTP client")?);
        let cancel = CancellationToken::new();
        let watcher = {
            let cancel = cancel.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                tracing::info!("signal received: finishing checks in flight");
                cancel.cancel();
            })
        };
        let metrics = match ctx.config.metrics.listen {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} ([metrics] listen)"))?,
            ),
            None => None,
        };
        let web = web.map(|(web, listener)| {
            tokio::spawn(crate::web::serve_on(web, listener, cancel.clone()))
        });
        let options = DaemonOptions {
            // Fetching and processing overlap: twice the request cap keeps
            // the network busy while pages are parsed.
            checks_in_flight: ctx.config.fetch.concurrency as usize * 2,
            fetch_timeout: ctx.config.fetch.timeout,
            summary_every: std::time::Duration::from_secs(60),
            metrics,
        };
        let result = daemon::run(checker, options, cancel.clone()).await;
        cancel.cancel();
        if let Some(web) = web {
            // Pages in flight finish; the listener closes.
            let _ = web.await;
        }
        watcher.abort();
        result.context("the scheduler stopped")
    })
}
