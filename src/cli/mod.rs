//! The command line: argument definitions, the shared context every command
//! gets (config, database), exit codes, and one file per command.
//!
//! Commands print reports on stdout (one JSON object per line with `--json`)
//! and logs on stderr. Errors carry context with `anyhow`; [`exit_code`]
//! turns them into the documented exit statuses.

mod add;
mod alerts;
mod changes;
mod check;
mod diff;
mod extract;
mod history;
mod list;
mod remove;
mod run;
mod show;
mod sources;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Config, ConfigError, ConfigOrigin};
use crate::detect::IgnoreRule;
use crate::extract::BodySelector;
use crate::model::{
    SourceKind, SourceSettings, Target, TargetDefaults, TargetSettings, TargetUrl, Timestamp,
    parse_duration,
};
use crate::store::Store;

const EXIT_HELP: &str = "Exit status: 0 success (also when changes were found), 1 runtime failure, \
2 usage or configuration error.";

/// Redline watches news articles after publication and records every change
/// to their wording.
#[derive(Debug, Parser)]
#[command(name = "redline", version, about, after_help = EXIT_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file [default: $REDLINE_CONFIG, else ./config/redline.toml if it exists, else built-in defaults].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// SQLite database file (overrides [storage] database).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (-q errors only, -qq nothing).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// How `diff` renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Inline `[-old-]{+new+}` marks, changed paragraphs only.
    Word,
    /// Unified diff, one paragraph per line.
    Unified,
    /// One JSON object.
    Json,
    /// A self-contained HTML page.
    Html,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: check each target when due until SIGINT/SIGTERM.
    Run,
    /// Check all targets (or the URLs given, adding them) once, now.
    Check {
        /// URLs to check; unknown ones are added.
        #[arg(value_parser = parse_url)]
        urls: Vec<TargetUrl>,
        /// One JSON object per target.
        #[arg(long)]
        json: bool,
    },
    /// Watch a URL, or discover articles from a feed, sitemap or section page.
    Add(Box<AddArgs>),
    /// Stop watching a URL (its history is kept unless --purge), or stop polling a source.
    Remove {
        #[arg(value_parser = parse_url)]
        url: TargetUrl,
        /// Also delete every stored version and check.
        #[arg(long)]
        purge: bool,
    },
    /// List watched URLs.
    List {
        /// Only targets discovered from this source.
        #[arg(long, value_name = "URL", value_parser = parse_url)]
        source: Option<TargetUrl>,
        /// One JSON object per target.
        #[arg(long)]
        json: bool,
    },
    /// List the sources articles are discovered from (or poll them now).
    Sources {
        /// Poll every active source once now and report what each found.
        #[arg(long)]
        poll: bool,
        /// One JSON object per source.
        #[arg(long)]
        json: bool,
    },
    /// Versions of an article, oldest first.
    History {
        #[arg(value_parser = parse_url)]
        url: TargetUrl,
        /// One JSON object per version.
        #[arg(long)]
        json: bool,
    },
    /// Words that changed between two versions (default: the last two).
    Diff {
        #[arg(value_parser = parse_url)]
        url: TargetUrl,
        /// Older version number.
        #[arg(long)]
        from: Option<u32>,
        /// Newer version number.
        #[arg(long)]
        to: Option<u32>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Word)]
        format: DiffFormat,
    },
    /// Headline and text of a version (default: the latest).
    Show {
        #[arg(value_parser = parse_url)]
        url: TargetUrl,
        /// Version number.
        #[arg(long)]
        version: Option<u32>,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Every change recorded in a period, newest first.
    Changes {
        /// How far back, like "24h" or "7d".
        #[arg(long, default_value = "24h", value_parser = parse_period)]
        since: Duration,
        /// Only targets discovered from this source.
        #[arg(long, value_name = "URL", value_parser = parse_url)]
        source: Option<TargetUrl>,
        /// Only targets with this tag (repeatable: any of them).
        #[arg(long, value_name = "TAG")]
        tag: Vec<String>,
        /// One JSON object per change.
        #[arg(long)]
        json: bool,
    },
    /// Webhook deliveries in the outbox: list, retry, or send a test event.
    Alerts {
        #[command(subcommand)]
        action: Option<AlertsAction>,
        /// Only deliveries not yet received.
        #[arg(long, conflicts_with = "failed")]
        pending: bool,
        /// Only deliveries given up on.
        #[arg(long)]
        failed: bool,
        /// One JSON object per delivery.
        #[arg(long)]
        json: bool,
    },
    /// Run the extractor on files or URLs and print the result; stores nothing.
    Extract {
        /// HTML files or http(s) URLs.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// CSS selector of the article body, to try one out.
        #[arg(long, value_parser = parse_selector)]
        selector: Option<BodySelector>,
        /// One JSON object per input.
        #[arg(long)]
        json: bool,
    },
}

