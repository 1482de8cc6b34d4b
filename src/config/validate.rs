//! The second step of reading a config: each raw section checked and
//! turned into the settings the modules below define, one function per
//! section, every error naming the line and column of the value at fault.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::raw::*;
use super::*;
use crate::detect::IgnoreRule;
use crate::extract::BodySelector;
use crate::model::{RawHtmlPolicy, SourceKind, SourceSettings, TargetUrl, parse_duration};
use crate::polite::HostSpec;

/// What every section's validation shares: the file's text and path, to
/// name the line and column of a value at fault, and the checks many
/// sections make.
pub(super) struct Ctx<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
}

impl Ctx<'_> {
    /// An error at `span` (the file's start when there is none).
    pub(super) fn err(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        let (line, column) = line_column(self.text, span.map_or(0, |s| s.start));
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            message,
        }
    }

    pub(super) fn duration(&self, v: &Spanned<String>, key: &str) -> Result<Duration, ConfigError> {
        parse_duration(v.get_ref()).map_err(|e| self.err(Some(v.span()), format!("`{key}`: {e}")))
    }

    fn positive(&self, v: &Spanned<u64>, key: &str) -> Result<u64, ConfigError> {
        if *v.get_ref() == 0 {
            Err(self.err(Some(v.span()), format!("`{key}` must be at least 1")))
        } else {
            Ok(*v.get_ref())
        }
    }

    fn interval(&self, v: &Spanned<String>) -> Result<Duration, ConfigError> {
        let d = self.duration(v, "interval")?;
        if d < MIN_INTERVAL {
            return Err(self.err(Some(v.span()), "`interval` must be at least 1s".into()));
        }
        Ok(d)
    }

    fn ignore_rules(
        &self,
        list: &Option<Vec<Spanned<String>>>,
    ) -> Result<Vec<IgnoreRule>, ConfigError> {
        list.iter()
            .flatten()
            .map(|r| {
                IgnoreRule::parse(r.get_ref())
                    .map_err(|m| self.err(Some(r.span()), format!("`ignore`: {m}")))
            })
            .collect()
    }

    fn tag_list(&self, list: &Option<Vec<Spanned<String>>>) -> Result<Vec<String>, ConfigError> {
        list.iter()
            .flatten()
            .map(|t| {
                let tag = t.get_ref().trim();
                if tag.is_empty() {
                    Err(self.err(
                        Some(t.span()),
                        "`tags` must not contain an empty tag".into(),
                    ))
                } else {
                    Ok(tag.to_string())
                }
            })
            .collect()
    }

    fn exclude_rules(
        &self,
        list: &Option<Vec<Spanned<String>>>,
    ) -> Result<Vec<BodySelector>, ConfigError> {
        list.iter()
            .flatten()
            .map(|r| {
                BodySelector::parse(r.get_ref())
                    .map_err(|e| self.err(Some(r.span()), format!("`exclude`: {e}")))
            })
            .collect()
    }

    fn at_least_one(
        &self,
        v: &Option<Spanned<u64>>,
        key: &str,
        default: u32,
    ) -> Result<u32, ConfigError> {
        match v {
            None => Ok(default),
            Some(v) if *v.get_ref() >= 1 && *v.get_ref() <= 1000 => Ok(*v.get_ref() as u32),
            Some(v) => Err(self.err(
                Some(v.span()),
                format!("`{key}` must be between 1 and 1000"),
            )),
        }
    }
}

/// `[storage]`.
pub(super) fn storage(
    cx: &Ctx<'_>,
    raw: &RawStorage,
    config: &mut Config,
) -> Result<(), ConfigError> {
    if let Some(db) = &raw.database {
        if db.get_ref().trim().is_empty() {
            return Err(cx.err(Some(db.span()), "`database` must not be empty".into()));
        }
        config.storage.database = PathBuf::from(db.get_ref());
    }
    if let Some(v) = &raw.raw_html {
        config.storage.raw_html = match v.get_ref().as_str() {
            "all" => RawHtmlPolicy::All,
            "first_and_latest" => RawHtmlPolicy::FirstAndLatest,
            other => {
                return Err(cx.err(
                    Some(v.span()),
                    format!(
                        "unknown `raw_html` policy `{other}`: use \"all\" or \"first_and_latest\""
                    ),
                ));
            }
        };
    }
    Ok(())
}

