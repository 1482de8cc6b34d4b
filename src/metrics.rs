//! The operational surface of `redline run`: counters kept by checks and
//! the scheduler, the periodic summary line, and the optional Prometheus
//! endpoint (`[metrics] listen`) with `/metrics` and `/healthz`.
//!
//! The endpoint is a deliberately small HTTP/1.1 responder on a tokio
//! listener: two fixed paths, GET only, one response per connection. It
//! needs no web framework, and a slow or hostile client can hold only its
//! own connection, for at most a few seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::model::{CheckStatus, Timestamp};

/// A scheduler that has not looked at the schedule for this long is
/// reported unhealthy.
const STALL: Duration = Duration::from_secs(120);

/// Counters and gauges, shared by every task.
#[derive(Debug, Default)]
pub struct Metrics {
    by_status: [AtomicU64; 5],
    not_modified: AtomicU64,
    identical: AtomicU64,
    robots_blocked: AtomicU64,
    private_refused: AtomicU64,
    gone: AtomicU64,
    retired: AtomicU64,
    bytes: AtomicU64,
    polls: AtomicU64,
    poll_errors: AtomicU64,
    discovered: AtomicU64,
    in_flight: AtomicI64,
    due: AtomicU64,
    active: AtomicU64,
    lag_ms: AtomicU64,
    last_tick_ms: AtomicI64,
}

const STATUSES: [CheckStatus; 5] = [
    CheckStatus::New,
    CheckStatus::Unchanged,
    CheckStatus::Changed,
    CheckStatus::Suspect,
    CheckStatus::Error,
];

fn index(status: CheckStatus) -> usize {
    STATUSES.iter().position(|s| *s == status).unwrap_or(4)
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Checks finished, all outcomes.
    pub checks: u64,
    /// Checks that failed.
    pub errors: u64,
    /// Checks that stored a new version (first or changed).
    pub versions: u64,
    /// `304 Not Modified` answers.
    pub not_modified: u64,
    /// Pages byte-identical to the last one.
    pub identical: u64,
    /// Source polls finished, failed ones included.
    pub polls: u64,
    /// Targets created by discovery.
    pub discovered: u64,
}