/// `redline add …`: an article URL, or one source with its settings.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["url", "feed", "sitemap", "page"])))]
pub struct AddArgs {
    /// The article URL.
    #[arg(value_parser = parse_url)]
    pub url: Option<TargetUrl>,
    /// Discover articles from an RSS, Atom or JSON feed.
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    pub feed: Option<TargetUrl>,
    /// Discover articles from a sitemap, news sitemap or sitemap index.
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    pub sitemap: Option<TargetUrl>,
    /// Discover articles linked from a section or home page (needs --include or --links).
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    pub page: Option<TargetUrl>,
    /// Fixed check interval, like "15m"; for a source, how often it is polled.
    #[arg(long, value_parser = parse_interval)]
    pub interval: Option<Duration>,
    /// Source: fixed check interval of the targets it creates.
    #[arg(long, value_parser = parse_interval)]
    pub target_interval: Option<Duration>,
    /// Source: URL regex an article link must match (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub include: Vec<String>,
    /// Source: URL regex that rules a link out (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub exclude_url: Vec<String>,
    /// Page source: CSS selector of the elements holding article links.
    #[arg(long, value_name = "CSS")]
    pub links: Option<String>,
    /// Source: another host its links may point to (repeatable; "*" for any).
    #[arg(long, value_name = "HOST")]
    pub host: Vec<String>,
    /// Source: how long each article is checked after publication, like "30d".
    #[arg(long, value_parser = parse_interval)]
    pub track_for: Option<Duration>,
    /// Source: most targets created by one poll.
    #[arg(long)]
    pub max_new_per_poll: Option<u32>,
    /// Source: most active targets from it.
    #[arg(long)]
    pub max_targets: Option<u32>,
    /// CSS selector of the article body.
    #[arg(long, value_parser = parse_selector)]
    pub selector: Option<BodySelector>,
    /// A short label.
    #[arg(long)]
    pub name: Option<String>,
    /// Regex masked before comparison (repeatable), e.g. "Reading time: \d+ min".
    #[arg(long, value_name = "REGEX", value_parser = parse_ignore)]
    pub ignore: Vec<IgnoreRule>,
    /// CSS selector removed before extraction (repeatable).
    #[arg(long, value_name = "CSS", value_parser = parse_selector)]
    pub exclude: Vec<BodySelector>,
    /// A tag for alert filters (repeatable).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Check this page even where robots.txt disallows it.
    #[arg(long)]
    pub ignore_robots: bool,
}

/// `redline alerts …`
#[derive(Debug, Subcommand)]
pub enum AlertsAction {
    /// Put a delivery (or every failed one) back in line, and switch its
    /// sink back on if its receiver had answered 410.
    Retry {
        /// The delivery's id (`msg_…`).
        #[arg(required_unless_present = "all_failed")]
        id: Option<String>,
        /// Every failed delivery.
        #[arg(long, conflicts_with = "id")]
        all_failed: bool,
    },
    /// Send a signed test event to a webhook sink now.
    Test {
        /// The sink's `name` (or its URL when it has none).
        sink: String,
    },
}

fn parse_url(s: &str) -> Result<TargetUrl, String> {
    TargetUrl::parse(s).map_err(|e| e.to_string())
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s).map_err(|e| e.to_string())?;
    if d < crate::config::MIN_INTERVAL {
        return Err("the interval must be at least 1s".into());
    }
    Ok(d)
}

fn parse_period(s: &str) -> Result<Duration, String> {
    parse_duration(s).map_err(|e| e.to_string())
}

fn parse_ignore(s: &str) -> Result<IgnoreRule, String> {
    IgnoreRule::parse(s).map_err(|e| e.to_string())
}

fn parse_selector(s: &str) -> Result<BodySelector, String> {
    BodySelector::parse(s).map_err(|e| e.to_string())
}

