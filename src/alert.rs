//! Alerts: telling the configured sinks about each change.
//!
//! The `log` sink emits one structured `tracing` event per change on the
//! `redline::alert` target, carrying the URL, the version numbers, the change
//! class, the word counts and a short excerpt of what changed, so log
//! shippers can route it. Each sink has a filter (change classes, fewest
//! changed words); a target flapping between two texts pauses its alerts.

use crate::config::AlertSpec;
use crate::detect::ChangeClass;
use crate::diff::DiffSummary;
use crate::types::TargetUrl;

/// Longest excerpt of a change put in an alert.
const EXCERPT_CHARS: usize = 240;

/// A change to report.
#[derive(Debug)]
pub struct ChangeEvent<'a> {
    /// Article URL.
    pub url: &'a TargetUrl,
    /// Target label.
    pub name: Option<&'a str>,
    /// Previous version.
    pub from: u32,
    /// New version.
    pub to: u32,
    /// New headline.
    pub title: &'a str,
    /// What kind of change.
    pub class: ChangeClass,
    /// Alerts held back because the target is flapping.
    pub paused: bool,
    /// What changed.
    pub summary: &'a DiffSummary,
}

/// Sends change events to every configured sink.
#[derive(Debug, Clone)]
pub struct Alerter {
    sinks: Vec<AlertSpec>,
}

impl Alerter {
    /// Sinks from the config.
    pub fn new(sinks: &[AlertSpec]) -> Self {
        Self {
            sinks: sinks.to_vec(),
        }
    }

    /// Reports one change to every sink.
    pub fn article_changed(&self, event: &ChangeEvent<'_>) {
        if event.paused {
            tracing::debug!(url = %event.url, to = event.to, "alert paused: the text keeps flapping between two versions");
            return;
        }
        let words = (event.summary.added + event.summary.removed) as u64;
        for sink in &self.sinks {
            match sink {
                AlertSpec::Log(filter) => {
                    if filter.accepts(event.class, words) {
                        log_change(event);
                    }
                }
            }
        }
    }
}

fn log_change(e: &ChangeEvent<'_>) {
    tracing::info!(
        target: "redline::alert",
        url = %e.url,
        name = e.name.unwrap_or_default(),
        from = e.from,
        to = e.to,
        class = e.class.as_str(),
        added = e.summary.added,
        removed = e.summary.removed,
        headline_changed = e.summary.title_changed,
        title = e.title,
        excerpt = %e.summary.excerpt(EXCERPT_CHARS),
        "article changed"
    );
}
