//! The daemon behind `redline run`: a supervisor that owns every task, a
//! scheduler loop that claims due targets and starts their checks, and an
//! orderly shutdown.
//!
//! Beside the scheduler run the discovery loop (sources polled for new
//! articles, see [`crate::discover`]), the alert dispatcher, a summary line every
//! minute (checks per minute, errors, queue depth, lag behind schedule) and,
//! when `[metrics] listen` is set, the Prometheus endpoint.
//!
//! The schedule lives in the database, not in memory: each turn the loop
//! claims the most overdue targets whose hosts can take a request now (per
//! host concurrency and gap, see [`crate::polite`]), and leaves the others
//! where they are. Memory is bounded by the checks in flight, whatever the
//! number of targets.
//!
//! SIGINT or SIGTERM cancels one [`CancellationToken`]. The scheduler stops
//! claiming work, the supervisor waits (up to a bound) for checks in flight
//! to finish and commit, and `run` returns. Each check's writes are a single
//! transaction, so even a check cut off at the bound leaves no half-written
//! rows; its target is simply due again after its lease. A second signal
//! stops waiting at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::check::Checker;
use crate::discover::Discoverer;
use crate::model::{Target, Timestamp};
use crate::polite::HostPermit;
use crate::schedule::lease;
use crate::store::{ClaimRequest, DueRequest, Outbox, Sources, StoreError};

/// Longest pause between looks at the schedule, so targets added by another
/// process (`redline add`) are picked up without a restart.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// Extra time allowed at shutdown beyond the fetch timeout.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after the database fails, before trying again.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// How often the queue depth and lag are measured.
const BACKLOG_EVERY: Duration = Duration::from_secs(5);

/// Settings of the scheduler loop.
#[derive(Debug)]
pub struct DaemonOptions {
    /// Checks in flight at once (fetching or processing).
    pub checks_in_flight: usize,
    /// The fetch timeout, which bounds a check and the shutdown wait.
    pub fetch_timeout: Duration,
    /// How often the summary line is logged.
    pub summary_every: Duration,
    /// Where to serve `/metrics` and `/healthz`, already bound.
    pub metrics: Option<tokio::net::TcpListener>,
}

/// Runs the scheduler until `cancel` fires, then waits for checks in flight.
pub async fn run(
    checker: Arc<Checker>,
    options: DaemonOptions,
    cancel: CancellationToken,
) -> Result<(), StoreError> {
    let tracker = TaskTracker::new();
    let finished = Arc::new(Notify::new());
    let slots = Arc::new(tokio::sync::Semaphore::new(options.checks_in_flight.max(1)));
    let lease = lease(options.fetch_timeout);
    let claim_batch = (options.checks_in_flight / 8).clamp(1, 8);
    tracing::info!(
        checks_in_flight = options.checks_in_flight,
        "scheduler started"
    );
    // The alert outbox is drained by its own task, so a slow receiver never
    // holds up checks.
    match crate::alert::dispatch::Dispatcher::new(
        Arc::clone(checker.storage()) as Arc<dyn Outbox>,
        checker.alerter().webhooks(),
    ) {
        Ok(dispatcher) if !dispatcher.is_empty() => {
            let cancel = cancel.clone();
            tracker.spawn(async move { dispatcher.run(cancel).await });
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, "cannot set up webhook delivery; alerts stay in the outbox")
        }
    }
    // Sources are polled by their own loop; the targets they create wake
    // the scheduler.
    let discoverer = Arc::new(discoverer_for(&checker, Arc::clone(&finished)));
    tracker.spawn(crate::discover::run(
        discoverer,
        cancel.clone(),
        options.fetch_timeout,
    ));
    if let Some(listener) = options.metrics {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "serving /metrics and /healthz");
        }
        tracker.spawn(crate::metrics::serve(
            listener,
            Arc::clone(checker.metrics()),
            cancel.clone(),
        ));
    }
    tracker.spawn(summary(
        Arc::clone(&checker),
        options.summary_every,
        cancel.clone(),
    ));

    let mut backlog_at = tokio::time::Instant::now() - BACKLOG_EVERY;
    while !cancel.is_cancelled() {
        let now = checker.now();
        if backlog_at.elapsed() >= BACKLOG_EVERY {
            backlog_at = tokio::time::Instant::now();
            if let Ok(b) = checker.storage().backlog(now).await {
                let lag = b.oldest_due.map_or(Duration::ZERO, |t| t.until(now));
                checker.metrics().schedule(b.due, b.active, lag, now);
            }
        }
        let free = slots
            .available_permits()
            .min(checker.politeness().free_slots());
        // Claim in batches: under load, wait until a few slots are free
        // rather than paying a claim for every finished check.
        let running = checker.metrics().running();
        if running > 0 && free < claim_batch {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = finished.notified() => continue,
                _ = tokio::time::sleep(Duration::from_millis(200)) => continue,
            }
        }
        let (busy, opens) = checker.politeness().busy_hosts().await;
        let claimed = claim(&checker, now, free, now.plus(lease), busy).await;
        let claimed = match claimed {
            Ok(c) => c,
            Err(e) => {
                // A locked or full database must not kill the daemon: log,
                // wait, try again. Checks already running still finish.
                tracing::error!(error = %e, "cannot read the schedule; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(STORE_RETRY) => continue,
                }
            }
        };
        let started = claimed.len();
        for (target, permit) in claimed {
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                break;
            };
            let checker = Arc::clone(&checker);
            let finished = Arc::clone(&finished);
            checker.metrics().in_flight(1);
            tracker.spawn(async move {
                let report = checker.check_leased(&target, permit).await;
                tracing::debug!(url = %report.url, status = report.status.as_str(), "check done");
                checker.metrics().in_flight(-1);
                drop(slot);
                finished.notify_one();
            });
        }
        let free_now = slots
            .available_permits()
            .min(checker.politeness().free_slots());
        if started > 0 && free_now > 0 {
            // More may be startable at once (other hosts).
            tokio::task::yield_now().await;
            continue;
        }
        let now = checker.now();
        let wait = match checker.storage().next_due_at().await {
            // Due already, but its host is paced or full: wait for the host
            // to open, or for a check to finish.
            Ok(Some(next)) if next <= now => opens
                .map_or(MAX_IDLE, |o| {
                    o.saturating_duration_since(tokio::time::Instant::now())
                })
                .min(MAX_IDLE),
            Ok(Some(next)) => now.until(next).min(MAX_IDLE),
            Ok(None) => MAX_IDLE,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the schedule; retrying");
                STORE_RETRY
            }
        };
        // With no free slot, only a finished check can make progress.
        let wait = if free_now == 0 { MAX_IDLE } else { wait };
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = finished.notified() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(5))) => {}
        }
    }

    tracker.close();
    let in_flight = checker.metrics().running();
    if in_flight > 0 {
        tracing::info!(in_flight, "shutting down: waiting for checks in flight");
    }
    let bound = options.fetch_timeout + SHUTDOWN_GRACE;
    tokio::select! {
        _ = tracker.wait() => tracing::info!("all checks finished; stopped"),
        _ = tokio::time::sleep(bound) => tracing::warn!(
            remaining = checker.metrics().running(),
            "checks still running after {}s; stopping without them (nothing half-written)",
            bound.as_secs()
        ),
        _ = second_signal() => tracing::warn!("second signal: stopping now (nothing half-written)"),
    }
    Ok(())
}