/// A mistake in how a command was called (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// What every command gets.
#[derive(Debug)]
pub struct Context {
    /// The validated config.
    pub config: Config,
    /// The database file.
    pub db_path: PathBuf,
}

impl Context {
    /// Loads the config and resolves the database path.
    pub fn load(global: &GlobalArgs) -> Result<Self, ConfigError> {
        let config = Config::discover(global.config.as_deref())?;
        let db_path = global
            .db
            .clone()
            .unwrap_or_else(|| config.storage.database.clone());
        Ok(Self { config, db_path })
    }

    /// Opens the database.
    pub fn open_store(&self) -> anyhow::Result<Store> {
        Store::open(&self.db_path).with_context(|| "opening the database".to_string())
    }

    /// Opens the database for a report: read-only when it is up to date,
    /// so reports never wait for the daemon's writes.
    pub fn open_reader(&self) -> anyhow::Result<Store> {
        Store::open_reader(&self.db_path).with_context(|| "opening the database".to_string())
    }

    /// Opens the database and makes its config targets match the config file
    /// (nothing is synced when no config file was found).
    pub fn open_synced_store(&self) -> anyhow::Result<Store> {
        let mut store = self.open_store()?;
        if let ConfigOrigin::File(path) = &self.config.origin {
            let settings: Vec<TargetSettings> = self
                .config
                .targets
                .iter()
                .map(|t| TargetSettings {
                    url: t.url.clone(),
                    name: t.name.clone(),
                    interval: t.interval,
                    selector: t.selector.as_ref().map(|s| s.as_str().to_string()),
                    ignore: t.ignore.iter().map(|r| r.as_str().to_string()).collect(),
                    exclude: t.exclude.iter().map(|e| e.as_str().to_string()).collect(),
                    tags: t.tags.clone(),
                    robots_txt: t.robots_txt,
                })
                .collect();
            let report = store
                .sync_config_targets(&settings, Timestamp::now())
                .with_context(|| format!("applying the targets of {}", path.display()))?;
            for url in &report.added {
                tracing::info!(url, "target added from the config");
            }
            for url in &report.removed {
                tracing::info!(
                    url,
                    "target no longer in the config: not checked any more, history kept"
                );
            }
            let sources: Vec<_> = self
                .config
                .sources
                .iter()
                .map(|s| (s.url.clone(), s.kind, s.settings.clone()))
                .collect();
            let report = store
                .sync_config_sources(&sources, Timestamp::now())
                .with_context(|| format!("applying the sources of {}", path.display()))?;
            for url in &report.added {
                tracing::info!(url, "source added from the config");
            }
            for url in &report.removed {
                tracing::info!(
                    url,
                    "source no longer in the config: not polled any more; its targets run out their tracking"
                );
            }
        }
        Ok(store)
    }
}

/// Looks a watched target up, or explains that the URL is not watched.
pub(crate) fn find_target(store: &Store, url: &TargetUrl) -> anyhow::Result<Target> {
    store.target_by_url(url)?.ok_or_else(|| {
        anyhow::anyhow!("{url} is not watched (see `redline list`, or add it with `redline add`)")
    })
}