/// `[fetch]`.
pub(super) fn fetch(cx: &Ctx<'_>, raw: &RawFetch, config: &mut Config) -> Result<(), ConfigError> {
    let f = &mut config.fetch;
    if let Some(ua) = &raw.user_agent {
        if ua.get_ref().trim().is_empty() || ua.get_ref().contains(['\r', '\n']) {
            return Err(cx.err(
                Some(ua.span()),
                "`user_agent` must be one non-empty line".into(),
            ));
        }
        f.user_agent = ua.get_ref().trim().to_string();
    }
    if let Some(t) = &raw.timeout {
        f.timeout = cx.duration(t, "timeout")?;
        if f.timeout < Duration::from_millis(100) {
            return Err(cx.err(Some(t.span()), "`timeout` must be at least 100ms".into()));
        }
    }
    if let Some(v) = &raw.max_body_bytes {
        f.max_body_bytes = cx.positive(v, "max_body_bytes")?;
    }
    if let Some(v) = &raw.max_redirects {
        f.max_redirects = u32::try_from(*v.get_ref())
            .map_err(|_| cx.err(Some(v.span()), "`max_redirects` is too large".into()))?;
    }
    if let Some(v) = &raw.concurrency {
        f.concurrency = u32::try_from(cx.positive(v, "concurrency")?)
            .map_err(|_| cx.err(Some(v.span()), "`concurrency` is too large".into()))?;
    }
    if let Some(v) = &raw.per_host_concurrency {
        f.per_host_concurrency = u32::try_from(cx.positive(v, "per_host_concurrency")?)
            .map_err(|_| cx.err(Some(v.span()), "`per_host_concurrency` is too large".into()))?;
    }
    if let Some(v) = &raw.per_host_gap {
        f.per_host_gap = cx.duration(v, "per_host_gap")?;
    }
    if let Some(v) = raw.robots_txt {
        f.robots_txt = v;
    }
    if let Some(v) = &raw.revalidate_after {
        f.revalidate_after = cx.duration(v, "revalidate_after")?;
        if f.revalidate_after.is_zero() {
            return Err(cx.err(
                Some(v.span()),
                "`revalidate_after` must be longer than 0s".into(),
            ));
        }
    }
    Ok(())
}

/// Every `[[host]]`.
pub(super) fn hosts(cx: &Ctx<'_>, raw: &[RawHost], config: &mut Config) -> Result<(), ConfigError> {
    for h in raw {
        let key = h.host.get_ref().trim().to_ascii_lowercase();
        if key.is_empty() || key.contains(['/', ' ']) {
            return Err(cx.err(
                Some(h.host.span()),
                "`match` must be a host name or host:port, like \"www.example.com\"".into(),
            ));
        }
        if config.hosts.iter().any(|o| o.host == key) {
            return Err(cx.err(
                Some(h.host.span()),
                format!("host `{key}` has two [[host]] sections"),
            ));
        }
        let concurrency = match &h.concurrency {
            Some(v) => Some(
                u32::try_from(cx.positive(v, "concurrency")?)
                    .map_err(|_| cx.err(Some(v.span()), "`concurrency` is too large".into()))?,
            ),
            None => None,
        };
        config.hosts.push(HostSpec {
            host: key,
            concurrency,
            gap: h.gap.as_ref().map(|g| cx.duration(g, "gap")).transpose()?,
            robots_txt: h.robots_txt,
        });
    }
    Ok(())
}

/// `[schedule]`.
pub(super) fn schedule(
    cx: &Ctx<'_>,
    raw: &RawSchedule,
    config: &mut Config,
) -> Result<(), ConfigError> {
    if let Some(v) = &raw.max_backoff {
        config.schedule.max_backoff = cx.duration(v, "max_backoff")?;
    }
    if let Some(v) = &raw.gone_after {
        if *v.get_ref() == 0 || *v.get_ref() > 1000 {
            return Err(cx.err(
                Some(v.span()),
                "`gone_after` must be between 1 and 1000".into(),
            ));
        }
        config.schedule.gone_after = *v.get_ref() as u32;
    }
    if let Some(tiers) = &raw.tiers {
        if tiers.get_ref().is_empty() {
            return Err(cx.err(
                Some(tiers.span()),
                "`tiers` needs at least one { until, every } tier".into(),
            ));
        }
        let mut out: Vec<crate::schedule::AgeTier> = Vec::new();
        for t in tiers.get_ref() {
            let until = cx.duration(&t.until, "until")?;
            let every = cx.duration(&t.every, "every")?;
            if every < MIN_INTERVAL {
                return Err(cx.err(Some(t.every.span()), "`every` must be at least 1s".into()));
            }
            if let Some(prev) = out.last()
                && until <= prev.until
            {
                return Err(cx.err(
                    Some(t.until.span()),
                    "tiers must be listed youngest first: each `until` later than the one before"
                        .into(),
                ));
            }
            out.push(crate::schedule::AgeTier { until, every });
        }
        config.schedule.tiers = out;
    }
    Ok(())
}

