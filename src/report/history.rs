//! A target's history (`history URL --json`,
//! `/api/v1/articles/{id}/versions`): one view per version, oldest first.

use serde::Serialize;

use super::{Keyed, key_part};
use crate::detect::ChangeClass;
use crate::model::{DatesSeen, HistoryRow};

/// One version, with the keys of `history --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionView {
    pub version: u32,
    pub captured_at: String,
    pub title: String,
    pub words: u64,
    pub added: Option<u64>,
    pub removed: Option<u64>,
    pub class: Option<ChangeClass>,
    pub revert_of: Option<u32>,
    pub alert_paused: bool,
    pub changed_fields: Vec<&'static str>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub dates_seen: Option<DatesSeenView>,
}

/// Other dates later checks saw on the same wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatesSeenView {
    pub checks: u64,
    pub checked_at: String,
    pub published: Option<String>,
    pub modified: Option<String>,
}

impl From<&DatesSeen> for DatesSeenView {
    fn from(d: &DatesSeen) -> Self {
        Self {
            checks: d.checks,
            checked_at: d.checked_at.rfc3339(),
            published: d.published.clone(),
            modified: d.modified.clone(),
        }
    }
}

impl From<&HistoryRow> for VersionView {
    fn from(r: &HistoryRow) -> Self {
        Self {
            version: r.version,
            captured_at: r.captured_at.rfc3339(),
            title: r.title.clone(),
            words: r.words,
            added: r.added,
            removed: r.removed,
            class: r.class,
            revert_of: r.revert_of,
            alert_paused: r.alert_paused,
            changed_fields: r.changed_fields.iter().map(|f| f.label()).collect(),
            published: r.published.clone(),
            modified: r.modified.clone(),
            dates_seen: r.dates_seen.as_ref().map(DatesSeenView::from),
        }
    }
}

impl Keyed for VersionView {
    fn key(&self) -> String {
        key_part(i64::from(self.version))
    }
}
