//! One version and the difference between two (`show --json`,
//! `diff --format json`; `/api/v1/articles/{id}/versions/{n}` and the
//! diff's `.json` rendition to come).

use serde::Serialize;

use super::history::DatesSeenView;
use crate::diff::{Change, summarize};
use crate::model::{DatesSeen, Version};

/// A version with its text, with the keys of `show --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionTextView {
    pub url: String,
    pub version: u32,
    pub captured_at: String,
    pub title: String,
    pub text: String,
    pub byline: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub canonical: Option<String>,
    pub description: Option<String>,
    /// Where the page was read from, after redirects.
    pub final_url: Option<String>,
    /// Other dates later checks saw on the same wording.
    pub dates_seen: Option<DatesSeenView>,
}

impl VersionTextView {
    /// The view of version `v` of the article at `url`.
    pub fn new(url: &str, v: &Version, seen: Option<&DatesSeen>) -> Self {
        Self {
            url: url.to_string(),
            version: v.number,
            captured_at: v.captured_at.rfc3339(),
            title: v.title.clone(),
            text: v.text.clone(),
            byline: v.byline.clone(),
            published: v.published.clone(),
            modified: v.modified.clone(),
            canonical: v.canonical.clone(),
            description: v.description.clone(),
            final_url: v.final_url.clone(),
            dates_seen: seen.map(DatesSeenView::from),
        }
    }
}

/// What changed from one version to another, with the keys of
/// `diff --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffView {
    pub url: String,
    pub from: u32,
    pub to: u32,
    /// Words added (headline and body).
    pub added: usize,
    /// Words removed (headline and body).
    pub removed: usize,
    pub title_from: String,
    pub title_to: String,
    /// Headline, metadata, then the body in reading order.
    pub changes: Vec<Change>,
}

impl DiffView {
    /// The difference between `old` and `new` of the article at `url`.
    pub fn new(url: &str, old: &Version, new: &Version) -> Self {
        let summary = summarize(&old.fields(), &new.fields());
        Self {
            url: url.to_string(),
            from: old.number,
            to: new.number,
            added: summary.added,
            removed: summary.removed,
            title_from: old.title.clone(),
            title_to: new.title.clone(),
            changes: summary.changes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn version(number: u32, title: &str, text: &str) -> Version {
        Version::plain(number, Timestamp(0), title, text)
    }

    #[test]
    fn a_diff_view_has_the_contract_keys_and_counts_words() {
        let old = version(1, "Talks stall", "The minister said no.");
        let new = version(2, "Talks resume", "The minister said yes today.");
        let value = serde_json::to_value(DiffView::new("https://e.com/a", &old, &new)).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = [
            "url",
            "from",
            "to",
            "added",
            "removed",
            "title_from",
            "title_to",
            "changes",
        ];
        want.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, want);
        // "stall" → "resume" in the headline; "no." → "yes today." in the body.
        assert_eq!(
            (value["added"].as_u64(), value["removed"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(value["changes"][0]["kind"], "replace");
    }

    #[test]
    fn a_version_view_has_the_contract_keys() {
        let v = version(3, "Headline", "Body.");
        let value =
            serde_json::to_value(VersionTextView::new("https://e.com/a", &v, None)).unwrap();
        for key in [
            "url",
            "version",
            "captured_at",
            "title",
            "text",
            "byline",
            "published",
            "modified",
            "canonical",
            "description",
            "final_url",
        ] {
            assert!(value.get(key).is_some(), "{key}");
        }
        assert_eq!(value["version"], 3);
    }
}
