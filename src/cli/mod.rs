//! The command line: the grammar (`args`), the context every command gets
//! (`context`: config and store), the dispatch, exit codes, and one file per
//! command.
//!
//! Commands print reports on stdout (one JSON object per line with `--json`)
//! and logs on stderr. Errors carry context with `anyhow`; [`exit_code`]
//! turns them into the documented exit statuses.

mod add;
mod alerts;
mod args;
mod changes;
mod check;
mod context;
mod diff;
mod export;
mod extract;
mod history;
mod list;
mod remove;
mod run;
mod search;
mod serve;
mod show;
mod sources;

pub use args::{AddArgs, AlertsAction, Cli, Command, DiffFormat, GlobalArgs, LogFormat};
pub use context::{Context, UsageError};
pub(crate) use context::{block_on, find_target};

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::config::ConfigError;
use crate::model::{SourceKind, SourceSettings, TargetDefaults, TargetSettings, Timestamp};
use crate::report::search::SearchMode;

/// Runs the command, then waits for the database to be closed cleanly (its
/// write-ahead log folded back into the file) before the process exits.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let result = dispatch(cli);
    if !crate::store::close_all(std::time::Duration::from_secs(5)) {
        tracing::warn!(
            "the database was still in use at exit; its write-ahead log stays beside it"
        );
    }
    result
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
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
        Command::Serve { listen } => serve::run(&ctx, listen),
        Command::Search {
            phrase,
            removed,
            added,
            current,
            since,
            json,
        } => {
            let mode = match (removed, added, current) {
                (true, _, _) => SearchMode::Removed,
                (_, true, _) => SearchMode::Added,
                (_, _, true) => SearchMode::Current,
                _ => SearchMode::Anywhere,
            };
            search::run(&ctx, &phrase, mode, since, json)
        }
        Command::Export {
            format,
            since,
            until,
            source,
            tag,
            with_text,
            output,
            urls,
        } => export::run(
            &ctx,
            export::Request {
                format,
                since,
                until,
                source,
                tags: tag,
                with_text,
                output,
                urls,
            },
        ),
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
