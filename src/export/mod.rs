//! `redline export`: the history out of the database in the formats the
//! people who use it trust — WARC (ISO 28500) for preservation, WACZ to
//! share and replay, JSON Lines and CSV for analysis. This module owns the
//! choice of targets and period; `archive` walks captures into WARC
//! records (`warc`) and index lines (`cdxj`), `wacz` packages them, and
//! `table` writes one row per version.
//!
//! Everything streams: one version (and its page) is in memory at a time;
//! the WACZ index, whose lines must be sorted, is sorted in bounded runs on
//! disk and merged.

pub mod archive;
pub mod cdxj;
pub mod table;
pub mod wacz;
pub mod warc;

use crate::model::{Target, TargetUrl, Timestamp};
use crate::store::{History, StoreError};

/// The formats `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Warc,
    Wacz,
    Jsonl,
    Csv,
}

/// Which versions to export.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// From this time (inclusive).
    pub since: Option<Timestamp>,
    /// Until this time (exclusive).
    pub until: Option<Timestamp>,
    /// Only articles discovered from this source.
    pub source: Option<TargetUrl>,
    /// Only articles with any of these tags (all when empty).
    pub tags: Vec<String>,
    /// Only these articles (all when empty).
    pub urls: Vec<TargetUrl>,
}

/// A bound of the period given on the command line: a duration back from
/// now (`7d`), an RFC 3339 time, or a date (midnight UTC).
pub fn parse_time_bound(input: &str, now: Timestamp) -> Result<Timestamp, String> {
    let s = input.trim();
    if let Ok(d) = crate::model::parse_duration(s) {
        return Ok(now.minus(d));
    }
    if let Some(t) = Timestamp::parse_rfc3339(s) {
        return Ok(t);
    }
    if let Some(date) = parse_date(s) {
        let t = date.midnight().assume_utc();
        return Ok(Timestamp((t.unix_timestamp_nanos() / 1_000_000) as i64));
    }
    Err(format!(
        "{input:?} is not a time: give a duration back from now (\"7d\"), a date (2026-11-01) or an RFC 3339 time"
    ))
}

/// `YYYY-MM-DD`.
fn parse_date(s: &str) -> Option<time::Date> {
    let mut parts = s.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// The targets the selection names, in URL order; an article named on the
/// command line that is not watched is an error naming it.
pub async fn select(store: &dyn History, sel: &Selection) -> Result<Vec<Target>, SelectError> {
    let mut targets: Vec<Target> = if sel.urls.is_empty() {
        store
            .list_targets()
            .await?
            .into_iter()
            .map(|s| s.target)
            .collect()
    } else {
        let mut named = Vec::new();
        for url in &sel.urls {
            match store.target_by_url(url.clone()).await? {
                Some(t) => named.push(t),
                None => return Err(SelectError::NotWatched(url.to_string())),
            }
        }
        named
    };
    if let Some(source) = &sel.source
        && store.source_by_url(source.clone()).await?.is_none()
    {
        return Err(SelectError::NotASource(source.to_string()));
    }
    targets.retain(|t| {
        sel.source
            .as_ref()
            .is_none_or(|s| t.source.as_deref() == Some(s.as_str()))
            && (sel.tags.is_empty() || sel.tags.iter().any(|tag| t.tags.contains(tag)))
    });
    targets.sort_by(|a, b| a.url.as_str().cmp(b.url.as_str()));
    targets.dedup_by_key(|t| t.id);
    Ok(targets)
}

/// The version before `n`: `previous` when it is that one (the walk's
/// last), else read.
pub(crate) async fn version_before(
    store: &dyn History,
    target: &Target,
    n: u32,
    previous: &mut Option<crate::model::Version>,
) -> Result<Option<crate::model::Version>, StoreError> {
    if n <= 1 {
        return Ok(None);
    }
    if previous.as_ref().is_some_and(|p| p.number + 1 == n) {
        return Ok(previous.take());
    }
    store.version(target.id, Some(n - 1)).await
}

/// Why the selection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("{0} is not watched (see `redline list`)")]
    NotWatched(String),
    #[error("{0} is not a source (see `redline sources`)")]
    NotASource(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Articles with at least one capture in the period.
    pub articles: u64,
    /// Versions written.
    pub versions: u64,
    /// Unchanged captures written as revisits.
    pub revisits: u64,
    /// Unchanged captures left out: their pages were not kept and differ
    /// from every page that was.
    pub unkept: u64,
    /// Versions whose page was not kept (a revert, or the
    /// `first_and_latest` policy): text only.
    pub without_page: u64,
}

impl Tally {
    /// One line for the log.
    pub fn summary(&self) -> String {
        format!(
            "{} versions of {} articles, {} unchanged captures as revisits, {} left out (pages not kept), {} versions without a kept page",
            self.versions, self.articles, self.revisits, self.unkept, self.without_page
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_bound_is_a_duration_a_date_or_a_time() {
        let now = Timestamp(1_700_000_000_000);
        assert_eq!(
            parse_time_bound("1h", now).unwrap(),
            Timestamp(1_700_000_000_000 - 3_600_000)
        );
        assert_eq!(
            parse_time_bound("2023-11-14", now).unwrap(),
            Timestamp(1_699_920_000_000)
        );
        assert_eq!(
            parse_time_bound("2023-11-14T22:13:20Z", now).unwrap(),
            Timestamp(1_700_000_000_000)
        );
        let err = parse_time_bound("yesterday", now).unwrap_err();
        assert!(err.contains("\"yesterday\""), "{err}");
    }
}
