//! Alerts in the durable outbox: queued, delivered or given up on.

use super::Timestamp;

/// An alert to queue in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The webhook-id, stable across attempts.
    pub id: String,
    /// The sink's name.
    pub sink: String,
    /// `article.changed`, `target.failing`, …
    pub event: String,
    /// The exact body to send.
    pub payload: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Not yet received.
    Pending,
    /// Received (2xx).
    Delivered,
    /// Given up on.
    Failed,
}

impl DeliveryState {
    /// The name used in reports and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// An alert in the outbox.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Creation order.
    pub seq: i64,
    /// The webhook-id.
    pub id: String,
    /// The sink's name.
    pub sink: String,
    /// The target's URL.
    pub url: String,
    /// The event type.
    pub event: String,
    /// The body.
    pub payload: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it is next tried.
    pub next_attempt_at: Timestamp,
    /// The last attempt's error.
    pub last_error: Option<String>,
}