/// `[export]`.
pub(super) fn export(
    cx: &Ctx<'_>,
    raw: &RawExport,
    config: &mut Config,
) -> Result<(), ConfigError> {
    if let Some(v) = &raw.operator {
        let op = v.get_ref().trim();
        if op.is_empty() || op.contains(['\r', '\n']) {
            return Err(cx.err(
                Some(v.span()),
                "`operator` must be one non-empty line, like \"Newsroom archive <archive@example.org>\"".to_string(),
            ));
        }
        config.export.operator = Some(op.to_string());
    }
    Ok(())
}

/// `[metrics]`.
pub(super) fn metrics(
    cx: &Ctx<'_>,
    raw: &RawMetrics,
    config: &mut Config,
) -> Result<(), ConfigError> {
    if let Some(v) = &raw.listen {
        config.metrics.listen = Some(listen_address(cx, v, "127.0.0.1:9898")?);
    }
    Ok(())
}

/// A `listen` key: an address with a port (`example` shows one).
fn listen_address(
    cx: &Ctx<'_>,
    v: &Spanned<String>,
    example: &str,
) -> Result<std::net::SocketAddr, ConfigError> {
    v.get_ref().parse().map_err(|_| {
        cx.err(
            Some(v.span()),
            format!(
                "`listen` must be an address with a port, like \"{example}\", not `{}`",
                v.get_ref()
            ),
        )
    })
}

/// `[web]`: the address, and the token (a secret, `env:` or `file:`, at
/// least 16 bytes). Whether a token is needed is [`crate::web::require_token`]'s
/// call, made here for the configured address.
pub(super) fn web(cx: &Ctx<'_>, raw: &RawWeb, config: &mut Config) -> Result<(), ConfigError> {
    if let Some(v) = &raw.listen {
        config.web.listen = Some(listen_address(cx, v, "127.0.0.1:8080")?);
    }
    if let Some(v) = &raw.token {
        let raw_token = v.get_ref();
        if !(raw_token.starts_with("env:") || raw_token.starts_with("file:")) {
            return Err(cx.err(
                Some(v.span()),
                "`token` must be \"env:NAME\" or \"file:PATH\", so the token itself is not in the config file (the value is not shown)".into(),
            ));
        }
        let secret = crate::alert::Secret::resolve(raw_token)
            .map_err(|m| cx.err(Some(v.span()), format!("`token`: {m}")))?;
        if secret.expose().len() < crate::web::MIN_TOKEN_BYTES {
            return Err(cx.err(
                Some(v.span()),
                format!(
                    "`token` must be at least {} bytes long (the value is not shown)",
                    crate::web::MIN_TOKEN_BYTES
                ),
            ));
        }
        config.web.token = Some(secret);
    }
    if let Some(addr) = config.web.listen
        && let Err(e) = crate::web::require_token(addr, config.web.token.is_some())
    {
        return Err(cx.err(raw.listen.as_ref().map(|v| v.span()), e.to_string()));
    }
    Ok(())
}

/// `[defaults]`.
pub(super) fn defaults(
    cx: &Ctx<'_>,
    raw: &RawDefaults,
    config: &mut Config,
) -> Result<(), ConfigError> {
    if let Some(v) = &raw.interval {
        config.defaults.interval = Some(cx.interval(v)?);
    }
    config.defaults.ignore = cx.ignore_rules(&raw.ignore)?;
    config.defaults.exclude = cx.exclude_rules(&raw.exclude)?;
    for m in raw.masks.iter().flatten() {
        match m.get_ref().as_str() {
            "dates" => config.defaults.masks.dates = true,
            "times" => config.defaults.masks.times = true,
            other => {
                return Err(cx.err(
                    Some(m.span()),
                    format!(
                        "unknown mask `{other}`: the masks are \"dates\" and \"times\" (relative times are always masked)"
                    ),
                ));
            }
        }
    }
    if let Some(v) = &raw.failing_after {
        config.defaults.failing_after =
            cx.at_least_one(&Some(v.clone()), "failing_after", DEFAULT_FAILING_AFTER)?;
    }
    Ok(())
}

