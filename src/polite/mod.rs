//! Politeness: how hard Redline may press on each site.
//!
//! [`Politeness`] owns the global cap on requests in flight, and for every
//! host (or host:port) a gate: at most `concurrency` requests in flight and
//! at least `gap` between two request starts. Settings come from `[fetch]`
//! and are overridden per host by `[[host]]`. A `429`/`503` with
//! `Retry-After` closes a host's gate until then. The gates' state (a few
//! words per host, never anything per target) is the store's
//! ([`crate::store::HostGates`]): in memory for a daemon alone on its
//! SQLite file, in the database for daemons that share one. The global cap
//! is this process's.
//!
//! The daemon asks without waiting ([`Politeness::try_start`]) and leaves a
//! busy host's targets in the database; the one-shot `redline check` waits
//! ([`Politeness::start`]). Slots are handed out a gap apart, and
//! [`Politeness::before_send`] keeps the gap between the requests actually
//! sent as well. robots.txt rules are cached here per origin.

mod client;

pub use client::{LISTING_ACCEPT, PoliteClient, PoliteError};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::fetch::FetchConfig;
pub use crate::model::HostRules;
use crate::model::{Closed, TargetUrl};
use crate::robots::Rules;
use crate::store::HostGates;

/// How long a request slot is not handed out when the gates cannot be read
/// (a shared store that is unreachable).
const GATES_RETRY: Duration = Duration::from_secs(1);

/// How long robots.txt rules are trusted.
pub const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long an unreachable robots.txt (5xx, network error) blocks a site
/// before it is asked again.
pub const ROBOTS_RETRY: Duration = Duration::from_secs(15 * 60);
/// Origins remembered before stale ones are swept.
const SWEEP_AT: usize = 4096;

/// Why a host cannot take a request now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Every request slot (all hosts together) is taken.
    Global,
    /// The host has its full number of requests in flight.
    Full,
    /// The host's gap (or `Retry-After`) runs until then.
    Until(Instant),
}

/// Shared politeness state of a process.
pub struct Politeness {
    default: HostRules,
    hosts: HashMap<String, HostSpec>,
    global: Arc<Semaphore>,
    gates: Arc<dyn HostGates>,
    released: Notify,
    robots: Mutex<HashMap<String, (Arc<Rules>, Instant)>>,
    /// One robots.txt fetch per origin at a time.
    robots_fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for Politeness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Politeness")
            .field("default", &self.default)
            .field("hosts", &self.hosts.len())
            .field("free_slots", &self.global.available_permits())
            .finish_non_exhaustive()
    }
}

/// A request slot on one host (and globally); freed on drop.
#[derive(Debug)]
pub struct HostPermit {
    owner: Arc<Politeness>,
    host: String,
    _global: OwnedSemaphorePermit,
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        self.owner.gates.give_back(&self.host);
        self.owner.released.notify_waiters();
    }
}

impl HostPermit {
    /// The host this permit is for.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl Politeness {
    /// Politeness from `[fetch]` and `[[host]]`, with the per-host state
    /// kept by `gates` (the store's, so a shared store shares it).
    pub fn new(fetch: &FetchConfig, hosts: &[HostSpec], gates: Arc<dyn HostGates>) -> Arc<Self> {
        Arc::new(Self {
            default: HostRules {
                concurrency: fetch.per_host_concurrency,
                gap: fetch.per_host_gap,
                robots_txt: fetch.robots_txt,
            },
            hosts: hosts.iter().map(|h| (h.host.clone(), h.clone())).collect(),
            global: Arc::new(Semaphore::new(fetch.concurrency.max(1) as usize)),
            gates,
            released: Notify::new(),
            robots: Mutex::new(HashMap::new()),
            robots_fetching: Mutex::new(HashMap::new()),
        })
    }

