//! The web front: server-rendered pages, Atom feeds and the read API
//! (`/api/v1/...`) over the record, served by `redline run` when `[web]
//! listen` is set and by `redline serve` on a copy of the database.
//!
//! This module owns the router, the state every handler shares, the safety
//! rules (a token off loopback, security headers, time limits, compression)
//! and the listener. It only reads: every handler goes through
//! [`History`], whose reads run on the store's own read connections, so a
//! page never waits for (or holds up) the checker. Article text is
//! attacker-controlled, so every page is an auto-escaping askama template
//! fed with plain text pieces; nothing builds HTML by hand and marks it
//! safe.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::alert::Secret;
use crate::schedule::Scheduler;
use crate::store::api::History;

mod api;
mod auth;
mod diff_page;
mod failure;
mod feed;
mod openapi;
mod pages;
mod params;
mod search;
mod status;

pub use failure::Failure;

/// The shortest token accepted: 128 bits as hex.
pub const MIN_TOKEN_BYTES: usize = 16;
/// Longest time one request may take before it is answered with 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Items on one page of a list.
const PAGE_SIZE: usize = 50;

/// Why the web front cannot start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A token is required for an address other than loopback.
    #[error(
        "the web pages would listen on {0}, which is not a loopback address: set `[web] token = \"env:NAME\"` (or \"file:PATH\") so that every request must carry it, or listen on 127.0.0.1"
    )]
    TokenRequired(SocketAddr),
}

/// Whether serving on `addr` needs a token: any address other than a
/// loopback one does, because the record (and the operator's choice of
/// articles) is then reachable by others.
pub fn require_token(addr: SocketAddr, has_token: bool) -> Result<(), WebError> {
    if addr.ip().is_loopback() || has_token {
        Ok(())
    } else {
        Err(WebError::TokenRequired(addr))
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct Web {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn History>,
    scheduler: Scheduler,
    started: Instant,
    database: Option<PathBuf>,
    token: Option<Secret>,
}

impl Web {
    /// The web front over `store`. `database` is the file whose size the
    /// status page shows; `token`, when set, is required on every request.
    pub fn new(
        store: Arc<dyn History>,
        scheduler: Scheduler,
        database: Option<PathBuf>,
        token: Option<Secret>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                scheduler,
                started: Instant::now(),
                database,
                token,
            }),
        }
    }

    fn store(&self) -> &dyn History {
        &*self.inner.store
    }

    /// Every route, with the safety layers.
    pub fn router(self) -> Router {
        let guarded = Router::new()
            .merge(pages::routes())
            .merge(feed::routes())
            .merge(api::routes())
            .route_layer(axum::middleware::from_fn_with_state(
                self.clone(),
                auth::guard,
            ));
        Router::new()
            .merge(guarded)
            .merge(auth::routes())
            .route("/robots.txt", get(robots))
            .route("/assets/style.css", get(style))
            .route("/assets/keys.js", get(script))
            .fallback(pages::not_found)
            .with_state(self)
            .layer(tower_http::compression::CompressionLayer::new())
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                REQUEST_TIMEOUT,
            ))
            .layer(header_layer(
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ))
            .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
            .layer(header_layer(
                HeaderName::from_static("x-robots-tag"),
                "noindex, nofollow",
            ))
            .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
    }
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn robots() -> ([(HeaderName, &'static str); 1], &'static str) {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "User-agent: *\nDisallow: /\n",
    )
}

async fn style() -> ([(HeaderName, &'static str); 2], &'static str) {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/style.css"),
    )
}

async fn script() -> ([(HeaderName, &'static str); 2], &'static str) {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/keys.js"),
    )
}

/// Serves `web` on an already bound listener until `stop`, then lets
/// requests in flight finish (for a few seconds).
///
/// The accept loop is our own rather than `axum::serve`, for two limits a
/// server open to others needs: at most [`MAX_CONNECTIONS`] connections at
/// once (more wait in the kernel's backlog), and a deadline for a request's
/// headers, idle keep-alive included, so a slow or silent client holds its
/// connection for seconds, not forever.
pub async fn serve_on(web: Web, listener: tokio::net::TcpListener, stop: CancellationToken) {
    serve_with(web.router(), listener, stop, HEADER_DEADLINE).await
}

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 256;
/// Longest wait for a request's headers (and between requests on a
/// kept-alive connection).
const HEADER_DEADLINE: Duration = Duration::from_secs(10);
/// Time given to requests in flight at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// [`serve_on`] with any router and header deadline (tests shorten it).
pub async fn serve_with(
    app: Router,
    listener: tokio::net::TcpListener,
    stop: CancellationToken,
    header_deadline: Duration,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let tasks = tokio_util::task::TaskTracker::new();
    loop {
        let permit = tokio::select! {
            _ = stop.cancelled() => break,
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors and the like: pause, never spin.
                    tracing::warn!(error = %e, "the web listener could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let stop = stop.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_deadline);
            let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "a web connection ended with an error");
                    }
                }
                _ = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
                }
            }
        });
    }
    drop(listener);
    tasks.close();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, tasks.wait()).await;
}
