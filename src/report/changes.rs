//! The change list (`changes --json`, `/api/v1/changes`): one view per
//! stored change, newest first.

use serde::Serialize;

use super::{Keyed, key_part_desc};
use crate::detect::ChangeClass;
use crate::model::ChangeRow;

/// One change, with the keys of `changes --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeView {
    pub url: String,
    pub from: u32,
    pub to: u32,
    pub captured_at: String,
    pub class: Option<ChangeClass>,
    pub added: u64,
    pub removed: u64,
    pub title: String,
    pub source: Option<String>,
    pub tags: Vec<String>,
    #[serde(skip)]
    captured_ms: i64,
}

impl From<&ChangeRow> for ChangeView {
    fn from(c: &ChangeRow) -> Self {
        Self {
            url: c.url.to_string(),
            from: c.from,
            to: c.to,
            captured_at: c.captured_at.rfc3339(),
            class: c.class,
            added: c.added,
            removed: c.removed,
            title: c.title.clone(),
            source: c.source.clone(),
            tags: c.tags.clone(),
            captured_ms: c.captured_at.millis(),
        }
    }
}

impl Keyed for ChangeView {
    fn key(&self) -> String {
        format!(
            "{}|{}|{}",
            key_part_desc(self.captured_ms),
            self.url,
            self.to
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TargetUrl, Timestamp};

    #[test]
    fn a_change_has_the_keys_of_the_contract_in_its_order() {
        let row = ChangeRow {
            target: crate::model::TargetId(1),
            key: crate::model::ChangeKey {
                captured_at: Timestamp(1_800_000_000_000),
                seq: 1,
            },
            url: TargetUrl::parse("https://news.example/a").unwrap(),
            name: None,
            from: 1,
            to: 2,
            captured_at: Timestamp(1_800_000_000_000),
            added: 3,
            removed: 1,
            title: "Budget passes".into(),
            current_title: "Budget passes".into(),
            title_changed: false,
            class: Some(ChangeClass::Substantive),
            tags: vec!["politics".into()],
            source: None,
        };
        let json = serde_json::to_value(ChangeView::from(&row)).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // shared/CLI-CONTRACT.md: `changes --json` (source and tags after).
        assert_eq!(
            keys,
            [
                "url",
                "from",
                "to",
                "captured_at",
                "class",
                "added",
                "removed",
                "title",
                "source",
                "tags"
            ]
        );
        assert_eq!(json["class"], "substantive");
        assert_eq!(json["captured_at"], "2027-01-15T08:00:00Z");
    }
}
