//! Targets as kept: what is watched, how (its settings and rules), its
//! state and schedule, and what a check leaves on it for the next one.

use std::time::Duration;

use super::{TargetId, TargetUrl, Timestamp};

/// Who put a target in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A `[[target]]` of the config file.
    Config,
    /// `redline add` or `redline check URL`.
    Cli,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Cli => "cli",
        }
    }
}

/// Whether a target is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetState {
    /// Checked when due.
    Active,
    /// Kept but no longer checked (old articles).
    Retired,
    /// Removed from the config or with `redline remove`; history kept.
    Removed,
}

impl TargetState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "retired" => Some(Self::Retired),
            "removed" => Some(Self::Removed),
            _ => None,
        }
    }

    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retired => "retired",
            Self::Removed => "removed",
        }
    }
}

/// A target as stored.
#[derive(Debug, Clone)]
pub struct Target {
    /// Database id.
    pub id: TargetId,
    /// Article URL.
    pub url: TargetUrl,
    /// Label.
    pub name: Option<String>,
    /// Fixed interval, or `None` for the default.
    pub interval: Option<Duration>,
    /// CSS selector of the body, as written.
    pub selector: Option<String>,
    /// Regexes masked before comparison, as written.
    pub ignore: Vec<String>,
    /// CSS selectors removed before extraction, as written.
    pub exclude: Vec<String>,
    /// Labels for alert filters.
    pub tags: Vec<String>,
    /// Checked or not.
    pub state: TargetState,
    /// When it is next due.
    pub next_check_at: Timestamp,
    /// Host or host:port, lower case: the unit of politeness.
    pub host: String,
    /// When Redline first saw it.
    pub created_at: Timestamp,
    /// Published time of the latest version, when one was found.
    pub published_at: Option<Timestamp>,
    /// Whether robots.txt is obeyed (`None`: host or global setting).
    pub robots_txt: Option<bool>,
    /// What a conditional request may send and compare.
    pub cache: PageCache,
    /// Failed checks in a row.
    pub failures: u32,
    /// `404` answers in a row.
    pub misses: u32,
    /// Why it was retired, when it was.
    pub retired_reason: Option<String>,
    /// How long it is checked from its published time (else first seen);
    /// `None` follows the age schedule.
    pub track_for: Option<Duration>,
    /// The feed, sitemap or page it was discovered from.
    pub source: Option<String>,
}

#[cfg(test)]
impl Target {
    /// An active target at `url` with default settings, for tests.
    pub fn plain(url: &str) -> Self {
        let url = TargetUrl::parse(url).expect("a test URL");
        Self {
            id: TargetId(1),
            host: url.as_url().host_str().unwrap_or("").to_string(),
            url,
            name: None,
            interval: None,
            selector: None,
            ignore: Vec::new(),
            exclude: Vec::new(),
            tags: Vec::new(),
            state: TargetState::Active,
            next_check_at: Timestamp(0),
            created_at: Timestamp(0),
            published_at: None,
            robots_txt: None,
            cache: PageCache::default(),
            failures: 0,
            misses: 0,
            retired_reason: None,
            track_for: None,
            source: None,
        }
    }
}

/// What is remembered of the last page that gave (or matched) the latest
/// version, for conditional requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageCache {
    /// `ETag` header.
    pub etag: Option<String>,
    /// `Last-Modified` header.
    pub last_modified: Option<String>,
    /// BLAKE3 of the rules fingerprint and the page bytes.
    pub body_hash: Option<[u8; 32]>,
    /// Fingerprint of the extraction rules in force then.
    pub rules: Option<i64>,
    /// When the page was last fetched in full (not answered by a `304`).
    pub fetched_at: Option<Timestamp>,
}

/// When a target is next checked, or that it is retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Due again at this time.
    At(Timestamp),
    /// Kept, no longer checked on its own; the reason is recorded.
    Retire(String),
}

/// How far the schedule has fallen behind, for the daemon's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Active targets due now.
    pub due: u64,
    /// The most overdue target's due time.
    pub oldest_due: Option<Timestamp>,
    /// Active targets.
    pub active: u64,
}

/// A target with the figures `redline list` shows.
#[derive(Debug, Clone)]
pub struct TargetSummary {
    /// The target.
    pub target: Target,
    /// Versions stored.
    pub versions: u64,
    /// Last check attempt.
    pub last_check: Option<Timestamp>,
    /// Last new version after the first.
    pub last_change: Option<Timestamp>,
    /// Error of the last check, if it failed.
    pub last_error: Option<String>,
}

/// The order of a page of targets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TargetSort {
    /// Newest change first (never changed last), then newest added.
    #[default]
    Changed,
    /// Oldest added first.
    Added,
    /// By URL.
    Url,
}

/// Which targets a page of the article list asks for. Empty filters match
/// everything.
#[derive(Debug, Clone, Default)]
pub struct TargetQuery {
    /// The order.
    pub sort: TargetSort,
    /// After this target in that order (the cursor of the previous page).
    pub after: Option<TargetId>,
    /// Only this one.
    pub id: Option<TargetId>,
    /// In this state.
    pub state: Option<TargetState>,
    /// Whose URL or name holds this text, case aside.
    pub text: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// Targets counted for a status page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetStatus {
    /// Targets by state.
    pub by_state: Vec<(TargetState, u64)>,
    /// Active targets due before the time asked about.
    pub overdue: u64,
    /// Hosts with active targets whose last check failed, most first:
    /// host, how many, and one of their errors.
    pub failing_hosts: Vec<(String, u64, String)>,
}

/// Settings for a target added or updated from the command line or config.
#[derive(Debug, Clone)]
pub struct TargetSettings {
    /// Article URL.
    pub url: TargetUrl,
    /// Label.
    pub name: Option<String>,
    /// Fixed interval.
    pub interval: Option<Duration>,
    /// Body selector, already validated.
    pub selector: Option<String>,
    /// Ignore regexes, already validated.
    pub ignore: Vec<String>,
    /// Exclude selectors, already validated.
    pub exclude: Vec<String>,
    /// Labels for alert filters.
    pub tags: Vec<String>,
    /// Whether robots.txt is obeyed.
    pub robots_txt: Option<bool>,
}

impl TargetSettings {
    /// Settings with nothing but the URL: the defaults for everything else.
    pub fn new(url: TargetUrl) -> Self {
        Self {
            url,
            name: None,
            interval: None,
            selector: None,
            ignore: Vec::new(),
            exclude: Vec::new(),
            tags: Vec::new(),
            robots_txt: None,
        }
    }
}

/// What a config sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Targets new to the database.
    pub added: Vec<String>,
    /// Config targets no longer in the config, now `removed`.
    pub removed: Vec<String>,
}
/// Which versions keep the page as fetched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RawHtmlPolicy {
    /// Every version (the default).
    #[default]
    All,
    /// Only the first and the latest version; older pages are dropped as
    /// newer versions arrive.
    FirstAndLatest,
}
