//! Why a fetch failed: one variant per way a server or the network can let
//! a check down, each naming the page and, where one applies, the setting
//! that drew the line.

use std::time::Duration;

/// Why a page could not be fetched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built (bad user agent, TLS setup).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// DNS, TCP or TLS failed before any response.
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    /// The whole exchange took longer than the configured timeout.
    #[error("{url} did not answer within {}s (fetch.timeout)", .after.as_secs_f64())]
    Timeout { url: String, after: Duration },
    /// More redirects than `fetch.max_redirects`.
    #[error("{url} redirected more than {limit} times (fetch.max_redirects)")]
    TooManyRedirects { url: String, limit: u32 },
    /// A redirect to something other than a web page (`file:`, `ftp:`,
    /// `javascript:`…), which is never followed.
    #[error("{url} redirected to {location}, which is not an http or https address; not followed")]
    Redirect {
        url: String,
        location: String,
        status: u16,
    },
    /// A target found by discovery points at a private or local address.
    #[error("{url} was not fetched: {reason}")]
    Private { url: String, reason: String },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After: {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        url: String,
        status: u16,
        /// How long the server asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The body is larger than `fetch.max_body_bytes`.
    #[error("{url} sent more than {limit} bytes (fetch.max_body_bytes); nothing was stored")]
    BodyTooLarge {
        url: String,
        limit: u64,
        status: u16,
    },
    /// The response is not an HTML page.
    #[error("{url} is not an HTML page (Content-Type: {content_type})")]
    NotHtml {
        url: String,
        content_type: String,
        status: u16,
    },
    /// The connection broke or the body could not be decompressed.
    #[error("reading the page from {url} failed: {reason}")]
    Body {
        url: String,
        reason: String,
        status: u16,
    },
}

impl FetchError {
    /// The HTTP status, when the server sent one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. }
            | Self::BodyTooLarge { status, .. }
            | Self::NotHtml { status, .. }
            | Self::Redirect { status, .. }
            | Self::Body { status, .. } => Some(*status),
            _ => None,
        }
    }
}
