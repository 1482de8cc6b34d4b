//! The alert outbox and the discovery sources as reports show them
//! (`alerts --json`, `sources --json`; `/status` and `/sources` to come).

use serde::Serialize;

use super::{Keyed, key_part, key_part_desc};
use crate::model::{Delivery, DeliveryState, SourceSummary, format_duration};

/// One alert delivery, with the keys of `alerts --json`; newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryView {
    pub id: String,
    pub sink: String,
    pub event: String,
    pub url: String,
    pub state: &'static str,
    pub attempts: u32,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    #[serde(skip)]
    seq: i64,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id.clone(),
            sink: d.sink.clone(),
            event: d.event.clone(),
            url: d.url.clone(),
            state: d.state.as_str(),
            attempts: d.attempts,
            next_attempt_at: (d.state == DeliveryState::Pending)
                .then(|| d.next_attempt_at.rfc3339()),
            last_error: d.last_error.clone(),
            seq: d.seq,
        }
    }
}

impl Keyed for DeliveryView {
    fn key(&self) -> String {
        key_part_desc(self.seq)
    }
}

/// One source, with the keys of `sources --json`; in the order added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceView {
    pub url: String,
    pub kind: &'static str,
    pub last_poll: Option<String>,
    /// Articles found in it, ever.
    pub articles: u64,
    pub last_error: Option<String>,
    /// `active`, or `removed` (no longer polled).
    pub state: &'static str,
    /// Its articles still checked.
    pub active_articles: u64,
    /// How often it is polled.
    pub interval: String,
    /// When it is polled next, while active.
    pub next_poll: Option<String>,
    #[serde(skip)]
    id: i64,
}

impl From<&SourceSummary> for SourceView {
    fn from(s: &SourceSummary) -> Self {
        Self {
            url: s.source.url.to_string(),
            kind: s.source.kind.as_str(),
            last_poll: s.last_poll.map(|t| t.rfc3339()),
            articles: s.articles,
            last_error: s.last_error.clone(),
            state: if s.source.active { "active" } else { "removed" },
            active_articles: s.active_articles,
            interval: format_duration(s.source.settings.interval()),
            next_poll: s.source.active.then(|| s.next_poll.rfc3339()),
            id: s.source.id,
        }
    }
}

impl Keyed for SourceView {
    fn key(&self) -> String {
        key_part(self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn delivery(seq: i64, state: DeliveryState) -> Delivery {
        Delivery {
            seq,
            id: format!("msg_{seq}"),
            sink: "hook".into(),
            url: "https://e.com/a".into(),
            event: "article.changed".into(),
            payload: "{}".into(),
            state,
            attempts: 1,
            created_at: Timestamp(0),
            next_attempt_at: Timestamp(1_000),
            last_error: None,
        }
    }

    #[test]
    fn only_a_pending_delivery_has_a_next_attempt() {
        let pending = DeliveryView::from(&delivery(1, DeliveryState::Pending));
        let failed = DeliveryView::from(&delivery(2, DeliveryState::Failed));
        assert_eq!(
            pending.next_attempt_at.as_deref(),
            Some("1970-01-01T00:00:01Z")
        );
        assert_eq!(failed.next_attempt_at, None);
        let page = super::super::page(vec![pending, failed], None, 10);
        let ids: Vec<&str> = page.items.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["msg_2", "msg_1"], "newest first");
    }
}