impl Metrics {
    /// Counts a source poll: whether it failed, and targets it created.
    pub fn polled(&self, failed: bool, created: usize) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.poll_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.discovered.fetch_add(created as u64, Ordering::Relaxed);
    }

    /// Counts a finished check.
    pub fn checked(&self, status: CheckStatus) {
        self.by_status[index(status)].fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a `304`.
    pub fn not_modified(&self) {
        self.not_modified.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a byte-identical page.
    pub fn identical(&self) {
        self.identical.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a robots.txt refusal.
    pub fn robots_blocked(&self) {
        self.robots_blocked.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a discovered target refused for its private address.
    pub fn private_refused(&self) {
        self.private_refused.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a page found gone.
    pub fn gone(&self) {
        self.gone.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a retirement.
    pub fn retired(&self) {
        self.retired.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts page bytes fetched.
    pub fn fetched(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    /// Checks in flight go up or down by one.
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }
    /// The scheduler's view of the backlog, and that it is alive.
    pub fn schedule(&self, due: u64, active: u64, lag: Duration, now: Timestamp) {
        self.due.store(due, Ordering::Relaxed);
        self.active.store(active, Ordering::Relaxed);
        self.lag_ms.store(
            lag.as_millis().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
        self.last_tick_ms.store(now.millis(), Ordering::Relaxed);
    }
    /// Checks due now, as last seen.
    pub fn due(&self) -> u64 {
        self.due.load(Ordering::Relaxed)
    }
    /// How late the most overdue target is, as last seen.
    pub fn lag(&self) -> Duration {
        Duration::from_millis(self.lag_ms.load(Ordering::Relaxed))
    }
    /// Checks in flight.
    pub fn running(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        let n = |s: CheckStatus| self.by_status[index(s)].load(Ordering::Relaxed);
        Snapshot {
            checks: STATUSES.iter().map(|s| n(*s)).sum(),
            errors: n(CheckStatus::Error),
            versions: n(CheckStatus::New) + n(CheckStatus::Changed),
            not_modified: self.not_modified.load(Ordering::Relaxed),
            identical: self.identical.load(Ordering::Relaxed),
            polls: self.polls.load(Ordering::Relaxed),
            discovered: self.discovered.load(Ordering::Relaxed),
        }
    }

    /// Whether the scheduler looked at the schedule recently.
    pub fn healthy(&self, now: Timestamp) -> bool {
        let last = self.last_tick_ms.load(Ordering::Relaxed);
        last > 0 && now.millis() - last < STALL.as_millis() as i64
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, u64)>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in lines {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        metric(
            "redline_checks_total",
            "counter",
            "Checks finished, by outcome.",
            STATUSES
                .iter()
                .map(|s| {
                    (
                        format!("{{status=\"{}\"}}", s.as_str()),
                        self.by_status[index(*s)].load(Ordering::Relaxed),
                    )
                })
                .collect(),
        );
        let one = |v: &AtomicU64| vec![(String::new(), v.load(Ordering::Relaxed))];
        metric(
            "redline_not_modified_total",
            "counter",
            "Checks answered 304 Not Modified (no body, no parsing).",
            one(&self.not_modified),
        );
        metric(
            "redline_identical_pages_total",
            "counter",
            "Pages byte-identical to the last one (no parsing).",
            one(&self.identical),
        );
        metric(
            "redline_robots_blocked_total",
            "counter",
            "Checks not made because robots.txt disallows them.",
            one(&self.robots_blocked),
        );
        metric(
            "redline_private_refused_total",
            "counter",
            "Checks of discovered targets refused because they lead to a private or local address.",
            one(&self.private_refused),
        );
        metric(
            "redline_gone_total",
            "counter",
            "Pages found gone (410, or 404 repeatedly).",
            one(&self.gone),
        );
        metric(
            "redline_source_polls_total",
            "counter",
            "Source polls (feeds, sitemaps, pages) finished, failed ones included.",
            one(&self.polls),
        );
        metric(
            "redline_source_poll_errors_total",
            "counter",
            "Source polls that failed.",
            one(&self.poll_errors),
        );
        metric(
            "redline_discovered_targets_total",
            "counter",
            "Targets created from sources.",
            one(&self.discovered),
        );
        metric(
            "redline_retired_total",
            "counter",
            "Targets retired (gone, or past the age schedule).",
            one(&self.retired),
        );
        metric(
            "redline_fetched_bytes_total",
            "counter",
            "Page bytes fetched.",
            one(&self.bytes),
        );
        metric(
            "redline_checks_in_flight",
            "gauge",
            "Checks running now.",
            vec![(String::new(), self.running().max(0) as u64)],
        );
        metric(
            "redline_targets_due",
            "gauge",
            "Active targets due now (queue depth).",
            one(&self.due),
        );
        metric(
            "redline_targets_active",
            "gauge",
            "Active targets.",
            one(&self.active),
        );
        metric(
            "redline_schedule_lag_seconds",
            "gauge",
            "How late the most overdue target is.",
            vec![(String::new(), self.lag().as_secs())],
        );
        out
    }
}

/// Serves `/metrics` and `/healthz` until `cancel` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => return,
            a = listener.accept() => a,
        };
        let Ok((mut stream, _)) = accepted else {
            continue;
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let answer = async {
                let mut buf = vec![0u8; 2048];
                let mut len = 0;
                while len < buf.len() {
                    let n = stream.read(&mut buf[len..]).await?;
                    if n == 0 {
                        break;
                    }
                    len += n;
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let request = String::from_utf8_lossy(&buf[..len]);
                let mut parts = request.split_whitespace();
                let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let (status, body, ctype) = match (method, path) {
                    ("GET", "/metrics") => (
                        "200 OK",
                        metrics.render(),
                        "text/plain; version=0.0.4; charset=utf-8",
                    ),
                    ("GET", "/healthz") if metrics.healthy(Timestamp::now()) => {
                        ("200 OK", "ok\n".to_string(), "text/plain")
                    }
                    ("GET", "/healthz") => (
                        "503 Service Unavailable",
                        "the scheduler has stalled\n".to_string(),
                        "text/plain",
                    ),
                    ("GET", _) => ("404 Not Found", "not found\n".to_string(), "text/plain"),
                    _ => (
                        "405 Method Not Allowed",
                        "GET only\n".to_string(),
                        "text/plain",
                    ),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(body.as_bytes()).await?;
                stream.shutdown().await
            };
            let _ = tokio::time::timeout(Duration::from_secs(5), answer).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_lists_counters_in_prometheus_text() {
        let m = Metrics::default();
        m.checked(CheckStatus::Unchanged);
        m.checked(CheckStatus::Unchanged);
        m.checked(CheckStatus::Error);
        m.not_modified();
        m.polled(false, 3);
        m.polled(true, 0);
        m.schedule(7, 100, Duration::from_secs(42), Timestamp(1_000));
        let text = m.render();
        assert!(
            text.contains("redline_checks_total{status=\"unchanged\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("redline_checks_total{status=\"error\"} 1\n"));
        assert!(text.contains("# TYPE redline_targets_due gauge\nredline_targets_due 7\n"));
        assert!(text.contains("redline_schedule_lag_seconds 42\n"));
        assert!(text.contains("redline_source_polls_total 2\n"));
        assert!(text.contains("redline_source_poll_errors_total 1\n"));
        assert!(text.contains("redline_discovered_targets_total 3\n"));
        let s = m.snapshot();
        assert_eq!((s.checks, s.errors, s.not_modified), (3, 1, 1));
        assert_eq!((s.polls, s.discovered), (2, 3));
        assert!(m.healthy(Timestamp(2_000)));
        assert!(!m.healthy(Timestamp(1_000 + 121_000)));
    }
}
