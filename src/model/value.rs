//! The values every record is made of: validated target URLs, database
//! identifiers, content hashes, timestamps and human-written durations.
//!
//! Raw strings from the command line, the config file or the database are
//! converted into these types once, at the boundary; past it, code works with
//! the types and cannot mix a URL up with a name or a hash.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Database identifier of a watched target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetId(pub i64);

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a string is not a URL Redline can watch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The string does not parse as an absolute URL.
    #[error("`{url}` is not a valid URL: {reason}")]
    Invalid { url: String, reason: String },
    /// Only web pages can be watched.
    #[error("`{url}` is not an http or https URL (scheme `{scheme}`)")]
    Scheme { url: String, scheme: String },
    /// A URL needs a host to be fetched.
    #[error("`{url}` has no host")]
    NoHost { url: String },
}

/// An absolute `http`/`https` URL of an article, without its fragment.
///
/// The fragment never reaches the server, so `page#comments` and `page` are
/// one article. Host case and default ports are normalised by the `url`
/// crate's WHATWG parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetUrl(url::Url);

impl TargetUrl {
    /// Parses and validates a URL typed by a user or written in the config.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let trimmed = input.trim();
        let mut url = url::Url::parse(trimmed).map_err(|e| UrlError::Invalid {
            url: trimmed.to_string(),
            reason: e.to_string(),
        })?;
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(UrlError::Scheme {
                    url: trimmed.to_string(),
                    scheme: other.to_string(),
                });
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::NoHost {
                url: trimmed.to_string(),
            });
        }
        url.set_fragment(None);
        Ok(Self(url))
    }

    /// The URL as a string.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    /// The host (with port when it is not the default), for per-host limits.
    pub fn host_key(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        match self.0.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }
}

impl fmt::Display for TargetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TargetUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for TargetUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// BLAKE3 hash of a version's normalised content (or of a raw body).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// Hashes bytes.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A moment in time, stored as milliseconds since the Unix epoch (UTC) and
/// shown as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Self((now.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This time plus a duration (saturating).
    pub fn plus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// This time minus a duration (saturating).
    pub fn minus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// The time from `self` until `later`, zero when `later` is not later.
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(later.0.saturating_sub(self.0)).unwrap_or(0))
    }

    /// RFC 3339 in UTC with second precision, e.g. `2026-11-27T20:17:44Z`.
    pub fn rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        match OffsetDateTime::from_unix_timestamp(secs) {
            Ok(t) => t.format(&Rfc3339).unwrap_or_else(|_| secs.to_string()),
            Err(_) => secs.to_string(),
        }
    }

    /// Parses an RFC 3339 timestamp.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?;
        Some(Self((t.unix_timestamp_nanos() / 1_000_000) as i64))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a duration: write a whole number and a unit, like \"500ms\", \"90s\", \"15m\", \"2h\" or \"7d\""
)]
pub struct DurationError {
    /// The text that was rejected.
    pub input: String,
}

/// Parses durations written like `"500ms"`, `"90s"`, `"15m"`, `"2h"`, `"7d"`.
///
/// Units may be combined (`"1h30m"`). A bare `"0"` is zero.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let err = || DurationError {
        input: input.to_string(),
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let millis_per_unit: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(err()),
        };
        let part = n.checked_mul(millis_per_unit).ok_or_else(err)?;
        total = total
            .checked_add(Duration::from_millis(part))
            .ok_or_else(err)?;
    }
    Ok(total)
}

/// Formats a duration the way the config writes it (`"30m"`, `"1h30m"`).
pub fn format_duration(d: Duration) -> String {
    let mut ms = d.as_millis();
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", 86_400_000u128),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
    }

    #[test]
    fn bad_durations_are_rejected() {
        for bad in [
            "",
            "15",
            "m",
            "15 minutes",
            "-5s",
            "1.5h",
            "5w",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn durations_round_trip_through_format() {
        for s in ["30m", "1h30m", "90s", "7d", "500ms"] {
            let d = parse_duration(s).unwrap();
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
    }

    #[test]
    fn target_urls_are_validated_and_lose_their_fragment() {
        let u = TargetUrl::parse(" HTTPS://Example.COM:443/news/a?id=1#comments ").unwrap();
        assert_eq!(u.as_str(), "https://example.com/news/a?id=1");
        assert_eq!(u.host_key(), "example.com");
        assert_eq!(
            TargetUrl::parse("http://127.0.0.1:8080/x")
                .unwrap()
                .host_key(),
            "127.0.0.1:8080"
        );
        assert!(matches!(
            TargetUrl::parse("ftp://example.com/"),
            Err(UrlError::Scheme { .. })
        ));
        assert!(matches!(
            TargetUrl::parse("not a url"),
            Err(UrlError::Invalid { .. })
        ));
        assert!(matches!(
            TargetUrl::parse("/relative"),
            Err(UrlError::Invalid { .. })
        ));
    }

    #[test]
    fn timestamps_format_as_rfc3339_utc() {
        assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00Z");
        let t = Timestamp(1_764_275_864_123);
        assert_eq!(
            Timestamp::parse_rfc3339(&t.rfc3339()),
            Some(Timestamp(1_764_275_864_000))
        );
    }
}
