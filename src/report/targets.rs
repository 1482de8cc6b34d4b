//! The watched articles (`list --json`, `/api/v1/articles`): one view per
//! target, in the order they were added.

use std::time::Duration;

use serde::Serialize;

use super::{Keyed, key_part};
use crate::model::{TargetSummary, format_duration};

/// One target, with the keys of `list --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetView {
    pub url: String,
    pub name: Option<String>,
    pub state: &'static str,
    /// How often it is checked now (`None` once not checked).
    pub interval: Option<String>,
    pub versions: u64,
    pub last_check: Option<String>,
    pub last_change: Option<String>,
    pub last_error: Option<String>,
    pub source: Option<String>,
    #[serde(skip)]
    id: i64,
}

impl TargetView {
    /// The view of a target checked every `interval` now.
    pub fn new(s: &TargetSummary, interval: Option<Duration>) -> Self {
        let t = &s.target;
        Self {
            url: t.url.to_string(),
            name: t.name.clone(),
            state: t.state.as_str(),
            interval: interval.map(format_duration),
            versions: s.versions,
            last_check: s.last_check.map(|t| t.rfc3339()),
            last_change: s.last_change.map(|t| t.rfc3339()),
            last_error: s.last_error.clone(),
            source: t.source.clone(),
            id: t.id.0,
        }
    }
}

impl Keyed for TargetView {
    fn key(&self) -> String {
        key_part(self.id)
    }
}