    /// The settings for a host key (`host` or `host:port`): a `[[host]]`
    /// naming it with its port, else without, else `[fetch]`.
    pub fn rules(&self, host: &str) -> HostRules {
        let spec = self.hosts.get(host).or_else(|| {
            host.rsplit_once(':')
                .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|(name, _)| self.hosts.get(name))
        });
        match spec {
            None => self.default,
            Some(s) => HostRules {
                concurrency: s.concurrency.unwrap_or(self.default.concurrency).max(1),
                gap: s.gap.unwrap_or(self.default.gap),
                robots_txt: s.robots_txt.unwrap_or(self.default.robots_txt),
            },
        }
    }

    /// Request slots free over all hosts.
    pub fn free_slots(&self) -> usize {
        self.global.available_permits()
    }

    /// Takes a request slot on `host` if it may start a request now.
    pub async fn try_start(self: &Arc<Self>, host: &str) -> Result<HostPermit, Busy> {
        let Ok(global) = Arc::clone(&self.global).try_acquire_owned() else {
            return Err(Busy::Global);
        };
        match self.gates.try_take(host, self.rules(host)).await {
            Ok(Ok(())) => Ok(HostPermit {
                owner: Arc::clone(self),
                host: host.to_string(),
                _global: global,
            }),
            Ok(Err(Closed::Full)) => Err(Busy::Full),
            Ok(Err(Closed::For(wait))) => Err(Busy::Until(Instant::now() + wait)),
            Err(e) => {
                tracing::warn!(host, error = %e, "cannot read the host's politeness gate; holding it back");
                Err(Busy::Until(Instant::now() + GATES_RETRY))
            }
        }
    }

    /// Waits until `host` may start a request, then takes a slot.
    pub async fn start(self: &Arc<Self>, host: &str) -> HostPermit {
        loop {
            let released = self.released.notified();
            match self.try_start(host).await {
                Ok(p) => return p,
                Err(Busy::Until(at)) => tokio::time::sleep_until(at).await,
                Err(Busy::Full | Busy::Global) => {
                    // Woken when any slot frees; a timer guards against a
                    // wake-up missed between the check and the wait (and
                    // against slots freed by another daemon).
                    let _ = tokio::time::timeout(Duration::from_millis(200), released).await;
                }
            }
        }
    }

    /// Within a held slot, waits until a request may be sent to the host
    /// now: the gap after the last request actually sent, and any
    /// `Retry-After`. Slots are handed out a gap apart already; this keeps
    /// the gap between the requests themselves, whatever delays the tasks
    /// met in between (and spaces robots.txt and the page).
    pub async fn before_send(&self, permit: &HostPermit) {
        let gap = self.rules(&permit.host).gap;
        loop {
            match self.gates.send_wait(&permit.host, gap).await {
                Ok(None) => return,
                Ok(Some(wait)) => tokio::time::sleep(wait).await,
                Err(e) => {
                    // The slot itself was granted a gap after the last one:
                    // wait a moment and send.
                    tracing::warn!(host = %permit.host, error = %e, "cannot read the host's politeness gate");
                    tokio::time::sleep(GATES_RETRY.max(gap)).await;
                    return;
                }
            }
        }
    }

    /// Closes a host's gate for `wait` (a server's `Retry-After`).
    pub async fn pause(&self, host: &str, wait: Duration) {
        if let Err(e) = self.gates.hold(host, wait).await {
            tracing::warn!(host, error = %e, "cannot record the host's Retry-After");
        }
    }

    /// Hosts that cannot start a request now, and the earliest time one of
    /// the paced ones opens again.
    pub async fn busy_hosts(&self) -> (Vec<String>, Option<Instant>) {
        match self.gates.closed_hosts().await {
            Ok((closed, opens)) => (closed, opens.map(|d| Instant::now() + d)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the politeness gates");
                (Vec::new(), Some(Instant::now() + GATES_RETRY))
            }
        }
    }

    /// Whether robots.txt is obeyed for a target on `host`.
    pub fn obeys_robots(&self, host: &str, target_setting: Option<bool>) -> bool {
        target_setting.unwrap_or(self.rules(host).robots_txt)
    }

    /// Cached robots.txt rules of an origin, while fresh.
    pub fn cached_robots(&self, origin: &str) -> Option<Arc<Rules>> {
        let cache = self.robots.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(origin)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(r, _)| Arc::clone(r))
    }

    /// A lock held while an origin's robots.txt is fetched, so concurrent
    /// checks of one site read it once.
    pub fn robots_lock(&self, origin: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .robots_fetching
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if locks.len() > SWEEP_AT {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        Arc::clone(locks.entry(origin.to_string()).or_default())
    }

    /// Remembers an origin's rules for `ttl`.
    pub fn remember_robots(&self, origin: &str, rules: Arc<Rules>, ttl: Duration) {
        let mut cache = self.robots.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > SWEEP_AT {
            let now = Instant::now();
            cache.retain(|_, (_, until)| *until > now);
        }
        cache.insert(origin.to_string(), (rules, Instant::now() + ttl));
    }
}

