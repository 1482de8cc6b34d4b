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

use std::sync::Arc;
use std::time::Duration;

use crate::model::{Next, Target, TargetId, TargetState, Timestamp, format_duration};

/// The time source of checks, polls and schedules; tests drive their own.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

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

/// Reads a published time as sites write it: RFC 3339; any W3C datetime
/// (the sitemap and news-sitemap date format: `2026-11-10`,
/// `2026-11-10T06:00+01:00`, with or without seconds and fractions) and
/// other ISO 8601 forms (`+0100`, `+01` offsets, a space for the `T`); a
/// date and time without offset (taken as UTC); or a bare date, month or
/// year (its first midnight, UTC).
pub fn parse_published(s: &str) -> Option<Timestamp> {
    use time::format_description::well_known::Iso8601;
    use time::{OffsetDateTime, PrimitiveDateTime};
    let s = s.trim();
    if let Some(t) = Timestamp::parse_rfc3339(s) {
        return Some(t);
    }
    let millis = |t: OffsetDateTime| Timestamp((t.unix_timestamp_nanos() / 1_000_000) as i64);
    // ISO 8601 wants a `T`; sites often write a space.
    let iso = match s.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &s[..10], s[11..].trim_start()),
        _ => s.to_string(),
    };
    if let Ok(t) = OffsetDateTime::parse(&iso, &Iso8601::DEFAULT) {
        return Some(millis(t));
    }
    if let Ok(t) = PrimitiveDateTime::parse(&iso, &Iso8601::DEFAULT) {
        return Some(millis(t.assume_utc()));
    }
    // A bare date (`2026-11-10`, `2026-11`, `2026`), or a date and a clock
    // followed by something ISO 8601 does not know (`GMT`): midnight UTC, or
    // the clock taken as UTC.
    let (date_part, rest) = s.split_at(s.find(['T', ' ']).unwrap_or(s.len()));
    let mut it = date_part.split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next().map_or(Some(1), |m| m.parse().ok())?;
    let d: u8 = it.next().map_or(Some(1), |d| d.parse().ok())?;
    if it.next().is_some() || !(1000..=9999).contains(&y) {
        return None;
    }
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    let rest = rest.trim_start_matches(['T', ' ']);
    let clock = rest.get(..8).and_then(|hms| {
        let mut p = hms.split(':');
        let (h, mi, se) = (p.next()?, p.next()?, p.next()?);
        time::Time::from_hms(h.parse().ok()?, mi.parse().ok()?, se.parse().ok()?).ok()
    });
    Some(millis(
        date.with_time(clock.unwrap_or(time::Time::MIDNIGHT))
            .assume_utc(),
    ))
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

/// The schedule's settings, and every decision about when a target is
/// checked next: after a good check, after a failure, what `list` shows,
/// and how long a discovered article is worth tracking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduler {
    /// Interval of targets that set none; `None` follows the age tiers.
    pub fixed_default: Option<Duration>,
    /// The age schedule.
    pub tiers: Vec<AgeTier>,
    /// Longest back-off after failures.
    pub max_backoff: Duration,
}

impl Scheduler {
    /// What decides a target's next check at `now`, its age judged from
    /// `published`, else the stored published time, else first seen.
    fn planned(&self, target: &Target, now: Timestamp, published: Option<Timestamp>) -> Planned {
        let anchor = age_anchor(published.or(target.published_at), target.created_at, now);
        let age = anchor.until(now);
        let fixed = target.interval.or(self.fixed_default);
        Planned {
            now,
            interval: interval_for(fixed, &self.tiers, age),
            age,
            track_for: target.track_for,
            discovered: target.source.is_some(),
            last_every: self.tiers.last().map(|t| t.every),
            target: target.id,
        }
    }

    /// When a target is next due after a good check at `now`, or that it
    /// retires.
    pub fn next_after(
        &self,
        target: &Target,
        now: Timestamp,
        published: Option<Timestamp>,
    ) -> Next {
        plan_next(&self.planned(target, now, published))
    }

