//! The politeness gates of one process: for every host (or host:port), the
//! requests in flight, when the next may start (its gap), when the last
//! was sent, and a `Retry-After` hold — a few words per host, never
//! anything per target, dropped once the host is idle.
//!
//! [`MemoryGates`] is what a store whose daemon runs alone (SQLite) keeps
//! behind [`HostGates`]; a store that several daemons share keeps the same
//! state in its database instead, so the gates hold across all of them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::api::{HostGates, StoreFuture};
use crate::model::{Closed, HostRules};

/// Hosts remembered before idle ones are swept.
const SWEEP_AT: usize = 4096;

#[derive(Debug)]
struct Gate {
    in_flight: u32,
    /// Requests the host may have in flight (its rules when last taken).
    cap: u32,
    /// No new slot is handed out before this.
    next_start: Instant,
    /// When the last request to the host was actually sent.
    last_send: Option<Instant>,
    /// No request is sent before this (`Retry-After`).
    hold_until: Option<Instant>,
}

impl Gate {
    fn new(next_start: Instant) -> Self {
        Self {
            in_flight: 0,
            cap: u32::MAX,
            next_start,
            last_send: None,
            hold_until: None,
        }
    }
}

/// The gates of every host, in this process's memory, by its monotonic
/// clock (tokio's, so tests can move it).
#[derive(Debug, Default)]
pub struct MemoryGates {
    gates: Mutex<HashMap<String, Gate>>,
}

impl MemoryGates {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Gate>> {
        // Every update leaves a gate whole: a panic elsewhere cannot leave
        // one half-written.
        self.gates.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot on `host` now if its rules allow.
    pub fn take(&self, host: &str, rules: HostRules) -> Result<(), Closed> {
        let now = Instant::now();
        let mut gates = self.lock();
        if gates.len() > SWEEP_AT {
            gates.retain(|_, g| {
                g.in_flight > 0 || g.next_start > now || g.hold_until.is_some_and(|h| h > now)
            });
        }
        let gate = gates
            .entry(host.to_string())
            .or_insert_with(|| Gate::new(now));
        gate.cap = rules.concurrency.max(1);
        if gate.in_flight >= gate.cap {
            return Err(Closed::Full);
        }
        if gate.next_start > now {
            return Err(Closed::For(gate.next_start - now));
        }
        gate.in_flight += 1;
        gate.next_start = now + rules.gap;
        Ok(())
    }

    /// Gives a slot on `host` back.
    pub fn give(&self, host: &str) {
        if let Some(g) = self.lock().get_mut(host) {
            g.in_flight = g.in_flight.saturating_sub(1);
        }
    }

    /// How long a request to `host` must wait before it is sent (the gap
    /// after the last one sent, any hold); `None` records it as sent now.
    pub fn send(&self, host: &str, gap: Duration) -> Option<Duration> {
        let now = Instant::now();
        let mut gates = self.lock();
        let gate = gates
            .entry(host.to_string())
            .or_insert_with(|| Gate::new(now));
        let earliest = [gate.last_send.map(|t| t + gap), gate.hold_until]
            .into_iter()
            .flatten()
            .max();
        match earliest {
            Some(t) if t > now => Some(t - now),
            _ => {
                gate.last_send = Some(now);
                None
            }
        }
    }

    /// Closes `host` for `wait`.
    pub fn hold_for(&self, host: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut gates = self.lock();
        let gate = gates
            .entry(host.to_string())
            .or_insert_with(|| Gate::new(until));
        gate.next_start = gate.next_start.max(until);
        gate.hold_until = Some(gate.hold_until.map_or(until, |h| h.max(until)));
    }

    /// Hosts that cannot start a request now, and how soon the first paced
    /// one opens.
    pub fn closed(&self) -> (Vec<String>, Option<Duration>) {
        let now = Instant::now();
        let gates = self.lock();
        let mut closed = Vec::new();
        let mut opens: Option<Instant> = None;
        for (host, g) in gates.iter() {
            let full = g.in_flight >= g.cap;
            if full || g.next_start > now {
                closed.push(host.clone());
                if !full {
                    opens = Some(opens.map_or(g.next_start, |o| o.min(g.next_start)));
                }
            }
        }
        (closed, opens.map(|o| o - now))
    }
}

impl HostGates for MemoryGates {
    fn try_take<'a>(
        &'a self,
        host: &'a str,
        rules: HostRules,
    ) -> StoreFuture<'a, Result<(), Closed>> {
        let r = self.take(host, rules);
        Box::pin(async move { Ok(r) })
    }

    fn give_back(&self, host: &str) {
        self.give(host);
    }

    fn send_wait<'a>(&'a self, host: &'a str, gap: Duration) -> StoreFuture<'a, Option<Duration>> {
        let r = self.send(host, gap);
        Box::pin(async move { Ok(r) })
    }

    fn hold<'a>(&'a self, host: &'a str, wait: Duration) -> StoreFuture<'a, ()> {
        self.hold_for(host, wait);
        Box::pin(async { Ok(()) })
    }

    fn closed_hosts(&self) -> StoreFuture<'_, (Vec<String>, Option<Duration>)> {
        let r = self.closed();
        Box::pin(async move { Ok(r) })
    }
}
