//! Sources articles are discovered from (feeds, sitemaps, section pages):
//! their kind, their settings as stored, and what a poll or a sync did.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{PageCache, TargetUrl, Timestamp};

/// A source as stored.
#[derive(Debug, Clone)]
pub struct Source {
    /// Database id.
    pub id: i64,
    /// The feed, sitemap or page URL.
    pub url: TargetUrl,
    /// What it is.
    pub kind: SourceKind,
    /// Filters, caps and target defaults.
    pub settings: SourceSettings,
    /// Host or host:port, lower case.
    pub host: String,
    /// Failed polls in a row.
    pub failures: u32,
    /// Validators of the last good response.
    pub cache: PageCache,
    /// Whether it is still polled (`false`: removed).
    pub active: bool,
    /// Who added it.
    pub from_config: bool,
}

/// A source with the figures `redline sources` shows.
#[derive(Debug, Clone)]
pub struct SourceSummary {
    /// The source.
    pub source: Source,
    /// Last poll attempt.
    pub last_poll: Option<Timestamp>,
    /// Next poll.
    pub next_poll: Timestamp,
    /// Error of the last poll, if it failed.
    pub last_error: Option<String>,
    /// Targets it created, in any state.
    pub articles: u64,
    /// Of which active.
    pub active_articles: u64,
}

/// An article link found by a poll, cleaned and keyed.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The URL to fetch.
    pub url: TargetUrl,
    /// Its identity ([`crate::model::canon::key`]).
    pub key: String,
    /// Published time from the source.
    pub published: Option<Timestamp>,
}

/// What storing a poll's links did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Targets created, by URL.
    pub created: Vec<String>,
    /// Links already watched (same identity, or the canonical URL of a
    /// watched target).
    pub known: usize,
    /// New links left for a later poll: `max_new_per_poll` reached.
    pub capped_per_poll: usize,
    /// New links not taken: the source has `max_targets` active targets.
    pub capped_total: usize,
}

/// Two targets found to be one article: both pages declare the same
/// `rel=canonical` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// URL of the target retired as the duplicate.
    pub retired: String,
    /// URL of the target kept.
    pub kept: String,
    /// The reason recorded on the retired one.
    pub reason: String,
}

/// What a config sync did to sources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSyncReport {
    /// Sources new to the database.
    pub added: Vec<String>,
    /// Config sources no longer in the config, now removed.
    pub removed: Vec<String>,
}
/// Default time between two polls of a source.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Default cap on targets one poll creates.
pub const DEFAULT_MAX_NEW_PER_POLL: u32 = 100;

/// Default cap on active targets of one source.
pub const DEFAULT_MAX_TARGETS: u32 = 2000;

/// What a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed.
    Feed,
    /// A sitemap, news sitemap or sitemap index (gzip too).
    Sitemap,
    /// A section or home page whose links are articles.
    Page,
}

impl SourceKind {
    /// The name used in the config and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Feed => "feed",
            Self::Sitemap => "sitemap",
            Self::Page => "page",
        }
    }

    /// Reads a kind as written in the config or the database.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "feed" => Some(Self::Feed),
            "sitemap" => Some(Self::Sitemap),
            "page" => Some(Self::Page),
            _ => None,
        }
    }
}

/// Settings given to every target a source creates (`[source.targets]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetDefaults {
    /// Fixed check interval in milliseconds (`None`: the age schedule).
    pub interval_ms: Option<u64>,
    /// CSS selector of the body.
    pub selector: Option<String>,
    /// CSS selectors removed before extraction.
    pub exclude: Vec<String>,
    /// Regexes masked before comparison.
    pub ignore: Vec<String>,
    /// Labels for alert filters and `redline changes --tag`.
    pub tags: Vec<String>,
}

/// A source's settings, as kept in the database (validated before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSettings {
    /// Time between polls, in milliseconds.
    pub interval_ms: u64,
    /// URL regexes a link must match one of (empty: any).
    pub include: Vec<String>,
    /// URL regexes that rule a link out.
    pub exclude: Vec<String>,
    /// For pages: a CSS selector of the elements whose links are articles.
    pub links: Option<String>,
    /// Hosts besides the source's own that links may point to; `"*"`
    /// allows any host.
    pub hosts: Vec<String>,
    /// Most targets created by one poll.
    pub max_new_per_poll: u32,
    /// Most active targets from this source.
    pub max_targets: u32,
    /// How long each target is checked, from its published time (else
    /// first seen); `None` follows the age schedule.
    pub track_for_ms: Option<u64>,
    /// Whether robots.txt is obeyed (`None`: host or global setting).
    pub robots_txt: Option<bool>,
    /// Settings of the targets it creates.
    pub targets: TargetDefaults,
}

impl Default for SourceSettings {
    fn default() -> Self {
        Self {
            interval_ms: DEFAULT_POLL_INTERVAL.as_millis() as u64,
            include: Vec::new(),
            exclude: Vec::new(),
            links: None,
            hosts: Vec::new(),
            max_new_per_poll: DEFAULT_MAX_NEW_PER_POLL,
            max_targets: DEFAULT_MAX_TARGETS,
            track_for_ms: None,
            robots_txt: None,
            targets: TargetDefaults::default(),
        }
    }
}

impl SourceSettings {
    /// Time between polls.
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    /// The tracking window, when one is set.
    pub fn track_for(&self) -> Option<Duration> {
        self.track_for_ms.map(Duration::from_millis)
    }
}
