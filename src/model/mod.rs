//! The records every layer passes around: targets, checks (and the HTTP
//! exchanges behind them), versions, sources and alert deliveries, and the values they are made of (URLs and
//! their identity, ids, hashes, timestamps, durations).
//!
//! Records are plain data with no behaviour that needs a database, a
//! network or the config file: the store takes and returns them, the check
//! pipeline decides with them, and the reports show them. This module sits
//! below everything but the text, diff and detection vocabulary it names.

pub mod canon;
mod check;
mod delivery;
mod exchange;
mod host;
mod source;
mod target;
mod value;
mod version;

pub use check::{
    CacheUpdate, Capture, CaptureOutcome, CheckCommit, CheckFacts, CheckRow, CheckStatus,
    NewVersion, Recent, RecentCheck, Seen, StoreDecision, TargetUpdate,
};
pub use delivery::{Delivery, DeliveryState, NewDelivery};
pub use exchange::{CaptureKind, CaptureRow, Exchange};
pub use host::{Closed, HostRules};
pub use source::{
    DEFAULT_MAX_NEW_PER_POLL, DEFAULT_MAX_TARGETS, DEFAULT_POLL_INTERVAL, Discovered, Merged,
    PollReport, Source, SourceKind, SourceSettings, SourceSummary, SourceSyncReport,
    TargetDefaults,
};
pub use target::{
    Backlog, Next, Origin, PageCache, RawHtmlPolicy, SyncReport, Target, TargetQuery,
    TargetSettings, TargetSort, TargetState, TargetStatus, TargetSummary,
};
pub use value::{
    ContentHash, DurationError, TargetId, TargetUrl, Timestamp, UrlError, format_duration,
    parse_duration,
};
pub use version::{ChangeKey, ChangeQuery, ChangeRow, DatesSeen, HistoryRow, Version};