    /// When a target is next due after its `failures`-th failure in a row:
    /// backed off, and never sooner than a `Retry-After`.
    pub fn next_after_failure(
        &self,
        target: &Target,
        now: Timestamp,
        failures: u32,
        retry_after: Option<Duration>,
    ) -> Next {
        let p = self.planned(target, now, None);
        match p.interval {
            _ if target.track_for.is_some_and(|t| p.age >= t) => plan_next(&p),
            Some(interval) => Next::At(now.plus(backoff(
                interval,
                failures,
                self.max_backoff,
                retry_after,
                target.id,
                now,
            ))),
            None => plan_next(&p),
        }
    }

    /// How often a target is checked now, as `list` and `add` show it: its
    /// fixed interval, or the age schedule's current tier; `None` once it
    /// is not active, or would retire at its next check.
    pub fn current_interval(&self, target: &Target, now: Timestamp) -> Option<Duration> {
        if target.state != TargetState::Active {
            return None;
        }
        pace(&self.planned(target, now, None))
    }

    /// How long after publication a discovered article is worth tracking:
    /// the source's `track_for`, else the end of the age schedule; `None`
    /// when its targets have a fixed interval and no `track_for` (tracked
    /// until removed).
    pub fn tracking_window(
        &self,
        track_for: Option<Duration>,
        fixed: Option<Duration>,
    ) -> Option<Duration> {
        if track_for.is_some() {
            return track_for;
        }
        if fixed.or(self.fixed_default).is_some() {
            return None;
        }
        self.tiers.last().map(|t| t.until)
    }
}

/// What decides when a target is checked next.
#[derive(Debug, Clone, Copy)]
struct Planned {
    now: Timestamp,
    /// The interval the schedule gives now; `None` past the age tiers.
    interval: Option<Duration>,
    /// The article's age (from publication, else first seen).
    age: Duration,
    track_for: Option<Duration>,
    /// Found by a source, not added by hand or in the config.
    discovered: bool,
    /// The last age tier's interval.
    last_every: Option<Duration>,
    target: TargetId,
}

/// The pace a target is checked at, or `None` when it retires: the one
/// rule behind [`plan_next`] and [`Scheduler::current_interval`].
///
/// - A `track_for` ends the target when the article is that old; inside
///   the window, past the age tiers, it keeps the last tier's pace.
/// - Otherwise a *discovered* target retires past the age schedule: a feed
///   brings far more stories than anyone can watch forever.
/// - A target a person added (by hand or in the config) is never retired
///   by age: newsrooms rewrite archive stories years later, and that is
///   what it was added for. Past the last tier it keeps the last tier's pace.
fn pace(p: &Planned) -> Option<Duration> {
    let last_pace = || {
        p.interval
            .or(p.last_every)
            .unwrap_or(Duration::from_secs(DAY))
    };
    match p.track_for {
        Some(track) if p.age >= track => None,
        Some(_) => Some(last_pace()),
        None => match p.interval {
            Some(interval) => Some(interval),
            None if !p.discovered => Some(last_pace()),
            None => None,
        },
    }
}

