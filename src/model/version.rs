//! Versions as kept and the rows of the history and change reports.

use super::{TargetId, TargetUrl, Timestamp};
use crate::detect::ChangeClass;
use crate::diff::{Field, Fields};

/// A stored version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Version {
    /// 1, 2, …
    pub number: u32,
    /// When it was captured.
    pub captured_at: Timestamp,
    /// Headline.
    pub title: String,
    /// Body.
    pub text: String,
    /// Words in the body.
    pub words: u64,
    /// Byline.
    pub byline: Option<String>,
    /// Published time.
    pub published: Option<String>,
    /// Modified time.
    pub modified: Option<String>,
    /// Canonical URL.
    pub canonical: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Class of the change that produced it (`None` for version 1).
    pub class: Option<ChangeClass>,
    /// The earlier version whose content it has again, for a revert.
    pub revert_of: Option<u32>,
    /// Whether alerts were held back for it (flapping).
    pub alert_paused: bool,
    /// Where the page was read from, after redirects.
    pub final_url: Option<String>,
}

impl Version {
    /// A version with only its number, capture time, headline and body
    /// set (words counted), for tests.
    #[cfg(test)]
    pub(crate) fn plain(number: u32, captured_at: Timestamp, title: &str, text: &str) -> Self {
        Self {
            number,
            captured_at,
            title: title.into(),
            text: text.into(),
            words: crate::text::word_count(text) as u64,
            byline: None,
            published: None,
            modified: None,
            canonical: None,
            description: None,
            class: None,
            revert_of: None,
            alert_paused: false,
            final_url: None,
        }
    }

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

/// One row of `redline history`.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// Version number.
    pub version: u32,
    /// When it was captured.
    pub captured_at: Timestamp,
    /// Headline.
    pub title: String,
    /// Words in the body.
    pub words: u64,
    /// Words added since the previous version (`None` for version 1).
    pub added: Option<u64>,
    /// Words removed since the previous version.
    pub removed: Option<u64>,
    /// Whether the headline changed.
    pub title_changed: bool,
    /// The fields that changed since the previous version (empty for 1).
    pub changed_fields: Vec<Field>,
    /// Class of the change (`None` for version 1).
    pub class: Option<ChangeClass>,
    /// For a revert, the version whose text came back.
    pub revert_of: Option<u32>,
    /// Whether alerts were held back (flapping).
    pub alert_paused: bool,
    /// Published time the version was captured with.
    pub published: Option<String>,
    /// Modified time the version was captured with.
    pub modified: Option<String>,
    /// Other dates that later checks saw on the same wording.
    pub dates_seen: Option<DatesSeen>,
}

/// Dates a page showed on checks that found the same wording as a version
/// but other published or modified times (dates alone never make a
/// version; they are kept on the check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatesSeen {
    /// How many checks saw dates other than the version's.
    pub checks: u64,
    /// The latest of them.
    pub checked_at: Timestamp,
    /// The published time it saw.
    pub published: Option<String>,
    /// The modified time it saw.
    pub modified: Option<String>,
}

/// Which changes a list asks for, newest first (`redline changes`, the
/// web's recent changes and its feeds). Empty filters match everything.
#[derive(Debug, Clone, Default)]
pub struct ChangeQuery {
    /// Captured at or after this time.
    pub since: Option<Timestamp>,
    /// Strictly older than this key (the cursor of the previous page).
    pub before: Option<ChangeKey>,
    /// Of this target only.
    pub target: Option<TargetId>,
    /// Of targets discovered from the source at this URL.
    pub source: Option<String>,
    /// Of targets with this tag.
    pub tag: Option<String>,
    /// Of this class.
    pub class: Option<ChangeClass>,
    /// Whose headline or URL holds this text, case aside.
    pub text: Option<String>,
    /// At most this many (all without).
    pub limit: Option<usize>,
}

/// The place of a change in the newest-first list: its capture time, then
/// the stored version's sequence number, both descending. Unique, and
/// served by the index on capture time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangeKey {
    /// Capture time of the new version.
    pub captured_at: Timestamp,
    /// The new version's row in the store.
    pub seq: i64,
}

/// One row of `redline changes`.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    /// The target.
    pub target: TargetId,
    /// Where the row sits in the newest-first list.
    pub key: ChangeKey,
    /// Article URL.
    pub url: TargetUrl,
    /// Target label.
    pub name: Option<String>,
    /// Previous version.
    pub from: u32,
    /// New version.
    pub to: u32,
    /// When the new version was captured.
    pub captured_at: Timestamp,
    /// Words added.
    pub added: u64,
    /// Words removed.
    pub removed: u64,
    /// Headline of the new version.
    pub title: String,
    /// Headline of the target's latest version (the article as it reads
    /// now).
    pub current_title: String,
    /// Whether the headline changed.
    pub title_changed: bool,
    /// Class of the change.
    pub class: Option<ChangeClass>,
    /// The target's tags.
    pub tags: Vec<String>,
    /// The source the target was discovered from.
    pub source: Option<String>,
}
