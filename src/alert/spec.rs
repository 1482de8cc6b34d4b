//! What the config says about alert sinks, once validated: which sinks,
//! their filters, webhook endpoints and their secrets.

use std::time::Duration;

use crate::detect::ChangeClass;
use crate::model::TargetUrl;

/// One `[[alert]]` sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertSpec {
    /// A structured `tracing` event per change.
    Log(AlertFilter),
    /// A signed HTTP POST per event, through the durable outbox.
    Webhook(Box<WebhookSpec>),
}

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// `env:NAME` names a variable that is not set.
    #[error("environment variable `{0}` is not set")]
    NotSet(String),
    /// `file:PATH` cannot be read.
    #[error("cannot read secret file `{path}`: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A secret from the config: never printed, logged or stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads `env:NAME`, `file:PATH` or a literal value.
    pub fn resolve(raw: &str) -> Result<Self, SecretError> {
        if let Some(name) = raw.strip_prefix("env:") {
            return std::env::var(name)
                .map(Self)
                .map_err(|_| SecretError::NotSet(name.to_string()));
        }
        if let Some(path) = raw.strip_prefix("file:") {
            return std::fs::read_to_string(path)
                .map(|s| Self(s.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|source| SecretError::Unreadable {
                    path: path.to_string(),
                    source,
                });
        }
        Ok(Self(raw.to_string()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How a webhook body is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// Redline's versioned JSON event.
    Json,
    /// `{"text": …}` for Slack incoming webhooks.
    Slack,
    /// `{"content": …}` for Discord webhooks.
    Discord,
}

/// One `[[alert]] kind = "webhook"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSpec {
    /// Stable name of the sink (`name`, else the URL).
    pub name: String,
    /// Where to POST.
    pub url: url::Url,
    /// The signing key, decoded from `whsec_` + base64.
    pub key: Vec<u8>,
    /// Extra headers (values may be secrets).
    pub headers: Vec<(String, Secret)>,
    /// Time the receiver gets per attempt.
    pub timeout: Duration,
    /// Body shape.
    pub format: PayloadFormat,
    /// Which changes it hears about.
    pub filter: AlertFilter,
    /// First retry delay; doubles per attempt up to `retry_max`.
    pub retry_min: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Age after which an undelivered alert is marked failed.
    pub max_age: Duration,
}

/// Which changes a sink hears about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFilter {
    /// Classes reported; by default every class but `cosmetic`.
    pub classes: Vec<ChangeClass>,
    /// Fewest changed words (added + removed) reported.
    pub min_words: u64,
    /// Only these targets (empty: all).
    pub targets: Vec<TargetUrl>,
    /// Only targets with one of these tags (empty: all).
    pub tags: Vec<String>,
    /// Only targets discovered from one of these sources (empty: all).
    pub sources: Vec<TargetUrl>,
}

impl Default for AlertFilter {
    fn default() -> Self {
        Self {
            classes: ChangeClass::ALL
                .into_iter()
                .filter(|c| *c != ChangeClass::Cosmetic)
                .collect(),
            min_words: 0,
            targets: Vec::new(),
            tags: Vec::new(),
            sources: Vec::new(),
        }
    }
}

impl AlertFilter {
    /// Whether a change passes the filter.
    pub fn accepts(&self, class: ChangeClass, changed_words: u64) -> bool {
        self.classes.contains(&class) && changed_words >= self.min_words
    }

    /// Whether the sink wants events about this target at all.
    pub fn covers(&self, url: &str, tags: &[String], source: Option<&str>) -> bool {
        (self.targets.is_empty() || self.targets.iter().any(|t| t.as_str() == url))
            && (self.tags.is_empty() || self.tags.iter().any(|t| tags.contains(t)))
            && (self.sources.is_empty()
                || source.is_some_and(|s| self.sources.iter().any(|f| f.as_str() == s)))
    }
}
