//! Discovery: finding new articles by themselves. A source — an RSS, Atom
//! or JSON feed, a (news) sitemap or sitemap index, or a section page — is
//! polled on its interval, with the same per-host politeness, robots.txt
//! and conditional requests as article checks, and every new article URL it
//! lists becomes a target that remembers its source, its first-seen time
//! and the published time the source gave.
//!
//! What a poll may create is bounded: links stay on the source's host (or
//! the hosts it allows), must pass the `include`/`exclude` URL patterns,
//! must not be older than the tracking window, and at most
//! `max_new_per_poll` targets are created per poll and `max_targets`
//! active ones per source; a warning names the cap whenever one bites. A
//! source whose document turns into something else (an HTML error page,
//! junk) fails the poll with an error recorded on the source and backs off;
//! it never creates targets from junk.
//!
//! One article is never watched twice: URLs are compared by [`canon::key`],
//! and a target whose page declares a `rel=canonical` URL already watched
//! is merged into that one after its first fetch (see
//! [`crate::store::Store::merge_canonical`]).

pub mod canon;
pub mod parse;
mod poll;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use poll::{Discoverer, PollSummary, run};

/// Default time between two polls of a source.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10 * 60);
/// Default cap on targets one poll creates.
pub const DEFAULT_MAX_NEW_PER_POLL: u32 = 100;
/// Default cap on active targets of one source.
pub const DEFAULT_MAX_TARGETS: u32 = 2000;
/// Child sitemaps of an index read per poll, newest first.
pub const MAX_CHILD_SITEMAPS: usize = 20;

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

    /// Checks every pattern and selector, naming the first bad one.
    pub fn validate(&self, kind: SourceKind) -> Result<(), String> {
        for (key, list) in [("include", &self.include), ("exclude", &self.exclude)] {
            for r in list {
                regex::Regex::new(r).map_err(|e| format!("`{key}` pattern `{r}`: {e}"))?;
            }
        }
        if let Some(l) = &self.links {
            scraper::Selector::parse(l).map_err(|e| format!("`links` selector `{l}`: {e}"))?;
            if kind != SourceKind::Page {
                return Err("`links` applies only to sources of kind \"page\"".into());
            }
        }
        if kind == SourceKind::Page && self.include.is_empty() && self.links.is_none() {
            return Err(
                "a source of kind \"page\" needs `include` (URL regexes of article links) or `links` (a CSS selector of them): a home page links to far more than articles"
                    .into(),
            );
        }
        if self.max_new_per_poll == 0 || self.max_targets == 0 {
            return Err("`max_new_per_poll` and `max_targets` must be at least 1".into());
        }
        if self.interval_ms < 1000 {
            return Err("`interval` must be at least 1s".into());
        }
        if let Some(s) = &self.targets.selector {
            crate::extract::BodySelector::parse(s)
                .map_err(|e| format!("`targets.selector`: {e}"))?;
        }
        for e in &self.targets.exclude {
            crate::extract::BodySelector::parse(e)
                .map_err(|err| format!("`targets.exclude`: {err}"))?;
        }
        for r in &self.targets.ignore {
            crate::config::IgnoreRule::parse(r).map_err(|e| format!("`targets.ignore`: {e}"))?;
        }
        Ok(())
    }
}