/// When a target is next due after a good check, or that it retires (see
/// [`pace`]); a `track_for` target gets one last check when its window
/// closes.
fn plan_next(p: &Planned) -> Next {
    match (pace(p), p.track_for) {
        (Some(pace), track) => {
            let at = next_check_at(p.now, pace, p.target);
            Next::At(match track {
                Some(track) => at.min(p.now.plus(track - p.age)),
                None => at,
            })
        }
        (None, Some(track)) => Next::Retire(format!(
            "tracked for {} as its source asks (track_for); the article is {} old",
            format_duration(track),
            format_duration(p.age)
        )),
        (None, None) => Next::Retire(format!(
            "past the age schedule: the article is {} old; give it an `interval` to keep checking it",
            format_duration(p.age)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_D: Duration = Duration::from_secs(3600);
    const DAY_D: Duration = Duration::from_secs(86_400);

    fn planned(interval: Option<Duration>, age: Duration, discovered: bool) -> Planned {
        Planned {
            now: Timestamp(1_800_000_000_000),
            interval,
            age,
            track_for: None,
            discovered,
            last_every: Some(DAY_D),
            target: TargetId(7),
        }
    }

    fn target(created_at: Timestamp, source: Option<&str>, track_for: Option<Duration>) -> Target {
        Target {
            id: TargetId(3),
            next_check_at: created_at,
            created_at,
            track_for,
            source: source.map(str::to_string),
            ..Target::plain("https://news.example/a")
        }
    }

    #[test]
    fn what_list_shows_agrees_with_what_the_next_check_does() {
        let scheduler = Scheduler {
            fixed_default: None,
            tiers: default_tiers(),
            max_backoff: DAY_D,
        };
        let now = Timestamp(1_800_000_000_000);
        for age_h in [0u64, 5, 30, 100, 400, 800, 20_000] {
            let created = now.minus(Duration::from_secs(age_h * 3600));
            for source in [None, Some("https://news.example/feed")] {
                for track in [None, Some(48 * HOUR_D), Some(60 * DAY_D)] {
                    let t = target(created, source, track);
                    let shown = scheduler.current_interval(&t, now);
                    let next = scheduler.next_after(&t, now, None);
                    match (&shown, &next) {
                        (Some(every), Next::At(at)) => {
                            let wait = now.until(*at);
                            assert!(
                                wait <= *every + *every / 10,
                                "age {age_h}h: shown {every:?}, waits {wait:?}"
                            );
                        }
                        (None, Next::Retire(_)) => {}
                        _ => panic!("age {age_h}h {source:?} {track:?}: {shown:?} vs {next:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn hand_added_targets_are_never_retired_by_age() {
        let four_years = 4 * 365 * DAY_D;
        let p = planned(None, four_years, false);
        match plan_next(&p) {
            Next::At(at) => {
                let wait = p.now.until(at);
                // The interval, give or take the schedule's jitter.
                assert!(wait <= DAY_D + DAY_D / 10 && wait >= DAY_D / 2, "{wait:?}");
            }
            Next::Retire(why) => panic!("retired: {why}"),
        }
        // A discovered story past the schedule retires.
        assert!(matches!(
            plan_next(&planned(None, four_years, true)),
            Next::Retire(_)
        ));
        // A track_for still ends a hand-added target.
        let mut p = planned(None, four_years, false);
        p.track_for = Some(30 * DAY_D);
        assert!(matches!(plan_next(&p), Next::Retire(_)));
        // Inside the tiers both follow the tier's interval.
        for discovered in [false, true] {
            let p = planned(Some(HOUR_D), HOUR_D, discovered);
            let Next::At(at) = plan_next(&p) else {
                panic!("retired inside the schedule")
            };
            assert!(p.now.until(at) <= HOUR_D + HOUR_D / 10);
        }
    }

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
        assert_eq!(parse_published("12"), None);
    }

    #[test]
    fn every_w3c_datetime_form_of_the_sitemap_specs_is_read() {
        // The forms of https://www.w3.org/TR/NOTE-datetime, which sitemaps
        // and news sitemaps use, and ISO 8601's other offset spellings:
        // each is 10:00 UTC on 27 November 2026 (or its midnight, or the
        // first of its month or year, when that is all it says).
        let ten = Timestamp::parse_rfc3339("2026-11-27T10:00:00Z").unwrap();
        for form in [
            "2026-11-27T11:00+01:00",
            "2026-11-27T10:00Z",
            "2026-11-27T05:00-05:00",
            "2026-11-27T11:00:00+0100",
            "2026-11-27T11:00+0100",
            "2026-11-27T11:00:00+01",
            "2026-11-27 11:00:00+01:00",
            "2026-11-27T10:00:00.000Z",
            "2026-11-27T10:00",
        ] {
            assert_eq!(parse_published(form), Some(ten), "{form}");
        }
        let day = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        assert_eq!(
            parse_published("2026-11-27"),
            Some(day("2026-11-27T00:00:00Z"))
        );
        assert_eq!(
            parse_published("2026-11"),
            Some(day("2026-11-01T00:00:00Z"))
        );
        assert_eq!(parse_published("2026"), Some(day("2026-01-01T00:00:00Z")));
        assert_eq!(
            parse_published("2026-11-27T10:30:15.25+00:00"),
            Some(Timestamp(ten.0 + 30 * 60_000 + 15_250))
        );
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