/// The origin a robots.txt covers (`scheme://host[:port]`) and its URL.
pub fn robots_location(url: &TargetUrl) -> (String, String) {
    let u = url.as_url();
    let origin = u.origin().ascii_serialization();
    (origin.clone(), format!("{origin}/robots.txt"))
}

/// What robots.txt is matched against: the path and query.
pub fn robots_path(url: &TargetUrl) -> String {
    let u = url.as_url();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// One `[[host]]`: politeness settings for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// Host name, or `host:port`, lower case.
    pub host: String,
    /// Requests in flight to this host.
    pub concurrency: Option<u32>,
    /// Minimum time between request starts.
    pub gap: Option<Duration>,
    /// Whether robots.txt is obeyed on this host.
    pub robots_txt: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryGates;

    fn politeness(fetch: &FetchConfig, hosts: &[HostSpec]) -> Arc<Politeness> {
        Politeness::new(fetch, hosts, Arc::new(MemoryGates::default()))
    }

    /// `[fetch]` with these per-host settings, the rest default.
    fn fetch(per_host_concurrency: u32, per_host_gap: Duration) -> FetchConfig {
        FetchConfig {
            per_host_concurrency,
            per_host_gap,
            ..FetchConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_and_gap_per_host() {
        let fast = HostSpec {
            host: "fast.com".into(),
            concurrency: Some(3),
            gap: Some(Duration::ZERO),
            robots_txt: None,
        };
        let p = politeness(&fetch(2, Duration::from_secs(1)), &[fast]);
        let a = p.try_start("slow.com").await.unwrap();
        // The gap holds the second request back even with a slot free.
        assert!(matches!(p.try_start("slow.com").await, Err(Busy::Until(_))));
        tokio::time::advance(Duration::from_millis(1001)).await;
        let b = p.try_start("slow.com").await.unwrap();
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(p.try_start("slow.com").await.unwrap_err(), Busy::Full);
        drop(a);
        let _c = p.try_start("slow.com").await.unwrap();
        drop(b);
        let mut fast = Vec::new();
        for _ in 0..3 {
            fast.push(p.try_start("fast.com").await.unwrap());
        }
        assert_eq!(p.try_start("fast.com").await.unwrap_err(), Busy::Full);
        assert_eq!(
            p.rules("fast.com:8080").concurrency,
            3,
            "port falls back to the host"
        );
        let (busy, _) = p.busy_hosts().await;
        assert!(busy.contains(&"fast.com".to_string()));
        drop(fast);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_a_host_and_start_waits() {
        let p = politeness(&fetch(2, Duration::ZERO), &[]);
        p.pause("a.com", Duration::from_secs(30)).await;
        assert!(matches!(p.try_start("a.com").await, Err(Busy::Until(_))));
        let t0 = Instant::now();
        let permit = p.start("a.com").await;
        assert!(t0.elapsed() >= Duration::from_secs(30));
        assert_eq!(permit.host(), "a.com");
        assert!(
            p.try_start("b.com").await.is_ok(),
            "other hosts are not held up"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn requests_are_sent_a_gap_apart_and_held_by_retry_after() {
        let p = politeness(&fetch(2, Duration::from_secs(1)), &[]);
        let a = p.try_start("a.com").await.unwrap();
        tokio::time::advance(Duration::from_millis(1001)).await;
        let b = p.try_start("a.com").await.unwrap();
        let t0 = Instant::now();
        p.before_send(&a).await;
        // Both slots were granted a gap apart, but the first request went
        // out late: the second still waits a full gap after it.
        p.before_send(&b).await;
        assert!(t0.elapsed() >= Duration::from_secs(1));
        p.before_send(&b).await;
        assert!(
            t0.elapsed() >= Duration::from_secs(2),
            "robots.txt, then the page"
        );
        p.pause("a.com", Duration::from_secs(30)).await;
        let t1 = Instant::now();
        p.before_send(&a).await;
        assert!(
            t1.elapsed() >= Duration::from_secs(30),
            "a slot held during the pause waits too"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn global_cap_holds() {
        let p = politeness(
            &FetchConfig {
                concurrency: 2,
                ..fetch(2, Duration::ZERO)
            },
            &[],
        );
        let _a = p.try_start("a.com").await.unwrap();
        let _b = p.try_start("b.com").await.unwrap();
        assert_eq!(p.try_start("c.com").await.unwrap_err(), Busy::Global);
        assert_eq!(p.free_slots(), 0);
    }
}
