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

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::alert::{AlertFilter, AlertSpec, PayloadFormat, Secret, WebhookSpec};
use crate::detect::{
    ChangeClass, DEFAULT_FLAP_LIMIT, DEFAULT_REVERT_WINDOW, DEFAULT_SUSPECT_AFTER, IgnoreRule,
    Masks,
};
use crate::extract::BodySelector;
use crate::fetch::FetchConfig;
use crate::model::{RawHtmlPolicy, SourceKind, SourceSettings, TargetUrl, parse_duration};
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
    /// `[[source]]`, in file order, without duplicates.
    pub sources: Vec<SourceSpec>,
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
            sources: Vec::new(),
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
        let err = |span: Option<Range<usize>>, message: String| {
            let (line, column) = line_column(text, span.map_or(0, |s| s.start));
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| err(e.span(), e.message().trim().to_string()))?;

        let mut config = Self::builtin();
        config.origin = ConfigOrigin::File(path.to_path_buf());

        if let Some(db) = raw.storage.database {
            if db.get_ref().trim().is_empty() {
                return Err(err(Some(db.span()), "`database` must not be empty".into()));
            }
            config.storage.database = PathBuf::from(db.into_inner());
        }
        if let Some(v) = &raw.storage.raw_html {
            config.storage.raw_html = match v.get_ref().as_str() {
                "all" => RawHtmlPolicy::All,
                "first_and_latest" => RawHtmlPolicy::FirstAndLatest,
                other => {
                    return Err(err(
                        Some(v.span()),
                        format!(
                            "unknown `raw_html` policy `{other}`: use \"all\" or \"first_and_latest\""
                        ),
                    ));
                }
            };
        }

        let duration = |v: &Spanned<String>, key: &str| {
            parse_duration(v.get_ref()).map_err(|e| err(Some(v.span()), format!("`{key}`: {e}")))
        };
        let positive = |v: &Spanned<u64>, key: &str| {
            if *v.get_ref() == 0 {
                Err(err(Some(v.span()), format!("`{key}` must be at least 1")))
            } else {
                Ok(*v.get_ref())
            }
        };
        let f = &mut config.fetch;
        if let Some(ua) = &raw.fetch.user_agent {
            if ua.get_ref().trim().is_empty() || ua.get_ref().contains(['\r', '\n']) {
                return Err(err(
                    Some(ua.span()),
                    "`user_agent` must be one non-empty line".into(),
                ));
            }
            f.user_agent = ua.get_ref().trim().to_string();
        }
        if let Some(t) = &raw.fetch.timeout {
            f.timeout = duration(t, "timeout")?;
            if f.timeout < Duration::from_millis(100) {
                return Err(err(
                    Some(t.span()),
                    "`timeout` must be at least 100ms".into(),
                ));
            }
        }
        if let Some(v) = &raw.fetch.max_body_bytes {
            f.max_body_bytes = positive(v, "max_body_bytes")?;
        }
        if let Some(v) = &raw.fetch.max_redirects {
            f.max_redirects = u32::try_from(*v.get_ref())
                .map_err(|_| err(Some(v.span()), "`max_redirects` is too large".into()))?;
        }
        if let Some(v) = &raw.fetch.concurrency {
            f.concurrency = u32::try_from(positive(v, "concurrency")?)
                .map_err(|_| err(Some(v.span()), "`concurrency` is too large".into()))?;
        }
        if let Some(v) = &raw.fetch.per_host_concurrency {
            f.per_host_concurrency = u32::try_from(positive(v, "per_host_concurrency")?)
                .map_err(|_| err(Some(v.span()), "`per_host_concurrency` is too large".into()))?;
        }
        if let Some(v) = &raw.fetch.per_host_gap {
            f.per_host_gap = duration(v, "per_host_gap")?;
        }
        if let Some(v) = raw.fetch.robots_txt {
            f.robots_txt = v;
        }
        if let Some(v) = &raw.fetch.revalidate_after {
            f.revalidate_after = duration(v, "revalidate_after")?;
            if f.revalidate_after.is_zero() {
                return Err(err(
                    Some(v.span()),
                    "`revalidate_after` must be longer than 0s".into(),
                ));
            }
        }
        for h in &raw.hosts {
            let key = h.host.get_ref().trim().to_ascii_lowercase();
            if key.is_empty() || key.contains(['/', ' ']) {
                return Err(err(
                    Some(h.host.span()),
                    "`match` must be a host name or host:port, like \"www.example.com\"".into(),
                ));
            }
            if config.hosts.iter().any(|o| o.host == key) {
                return Err(err(
                    Some(h.host.span()),
                    format!("host `{key}` has two [[host]] sections"),
                ));
            }
            let concurrency = match &h.concurrency {
                Some(v) => Some(
                    u32::try_from(positive(v, "concurrency")?)
                        .map_err(|_| err(Some(v.span()), "`concurrency` is too large".into()))?,
                ),
                None => None,
            };
            config.hosts.push(HostSpec {
                host: key,
                concurrency,
                gap: h.gap.as_ref().map(|g| duration(g, "gap")).transpose()?,
                robots_txt: h.robots_txt,
            });
        }
        if let Some(v) = &raw.schedule.max_backoff {
            config.schedule.max_backoff = duration(v, "max_backoff")?;
        }
        if let Some(v) = &raw.schedule.gone_after {
            if *v.get_ref() == 0 || *v.get_ref() > 1000 {
                return Err(err(
                    Some(v.span()),
                    "`gone_after` must be between 1 and 1000".into(),
                ));
            }
            config.schedule.gone_after = *v.get_ref() as u32;
        }
        if let Some(tiers) = &raw.schedule.tiers {
            if tiers.get_ref().is_empty() {
                return Err(err(
                    Some(tiers.span()),
                    "`tiers` needs at least one { until, every } tier".into(),
                ));
            }
            let mut out: Vec<crate::schedule::AgeTier> = Vec::new();
            for t in tiers.get_ref() {
                let until = duration(&t.until, "until")?;
                let every = duration(&t.every, "every")?;
                if every < MIN_INTERVAL {
                    return Err(err(
                        Some(t.every.span()),
                        "`every` must be at least 1s".into(),
                    ));
                }
                if let Some(prev) = out.last()
                    && until <= prev.until
                {
                    return Err(err(
                        Some(t.until.span()),
                        "tiers must be listed youngest first: each `until` later than the one before".into(),
                    ));
                }
                out.push(crate::schedule::AgeTier { until, every });
            }
            config.schedule.tiers = out;
        }
        if let Some(v) = &raw.metrics.listen {
            let addr: std::net::SocketAddr = v.get_ref().parse().map_err(|_| {
                err(
                    Some(v.span()),
                    format!("`listen` must be an address with a port, like \"127.0.0.1:9898\", not `{}`", v.get_ref()),
                )
            })?;
            config.metrics.listen = Some(addr);
        }

        let interval = |v: &Spanned<String>| {
            let d = duration(v, "interval")?;
            if d < MIN_INTERVAL {
                return Err(err(Some(v.span()), "`interval` must be at least 1s".into()));
            }
            Ok(d)
        };
        if let Some(v) = &raw.defaults.interval {
            config.defaults.interval = Some(interval(v)?);
        }
        let ignore_rules = |list: &Option<Vec<Spanned<String>>>| {
            list.iter()
                .flatten()
                .map(|r| {
                    IgnoreRule::parse(r.get_ref())
                        .map_err(|m| err(Some(r.span()), format!("`ignore`: {m}")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let tag_list = |list: &Option<Vec<Spanned<String>>>| {
            list.iter()
                .flatten()
                .map(|t| {
                    let tag = t.get_ref().trim();
                    if tag.is_empty() {
                        Err(err(
                            Some(t.span()),
                            "`tags` must not contain an empty tag".into(),
                        ))
                    } else {
                        Ok(tag.to_string())
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let exclude_rules = |list: &Option<Vec<Spanned<String>>>| {
            list.iter()
                .flatten()
                .map(|r| {
                    BodySelector::parse(r.get_ref())
                        .map_err(|e| err(Some(r.span()), format!("`exclude`: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        config.defaults.ignore = ignore_rules(&raw.defaults.ignore)?;
        config.defaults.exclude = exclude_rules(&raw.defaults.exclude)?;
        for m in raw.defaults.masks.iter().flatten() {
            match m.get_ref().as_str() {
                "dates" => config.defaults.masks.dates = true,
                "times" => config.defaults.masks.times = true,
                other => {
                    return Err(err(
                        Some(m.span()),
                        format!(
                            "unknown mask `{other}`: the masks are \"dates\" and \"times\" (relative times are always masked)"
                        ),
                    ));
                }
            }
        }
        let at_least_one = |v: &Option<Spanned<u64>>, key: &str, default: u32| match v {
            None => Ok(default),
            Some(v) if *v.get_ref() >= 1 && *v.get_ref() <= 1000 => Ok(*v.get_ref() as u32),
            Some(v) => Err(err(
                Some(v.span()),
                format!("`{key}` must be between 1 and 1000"),
            )),
        };
        if let Some(v) = &raw.defaults.failing_after {
            config.defaults.failing_after =
                at_least_one(&Some(v.clone()), "failing_after", DEFAULT_FAILING_AFTER)?;
        }
        config.noise = NoiseConfig {
            suspect_after: at_least_one(
                &raw.noise.suspect_after,
                "suspect_after",
                DEFAULT_SUSPECT_AFTER,
            )?,
            revert_window: at_least_one(
                &raw.noise.revert_window,
                "revert_window",
                DEFAULT_REVERT_WINDOW,
            )?,
            flap_limit: at_least_one(&raw.noise.flap_limit, "flap_limit", DEFAULT_FLAP_LIMIT)?,
        };

        for t in &raw.targets {
            let url = TargetUrl::parse(t.url.get_ref())
                .map_err(|e| err(Some(t.url.span()), format!("`url`: {e}")))?;
            if config.targets.iter().any(|o: &TargetSpec| o.url == url) {
                return Err(err(
                    Some(t.url.span()),
                    format!("target `{url}` is listed twice"),
                ));
            }
            let selector = match &t.selector {
                Some(s) => Some(
                    BodySelector::parse(s.get_ref())
                        .map_err(|e| err(Some(s.span()), format!("`selector`: {e}")))?,
                ),
                None => None,
            };
            config.targets.push(TargetSpec {
                url,
                name: t
                    .name
                    .as_ref()
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty()),
                interval: t.interval.as_ref().map(interval).transpose()?,
                selector,
                ignore: ignore_rules(&t.ignore)?,
                exclude: exclude_rules(&t.exclude)?,
                tags: tag_list(&t.tags)?,
                robots_txt: t.robots_txt,
            });
        }

        for src in &raw.sources {
            let url = TargetUrl::parse(src.url.get_ref())
                .map_err(|e| err(Some(src.url.span()), format!("`url`: {e}")))?;
            if config.sources.iter().any(|o: &SourceSpec| o.url == url) {
                return Err(err(
                    Some(src.url.span()),
                    format!("source `{url}` is listed twice"),
                ));
            }
            let kind = SourceKind::parse(src.kind.get_ref().trim()).ok_or_else(|| {
                err(
                    Some(src.kind.span()),
                    format!(
                        "unknown source kind `{}`: use \"feed\", \"sitemap\" or \"page\"",
                        src.kind.get_ref()
                    ),
                )
            })?;
            let patterns = |list: &Option<Vec<Spanned<String>>>, key: &str| {
                list.iter()
                    .flatten()
                    .map(|r| {
                        regex::Regex::new(r.get_ref())
                            .map(|_| r.get_ref().clone())
                            .map_err(|e| err(Some(r.span()), format!("`{key}`: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()
            };
            let mut settings = SourceSettings {
                include: patterns(&src.include, "include")?,
                exclude: patterns(&src.exclude, "exclude")?,
                robots_txt: src.robots_txt,
                ..SourceSettings::default()
            };
            if let Some(v) = &src.interval {
                settings.interval_ms = duration(v, "interval")?.as_millis() as u64;
            }
            if let Some(l) = &src.links {
                scraper::Selector::parse(l.get_ref()).map_err(|e| {
                    err(
                        Some(l.span()),
                        format!(
                            "`links`: `{}` is not a valid CSS selector: {e}",
                            l.get_ref()
                        ),
                    )
                })?;
                settings.links = Some(l.get_ref().clone());
            }
            for h in src.hosts.iter().flatten() {
                let host = h.get_ref().trim().to_ascii_lowercase();
                if host.is_empty() || host.contains(['/', ' ']) {
                    return Err(err(
                        Some(h.span()),
                        "`hosts` takes host names (or host:port), or \"*\" for any host".into(),
                    ));
                }
                settings.hosts.push(host);
            }
            let cap = |v: &Option<Spanned<u64>>, key: &str, default: u32| match v {
                None => Ok(default),
                Some(v) if (1..=1_000_000).contains(v.get_ref()) => Ok(*v.get_ref() as u32),
                Some(v) => Err(err(
                    Some(v.span()),
                    format!("`{key}` must be between 1 and 1000000"),
                )),
            };
            settings.max_new_per_poll = cap(
                &src.max_new_per_poll,
                "max_new_per_poll",
                crate::model::DEFAULT_MAX_NEW_PER_POLL,
            )?;
            settings.max_targets = cap(
                &src.max_targets,
                "max_targets",
                crate::model::DEFAULT_MAX_TARGETS,
            )?;
            if let Some(v) = &src.track_for {
                let d = duration(v, "track_for")?;
                if d < MIN_INTERVAL {
                    return Err(err(
                        Some(v.span()),
                        "`track_for` must be at least 1s".into(),
                    ));
                }
                settings.track_for_ms = Some(d.as_millis() as u64);
            }
            if let Some(t) = &src.targets {
                let t = t.get_ref();
                if let Some(s) = &t.selector {
                    BodySelector::parse(s.get_ref())
                        .map_err(|e| err(Some(s.span()), format!("`selector`: {e}")))?;
                    settings.targets.selector = Some(s.get_ref().clone());
                }
                settings.targets.interval_ms = t
                    .interval
                    .as_ref()
                    .map(interval)
                    .transpose()?
                    .map(|d| d.as_millis() as u64);
                settings.targets.ignore = ignore_rules(&t.ignore)?
                    .iter()
                    .map(|r| r.as_str().to_string())
                    .collect();
                settings.targets.exclude = exclude_rules(&t.exclude)?
                    .iter()
                    .map(|e| e.as_str().to_string())
                    .collect();
                settings.targets.tags = tag_list(&t.tags)?;
            }
            crate::discover::validate_settings(&settings, kind)
                .map_err(|m| err(Some(src.url.span()), format!("source `{url}`: {m}")))?;
            config.sources.push(SourceSpec {
                url,
                kind,
                settings,
            });
        }

        if !raw.alerts.is_empty() {
            config.alerts.clear();
            for a in &raw.alerts {
                let mut filter = AlertFilter::default();
                if let Some(classes) = &a.classes {
                    filter.classes.clear();
                    for c in classes {
                        let class = ChangeClass::parse(c.get_ref()).ok_or_else(|| {
                            err(
                                Some(c.span()),
                                format!(
                                    "unknown change class `{}`: the classes are cosmetic, minor, substantive, headline, revert and removed",
                                    c.get_ref()
                                ),
                            )
                        })?;
                        filter.classes.push(class);
                    }
                }
                if let Some(n) = a.min_words {
                    filter.min_words = n;
                }
                for t in a.targets.iter().flatten() {
                    filter.targets.push(
                        TargetUrl::parse(t.get_ref())
                            .map_err(|e| err(Some(t.span()), format!("`targets`: {e}")))?,
                    );
                }
                for t in a.sources.iter().flatten() {
                    filter.sources.push(
                        TargetUrl::parse(t.get_ref())
                            .map_err(|e| err(Some(t.span()), format!("`sources`: {e}")))?,
                    );
                }
                filter.tags = a
                    .tags
                    .iter()
                    .flatten()
                    .map(|t| t.get_ref().trim().to_string())
                    .collect();
                let webhook_only = [
                    ("url", a.url.as_ref().map(|v| v.span())),
                    ("secret", a.secret.as_ref().map(|v| v.span())),
                    ("headers", a.headers.as_ref().map(|v| v.span())),
                    ("timeout", a.timeout.as_ref().map(|v| v.span())),
                    ("format", a.format.as_ref().map(|v| v.span())),
                    ("name", a.name.as_ref().map(|v| v.span())),
                    ("retry_min", a.retry_min.as_ref().map(|v| v.span())),
                    ("retry_max", a.retry_max.as_ref().map(|v| v.span())),
                    ("max_age", a.max_age.as_ref().map(|v| v.span())),
                ];
                match a.kind.get_ref().as_str() {
                    "log" => {
                        if let Some((key, Some(span))) =
                            webhook_only.iter().find(|(_, s)| s.is_some())
                        {
                            return Err(err(
                                Some(span.clone()),
                                format!("`{key}` belongs to webhook alerts, not \"log\""),
                            ));
                        }
                        config.alerts.push(AlertSpec::Log(filter))
                    }
                    "webhook" => {
                        let spec = webhook_spec(a, filter, &err)?;
                        if config
                            .alerts
                            .iter()
                            .any(|x| matches!(x, AlertSpec::Webhook(w) if w.name == spec.name))
                        {
                            return Err(err(
                                Some(a.kind.span()),
                                format!(
                                    "two webhook alerts are named `{}`: give one a `name`",
                                    spec.name
                                ),
                            ));
                        }
                        config.alerts.push(AlertSpec::Webhook(Box::new(spec)))
                    }
                    other => {
                        return Err(err(
                            Some(a.kind.span()),
                            format!(
                                "unknown alert kind `{other}`: the kinds are \"log\" and \"webhook\""
                            ),
                        ));
                    }
                }
            }
        }
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

/// Validates one webhook `[[alert]]`.
fn webhook_spec(
    a: &RawAlert,
    filter: AlertFilter,
    err: &dyn Fn(Option<Range<usize>>, String) -> ConfigError,
) -> Result<WebhookSpec, ConfigError> {
    let duration = |v: &Spanned<String>, key: &str| {
        parse_duration(v.get_ref()).map_err(|e| err(Some(v.span()), format!("`{key}`: {e}")))
    };
    use base64::Engine as _;
    let Some(raw_url) = &a.url else {
        return Err(err(
            Some(a.kind.span()),
            "a webhook alert needs a `url`".into(),
        ));
    };
    let url = url::Url::parse(raw_url.get_ref())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            err(
                Some(raw_url.span()),
                format!("`url`: `{}` is not an http or https URL", raw_url.get_ref()),
            )
        })?;
    let Some(raw_secret) = &a.secret else {
        return Err(err(
            Some(a.kind.span()),
            "a webhook alert needs a `secret` (\"env:NAME\", \"file:PATH\" or \"whsec_…\")".into(),
        ));
    };
    let secret = Secret::resolve(raw_secret.get_ref())
        .map_err(|m| err(Some(raw_secret.span()), format!("`secret`: {m}")))?;
    let key = secret
        .expose()
        .strip_prefix("whsec_")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            err(
                Some(raw_secret.span()),
                "`secret` must be `whsec_` followed by base64 (the value is not shown)".into(),
            )
        })?;
    let mut headers = Vec::new();
    for (name, value) in a.headers.iter().flat_map(|h| h.get_ref().iter()) {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(err(
                Some(value.span()),
                format!("`headers`: `{name}` is not a valid header name"),
            ));
        }
        let v = Secret::resolve(value.get_ref())
            .map_err(|m| err(Some(value.span()), format!("`headers.{name}`: {m}")))?;
        if reqwest::header::HeaderValue::from_str(v.expose()).is_err() {
            return Err(err(
                Some(value.span()),
                format!("`headers.{name}` is not a valid header value"),
            ));
        }
        headers.push((name.clone(), v));
    }
    let format = match a.format.as_ref().map(|f| f.get_ref().as_str()) {
        None | Some("json") => PayloadFormat::Json,
        Some("slack") => PayloadFormat::Slack,
        Some("discord") => PayloadFormat::Discord,
        Some(other) => {
            return Err(err(
                a.format.as_ref().map(|f| f.span()),
                format!(
                    "unknown format `{other}`: the formats are \"json\", \"slack\" and \"discord\""
                ),
            ));
        }
    };
    let opt_duration = |v: &Option<Spanned<String>>,
                        key: &str,
                        default: Duration|
     -> Result<Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(v) => {
                let d = duration(v, key)?;
                if d.is_zero() {
                    return Err(err(
                        Some(v.span()),
                        format!("`{key}` must be more than zero"),
                    ));
                }
                Ok(d)
            }
        }
    };
    let name = a
        .name
        .as_ref()
        .map(|n| n.get_ref().trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| url.to_string());
    let retry_min = opt_duration(&a.retry_min, "retry_min", DEFAULT_RETRY_MIN)?;
    let retry_max = opt_duration(&a.retry_max, "retry_max", DEFAULT_RETRY_MAX)?.max(retry_min);
    Ok(WebhookSpec {
        name,
        url,
        key,
        headers,
        timeout: opt_duration(&a.timeout, "timeout", DEFAULT_WEBHOOK_TIMEOUT)?,
        format,
        filter,
        retry_min,
        retry_max,
        max_age: opt_duration(&a.max_age, "max_age", DEFAULT_MAX_AGE)?,
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default, rename = "target")]
    targets: Vec<RawTarget>,
    #[serde(default, rename = "alert")]
    alerts: Vec<RawAlert>,
    #[serde(default, rename = "source")]
    sources: Vec<RawSource>,
    #[serde(default)]
    noise: RawNoise,
    #[serde(default, rename = "host")]
    hosts: Vec<RawHost>,
    #[serde(default)]
    schedule: RawSchedule,
    #[serde(default)]
    metrics: RawMetrics,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    #[serde(rename = "match")]
    host: Spanned<String>,
    concurrency: Option<Spanned<u64>>,
    gap: Option<Spanned<String>>,
    robots_txt: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    tiers: Option<Spanned<Vec<RawTier>>>,
    max_backoff: Option<Spanned<String>>,
    gone_after: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    until: Spanned<String>,
    every: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    listen: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNoise {
    suspect_after: Option<Spanned<u64>>,
    revert_window: Option<Spanned<u64>>,
    flap_limit: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    database: Option<Spanned<String>>,
    raw_html: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    user_agent: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body_bytes: Option<Spanned<u64>>,
    max_redirects: Option<Spanned<u64>>,
    concurrency: Option<Spanned<u64>>,
    per_host_concurrency: Option<Spanned<u64>>,
    per_host_gap: Option<Spanned<String>>,
    robots_txt: Option<bool>,
    revalidate_after: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    interval: Option<Spanned<String>>,
    ignore: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    masks: Option<Vec<Spanned<String>>>,
    failing_after: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    url: Spanned<String>,
    name: Option<String>,
    interval: Option<Spanned<String>>,
    selector: Option<Spanned<String>>,
    ignore: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    tags: Option<Vec<Spanned<String>>>,
    robots_txt: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    url: Spanned<String>,
    kind: Spanned<String>,
    interval: Option<Spanned<String>>,
    include: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    links: Option<Spanned<String>>,
    hosts: Option<Vec<Spanned<String>>>,
    max_new_per_poll: Option<Spanned<u64>>,
    max_targets: Option<Spanned<u64>>,
    track_for: Option<Spanned<String>>,
    robots_txt: Option<bool>,
    targets: Option<Spanned<RawSourceTargets>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSourceTargets {
    interval: Option<Spanned<String>>,
    selector: Option<Spanned<String>>,
    exclude: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    tags: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlert {
    kind: Spanned<String>,
    classes: Option<Vec<Spanned<String>>>,
    min_words: Option<u64>,
    targets: Option<Vec<Spanned<String>>>,
    tags: Option<Vec<Spanned<String>>>,
    sources: Option<Vec<Spanned<String>>>,
    name: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    secret: Option<Spanned<String>>,
    headers: Option<Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
    timeout: Option<Spanned<String>>,
    format: Option<Spanned<String>>,
    retry_min: Option<Spanned<String>>,
    retry_max: Option<Spanned<String>>,
    max_age: Option<Spanned<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::{DEFAULT_MAX_BODY_BYTES, DEFAULT_PER_HOST_GAP, DEFAULT_TIMEOUT};

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("test.toml"))
    }

    fn error_at(text: &str) -> (usize, usize, String) {
        match parse(text) {
            Err(ConfigError::Invalid {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn the_shipped_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG_PATH);
        let config = Config::load(&path).unwrap();
        assert!(
            !config.targets.is_empty(),
            "the example config shows a target"
        );
        assert_eq!(config.alerts, vec![AlertSpec::Log(AlertFilter::default())]);
    }

    #[test]
    fn sources_are_read_with_their_target_defaults() {
        let c = parse(
            r#"
[[source]]
url = "https://news.example/rss.xml"
kind = "feed"
interval = "5m"
include = ["/world/"]
exclude = ["/video/"]
hosts = ["CDN.news.example"]
track_for = "14d"
max_new_per_poll = 10
max_targets = 50

[source.targets]
interval = "15m"
selector = "article"
exclude = ["aside"]
ignore = ["Updated \\d+ minutes ago"]
tags = ["world"]

[[source]]
url = "https://news.example/world"
kind = "page"
links = "main h2 a"

[[alert]]
kind = "log"
sources = ["https://news.example/rss.xml"]
"#,
        )
        .unwrap();
        assert_eq!(c.sources.len(), 2);
        let s = &c.sources[0].settings;
        assert_eq!(c.sources[0].kind, SourceKind::Feed);
        assert_eq!(s.interval_ms, 300_000);
        assert_eq!(s.include, ["/world/"]);
        assert_eq!(s.exclude, ["/video/"]);
        assert_eq!(s.hosts, ["cdn.news.example"]);
        assert_eq!(s.track_for_ms, Some(14 * 86_400_000));
        assert_eq!((s.max_new_per_poll, s.max_targets), (10, 50));
        assert_eq!(s.targets.interval_ms, Some(900_000));
        assert_eq!(s.targets.selector.as_deref(), Some("article"));
        assert_eq!(s.targets.tags, ["world"]);
        assert_eq!(s.targets.ignore, ["Updated \\d+ minutes ago"]);
        assert_eq!(c.sources[1].settings.links.as_deref(), Some("main h2 a"));
        assert_eq!(c.sources[1].settings.interval_ms, 600_000, "default poll");
        let AlertSpec::Log(f) = &c.alerts[0] else {
            panic!("a log sink")
        };
        assert!(f.covers(
            "https://news.example/a",
            &[],
            Some("https://news.example/rss.xml")
        ));
        assert!(!f.covers("https://news.example/a", &[], None));
    }

    #[test]
    fn bad_sources_are_named_where_they_stand() {
        let (line, _, msg) = error_at("[[source]]\nurl = \"https://e.com/f\"\nkind = \"rss\"\n");
        assert_eq!(line, 3);
        assert!(msg.contains("unknown source kind `rss`"), "{msg}");
        let (line, _, msg) = error_at("[[source]]\nurl = \"https://e.com/\"\nkind = \"page\"\n");
        assert_eq!(line, 2);
        assert!(msg.contains("needs `include`"), "{msg}");
        let (line, _, msg) =
            error_at("[[source]]\nurl = \"https://e.com/f\"\nkind = \"feed\"\nexclude = [\"[\"]\n");
        assert_eq!(line, 4);
        assert!(msg.contains("`exclude`"), "{msg}");
        let (_, _, msg) = error_at(
            "[[source]]\nurl = \"https://e.com/f\"\nkind = \"feed\"\nfrequency = \"5m\"\n",
        );
        assert!(msg.contains("frequency"), "{msg}");
        let (_, _, msg) =
            error_at("[[source]]\nurl = \"https://e.com/f\"\nkind = \"feed\"\nmax_targets = 0\n");
        assert!(msg.contains("between 1 and"), "{msg}");
    }

    #[test]
    fn empty_config_gives_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.storage.database, PathBuf::from(DEFAULT_DATABASE));
        assert_eq!(c.fetch.timeout, DEFAULT_TIMEOUT);
        assert_eq!(c.fetch.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(c.defaults.interval, None, "the age schedule decides");
        assert_eq!(c.schedule, ScheduleConfig::default());
        assert_eq!(c.fetch.per_host_gap, DEFAULT_PER_HOST_GAP);
        assert!(c.fetch.robots_txt);
        assert!(c.targets.is_empty());
        assert_eq!(c.alerts, vec![AlertSpec::Log(AlertFilter::default())]);
    }

    #[test]
    fn full_config_is_read() {
        let c = parse(
            r#"
[storage]
database = "/var/lib/redline/redline.db"
[fetch]
user_agent = "test-agent"
timeout = "10s"
max_body_bytes = 1000
max_redirects = 0
concurrency = 4
per_host_concurrency = 1
[defaults]
interval = "1h"
[[target]]
url = "https://example.com/a"
name = "A"
interval = "5m"
selector = "div.body"
[[target]]
url = "https://example.com/b"
[[alert]]
kind = "log"
"#,
        )
        .unwrap();
        assert_eq!(c.fetch.user_agent, "test-agent");
        assert_eq!(c.fetch.timeout, Duration::from_secs(10));
        assert_eq!(c.fetch.max_redirects, 0);
        assert_eq!(c.targets.len(), 2);
        assert_eq!(c.targets[0].name.as_deref(), Some("A"));
        assert_eq!(c.targets[0].interval, Some(Duration::from_secs(300)));
        assert_eq!(c.targets[0].selector.as_ref().unwrap().as_str(), "div.body");
        assert_eq!(
            c.fixed_interval(c.targets[1].interval),
            Some(Duration::from_secs(3600))
        );
    }

    #[test]
    fn politeness_schedule_and_metrics_are_read() {
        let c = parse(
            r#"
[storage]
raw_html = "first_and_latest"
[fetch]
per_host_gap = "250ms"
robots_txt = false
[[host]]
match = "News.Example.com"
concurrency = 4
gap = "0s"
robots_txt = true
[schedule]
tiers = [{ until = "1h", every = "2m" }, { until = "2d", every = "1h" }]
max_backoff = "2h"
gone_after = 2
[metrics]
listen = "127.0.0.1:9898"
[[target]]
url = "https://example.com/a"
robots_txt = false
"#,
        )
        .unwrap();
        assert_eq!(c.storage.raw_html, RawHtmlPolicy::FirstAndLatest);
        assert_eq!(c.fetch.per_host_gap, Duration::from_millis(250));
        assert!(!c.fetch.robots_txt);
        assert_eq!(
            c.hosts,
            vec![HostSpec {
                host: "news.example.com".into(),
                concurrency: Some(4),
                gap: Some(Duration::ZERO),
                robots_txt: Some(true),
            }]
        );
        assert_eq!(c.schedule.tiers.len(), 2);
        assert_eq!(c.schedule.tiers[1].every, Duration::from_secs(3600));
        assert_eq!(c.schedule.max_backoff, Duration::from_secs(7200));
        assert_eq!(c.schedule.gone_after, 2);
        assert_eq!(c.metrics.listen, Some("127.0.0.1:9898".parse().unwrap()));
        assert_eq!(c.targets[0].robots_txt, Some(false));
    }

    #[test]
    fn bad_tiers_hosts_and_listen_are_named() {
        let (line, _, msg) = error_at(
            "[schedule]\ntiers = [{ until = \"1d\", every = \"1h\" },\n  { until = \"3h\", every = \"5m\" }]\n",
        );
        assert_eq!(line, 3);
        assert!(msg.contains("youngest first"), "{msg}");
        let (line, _, msg) = error_at("[[host]]\nmatch = \"a.com\"\n[[host]]\nmatch = \"A.com\"\n");
        assert_eq!(line, 4);
        assert!(msg.contains("two [[host]]"), "{msg}");
        let (line, _, msg) = error_at("[metrics]\nlisten = \"localhost\"\n");
        assert_eq!(line, 2);
        assert!(msg.contains("127.0.0.1:9898"), "{msg}");
    }

    #[test]
    fn unknown_key_is_rejected_with_its_line() {
        let (line, col, msg) = error_at("[fetch]\ntimeout = \"5s\"\nretries = 3\n");
        assert_eq!((line, col), (3, 1));
        assert!(msg.contains("retries"), "{msg}");
    }

    #[test]
    fn unknown_key_in_a_target_is_rejected() {
        let (line, _, msg) = error_at("[[target]]\nurl = \"https://e.com/\"\nintervall = \"5m\"\n");
        assert_eq!(line, 3);
        assert!(msg.contains("intervall"), "{msg}");
    }

    #[test]
    fn bad_values_are_rejected_where_they_stand() {
        let (line, col, msg) = error_at("[[target]]\nurl = \"htp:/nope\"\n");
        assert_eq!((line, col), (2, 7));
        assert!(msg.contains("url"), "{msg}");

        let (line, _, msg) = error_at("[defaults]\ninterval = \"soon\"\n");
        assert_eq!(line, 2);
        assert!(msg.contains("soon"), "{msg}");

        let (line, _, msg) =
            error_at("[[target]]\nurl = \"https://e.com/\"\nselector = \"div[[\"\n");
        assert_eq!(line, 3);
        assert!(msg.contains("selector"), "{msg}");

        let (line, _, _) = error_at("[fetch]\nmax_body_bytes = 0\n");
        assert_eq!(line, 2);

        let (line, _, msg) = error_at("[[alert]]\nkind = \"pager\"\n");
        assert_eq!(line, 2);
        assert!(msg.contains("pager"), "{msg}");

        let (line, _, msg) = error_at(
            "[[target]]\nurl = \"https://e.com/a\"\n[[target]]\nurl = \"https://e.com/a#x\"\n",
        );
        assert_eq!(line, 4);
        assert!(msg.contains("twice"), "{msg}");
    }

    #[test]
    fn noise_rules_and_alert_filters_are_read() {
        let c = parse(
            r#"
[defaults]
ignore = ["Reading time: \\d+ min"]
exclude = ["div.live-ticker"]
masks = ["dates", "times"]
[noise]
suspect_after = 2
revert_window = 4
flap_limit = 5
[[target]]
url = "https://e.com/a"
ignore = ["\\d+ comments"]
exclude = ["aside.promo", ".newsletter"]
tags = ["politics"]
[[alert]]
kind = "log"
classes = ["headline", "substantive"]
min_words = 3
tags = ["politics", "world"]
targets = ["https://e.com/a"]
"#,
        )
        .unwrap();
        assert_eq!(c.defaults.ignore[0].as_str(), r"Reading time: \d+ min");
        assert_eq!(c.defaults.exclude[0].as_str(), "div.live-ticker");
        assert!(c.defaults.masks.dates && c.defaults.masks.times);
        assert_eq!(
            c.noise,
            NoiseConfig {
                suspect_after: 2,
                revert_window: 4,
                flap_limit: 5
            }
        );
        assert_eq!(c.targets[0].ignore.len(), 1);
        assert_eq!(c.targets[0].exclude.len(), 2);
        let AlertSpec::Log(f) = &c.alerts[0] else {
            panic!("a log sink")
        };
        assert_eq!(
            f.classes,
            vec![ChangeClass::Headline, ChangeClass::Substantive]
        );
        assert!(f.accepts(ChangeClass::Headline, 3) && !f.accepts(ChangeClass::Headline, 2));
        assert!(!f.accepts(ChangeClass::Minor, 10));
        assert!(!AlertFilter::default().accepts(ChangeClass::Cosmetic, 10));
        assert_eq!(c.targets[0].tags, vec!["politics".to_string()]);
        assert!(f.covers("https://e.com/a", &["politics".into()], None));
        assert!(!f.covers("https://e.com/a", &["sport".into()], None));
        assert!(!f.covers("https://e.com/b", &["politics".into()], None));
        assert!(AlertFilter::default().covers("https://e.com/b", &[], None));

        let (line, _, msg) =
            error_at("[[target]]\nurl = \"https://e.com/\"\nignore = [\"(unclosed\"]\n");
        assert_eq!(line, 3);
        assert!(msg.contains("regex"), "{msg}");
        let (line, _, msg) = error_at("[[alert]]\nkind = \"log\"\nclasses = [\"big\"]\n");
        assert_eq!(line, 3);
        assert!(msg.contains("big"), "{msg}");
        let (line, _, _) = error_at("[defaults]\nmasks = [\"weather\"]\n");
        assert_eq!(line, 2);
        let (line, _, _) = error_at("[noise]\nsuspect_after = 0\n");
        assert_eq!(line, 2);
    }

    #[test]
    fn webhook_alerts_are_read_and_secrets_resolved() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe {
            std::env::set_var(
                "REDLINE_TEST_WEBHOOK_SECRET",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            )
        };
        let c = parse(
            r#"
[[alert]]
kind = "webhook"
name = "newsroom"
url = "https://hooks.example/redline"
secret = "env:REDLINE_TEST_WEBHOOK_SECRET"
headers = { Authorization = "Bearer abc" }
timeout = "5s"
format = "slack"
classes = ["headline"]
min_words = 2
retry_min = "1s"
retry_max = "10m"
max_age = "1d"
"#,
        )
        .unwrap();
        let AlertSpec::Webhook(w) = &c.alerts[0] else {
            panic!("a webhook sink")
        };
        assert_eq!(w.name, "newsroom");
        assert_eq!(w.format, PayloadFormat::Slack);
        assert_eq!(w.key.len(), 24);
        assert_eq!(w.headers[0].0, "Authorization");
        assert_eq!(w.retry_max, Duration::from_secs(600));
        assert!(
            !format!("{c:?}").contains("MfKQ9r8"),
            "secrets never show in Debug output"
        );
        assert!(!format!("{c:?}").contains("Bearer abc"));

        let (line, _, msg) = error_at(
            "[[alert]]\nkind = \"webhook\"\nurl = \"https://e.com/\"\nsecret = \"env:REDLINE_TEST_UNSET_VARIABLE\"\n",
        );
        assert_eq!(line, 4);
        assert!(msg.contains("REDLINE_TEST_UNSET_VARIABLE"), "{msg}");
        let (line, _, msg) = error_at(
            "[[alert]]\nkind = \"webhook\"\nurl = \"https://e.com/\"\nsecret = \"hunter2\"\n",
        );
        assert_eq!(line, 4);
        assert!(!msg.contains("hunter2"), "the secret is not echoed: {msg}");
        let (line, _, _) = error_at("[[alert]]\nkind = \"webhook\"\nsecret = \"whsec_AAAA\"\n");
        assert_eq!(line, 2);
        let (line, _, _) = error_at("[[alert]]\nkind = \"log\"\nurl = \"https://e.com/\"\n");
        assert_eq!(line, 3);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let (line, _, _) = error_at("[fetch]\ntimeout = \"5s\n");
        assert_eq!(line, 2);
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("", 0), (1, 1));
    }
}
