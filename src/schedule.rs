//! When each target is due: the article-age schedule, fixed intervals,
//! back-off after failures, and retirement.
//!
//! A target's next check time lives in the database (`next_check_at`), so a
//! restarted daemon resumes where it stopped instead of checking everything
//! at once. After each check the next time is the interval from now plus a
//! little jitter (up to a tenth of the interval, at most five minutes), so
//! targets added together drift apart instead of hitting a site in bursts.
//! A check in flight holds a lease: its target is pushed past the fetch
//! timeout while it runs, so neither this loop nor another process picks it
//! up twice, and a crash only delays it by the lease.
//!
//! News changes most in its first hours, so a target without a fixed
//! interval follows its age — from the published time the extractor found,
//! else from when Redline first saw it — through [`AgeTier`]s, and is
//! retired (kept, no longer checked) once older than the last tier. Failed
//! checks back off: the interval doubles with each failure in a row, up to
//! a cap, and a server's `Retry-After` is honoured when it asks for longer.

use std::time::Duration;

use crate::model::{TargetId, Timestamp};

/// One step of the age schedule: articles younger than `until` are checked
/// `every` so often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeTier {
    /// Upper bound of the age this tier covers.
    pub until: Duration,
    /// Interval inside the tier.
    pub every: Duration,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// The default age schedule: every 5 minutes for the first 3 hours, 15
/// minutes until a day, hourly until 3 days, every 6 hours until 14 days,
/// daily until 30 days; then the target retires.
pub fn default_tiers() -> Vec<AgeTier> {
    [
        (3 * HOUR, 5 * MINUTE),
        (DAY, 15 * MINUTE),
        (3 * DAY, HOUR),
        (14 * DAY, 6 * HOUR),
        (30 * DAY, DAY),
    ]
    .into_iter()
    .map(|(until, every)| AgeTier {
        until: Duration::from_secs(until),
        every: Duration::from_secs(every),
    })
    .collect()
}

/// How often a target is checked: a fixed interval, or the tier its age
/// falls in. `None` means the article is past the schedule: retire it.
pub fn interval_for(fixed: Option<Duration>, tiers: &[AgeTier], age: Duration) -> Option<Duration> {
    if let Some(f) = fixed {
        return Some(f);
    }
    tiers.iter().find(|t| age < t.until).map(|t| t.every)
}

/// Where a target's age counts from: its published time when the extractor
/// found a plausible one (not in the future, not before it could have been
/// published), else when Redline first saw it.
pub fn age_anchor(
    published: Option<Timestamp>,
    first_seen: Timestamp,
    now: Timestamp,
) -> Timestamp {
    match published {
        Some(p) if p <= now.plus(Duration::from_secs(DAY)) && p.millis() > 0 => p.min(now),
        _ => first_seen,
    }
}

/// Reads a published time as sites write it: RFC 3339, an ISO date and time
/// without offset (taken as UTC), or a bare date.
pub fn parse_published(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Some(t) = Timestamp::parse_rfc3339(s) {
        return Some(t);
    }
    let date_part = s.get(..10)?;
    let mut it = date_part.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    let (y, m, d): (i32, u8, u8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    let rest = s[10..].trim_start_matches(['T', ' ']);
    let clock = rest.get(..8).and_then(|hms| {
        let mut p = hms.split(':');
        let (h, mi, se) = (p.next()?, p.next()?, p.next()?);
        time::Time::from_hms(h.parse().ok()?, mi.parse().ok()?, se.parse().ok()?).ok()
    });
    let dt = date
        .with_time(clock.unwrap_or(time::Time::MIDNIGHT))
        .assume_utc();
    Some(Timestamp((dt.unix_timestamp_nanos() / 1_000_000) as i64))
}

/// The delay before retrying a target whose last `failures` checks in a row
/// failed: the interval doubled per failure beyond the first, with jitter,
/// capped at `cap` (but never shorter than the interval itself), and never
/// earlier than the server's `Retry-After`.
pub fn backoff(
    interval: Duration,
    failures: u32,
    cap: Duration,
    retry_after: Option<Duration>,
    target: TargetId,
    now: Timestamp,
) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    let grown = interval.saturating_mul(1u32 << doublings);
    let base = grown.min(cap.max(interval));
    let delay = base + jitter(base, target, now);
    match retry_after {
        Some(r) => delay.max(r.min(MAX_RETRY_AFTER)),
        None => delay,
    }
}

/// Longest `Retry-After` honoured: a server asking for a week is asked
/// again after a day.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(DAY);

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
    fn age_tiers_pick_the_interval_and_retire() {
        let tiers = default_tiers();
        let at = |secs: u64| interval_for(None, &tiers, Duration::from_secs(secs));
        assert_eq!(at(0), Some(Duration::from_secs(300)));
        assert_eq!(at(3 * HOUR - 1), Some(Duration::from_secs(300)));
        assert_eq!(at(3 * HOUR), Some(Duration::from_secs(900)));
        assert_eq!(at(2 * DAY), Some(Duration::from_secs(3600)));
        assert_eq!(at(10 * DAY), Some(Duration::from_secs(6 * 3600)));
        assert_eq!(at(29 * DAY), Some(Duration::from_secs(DAY)));
        assert_eq!(at(30 * DAY), None, "past the schedule: retire");
        let fixed = Some(Duration::from_secs(60));
        assert_eq!(
            interval_for(fixed, &tiers, Duration::from_secs(400 * DAY)),
            fixed
        );
    }

    #[test]
    fn published_times_are_read_and_checked() {
        let t = parse_published("2026-11-27T10:00:00Z").unwrap();
        assert_eq!(parse_published("2026-11-27T11:00:00+01:00"), Some(t));
        assert_eq!(parse_published("2026-11-27T10:00:00"), Some(t));
        assert_eq!(parse_published("2026-11-27 10:00:00.000"), Some(t));
        assert_eq!(
            parse_published("2026-11-27"),
            Some(t.minus(Duration::from_secs(10 * HOUR)))
        );
        assert_eq!(parse_published("yesterday"), None);
        assert_eq!(parse_published("2026-13-40"), None);
        let seen = Timestamp(1_000_000_000_000);
        let now = seen.plus(Duration::from_secs(HOUR));
        assert_eq!(
            age_anchor(Some(seen.minus(Duration::from_secs(DAY))), seen, now),
            seen.minus(Duration::from_secs(DAY))
        );
        // A date in the future is a site's mistake: first seen counts.
        assert_eq!(
            age_anchor(Some(now.plus(Duration::from_secs(9 * DAY))), seen, now),
            seen
        );
        assert_eq!(age_anchor(None, seen, now), seen);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let now = Timestamp(77);
        let min = Duration::from_secs(60);
        let cap = Duration::from_secs(3600);
        let b = |n, ra| backoff(min, n, cap, ra, TargetId(3), now);
        assert!(b(1, None) >= min && b(1, None) <= min + min / 10);
        assert!(b(3, None) >= 4 * min && b(3, None) <= 4 * min + min);
        assert!(b(30, None) >= cap && b(30, None) <= cap + MAX_JITTER);
        let ra = Some(Duration::from_secs(7200));
        assert!(b(1, ra) >= Duration::from_secs(7200));
        assert!(b(1, Some(Duration::from_secs(30 * DAY))) <= MAX_RETRY_AFTER + MAX_JITTER);
        // An interval longer than the cap is not shortened by it.
        let day = Duration::from_secs(DAY);
        assert!(backoff(day, 5, cap, None, TargetId(1), now) >= day);
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
