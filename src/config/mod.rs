//! Configuration: finding `redline.toml`, parsing it strictly, and turning it
//! into validated settings.
//!
//! Parsing happens in two steps. Serde reads the file into `Raw*` structs that
//! keep the position of every value that can still be wrong (a URL, a
//! duration, a CSS selector); [`Config::from_toml`] then validates each value
//! and converts it into domain types. Any mistake, including an unknown key,
//! becomes a [`ConfigError`] that names the file, line and column.
//!
//! The defaults live here as constants so the CLI, the docs and the example
//! config agree.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::alert::{AlertFilter, AlertSpec};
use crate::detect::{
    DEFAULT_FLAP_LIMIT, DEFAULT_REVERT_WINDOW, DEFAULT_SUSPECT_AFTER, IgnoreRule, Masks,
};
use crate::extract::BodySelector;
use crate::fetch::FetchConfig;
use crate::model::{RawHtmlPolicy, SourceKind, SourceSettings, TargetUrl};
use crate::polite::HostSpec;

/// The config file used when neither `--config` nor `$REDLINE_CONFIG` is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/redline.toml";
/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "REDLINE_CONFIG";
/// The SQLite file used when the config names none.
pub const DEFAULT_DATABASE: &str = "redline.db";
/// Longest pause after failures in a row (the back-off doubles up to it).
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// `404` answers in a row after which a target is retired as gone.
pub const DEFAULT_GONE_AFTER: u32 = 3;
/// Shortest interval accepted: anything faster is impolite to the site.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// Where the settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// A file that was read.
    File(PathBuf),
    /// No file: built-in defaults, no targets.
    BuiltIn,
}

/// Validated settings for a whole Redline run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where these settings came from.
    pub origin: ConfigOrigin,
    /// `[storage]`.
    pub storage: StorageConfig,
    /// `[fetch]`.
    pub fetch: FetchConfig,
    /// `[defaults]`.
    pub defaults: DefaultsConfig,
    /// `[[target]]`, in file order, without duplicates.
    pub targets: Vec<TargetSpec>,
    /// `[[alert]]`; when the file has none, a single log sink.
    pub alerts: Vec<AlertSpec>,
    /// `[noise]`.
    pub noise: NoiseConfig,
    /// `[[host]]` overrides, in file order.
    pub hosts: Vec<HostSpec>,
    /// `[schedule]`.
    pub schedule: ScheduleConfig,
    /// `[metrics]`.
    pub metrics: MetricsConfig,
    /// `[export]`.
    pub export: ExportConfig,
    /// `[web]`.
    pub web: WebConfig,
    /// `[[source]]`, in file order, without duplicates.
    pub sources: Vec<SourceSpec>,
    /// `[discovery]`.
    pub discovery: DiscoveryConfig,
}

/// `[discovery]`: what articles found by discovery may reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiscoveryConfig {
    /// Whether discovered targets may be fetched from loopback, link-local
    /// and private addresses (off: a feed must not steer Redline into the
    /// network it runs in).
    pub allow_private: bool,
}

/// One `[[source]]`: a feed, sitemap or page to discover articles from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// Where it is.
    pub url: TargetUrl,
    /// What it is.
    pub kind: SourceKind,
    /// Filters, caps, tracking window, target defaults (validated).
    pub settings: SourceSettings,
}

/// `[schedule]`: how often targets without a fixed interval are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConfig {
    /// Age tiers, youngest first; a target older than the last is retired.
    pub tiers: Vec<crate::schedule::AgeTier>,
    /// Longest back-off after failures in a row.
    pub max_backoff: Duration,
    /// `404` answers in a row that retire a target as gone.
    pub gone_after: u32,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            tiers: crate::schedule::default_tiers(),
            max_backoff: DEFAULT_MAX_BACKOFF,
            gone_after: DEFAULT_GONE_AFTER,
        }
    }
}

/// `[export]`: what archives say about who made them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportConfig {
    /// The `operator` of the WARC `warcinfo` record: who ran the capture
    /// (a person or an organisation, with a contact).
    pub operator: Option<String>,
}

/// `[web]`: the web pages, feeds and read API (`redline run` serves them
/// when `listen` is set; `redline serve` always does).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Address to serve on.
    pub listen: Option<std::net::SocketAddr>,
    /// The bearer token every request must carry; required (checked where
    /// the address is known) when the address is not a loopback one.
    pub token: Option<crate::alert::Secret>,
}

/// `[metrics]`: the optional Prometheus endpoint of `redline run`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Address to serve `/metrics` and `/healthz` on.
    pub listen: Option<std::net::SocketAddr>,
}

/// `[noise]` settings: how suspicious pages, reverts and flapping are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoiseConfig {
    /// Consecutive checks a suspect state must last to be recorded.
    pub suspect_after: u32,
    /// Earlier versions compared with for reverts.
    pub revert_window: u32,
    /// Alternations between two texts after which alerts pause.
    pub flap_limit: u32,
}

impl Default for NoiseConfig {
    fn default() -> Self {
        Self {
            suspect_after: DEFAULT_SUSPECT_AFTER,
            revert_window: DEFAULT_REVERT_WINDOW,
            flap_limit: DEFAULT_FLAP_LIMIT,
        }
    }
}

/// `[storage]` settings.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// SQLite file; relative paths are relative to the working directory.
    pub database: PathBuf,
    /// Which versions keep their raw page.
    pub raw_html: RawHtmlPolicy,
}

