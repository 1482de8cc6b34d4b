//! `/status` and `/api/v1/status`: what the operator checks first. The
//! figures are computed here, once, for both.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Failure, Web};
use crate::model::{DeliveryState, TargetState, TargetSummary, Timestamp};

/// A check this late is overdue: a daemon that keeps up starts every check
/// within its politeness gaps, well under this.
const OVERDUE_AFTER_MS: i64 = 15 * 60 * 1000;
/// Deliveries counted per state; more shows as "at least".
const OUTBOX_COUNT_CAP: usize = 10_000;
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
    /// Deliveries by state (`pending`, `failed`), counted up to 10,000.
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

/// Figures from the targets alone (pure, for tests).
pub fn target_figures(
    targets: &[TargetSummary],
    now: Timestamp,
) -> (BTreeMap<&'static str, u64>, u64, Vec<HostErrors>) {
    let mut by_state = BTreeMap::new();
    let mut overdue = 0;
    let mut hosts: BTreeMap<&str, HostErrors> = BTreeMap::new();
    for s in targets {
        *by_state.entry(s.target.state.as_str()).or_insert(0) += 1;
        if s.target.state != TargetState::Active {
            continue;
        }
        if s.target.next_check_at.millis() + OVERDUE_AFTER_MS < now.millis() {
            overdue += 1;
        }
        if let Some(e) = &s.last_error {
            let h = hosts.entry(&s.target.host).or_insert_with(|| HostErrors {
                host: s.target.host.clone(),
                targets: 0,
                last_error: e.clone(),
            });
            h.targets += 1;
        }
    }
    let mut errors: Vec<HostErrors> = hosts.into_values().collect();
    errors.sort_by(|a, b| b.targets.cmp(&a.targets).then(a.host.cmp(&b.host)));
    errors.truncate(ERROR_HOSTS);
    (by_state, overdue, errors)
}

/// The status now.
pub async fn status(web: &Web) -> Result<StatusView, Failure> {
    let store = web.store();
    let targets = store.list_targets().await?;
    let (by_state, overdue, errors) = target_figures(&targets, Timestamp::now());
    let mut outbox = BTreeMap::new();
    for state in [DeliveryState::Pending, DeliveryState::Failed] {
        let n = store.deliveries(Some(state), OUTBOX_COUNT_CAP).await?.len();
        outbox.insert(state.as_str(), n as u64);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Target;

    fn summary(url: &str, state: TargetState, next: i64, error: Option<&str>) -> TargetSummary {
        let mut target = Target::plain(url);
        target.state = state;
        target.next_check_at = Timestamp(next);
        TargetSummary {
            target,
            versions: 1,
            last_check: None,
            last_change: None,
            last_error: error.map(str::to_string),
        }
    }

    #[test]
    fn targets_are_counted_by_state_lateness_and_failing_host() {
        let now = Timestamp(100 * 60 * 1000);
        let targets = [
            summary(
                "https://a.example/1",
                TargetState::Active,
                now.millis(),
                None,
            ),
            summary(
                "https://a.example/2",
                TargetState::Active,
                0,
                Some("timed out"),
            ),
            summary(
                "https://a.example/3",
                TargetState::Active,
                now.millis(),
                Some("503"),
            ),
            summary(
                "https://b.example/1",
                TargetState::Active,
                now.millis(),
                Some("404"),
            ),
            summary("https://b.example/2", TargetState::Retired, 0, Some("gone")),
        ];
        let (by_state, overdue, errors) = target_figures(&targets, now);
        assert_eq!(by_state.get("active"), Some(&4));
        assert_eq!(by_state.get("retired"), Some(&1));
        assert_eq!(overdue, 1, "only the active target 100 minutes late");
        assert_eq!(errors.len(), 2);
        assert_eq!(
            (errors[0].host.as_str(), errors[0].targets),
            ("a.example", 2)
        );
        assert_eq!(
            (errors[1].host.as_str(), errors[1].targets),
            ("b.example", 1)
        );
    }
}
