//! The command line's grammar: every command, flag and argument as clap
//! reads them, and the parsers that turn their text into typed values.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::detect::IgnoreRule;
use crate::extract::BodySelector;
use crate::model::{TargetUrl, parse_duration};

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

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// WARC/1.1, gzipped record by record.
    Warc,
    /// WACZ 1.2.0 (needs -o).
    Wacz,
    /// One JSON object per version.
    Jsonl,
    /// One CSV row per version, a header row first.
    Csv,
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
    /// Serve the web pages, Atom feeds and read API alone, read-only (for a
    /// machine that holds a copy of the database).
    Serve {
        /// Address to listen on [default: `[web] listen`, else 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Where a phrase is in the history, or in which versions it was
    /// removed or added (whole words in order, case aside).
    Search {
        /// The words to find, like "crimes against humanity".
        phrase: String,
        /// Versions whose edit took the phrase out.
        #[arg(long, group = "mode")]
        removed: bool,
        /// Versions whose edit put the phrase in.
        #[arg(long, group = "mode")]
        added: bool,
        /// Articles whose latest version holds it.
        #[arg(long, group = "mode")]
        current: bool,
        /// Only versions captured this recently, like "24h" or "30d".
        #[arg(long, value_parser = parse_period)]
        since: Option<Duration>,
        /// One JSON object per hit.
        #[arg(long)]
        json: bool,
    },
    /// The history as a web archive (WARC, WACZ) or a table of versions
    /// (JSON Lines, CSV).
    Export {
        /// What to write.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Only captures from this time: "7d" (back from now), a date
        /// (2026-11-01) or an RFC 3339 time.
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only captures before this time (same forms as --since).
        #[arg(long, value_name = "WHEN")]
        until: Option<String>,
        /// Only articles discovered from this source.
        #[arg(long, value_name = "URL", value_parser = parse_url)]
        source: Option<TargetUrl>,
        /// Only articles with this tag (repeatable: any of them).
        #[arg(long, value_name = "TAG")]
        tag: Vec<String>,
        /// Add each version's text to JSON Lines and CSV rows.
        #[arg(long)]
        with_text: bool,
        /// Write here instead of standard output (required for WACZ).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<std::path::PathBuf>,
        /// Only these articles (all when none).
        #[arg(value_name = "URL", value_parser = parse_url)]
        urls: Vec<TargetUrl>,
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
