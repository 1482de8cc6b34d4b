//! The `redline` binary: parse arguments, set up logging, run the command,
//! map the outcome to an exit status. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser;
use redline::cli::{Cli, LogFormat, default_log_level, exit_code};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    match redline::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = exit_code(&err);
            if code != ExitCode::SUCCESS {
                eprintln!("redline: error: {err:#}");
            }
            code
        }
    }
}

fn init_logging(cli: &Cli) {
    use tracing::Level;
    let base = default_log_level(&cli.command);
    let levels = [
        Level::ERROR,
        Level::WARN,
        Level::INFO,
        Level::DEBUG,
        Level::TRACE,
    ];
    let index = levels.iter().position(|l| *l == base).unwrap_or(2) as i32
        + i32::from(cli.global.verbose)
        - i32::from(cli.global.quiet);
    let directive = match index {
        i if i < 0 => "off".to_string(),
        i => format!("redline={}", levels[(i as usize).min(levels.len() - 1)]),
    };
    // RUST_LOG, when set, wins over -v/-q.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directive));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match cli.global.log_format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder.json().with_current_span(false).init(),
    }
}