/// `[defaults]` settings for targets.
#[derive(Debug, Clone)]
pub struct DefaultsConfig {
    /// Fixed interval of targets that set none; `None` follows the age
    /// schedule.
    pub interval: Option<Duration>,
    /// Regexes masked before comparison on every target.
    pub ignore: Vec<IgnoreRule>,
    /// CSS selectors removed before extraction on every target.
    pub exclude: Vec<BodySelector>,
    /// Built-in masks switched on.
    pub masks: Masks,
    /// Failed checks in a row that send `target.failing`.
    pub failing_after: u32,
}

/// One `[[target]]`.
#[derive(Debug, Clone)]
pub struct TargetSpec {
    /// The article URL.
    pub url: TargetUrl,
    /// A short label for reports.
    pub name: Option<String>,
    /// Fixed check interval; `None` uses `[defaults] interval`.
    pub interval: Option<Duration>,
    /// CSS selector of the article body when automatic extraction is wrong.
    pub selector: Option<BodySelector>,
    /// Regexes masked before comparison.
    pub ignore: Vec<IgnoreRule>,
    /// CSS selectors removed before extraction.
    pub exclude: Vec<BodySelector>,
    /// Labels for alert filters.
    pub tags: Vec<String>,
    /// Whether robots.txt is obeyed for this target (`None`: host or global).
    pub robots_txt: Option<bool>,
}

/// Default time a webhook receiver gets to answer.
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// Default first retry delay of a failed delivery.
pub const DEFAULT_RETRY_MIN: Duration = Duration::from_secs(5);
/// Default longest retry delay.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(3600);
/// Default age after which an undelivered alert is marked failed.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3 * 86_400);
/// Default number of failed checks in a row that sends `target.failing`.
pub const DEFAULT_FAILING_AFTER: u32 = 5;

/// A configuration mistake, with where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid, or a value in it is wrong.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

mod alerts;
mod raw;
#[cfg(test)]
mod tests;
mod validate;

impl Config {
    /// Built-in defaults: no targets, a log alert sink.
    pub fn builtin() -> Self {
        Self {
            origin: ConfigOrigin::BuiltIn,
            storage: StorageConfig {
                database: PathBuf::from(DEFAULT_DATABASE),
                raw_html: RawHtmlPolicy::All,
            },
            fetch: FetchConfig::default(),
            defaults: DefaultsConfig {
                interval: None,
                ignore: Vec::new(),
                exclude: Vec::new(),
                masks: Masks::default(),
                failing_after: DEFAULT_FAILING_AFTER,
            },
            targets: Vec::new(),
            alerts: vec![AlertSpec::Log(AlertFilter::default())],
            noise: NoiseConfig::default(),
            hosts: Vec::new(),
            schedule: ScheduleConfig::default(),
            metrics: MetricsConfig::default(),
            export: ExportConfig::default(),
            web: WebConfig::default(),
            sources: Vec::new(),
            discovery: DiscoveryConfig::default(),
        }
    }

    /// Finds and loads the config: `explicit` (from `--config`), else
    /// `$REDLINE_CONFIG`, else `./config/redline.toml` when it exists, else
    /// the built-in defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        if let Some(path) = explicit {
            return Self::load(path);
        }
        if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
            return Self::load(Path::new(&path));
        }
        let default = Path::new(DEFAULT_CONFIG_PATH);
        if default.is_file() {
            return Self::load(default);
        }
        Ok(Self::builtin())
    }

    /// Reads and validates one config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Validates config text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let cx = validate::Ctx { text, path };
        let raw: raw::RawConfig =
            toml::from_str(text).map_err(|e| cx.err(e.span(), e.message().trim().to_string()))?;
        let mut config = Self::builtin();
        config.origin = ConfigOrigin::File(path.to_path_buf());
        validate::storage(&cx, &raw.storage, &mut config)?;
        validate::fetch(&cx, &raw.fetch, &mut config)?;
        validate::hosts(&cx, &raw.hosts, &mut config)?;
        validate::schedule(&cx, &raw.schedule, &mut config)?;
        validate::metrics(&cx, &raw.metrics, &mut config)?;
        validate::export(&cx, &raw.export, &mut config)?;
        validate::web(&cx, &raw.web, &mut config)?;
        config.discovery.allow_private = raw.discovery.allow_private.unwrap_or(false);
        validate::defaults(&cx, &raw.defaults, &mut config)?;
        validate::noise(&cx, &raw.noise, &mut config)?;
        validate::targets(&cx, &raw.targets, &mut config)?;
        validate::sources(&cx, &raw.sources, &mut config)?;
        alerts::alerts(&cx, &raw.alerts, &mut config)?;
        Ok(config)
    }

    /// The fixed interval a target is checked at: its own, else
    /// `[defaults] interval`; `None` when the age schedule decides.
    pub fn fixed_interval(&self, interval: Option<Duration>) -> Option<Duration> {
        interval.or(self.defaults.interval)
    }

    /// The schedule: `[schedule]` with `[defaults] interval`.
    pub fn scheduler(&self) -> crate::schedule::Scheduler {
        crate::schedule::Scheduler {
            fixed_default: self.defaults.interval,
            tiers: self.schedule.tiers.clone(),
            max_backoff: self.schedule.max_backoff,
        }
    }
}
