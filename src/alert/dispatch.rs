//! The outbox dispatcher: sends due webhook deliveries, records each
//! outcome, and schedules retries.
//!
//! For each sink and target only the oldest pending delivery is due, so a
//! receiver sees a target's events in order even across retries. A 2xx marks
//! a delivery delivered; a 410 switches its sink off (logged as an error;
//! `redline alerts retry` switches it back on); anything else — another
//! status, a timeout, a refused connection — is retried after a delay that
//! starts at the sink's `retry_min`, doubles per attempt up to `retry_max`,
//! with jitter, until the delivery is older than `max_age`, when it is marked
//! failed. All of that state is in the database, so it survives restarts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::webhook::{self, Attempt};
use crate::alert::WebhookSpec;
use crate::model::{Delivery, Timestamp};
use crate::store::{Outbox, StoreError};

/// Deliveries sent at once in one pass.
const BATCH: usize = 64;
/// Longest pause between looks at the outbox.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DispatchStats {
    /// Received by their sinks.
    pub delivered: usize,
    /// To be tried again.
    pub retrying: usize,
    /// Given up on.
    pub failed: usize,
}

/// Sends webhook deliveries from the outbox.
#[derive(Clone)]
pub struct Dispatcher {
    store: Arc<dyn Outbox>,
    sinks: HashMap<String, (Arc<WebhookSpec>, reqwest::Client)>,
}

/// The delay before retry number `attempts` (1-based), with ±20% jitter
/// derived from the delivery so retries of many deliveries spread out.
pub fn retry_delay(spec: &WebhookSpec, attempts: u32, seq: i64) -> Duration {
    let base = spec
        .retry_min
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(20))
        .min(spec.retry_max);
    let spread =
        (seq as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(attempts).rotate_left(29);
    let factor = 0.8 + (spread % 401) as f64 / 1000.0;
    base.mul_f64(factor)
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("sinks", &self.sinks.len())
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher for the configured webhook sinks.
    pub fn new(store: Arc<dyn Outbox>, sinks: &[Arc<WebhookSpec>]) -> Result<Self, reqwest::Error> {
        let mut map = HashMap::new();
        for s in sinks {
            map.insert(s.name.clone(), (Arc::clone(s), webhook::client(s)?));
        }
        Ok(Self { store, sinks: map })
    }

    /// Whether there is any webhook sink.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// One pass: sends every due delivery once, concurrently across sinks
    /// and targets, and records the outcomes.
    pub async fn dispatch_due(&self) -> Result<DispatchStats, StoreError> {
        let mut stats = DispatchStats::default();
        loop {
            let now = Timestamp::now();
            let due = self.store.due_deliveries(now, BATCH).await?;
            if due.is_empty() {
                return Ok(stats);
            }
            let mut tasks = tokio::task::JoinSet::new();
            for d in due {
                let sink = self.sinks.get(&d.sink).cloned();
                tasks.spawn(async move {
                    let outcome = match &sink {
                        Some((spec, client)) => {
                            webhook::attempt(client, spec, &d.id, &d.payload).await
                        }
                        None => {
                            Attempt::Retry(format!("sink `{}` is no longer in the config", d.sink))
                        }
                    };
                    (d, sink.map(|s| s.0), outcome)
                });
            }
            let mut progressed = false;
            while let Some(joined) = tasks.join_next().await {
                let Ok((d, spec, outcome)) = joined else {
                    continue;
                };
                progressed |= self
                    .record(&d, spec.as_deref(), outcome, &mut stats)
                    .await?;
            }
            // Each pass sends the oldest delivery per sink and target; go on
            // while that frees the next one, stop when only retries remain.
            if !progressed {
                return Ok(stats);
            }
        }
    }

    /// Records an attempt; returns whether a delivery left the queue.
    async fn record(
        &self,
        d: &Delivery,
        spec: Option<&WebhookSpec>,
        outcome: Attempt,
        stats: &mut DispatchStats,
    ) -> Result<bool, StoreError> {
        let now = Timestamp::now();
        let seq = d.seq;
        match (outcome, spec) {
            (Attempt::Delivered, _) => {
                tracing::debug!(id = %d.id, sink = %d.sink, event = %d.event, url = %d.url, "alert delivered");
                self.store.mark_delivered(seq, now).await?;
                stats.delivered += 1;
                Ok(true)
            }
            (Attempt::Gone, _) => {
                let sink = d.sink.clone();
                tracing::error!(
                    sink = %d.sink,
                    "webhook receiver answered 410 Gone: sink disabled; its alerts wait in the outbox (`redline alerts retry` re-enables it)"
                );
                self.store
                    .disable_sink(
                        seq,
                        sink,
                        "the receiver answered HTTP 410 Gone: sink disabled".into(),
                        "the receiver answered HTTP 410 Gone".into(),
                        now,
                    )
                    .await?;
                stats.retrying += 1;
                Ok(false)
            }
            (Attempt::Retry(error), spec) => {
                let attempts = d.attempts + 1;
                let expired = spec.is_none_or(|s| d.created_at.until(now) > s.max_age);
                let retry_at = match (expired, spec) {
                    (false, Some(s)) => Some(now.plus(retry_delay(s, attempts, seq))),
                    _ => None,
                };
                if retry_at.is_some() {
                    tracing::warn!(id = %d.id, sink = %d.sink, attempts, error = %error, "alert not delivered; will retry");
                    stats.retrying += 1;
                } else {
                    tracing::error!(id = %d.id, sink = %d.sink, attempts, error = %error, "alert given up after max_age: marked failed");
                    stats.failed += 1;
                }
                let failed = retry_at.is_none();
                self.store.mark_attempt_failed(seq, retry_at, error).await?;
                Ok(failed)
            }
        }
    }

    /// Sends deliveries until `cancel` fires, then finishes the pass in
    /// flight. Database errors are logged and retried; they never end it.
    pub async fn run(&self, cancel: CancellationToken) {
        while !cancel.is_cancelled() {
            if let Err(e) = self.dispatch_due().await {
                tracing::error!(error = %e, "cannot read the alert outbox; retrying");
            }
            let wait = match self.store.next_delivery_at().await {
                Ok(Some(next)) => Timestamp::now().until(next).min(MAX_IDLE),
                _ => MAX_IDLE,
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait.max(Duration::from_millis(20))) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertFilter, PayloadFormat};

    fn spec() -> WebhookSpec {
        WebhookSpec {
            name: "s".into(),
            url: url::Url::parse("http://127.0.0.1:9/").unwrap(),
            key: vec![1, 2, 3],
            headers: Vec::new(),
            timeout: Duration::from_secs(1),
            format: PayloadFormat::Json,
            filter: AlertFilter::default(),
            retry_min: Duration::from_secs(5),
            retry_max: Duration::from_secs(3600),
            max_age: Duration::from_secs(86_400),
        }
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_cap() {
        let s = spec();
        let first = retry_delay(&s, 1, 7);
        assert!(
            first >= Duration::from_secs(4) && first <= Duration::from_secs(6),
            "{first:?}"
        );
        let third = retry_delay(&s, 3, 7);
        assert!(
            third >= Duration::from_secs(16) && third <= Duration::from_secs(24),
            "{third:?}"
        );
        let late = retry_delay(&s, 40, 7);
        assert!(
            late <= Duration::from_secs(4320) && late >= Duration::from_secs(2880),
            "{late:?}"
        );
        let spread: std::collections::HashSet<_> =
            (0..20).map(|seq| retry_delay(&s, 2, seq)).collect();
        assert!(spread.len() > 10, "jitter spreads retries");
    }
}
