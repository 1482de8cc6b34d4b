//! Alerts: telling the configured sinks about each change and about
//! targets that keep failing.
//!
//! Two kinds of sink:
//!
//! - **log**: one structured `tracing` event per change on the
//!   `redline::alert` target (URL, versions, class, word counts, a short
//!   excerpt), emitted after the change is committed.
//! - **webhook**: a signed HTTP POST per event. Deliveries are built here
//!   ([`Alerter::change_deliveries`] and friends) and written to the store's
//!   outbox *in the same transaction* as the version or failure they report;
//!   [`dispatch`] sends them, retries with backoff, and keeps their order per
//!   target. A crash at any moment loses nothing: undelivered alerts stay in
//!   the outbox and are sent again with the same `webhook-id`.
//!
//! Every sink has a filter (change classes, fewest changed words); a target
//! flapping between two texts pauses its change alerts. `target.failing` is
//! sent once when a target has failed `[defaults] failing_after` checks in a
//! row, and `target.recovered` when it works again.

pub mod dispatch;
mod spec;
pub mod webhook;

pub use spec::{AlertFilter, AlertSpec, PayloadFormat, Secret, SecretError, WebhookSpec};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;

use crate::detect::ChangeClass;
use crate::diff::DiffSummary;
use crate::model::{NewDelivery, TargetUrl, Timestamp};

/// Longest excerpt of a change put in a log alert.
const EXCERPT_CHARS: usize = 240;
/// Most changes carried in a webhook payload.
const PAYLOAD_MAX_CHANGES: usize = 20;
/// Longest `old`/`new` text of one change in a webhook payload.
const PAYLOAD_MAX_CHANGE_CHARS: usize = 500;
/// Version of the webhook payload schema.
pub const PAYLOAD_SCHEMA: &str = "redline.event/1";

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
    /// The target's tags.
    pub tags: &'a [String],
    /// The source the target was discovered from.
    pub source: Option<&'a str>,
}

/// Everything a webhook change payload says.
#[derive(Debug)]
pub struct ChangeFacts<'a> {
    /// Article URL.
    pub url: &'a str,
    /// Target label.
    pub name: Option<&'a str>,
    /// Previous version and when it was captured.
    pub from: (u32, Timestamp),
    /// New version and when it was captured.
    pub to: (u32, Timestamp),
    /// Headline before.
    pub title_from: &'a str,
    /// Headline after.
    pub title_to: &'a str,
    /// What kind of change.
    pub class: ChangeClass,
    /// For a revert, the version whose text came back.
    pub revert_of: Option<u32>,
    /// What changed.
    pub summary: &'a DiffSummary,
    /// The target's tags.
    pub tags: &'a [String],
    /// The source the target was discovered from.
    pub source: Option<&'a str>,
}

/// Sends change events to every configured sink.
#[derive(Debug, Clone)]
pub struct Alerter {
    logs: Vec<AlertFilter>,
    webhooks: Vec<Arc<WebhookSpec>>,
}

/// Makes webhook ids unique within a process even for identical content.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A webhook id: `msg_` and 26 hex digits of a hash of what it reports.
fn message_id(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
    }
    h.update(&SEQUENCE.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(&Timestamp::now().millis().to_le_bytes());
    format!("msg_{}", &h.finalize().to_hex()[..26])
}

fn clip(s: &str, max: usize) -> (String, bool) {
    if s.chars().count() <= max {
        (s.to_string(), false)
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        (t, true)
    }
}

impl Alerter {
    /// Sinks from the config.
    pub fn new(sinks: &[AlertSpec]) -> Self {
        let mut logs = Vec::new();
        let mut webhooks = Vec::new();
        for s in sinks {
            match s {
                AlertSpec::Log(f) => logs.push(f.clone()),
                AlertSpec::Webhook(w) => webhooks.push(Arc::new((**w).clone())),
            }
        }
        Self { logs, webhooks }
    }

    /// The webhook sinks.
    pub fn webhooks(&self) -> &[Arc<WebhookSpec>] {
        &self.webhooks
    }

    /// Reports one committed change to the log sinks.
    pub fn article_changed(&self, event: &ChangeEvent<'_>) {
        if event.paused {
            tracing::debug!(url = %event.url, to = event.to, "alert paused: the text keeps flapping between two versions");
            return;
        }
        let words = (event.summary.added + event.summary.removed) as u64;
        if self.logs.iter().any(|f| {
            f.accepts(event.class, words) && f.covers(event.url.as_str(), event.tags, event.source)
        }) {
            log_change(event);
        }
    }

    /// Logs that a target started failing or recovered.
    pub fn target_event(&self, url: &TargetUrl, event: &str, detail: &str) {
        if !self.logs.is_empty() {
            tracing::warn!(target: "redline::alert", url = %url, event, detail, "target {}", event.trim_start_matches("target."));
        }
    }