/// Logs one summary line per period: checks per minute, errors, new
/// versions, conditional-request savings, queue depth and lag.
/// Claims up to `free` due targets whose hosts let a request start now:
/// reads the candidates, takes a request slot on each one's host, and
/// leases those still due as read (another daemon sharing the store may
/// have taken some); slots of targets not claimed are given back.
async fn claim(
    checker: &Checker,
    now: Timestamp,
    free: usize,
    lease_until: Timestamp,
    busy: Vec<String>,
) -> Result<Vec<(Target, HostPermit)>, StoreError> {
    if free == 0 {
        return Ok(Vec::new());
    }
    let storage = checker.storage();
    let candidates = storage
        .due_candidates(DueRequest {
            now,
            limit: free,
            skip_hosts: busy,
        })
        .await?;
    let mut picked = Vec::new();
    for target in candidates {
        if picked.len() >= free {
            break;
        }
        if let Ok(permit) = checker.politeness().try_start(&target.host).await {
            picked.push((target, permit));
        }
    }
    if picked.is_empty() {
        return Ok(picked);
    }
    let claimed = storage
        .claim(ClaimRequest {
            targets: picked
                .iter()
                .map(|(t, _)| (t.id, t.next_check_at))
                .collect(),
            lease_until,
        })
        .await?;
    Ok(picked
        .into_iter()
        .filter(|(t, _)| claimed.contains(&t.id))
        .map(|(mut t, permit)| {
            t.next_check_at = lease_until;
            (t, permit)
        })
        .collect())
}

/// A discoverer sharing a checker's polite client, store, schedule, clock
/// and counters; `created` is notified whenever a poll creates targets.
pub fn discoverer_for(checker: &Checker, created: Arc<Notify>) -> Discoverer {
    Discoverer::new(
        Arc::clone(checker.client()),
        Arc::clone(checker.storage()) as Arc<dyn Sources>,
        checker.scheduler().clone(),
        checker.clock(),
        Arc::clone(checker.metrics()),
        created,
    )
}

async fn summary(checker: Arc<Checker>, every: Duration, cancel: CancellationToken) {
    let every = every.max(Duration::from_secs(1));
    let mut last = checker.metrics().snapshot();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let m = checker.metrics();
        let now = m.snapshot();
        let per_min = (now.checks - last.checks) as f64 * 60.0 / every.as_secs_f64();
        tracing::info!(
            checks_per_min = format!("{per_min:.1}"),
            checks = now.checks - last.checks,
            errors = now.errors - last.errors,
            versions = now.versions - last.versions,
            not_modified = now.not_modified - last.not_modified,
            identical = now.identical - last.identical,
            source_polls = now.polls - last.polls,
            discovered = now.discovered - last.discovered,
            in_flight = m.running(),
            queue = m.due(),
            lag_s = m.lag().as_secs(),
            "summary"
        );
        last = now;
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the daemon");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn second_signal() {
    shutdown_signal().await;
}