/// `[noise]`.
pub(super) fn noise(cx: &Ctx<'_>, raw: &RawNoise, config: &mut Config) -> Result<(), ConfigError> {
    config.noise = NoiseConfig {
        suspect_after: cx.at_least_one(
            &raw.suspect_after,
            "suspect_after",
            DEFAULT_SUSPECT_AFTER,
        )?,
        revert_window: cx.at_least_one(
            &raw.revert_window,
            "revert_window",
            DEFAULT_REVERT_WINDOW,
        )?,
        flap_limit: cx.at_least_one(&raw.flap_limit, "flap_limit", DEFAULT_FLAP_LIMIT)?,
    };
    Ok(())
}

/// Every `[[target]]`.
pub(super) fn targets(
    cx: &Ctx<'_>,
    raw: &[RawTarget],
    config: &mut Config,
) -> Result<(), ConfigError> {
    for t in raw {
        let url = TargetUrl::parse(t.url.get_ref())
            .map_err(|e| cx.err(Some(t.url.span()), format!("`url`: {e}")))?;
        if config.targets.iter().any(|o: &TargetSpec| o.url == url) {
            return Err(cx.err(
                Some(t.url.span()),
                format!("target `{url}` is listed twice"),
            ));
        }
        let selector = match &t.selector {
            Some(s) => Some(
                BodySelector::parse(s.get_ref())
                    .map_err(|e| cx.err(Some(s.span()), format!("`selector`: {e}")))?,
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
            interval: t.interval.as_ref().map(|v| cx.interval(v)).transpose()?,
            selector,
            ignore: cx.ignore_rules(&t.ignore)?,
            exclude: cx.exclude_rules(&t.exclude)?,
            tags: cx.tag_list(&t.tags)?,
            robots_txt: t.robots_txt,
        });
    }
    Ok(())
}

/// Every `[[source]]`.
pub(super) fn sources(
    cx: &Ctx<'_>,
    raw: &[RawSource],
    config: &mut Config,
) -> Result<(), ConfigError> {
    for src in raw {
        let url = TargetUrl::parse(src.url.get_ref())
            .map_err(|e| cx.err(Some(src.url.span()), format!("`url`: {e}")))?;
        if config.sources.iter().any(|o: &SourceSpec| o.url == url) {
            return Err(cx.err(
                Some(src.url.span()),
                format!("source `{url}` is listed twice"),
            ));
        }
        let kind = SourceKind::parse(src.kind.get_ref().trim()).ok_or_else(|| {
            cx.err(
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
                        .map_err(|e| cx.err(Some(r.span()), format!("`{key}`: {e}")))
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
            settings.interval_ms = cx.duration(v, "interval")?.as_millis() as u64;
        }
        if let Some(l) = &src.links {
            scraper::Selector::parse(l.get_ref()).map_err(|e| {
                cx.err(
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
                return Err(cx.err(
                    Some(h.span()),
                    "`hosts` takes host names (or host:port), or \"*\" for any host".into(),
                ));
            }
            settings.hosts.push(host);
        }
        let cap = |v: &Option<Spanned<u64>>, key: &str, default: u32| match v {
            None => Ok(default),
            Some(v) if (1..=1_000_000).contains(v.get_ref()) => Ok(*v.get_ref() as u32),
            Some(v) => Err(cx.err(
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
            let d = cx.duration(v, "track_for")?;
            if d < MIN_INTERVAL {
                return Err(cx.err(Some(v.span()), "`track_for` must be at least 1s".into()));
            }
            settings.track_for_ms = Some(d.as_millis() as u64);
        }
        if let Some(t) = &src.targets {
            let t = t.get_ref();
            if let Some(s) = &t.selector {
                BodySelector::parse(s.get_ref())
                    .map_err(|e| cx.err(Some(s.span()), format!("`selector`: {e}")))?;
                settings.targets.selector = Some(s.get_ref().clone());
            }
            settings.targets.interval_ms = t
                .interval
                .as_ref()
                .map(|v| cx.interval(v))
                .transpose()?
                .map(|d| d.as_millis() as u64);
            settings.targets.ignore = cx
                .ignore_rules(&t.ignore)?
                .iter()
                .map(|r| r.as_str().to_string())
                .collect();
            settings.targets.exclude = cx
                .exclude_rules(&t.exclude)?
                .iter()
                .map(|e| e.as_str().to_string())
                .collect();
            settings.targets.tags = cx.tag_list(&t.tags)?;
        }
        crate::discover::validate_settings(&settings, kind)
            .map_err(|m| cx.err(Some(src.url.span()), format!("source `{url}`: {m}")))?;
        config.sources.push(SourceSpec {
            url,
            kind,
            settings,
        });
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
