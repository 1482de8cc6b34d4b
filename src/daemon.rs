//! The daemon behind `redline run`: a supervisor that owns every task, a
//! scheduler loop that claims due targets and starts their checks, and an
//! orderly shutdown.
//!
//! The alert dispatcher runs beside the scheduler as a second task.
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
use crate::schedule::lease;
use crate::store::StoreError;
use crate::types::Timestamp;

/// Longest pause between looks at the schedule, so targets added by another
/// process (`redline add`) are picked up without a restart.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// Extra time allowed at shutdown beyond the fetch timeout.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after the database fails, before trying again.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// Settings of the scheduler loop.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// Checks in flight at once.
    pub concurrency: usize,
    /// The fetch timeout, which bounds a check and the shutdown wait.
    pub fetch_timeout: Duration,
}

/// Runs the scheduler until `cancel` fires, then waits for checks in flight.
pub async fn run(
    checker: Arc<Checker>,
    options: DaemonOptions,
    cancel: CancellationToken,
) -> Result<(), StoreError> {
    let tracker = TaskTracker::new();
    let finished = Arc::new(Notify::new());
    let slots = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let lease = lease(options.fetch_timeout);
    tracing::info!(concurrency = options.concurrency, "scheduler started");
    // The alert outbox is drained by its own task, so a slow receiver never
    // holds up checks.
    match crate::alert::dispatch::Dispatcher::new(
        checker.store().clone(),
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

    while !cancel.is_cancelled() {
        let free = slots.available_permits();
        let now = Timestamp::now();
        let claimed = checker
            .store()
            .call(move |s| s.claim_due_targets(now, free, now.plus(lease)))
            .await;
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
        for target in claimed {
            let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                break;
            };
            let checker = Arc::clone(&checker);
            let finished = Arc::clone(&finished);
            tracker.spawn(async move {
                let report = checker.check(&target).await;
                tracing::debug!(url = %report.url, status = report.status.as_str(), "check done");
                drop(permit);
                finished.notify_one();
            });
        }
        let wait = match checker.store().call(|s| s.next_due_at()).await {
            Ok(Some(next)) => Timestamp::now().until(next).min(MAX_IDLE),
            Ok(None) => MAX_IDLE,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the schedule; retrying");
                STORE_RETRY
            }
        };
        // With no free slot, only a finished check can make progress.
        let wait = if slots.available_permits() == 0 {
            MAX_IDLE
        } else {
            wait
        };
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = finished.notified() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(20))) => {}
        }
    }

    tracker.close();
    let in_flight = tracker.len();
    if in_flight > 0 {
        tracing::info!(in_flight, "shutting down: waiting for checks in flight");
    }
    let bound = options.fetch_timeout + SHUTDOWN_GRACE;
    tokio::select! {
        _ = tracker.wait() => tracing::info!("all checks finished; stopped"),
        _ = tokio::time::sleep(bound) => tracing::warn!(
            remaining = tracker.len(),
            "checks still running after {}s; stopping without them (nothing half-written)",
            bound.as_secs()
        ),
        _ = second_signal() => tracing::warn!("second signal: stopping now (nothing half-written)"),
    }
    Ok(())
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
