//! Why a fetch failed: one variant per way a server or the network can let
//! a check down, each naming the page and, where one applies, the setting
//! that drew the line.

use std::error::Error as _;
use std::time::Duration;

use super::redirect::Refusal;

/// Why a page could not be fetched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built (bad user agent, TLS setup).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// DNS, TCP or TLS failed before any response.
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    /// Connected, but what came back is not an HTTP response that can be
    /// read (a head too large, malformed, or the connection closed before
    /// any answer).
    #[error("{url} did not send a readable HTTP response: {reason}")]
    Response { url: String, reason: String },
    /// The whole exchange took longer than the configured timeout.
    #[error("{url} did not answer within {}s (fetch.timeout)", .after.as_secs_f64())]
    Timeout { url: String, after: Duration },
    /// More redirects than `fetch.max_redirects`.
    #[error("{url} redirected more than {limit} times (fetch.max_redirects)")]
    TooManyRedirects { url: String, limit: u32 },
    /// A redirect that is never followed: to something other than a web
    /// page (`file:`, `ftp:`…), or from https to plain http.
    #[error("{url} redirected to {location}, {why}; not followed")]
    Redirect {
        url: String,
        location: String,
        why: Refusal,
        status: u16,
    },
    /// The TLS handshake failed: a certificate that is not trusted, has
    /// expired or names another host, or no protocol in common.
    #[error("cannot connect to {url}: TLS handshake failed: {reason}")]
    Tls { url: String, reason: String },
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
    /// Whether the server itself could not be reached: no connection, no
    /// TLS, no answer in time, or an address the fetch may not reach. The
    /// same then holds for every URL on it. (A response that is not HTTP
    /// may come from one path only, so it is not counted here.)
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. } | Self::Tls { .. } | Self::Timeout { .. } | Self::Private { .. }
        )
    }

    /// The same failure, told against `url` (another URL on the same
    /// server, such as the article whose robots.txt could not be reached).
    pub fn retold_for(self, url: &str) -> Self {
        let url = url.to_string();
        match self {
            Self::Connect { reason, .. } => Self::Connect { url, reason },
            Self::Tls { reason, .. } => Self::Tls { url, reason },
            Self::Response { reason, .. } => Self::Response { url, reason },
            Self::Timeout { after, .. } => Self::Timeout { url, after },
            Self::Private { reason, .. } => Self::Private { url, reason },
            Self::TooManyRedirects { limit, .. } => Self::TooManyRedirects { url, limit },
            Self::Redirect {
                location,
                why,
                status,
                ..
            } => Self::Redirect {
                url,
                location,
                why,
                status,
            },
            Self::Status {
                status,
                retry_after,
                ..
            } => Self::Status {
                url,
                status,
                retry_after,
            },
            Self::BodyTooLarge { limit, status, .. } => Self::BodyTooLarge { url, limit, status },
            Self::NotHtml {
                content_type,
                status,
                ..
            } => Self::NotHtml {
                url,
                content_type,
                status,
            },
            Self::Body { reason, status, .. } => Self::Body {
                url,
                reason,
                status,
            },
            Self::Client(reason) => Self::Client(reason),
        }
    }

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

/// The most specific messages of an error's source chain, joined with `: `.
pub(super) fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts
            .iter()
            .any(|p| p.contains(&text) || text.contains(p.as_str()))
        {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// What a failed TLS handshake means, in words, with rustls's own name
/// for it after them.
pub(super) fn tls_reason(e: &rustls::Error) -> String {
    use rustls::{CertificateError as C, Error as E};
    let plain = match e {
        E::InvalidCertificate(C::UnknownIssuer) => {
            "the server's certificate is not signed by an authority this machine trusts"
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the server's certificate has expired"
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "the server's certificate is not valid yet (or this machine's clock is wrong)"
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "the server's certificate is for another host name"
        }
        E::InvalidCertificate(C::Revoked) => "the server's certificate has been revoked",
        E::InvalidCertificate(_) => "the server's certificate is not valid",
        E::NoCertificatesPresented => "the server presented no certificate",
        _ => return e.to_string(),
    };
    format!("{plain} ({e})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_said_in_words_and_keep_rustls_name() {
        let unknown = tls_reason(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        assert!(unknown.starts_with("the server's certificate is not signed"));
        assert!(unknown.contains("UnknownIssuer"), "{unknown}");
        let error = FetchError::Tls {
            url: "https://news.example/a".into(),
            reason: unknown,
        };
        assert!(
            error
                .to_string()
                .starts_with("cannot connect to https://news.example/a: TLS handshake failed: ")
        );
        assert!(error.is_unreachable());
        let retold = error.retold_for("https://news.example/b");
        assert!(
            retold
                .to_string()
                .starts_with("cannot connect to https://news.example/b: TLS handshake failed: ")
        );
        let other = tls_reason(&rustls::Error::HandshakeNotComplete);
        assert_eq!(other, rustls::Error::HandshakeNotComplete.to_string());
    }
}
