//! One check as recorded: how it ended, the facts of the attempt, the
//! captured article, what detection sees of the target's recent past and
//! what it decided to store.

use std::time::Duration;

use super::{
    ContentHash, NewDelivery, Next, PageCache, RawHtmlPolicy, TargetId, Timestamp, Version,
};
use crate::detect::{ChangeClass, SuspectKind};
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
    /// The HTTP exchange, when a server answered.
    pub exchange: Option<super::Exchange>,
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

/// What a check reads of its target before deciding: the recent past that
/// detection compares a capture with.
#[derive(Debug, Clone, Default)]
pub struct Recent {
    /// The latest version's number, if there is one.
    pub latest: Option<u32>,
    /// Latest versions, newest first, reverts resolved (as many as asked
    /// for; the latest alone when it has the capture's fields).
    pub versions: Vec<Version>,
    /// Latest checks, newest first.
    pub checks: Vec<RecentCheck>,
    /// The target's URL.
    pub url: String,
    /// Whether `target.failing` was sent and `target.recovered` is owed.
    pub failing_alerted: bool,
    /// Failed checks in a row before this one.
    pub failures: u32,
    /// `404` answers in a row before this one.
    pub misses: u32,
}

/// One of the latest checks, as detection needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentCheck {
    /// The kind of suspect page it saw, if it was a suspect check.
    pub suspect: Option<SuspectKind>,
    /// Whether it saw the same article text as this capture.
    pub same_text: bool,
}

/// What to record for a capture.
#[derive(Debug, Clone)]
pub enum StoreDecision {
    /// Same as the latest version.
    Unchanged,
    /// Not trusted: a `suspect` check of this kind, with this reason.
    Suspect { kind: SuspectKind, reason: String },
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

/// Everything one check writes, in one transaction: the check row, a new
/// version with its diff when there is one, the alerts to queue, the
/// target's new state and when it is due next. Built by the check from
/// what it read ([`Recent`]); the store refuses it with a conflict when the
/// target moved on in between.
#[derive(Debug, Clone)]
pub struct CheckCommit {
    /// The target checked.
    pub target: TargetId,
    /// The due time the target had when the check took it; another worker
    /// that claimed the target since changed it, and then the commit is a
    /// conflict. `None` skips the lease check.
    pub lease: Option<Timestamp>,
    /// The latest version number the decision was made against.
    pub based_on: Option<u32>,
    /// The check row.
    pub check: CheckRow,
    /// A new version, numbered `based_on + 1`.
    pub version: Option<NewVersion>,
    /// Alerts to queue in the outbox.
    pub deliveries: Vec<NewDelivery>,
    /// The target's new state.
    pub update: TargetUpdate,
    /// Its next due time, or retirement.
    pub next: Next,
}

/// One row of the check log.
#[derive(Debug, Clone)]
pub struct CheckRow {
    /// Facts of the attempt.
    pub facts: CheckFacts,
    /// How it ended.
    pub status: CheckStatus,
    /// The version it stored or matched.
    pub version: Option<u32>,
    /// The error, or why the page was suspect.
    pub error: Option<String>,
    /// The kind of suspect page, for a `suspect` check.
    pub suspect: Option<SuspectKind>,
    /// What the page said, when an article was read: its dates and
    /// content hash (dates alone never make a version; they stay here).
    pub seen: Option<Seen>,
}

/// What a check saw on the page besides the versioned wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Published time as given.
    pub published: Option<String>,
    /// Modified time as given.
    pub modified: Option<String>,
    /// Hash of the versioned fields.
    pub hash: ContentHash,
}

/// A version to store.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// The captured article and page.
    pub capture: Capture,
    /// Change class (`None` for version 1).
    pub class: Option<ChangeClass>,
    /// For a revert, the version whose content it has again (its text and
    /// page are not stored twice).
    pub revert_of: Option<u32>,
    /// Alerts held back (flapping).
    pub alert_paused: bool,
    /// Diff against the version it is based on (`None` for version 1).
    pub diff: Option<DiffSummary>,
    /// Which versions keep their page.
    pub raw_html: RawHtmlPolicy,
}

/// A target's state after a check, as absolute values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUpdate {
    /// The error shown by `list` (a suspect reason too), or none.
    pub last_error: Option<String>,
    /// Whether the check stored a changed version.
    pub changed: bool,
    /// Failed checks in a row.
    pub failures: u32,
    /// `404` answers in a row.
    pub misses: u32,
    /// Whether `target.failing` was sent and `target.recovered` is owed.
    pub failing_alerted: bool,
    /// What conditional requests may use next time.
    pub cache: CacheUpdate,
    /// The page's published time, when this check read one that counts.
    pub published_at: Option<Timestamp>,
    /// When the page was last fetched in full, when this check did.
    pub full_fetch_at: Option<Timestamp>,
}

/// How a check changes what conditional requests may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheUpdate {
    /// The page is the latest version's (a `304`, or the same bytes): keep
    /// the cache, refreshing the validators the server sent.
    Refresh {
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// Validators, body hash and rules of this page, or none.
    Replace(PageCache),
    /// Drop the validators and body hash (a failure).
    Clear,
}
