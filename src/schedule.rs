//! When each target is due.
//!
//! A target's next check time lives in the database (`next_check_at`), so a
//! restarted daemon resumes where it stopped instead of checking everything
//! at once. After each check the next time is the interval from now plus a
//! little jitter (up to a tenth of the interval, at most five minutes), so
//! targets added together drift apart instead of hitting a site in bursts.
//! A check in flight holds a lease: its target is pushed past the fetch
//! timeout while it runs, so neither this loop nor another process picks it
//! up twice, and a crash only delays it by the lease.

use std::time::Duration;

use crate::types::{TargetId, Timestamp};

/// Largest jitter added to an interval.
const MAX_JITTER: Duration = Duration::from_secs(300);

/// The time a target is next due after a check that finished at `now`.
pub fn next_check_at(now: Timestamp, interval: Duration, target: TargetId) -> Timestamp {
    now.plus(interval).plus(jitter(interval, target, now))
}

/// How long a claimed check may run before others may take it over.
pub fn lease(fetch_timeout: Duration) -> Duration {
    fetch_timeout * 2 + Duration::from_secs(60)
}

/// A deterministic pseudo-random share of the interval: different per target
/// and per check, with no global random state to seed in tests.
fn jitter(interval: Duration, target: TargetId, now: Timestamp) -> Duration {
    let cap = (interval / 10).min(MAX_JITTER);
    let cap_ms = cap.as_millis() as u64;
    if cap_ms == 0 {
        return Duration::ZERO;
    }
    // splitmix64 over the target id and the time.
    let mut z = (target.0 as u64) ^ (now.millis() as u64).rotate_left(17);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Duration::from_millis(z % (cap_ms + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_check_is_the_interval_plus_bounded_jitter() {
        let now = Timestamp(1_000_000);
        let interval = Duration::from_secs(600);
        for id in 0..200 {
            let next = next_check_at(now, interval, TargetId(id));
            let wait = now.until(next);
            assert!(
                wait >= interval && wait <= interval + Duration::from_secs(60),
                "{wait:?}"
            );
        }
        let spread: std::collections::HashSet<_> = (0..50)
            .map(|id| next_check_at(now, interval, TargetId(id)))
            .collect();
        assert!(spread.len() > 40, "jitter spreads targets");
    }

    #[test]
    fn jitter_is_capped() {
        let now = Timestamp(5);
        let day = Duration::from_secs(86_400);
        for id in 0..100 {
            assert!(now.until(next_check_at(now, day, TargetId(id))) <= day + MAX_JITTER);
        }
        assert_eq!(
            next_check_at(now, Duration::from_millis(5), TargetId(1)),
            Timestamp(10)
        );
    }
}
