//! `redline serve`: the web pages, feeds and read API over the configured
//! database, read-only, until SIGINT/SIGTERM. `redline run` serves the same
//! pages beside the checker when `[web] listen` is set ([`web_front`]).

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use super::{Context, UsageError, runtime};
use crate::daemon::shutdown_signal;
use crate::web::{Web, require_token};

/// The address `serve` listens on when neither `--listen` nor `[web]
/// listen` says.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

pub(super) fn run(ctx: &Context, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    let addr = listen
        .or(ctx.config.web.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("a valid address"));
    require_token(addr, ctx.config.web.token.is_some()).map_err(|e| UsageError(e.to_string()))?;
    if !ctx.db_path.exists() {
        anyhow::bail!(
            "there is no database at {} to serve (set [storage] database, or run `redline add` first)",
            ctx.db_path.display()
        );
    }
    runtime()?.block_on(async {
        let store = ctx.reports().await?;
        let listener = bind(addr).await?;
        let stop = CancellationToken::new();
        let web = Web::new(
            store,
            ctx.config.scheduler(),
            Some(ctx.db_path.clone()),
            ctx.config.web.token.clone(),
        );
        let server = tokio::spawn(crate::web::serve_on(web, listener, stop.clone()));
        shutdown_signal().await;
        tracing::info!("signal received: the web pages stop");
        stop.cancel();
        server.await.context("the web server task failed")
    })
}

/// Binds the web address, with an error naming it.
pub(super) async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for the web pages ([web] listen)"))?;
    let bound = listener.local_addr().unwrap_or(addr);
    tracing::info!(address = %bound, "web pages on http://{bound}/");
    Ok(listener)
}

/// The web front of `redline run`, when `[web] listen` is set: bound now,
/// so a taken address stops the daemon before it starts checking.
pub(super) async fn web_front(
    ctx: &Context,
    store: std::sync::Arc<dyn crate::store::api::History>,
) -> anyhow::Result<Option<(Web, tokio::net::TcpListener)>> {
    let Some(addr) = ctx.config.web.listen else {
        return Ok(None);
    };
    let listener = bind(addr).await?;
    let web = Web::new(
        store,
        ctx.config.scheduler(),
        Some(ctx.db_path.clone()),
        ctx.config.web.token.clone(),
    );
    Ok(Some((web, listener)))
}
