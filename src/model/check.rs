//! One check as recorded: how it ended, the facts of the attempt, the
//! captured article, what detection sees of the target's recent past and
//! what it decided to store.

use std::time::Duration;

use super::{ContentHash, Timestamp, Version};
use crate::detect::ChangeClass;
use crate::diff::{DiffSummary, Fields};

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// First version stored.
    New,
    /// Same wording as the latest version.
    Unchanged,
    /// A new version stored.
    Changed,
    /// The page looked broken (a wall, an error, a vanished article).
    Suspect,
    /// The check failed; nothing stored.
    Error,
}

impl CheckStatus {
    /// The name used in reports and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Unchanged => "unchanged",
            Self::Changed => "changed",
            Self::Suspect => "suspect",
            Self::Error => "error",
        }
    }
}

/// Facts about one check attempt.
#[derive(Debug, Clone)]
pub struct CheckFacts {
    /// When it started.
    pub started_at: Timestamp,
    /// How long it took.
    pub duration: Duration,
    /// HTTP status, if one came.
    pub http_status: Option<u16>,
    /// Body bytes received.
    pub bytes: Option<u64>,
}

/// A captured article, ready to compare and store.
#[derive(Debug, Clone)]
pub struct Capture {
    /// Normalised headline.
    pub title: String,
    /// Normalised body.
    pub text: String,
    /// Byline.
    pub byline: Option<String>,
    /// Published time as given.
    pub published: Option<String>,
    /// Modified time as given.
    pub modified: Option<String>,
    /// Canonical URL.
    pub canonical: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Hash of title and text.
    pub hash: ContentHash,
    /// URL after redirects.
    pub final_url: String,
    /// The page as fetched; compressed when stored.
    pub raw_html: Vec<u8>,
}

impl Capture {
    /// The versioned fields.
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            title: &self.title,
            text: &self.text,
            byline: self.byline.as_deref(),
            published: self.published.as_deref(),
            canonical: self.canonical.as_deref(),
            description: self.description.as_deref(),
        }
    }
}

/// What storing a capture did.
#[derive(Debug, Clone)]
pub enum CaptureOutcome {
    /// Version 1 stored.
    New { version: u32 },
    /// Same as the latest version.
    Unchanged { version: u32 },
    /// A new version stored with its diff.
    Changed {
        from: u32,
        to: u32,
        /// The new headline.
        title: String,
        summary: DiffSummary,
        class: ChangeClass,
        revert_of: Option<u32>,
        alert_paused: bool,
    },
    /// Not trusted; nothing stored.
    Suspect {
        reason: String,
        version: Option<u32>,
    },
    /// The page could not be used (recorded as an error check).
    Failed { message: String },
}

/// What detection sees of a target inside the recording transaction.
#[derive(Debug, Clone)]
pub struct Recent {
    /// Latest versions, newest first, reverts resolved; with their row ids.
    pub versions: Vec<(i64, Version)>,
    /// Latest checks, newest first, as (outcome, error or reason, whether
    /// it saw the same article text as this capture).
    pub checks: Vec<(String, Option<String>, bool)>,
    /// The target's URL.
    pub url: String,
    /// Whether `target.failing` was sent and `target.recovered` is owed.
    pub failing_alerted: bool,
}

/// What to record for a capture.
#[derive(Debug, Clone)]
pub enum StoreDecision {
    /// Same as the latest version.
    Unchanged,
    /// Not trusted: a `suspect` check with this reason.
    Suspect { reason: String },
    /// Not usable: an `error` check with this message.
    Error { message: String },
    /// A new version.
    Store {
        /// Change class (`None` for version 1).
        class: Option<ChangeClass>,
        /// Version whose content this one has again.
        revert_of: Option<u32>,
        /// Alerts held back (flapping).
        alert_paused: bool,
        /// Diff against the latest version (`None` for version 1).
        summary: Option<DiffSummary>,
    },
}