    /// Outbox deliveries for a change, one per webhook sink that wants it.
    pub fn change_deliveries(&self, c: &ChangeFacts<'_>, paused: bool) -> Vec<NewDelivery> {
        if paused {
            return Vec::new();
        }
        let words = (c.summary.added + c.summary.removed) as u64;
        let event = if c.class == ChangeClass::Removed {
            "article.removed"
        } else {
            "article.changed"
        };
        self.webhooks
            .iter()
            .filter(|w| {
                w.filter.accepts(c.class, words) && w.filter.covers(c.url, c.tags, c.source)
            })
            .map(|w| {
                let id = message_id(&[&w.name, c.url, event, &c.to.0.to_string()]);
                let payload = render(w.format, || change_json(&id, event, c), || change_text(c));
                NewDelivery {
                    id,
                    sink: w.name.clone(),
                    event: event.to_string(),
                    payload,
                }
            })
            .collect()
    }

    /// Outbox deliveries for `target.failing` / `target.recovered`: sent to
    /// every webhook sink that covers the target, whatever its class filter.
    pub fn target_deliveries(
        &self,
        event: &str,
        url: &str,
        name: Option<&str>,
        tags: &[String],
        source: Option<&str>,
        detail: serde_json::Value,
    ) -> Vec<NewDelivery> {
        self.webhooks
            .iter()
            .filter(|w| w.filter.covers(url, tags, source))
            .map(|w| {
                let id = message_id(&[&w.name, url, event]);
                let text = match event {
                    "target.failing" => format!(
                        "⚠ Redline cannot check {url}: {}",
                        detail["error"].as_str().unwrap_or("")
                    ),
                    _ => format!("✔ Redline can check {url} again"),
                };
                let payload = render(
                    w.format,
                    || {
                        json!({
                            "schema": PAYLOAD_SCHEMA,
                            "id": id,
                            "type": event,
                            "timestamp": Timestamp::now().rfc3339(),
                            "data": { "url": url, "name": name, "source": source, "detail": detail },
                        })
                        .to_string()
                    },
                    || text.clone(),
                );
                NewDelivery {
                    id,
                    sink: w.name.clone(),
                    event: event.to_string(),
                    payload,
                }
            })
            .collect()
    }
}

/// A body in a sink's format: Redline's JSON event, or a chat message
/// (Discord refuses messages over 2,000 characters).
fn render(
    format: PayloadFormat,
    json_body: impl FnOnce() -> String,
    text: impl FnOnce() -> String,
) -> String {
    match format {
        PayloadFormat::Json => json_body(),
        PayloadFormat::Slack => json!({ "text": text() }).to_string(),
        PayloadFormat::Discord => json!({ "content": clip(&text(), 1900).0 }).to_string(),
    }
}

/// The documented JSON payload of a change.
fn change_json(id: &str, event: &str, c: &ChangeFacts<'_>) -> String {
    let mut truncated = c.summary.changes.len() > PAYLOAD_MAX_CHANGES;
    let changes: Vec<serde_json::Value> = c
        .summary
        .changes
        .iter()
        .take(PAYLOAD_MAX_CHANGES)
        .map(|ch| {
            let (old, t1) = clip(&ch.old, PAYLOAD_MAX_CHANGE_CHARS);
            let (new, t2) = clip(&ch.new, PAYLOAD_MAX_CHANGE_CHARS);
            truncated |= t1 || t2;
            json!({ "kind": ch.kind, "field": ch.field, "old": old, "new": new, "before": ch.before, "after": ch.after, "moved": ch.moved })
        })
        .collect();
    json!({
        "schema": PAYLOAD_SCHEMA,
        "id": id,
        "type": event,
        "timestamp": Timestamp::now().rfc3339(),
        "data": {
            "url": c.url,
            "name": c.name,
            "source": c.source,
            "tags": c.tags,
            "from": { "version": c.from.0, "captured_at": c.from.1.rfc3339() },
            "to": { "version": c.to.0, "captured_at": c.to.1.rfc3339() },
            "title_from": c.title_from,
            "title_to": c.title_to,
            "class": c.class,
            "revert_of": c.revert_of,
            "added": c.summary.added,
            "removed": c.summary.removed,
            "changes": changes,
            "changes_truncated": truncated,
            "command": format!("redline diff {} --from {} --to {}", c.url, c.from.0, c.to.0),
        }
    })
    .to_string()
}

/// A readable chat message for a change.
fn change_text(c: &ChangeFacts<'_>) -> String {
    let label = c.name.unwrap_or(c.url);
    let mut s = format!(
        "📝 {label}: {} change, version {} → {} (+{} −{} words)",
        c.class.as_str(),
        c.from.0,
        c.to.0,
        c.summary.added,
        c.summary.removed
    );
    if let Some(source) = c.source {
        s.push_str(&format!("\nFound in {source}"));
    }
    if c.title_from != c.title_to {
        s.push_str(&format!(
            "\nHeadline: “{}” → “{}”",
            c.title_from, c.title_to
        ));
    }
    let excerpt = c.summary.excerpt(600);
    if !excerpt.is_empty() {
        s.push_str(&format!("\n{excerpt}"));
    }
    s.push_str(&format!(
        "\n{}\n`redline diff {} --from {} --to {}`",
        c.url, c.url, c.from.0, c.to.0
    ));
    s
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
        source = e.source.unwrap_or_default(),
        excerpt = %e.summary.excerpt(EXCERPT_CHARS),
        "article changed"
    );
}