/// Runs the command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context::load(&cli.global)?;
    match cli.command {
        Command::Run => run::run(&ctx),
        Command::Check { urls, json } => check::run(&ctx, urls, json),
        Command::Add(args) => {
            let AddArgs {
                url,
                feed,
                sitemap,
                page,
                interval,
                target_interval,
                include,
                exclude_url,
                links,
                host,
                track_for,
                max_new_per_poll,
                max_targets,
                selector,
                name,
                ignore,
                exclude,
                tag,
                ignore_robots,
            } = *args;
            let tags: Vec<String> = tag
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            let selector = selector.map(|s| s.as_str().to_string());
            let ignore: Vec<String> = ignore.iter().map(|r| r.as_str().to_string()).collect();
            let exclude: Vec<String> = exclude.iter().map(|e| e.as_str().to_string()).collect();
            let source = [
                (feed, SourceKind::Feed),
                (sitemap, SourceKind::Sitemap),
                (page, SourceKind::Page),
            ]
            .into_iter()
            .find_map(|(u, k)| u.map(|u| (u, k)));
            match (url, source) {
                (Some(url), None) => {
                    let source_only = [
                        ("--target-interval", target_interval.is_some()),
                        ("--include", !include.is_empty()),
                        ("--exclude-url", !exclude_url.is_empty()),
                        ("--links", links.is_some()),
                        ("--host", !host.is_empty()),
                        ("--track-for", track_for.is_some()),
                        ("--max-new-per-poll", max_new_per_poll.is_some()),
                        ("--max-targets", max_targets.is_some()),
                    ];
                    if let Some((flag, _)) = source_only.iter().find(|(_, given)| *given) {
                        return Err(UsageError(format!(
                            "{flag} applies to sources: use it with --feed, --sitemap or --page"
                        ))
                        .into());
                    }
                    add::run(
                        &ctx,
                        TargetSettings {
                            url,
                            name: name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
                            interval,
                            selector,
                            ignore,
                            exclude,
                            tags,
                            robots_txt: ignore_robots.then_some(false),
                        },
                    )
                }
                (None, Some((url, kind))) => {
                    if name.is_some() {
                        return Err(
                            UsageError("--name applies to targets, not to sources".into()).into(),
                        );
                    }
                    let mut settings = SourceSettings {
                        include,
                        exclude: exclude_url,
                        links,
                        hosts: host.iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
                        track_for_ms: track_for.map(|d| d.as_millis() as u64),
                        robots_txt: ignore_robots.then_some(false),
                        targets: TargetDefaults {
                            interval_ms: target_interval.map(|d| d.as_millis() as u64),
                            selector,
                            exclude,
                            ignore,
                            tags,
                        },
                        ..SourceSettings::default()
                    };
                    if let Some(i) = interval {
                        settings.interval_ms = i.as_millis() as u64;
                    }
                    if let Some(n) = max_new_per_poll {
                        settings.max_new_per_poll = n;
                    }
                    if let Some(n) = max_targets {
                        settings.max_targets = n;
                    }
                    crate::discover::validate_settings(&settings, kind).map_err(UsageError)?;
                    add::run_source(&ctx, url, kind, settings)
                }
                _ => Err(UsageError(
                    "give one of: an article URL, --feed URL, --sitemap URL or --page URL".into(),
                )
                .into()),
            }
        }
        Command::Remove { url, purge } => remove::run(&ctx, &url, purge),
        Command::List { source, json } => list::run(&ctx, source.as_ref(), json),
        Command::Sources { poll, json } => sources::run(&ctx, poll, json),
        Command::History { url, json } => history::run(&ctx, &url, json),
        Command::Diff {
            url,
            from,
            to,
            format,
        } => diff::run(&ctx, &url, from, to, format),
        Command::Show { url, version, json } => show::run(&ctx, &url, version, json),
        Command::Changes {
            since,
            source,
            tag,
            json,
        } => changes::run(&ctx, since, source.as_ref(), &tag, json),
        Command::Alerts {
            action,
            pending,
            failed,
            json,
        } => alerts::run(&ctx, action, pending, failed, json),
        Command::Extract {
            inputs,
            selector,
            json,
        } => extract::run(&ctx, &inputs, selector.as_ref(), json),
    }
}

/// The exit status for an error: 2 for configuration and usage mistakes,
/// 0 for a closed pipe (`redline history … | head`), 1 for the rest.
pub fn exit_code(err: &anyhow::Error) -> ExitCode {
    for cause in err.chain() {
        if cause.is::<ConfigError>() || cause.is::<UsageError>() {
            return ExitCode::from(2);
        }
        let io_kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        if io_kind == Some(std::io::ErrorKind::BrokenPipe) {
            return ExitCode::SUCCESS;
        }
    }
    ExitCode::from(1)
}

/// The default log level for a command: `run` reports its work at info;
/// report commands stay quiet unless something is wrong.
pub fn default_log_level(command: &Command) -> tracing::Level {
    match command {
        Command::Run => tracing::Level::INFO,
        _ => tracing::Level::WARN,
    }
}

/// Writes one line of JSON to `out`.
pub(crate) fn json_line(
    out: &mut impl Write,
    value: &impl serde::Serialize,
) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// An optional timestamp as RFC 3339 or `-`.
pub(crate) fn time_or_dash(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_string(), |t| t.rfc3339())
}

/// Whether to colour output written to stdout.
pub(crate) fn stdout_color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Builds a multi-threaded runtime for the async commands.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("redline")
        .build()
        .context("starting the async runtime")
}
