//! Fetching pages: one shared HTTP client with a user agent, a redirect limit,
//! a total time budget and a cap on body size.
//!
//! reqwest has no body-size limit of its own, so the body is streamed and
//! counted; a page over the cap fails with [`FetchError::BodyTooLarge`] and
//! nothing of it is kept. Its timeouts are also checked by an outer
//! `tokio::time::timeout` over the whole exchange, so a server that trickles
//! one byte at a time cannot hold a check open forever.

use std::error::Error as _;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE, HeaderMap, HeaderValue};

use crate::config::FetchConfig;
use crate::types::TargetUrl;

/// A page as the server sent it.
#[derive(Debug, Clone)]
pub struct FetchedPage {
    /// The URL after redirects.
    pub final_url: String,
    /// HTTP status (always 2xx here).
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The (decompressed) body.
    pub body: Vec<u8>,
    /// Time from request to last byte.
    pub elapsed: Duration,
}

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
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
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
            | Self::Body { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The shared HTTP client with Redline's limits. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: u64,
    max_redirects: u32,
}

impl Fetcher {
    /// Builds the client from `[fetch]` settings.
    pub fn new(config: &FetchConfig) -> Result<Self, FetchError> {
        // reqwest is built without a bundled crypto provider; install ring once
        // per process (a second install is refused harmlessly).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"),
        );
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("*"));
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.as_str())
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::limited(
                config.max_redirects as usize,
            ))
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        Ok(Self {
            client,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
            max_redirects: config.max_redirects,
        })
    }

    /// Fetches one page within the time and size budget.
    pub async fn fetch(&self, url: &TargetUrl) -> Result<FetchedPage, FetchError> {
        let started = Instant::now();
        match tokio::time::timeout(self.timeout, self.fetch_inner(url, started)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                url: url.to_string(),
                after: self.timeout,
            }),
        }
    }

    async fn fetch_inner(
        &self,
        url: &TargetUrl,
        started: Instant,
    ) -> Result<FetchedPage, FetchError> {
        let u = url.to_string();
        let mut response = self
            .client
            .get(url.as_url().clone())
            .send()
            .await
            .map_err(|e| self.classify(&u, &e, None))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(FetchError::Status { url: u, status });
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(ct) = &content_type
            && !is_html_like(ct)
        {
            return Err(FetchError::NotHtml {
                url: u,
                content_type: ct.clone(),
                status,
            });
        }
        let too_large = || FetchError::BodyTooLarge {
            url: u.clone(),
            limit: self.max_body_bytes,
            status,
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes)
        {
            return Err(too_large());
        }
        let final_url = response.url().to_string();
        let mut body = Vec::with_capacity(
            response
                .content_length()
                .map_or(64 * 1024, |n| n as usize)
                .min(self.max_body_bytes as usize),
        );
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > self.max_body_bytes {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(&u, &e, Some(status))),
            }
        }
        Ok(FetchedPage {
            final_url,
            status,
            content_type,
            body,
            elapsed: started.elapsed(),
        })
    }

    fn classify(&self, url: &str, e: &reqwest::Error, status: Option<u16>) -> FetchError {
        let url = url.to_string();
        if e.is_timeout() {
            FetchError::Timeout {
                url,
                after: self.timeout,
            }
        } else if e.is_redirect() {
            FetchError::TooManyRedirects {
                url,
                limit: self.max_redirects,
            }
        } else if let Some(status) = status {
            FetchError::Body {
                url,
                reason: error_chain(e),
                status,
            }
        } else {
            FetchError::Connect {
                url,
                reason: error_chain(e),
            }
        }
    }
}

/// Whether a Content-Type is worth extracting an article from.
fn is_html_like(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime.is_empty()
        || mime == "text/html"
        || mime == "application/xhtml+xml"
        || mime == "text/plain"
        || mime == "application/xml"
        || mime == "text/xml"
        // Misconfigured servers send pages as this; the decoder still copes.
        || mime == "application/octet-stream"
}

/// The most specific messages of an error's source chain, joined with `: `.
fn error_chain(e: &reqwest::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_like_content_types() {
        assert!(is_html_like("text/html; charset=utf-8"));
        assert!(is_html_like("TEXT/HTML"));
        assert!(is_html_like("application/xhtml+xml"));
        assert!(!is_html_like("application/pdf"));
        assert!(!is_html_like("image/png"));
    }

    #[test]
    fn http_status_is_kept_only_when_the_server_sent_one() {
        let e = FetchError::Status {
            url: "u".into(),
            status: 404,
        };
        assert_eq!(e.http_status(), Some(404));
        let e = FetchError::Connect {
            url: "u".into(),
            reason: "refused".into(),
        };
        assert_eq!(e.http_status(), None);
    }
}
