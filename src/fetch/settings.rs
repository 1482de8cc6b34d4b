//! `[fetch]`: how pages are requested (User-Agent, time and size budgets,
//! redirects) and how hard any one site is pressed, with the defaults.

use std::time::Duration;

/// The User-Agent sent with every request.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "Redline/",
    env!("CARGO_PKG_VERSION"),
    " (news article change monitor; checks each page at most every few minutes)"
);

/// Time allowed for a whole request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest body read; a larger page fails its check.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;

/// Redirects followed before a check fails.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// Requests in flight over all hosts.
pub const DEFAULT_CONCURRENCY: u32 = 32;

/// Requests in flight to one host.
pub const DEFAULT_PER_HOST_CONCURRENCY: u32 = 2;

/// Minimum time between request starts to one host.
pub const DEFAULT_PER_HOST_GAP: Duration = Duration::from_secs(1);

/// `[fetch]` settings.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// User-Agent header.
    pub user_agent: String,
    /// Time allowed for a whole request, body included.
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_body_bytes: u64,
    /// Redirects followed.
    pub max_redirects: u32,
    /// Requests in flight over all hosts.
    pub concurrency: u32,
    /// Requests in flight to one host.
    pub per_host_concurrency: u32,
    /// Minimum time between request starts to one host.
    pub per_host_gap: Duration,
    /// Whether robots.txt is obeyed.
    pub robots_txt: bool,
    /// A target whose last full (unconditional) fetch is older than this is
    /// fetched without validators, so a server whose `304`s are wrong costs
    /// at most this long, never an edit.
    pub revalidate_after: Duration,
}

/// Default for `[fetch] revalidate_after`.
pub const DEFAULT_REVALIDATE_AFTER: Duration = Duration::from_secs(24 * 3600);

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            user_agent: DEFAULT_USER_AGENT.to_string(),
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            concurrency: DEFAULT_CONCURRENCY,
            per_host_concurrency: DEFAULT_PER_HOST_CONCURRENCY,
            per_host_gap: DEFAULT_PER_HOST_GAP,
            robots_txt: true,
            revalidate_after: DEFAULT_REVALIDATE_AFTER,
        }
    }
}
