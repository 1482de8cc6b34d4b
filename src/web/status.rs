//! `/status` and `/api/v1/status`: what the operator checks first. The
//! figures are computed here, once, for both.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Failure, Web};
use crate::model::Timestamp;

/// A check this late is overdue: a daemon that keeps up starts every check
/// within its politeness gaps, well under this.
const OVERDUE_AFTER_MS: i64 = 15 * 60 * 1000;
/// Hosts listed with errors.
const ERROR_HOSTS: usize = 20;

/// The status figures.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    /// Redline's version.
    pub version: &'static str,
    /// Seconds since this web front started.
    pub uptime_seconds: u64,
    /// Targets by state.
    pub targets: BTreeMap<&'static str, u64>,
    /// Active targets whose check is more than 15 minutes late.
    pub overdue: u64,
    /// Hosts whose targets' last check failed, most failing first.
    pub errors_by_host: Vec<HostErrors>,
    /// Deliveries by state (`pending`, `delivered`, `failed`).
    pub outbox: BTreeMap<&'static str, u64>,
    /// Bytes of the database file with its write-ahead log, when known.
    pub database_bytes: Option<u64>,
}

/// One host with failing targets.
#[derive(Debug, Clone, Serialize)]
pub struct HostErrors {
    pub host: String,
    /// Its targets whose last check failed.
    pub targets: u64,
    /// One of their errors.
    pub last_error: String,
}

/// The status now.
pub async fn status(web: &Web) -> Result<StatusView, Failure> {
    let store = web.store();
    let now = Timestamp::now();
    let counts = store
        .target_status(Timestamp(now.millis() - OVERDUE_AFTER_MS), ERROR_HOSTS)
        .await?;
    let by_state = counts
        .by_state
        .iter()
        .map(|(state, n)| (state.as_str(), *n))
        .collect();
    let errors = counts
        .failing_hosts
        .into_iter()
        .map(|(host, targets, last_error)| HostErrors {
            host,
            targets,
            last_error,
        })
        .collect();
    let overdue = counts.overdue;
    let outbox = store
        .delivery_counts()
        .await?
        .into_iter()
        .map(|(state, n)| (state.as_str(), n))
        .collect();
    let database_bytes = web.inner.database.as_ref().and_then(|path| {
        let main = std::fs::metadata(path).ok()?.len();
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        Some(main + std::fs::metadata(wal).map_or(0, |m| m.len()))
    });
    Ok(StatusView {
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: web.inner.started.elapsed().as_secs(),
        targets: by_state,
        overdue,
        errors_by_host: errors,
        outbox,
        database_bytes,
    })
}
