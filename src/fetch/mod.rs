//! Fetching pages: one shared HTTP client with a user agent, a redirect limit,
//! a total time budget and a cap on body size. Each answer comes with the
//! exchange as it went over the wire (`wire`: request and response heads),
//! kept with the check for archives.
//!
//! Requests are conditional when the caller has validators from the last
//! page (`If-None-Match`, `If-Modified-Since`): a `304` comes back as
//! [`Fetched::NotModified`] and costs no body at all. A `Last-Modified` is
//! handed back only when it is a strong validator (RFC 9110 §8.8.2.2), so a
//! page edited within the second it was served is never hidden by a `304`.
//! A `429`/`503` carries the server's `Retry-After`, so the caller can leave
//! the host alone.
//!
//! reqwest has no body-size limit of its own, so the body is streamed and
//! counted; a page over the cap fails with [`FetchError::BodyTooLarge`] and
//! nothing of it is kept. Its timeouts are also checked by an outer
//! `tokio::time::timeout` over the whole exchange, so a server that trickles
//! one byte at a time cannot hold a check open forever.

use std::time::{Duration, Instant};

use reqwest::header::{
    ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE, DATE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};

use crate::model::{Exchange, TargetUrl};

mod error;
mod guard;
mod redirect;
mod settings;
pub mod wire;

pub use error::FetchError;
use error::error_chain;

pub use guard::{PrivateAddress, Reach, is_public};
pub use redirect::Refusal;

pub use settings::{
    DEFAULT_CONCURRENCY, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS,
    DEFAULT_PER_HOST_CONCURRENCY, DEFAULT_PER_HOST_GAP, DEFAULT_REVALIDATE_AFTER, DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT, FetchConfig,
};

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
    /// `ETag` header, for the next conditional request.
    pub etag: Option<String>,
    /// `Last-Modified` header, likewise.
    pub last_modified: Option<String>,
    /// The exchange on the wire (`None` for a page that was not fetched,
    /// such as one a benchmark generates).
    pub exchange: Option<Exchange>,
}

/// What a conditional request brought back.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// A page.
    Page(FetchedPage),
    /// `304 Not Modified`: the page is the one the validators came from.
    NotModified {
        /// New validators, when the server sent any.
        etag: Option<String>,
        last_modified: Option<String>,
        /// The exchange on the wire.
        exchange: Exchange,
    },
}

/// Validators from the last page, sent to make a request conditional.
#[derive(Debug, Clone, Copy, Default)]
pub struct Validators<'a> {
    /// Sent as `If-None-Match`.
    pub etag: Option<&'a str>,
    /// Sent as `If-Modified-Since`.
    pub last_modified: Option<&'a str>,
}

/// The shared HTTP client with Redline's limits. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: u64,
    max_redirects: u32,
    reach: Reach,
    /// Headers every request carries (the client's defaults), in the order
    /// they go out, for the record of what was sent.
    defaults: std::sync::Arc<[(&'static str, String)]>,
}

/// The content codings asked for: the ones reqwest decodes with the
/// features Redline builds it with. Sent by Redline itself (reqwest
/// decodes by its features, not by who wrote the header), so the record of
/// the request says exactly what went out.
const ACCEPT_ENCODING_SENT: &str = "gzip, deflate, br";

impl Fetcher {
    /// Builds the client from `[fetch]` settings.
    pub fn new(config: &FetchConfig) -> Result<Self, FetchError> {
        Self::with_reach(config, Reach::Any)
    }

    /// Builds a client that reaches only the addresses `reach` allows.
    pub fn with_reach(config: &FetchConfig, reach: Reach) -> Result<Self, FetchError> {
        // reqwest is built without a bundled crypto provider; install ring once
        // per process (a second install is refused harmlessly).
        let _ = rustls::crypto::ring::default_provider().install_default();
        const ACCEPT_SENT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5";
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_SENT));
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("*"));
        headers.insert(
            reqwest::header::ACCEPT_ENCODING,
            HeaderValue::from_static(ACCEPT_ENCODING_SENT),
        );
        let defaults: std::sync::Arc<[(&'static str, String)]> = std::sync::Arc::new([
            ("user-agent", config.user_agent.as_str().to_string()),
            ("accept", ACCEPT_SENT.to_string()),
            ("accept-language", "*".to_string()),
            ("accept-encoding", ACCEPT_ENCODING_SENT.to_string()),
        ]);
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.as_str())
            .default_headers(headers)
            .redirect(redirect::policy(config.max_redirects, reach))
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)));
        if reach == Reach::Public {
            builder = builder.dns_resolver(std::sync::Arc::new(guard::PublicResolver));
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        Ok(Self {
            client,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
            max_redirects: config.max_redirects,
            reach,
            defaults,
        })
    }

    /// Fetches one page within the time and size budget.
    pub async fn fetch(&self, url: &TargetUrl) -> Result<FetchedPage, FetchError> {
        match self.fetch_conditional(url, Validators::default()).await? {
            Fetched::Page(p) => Ok(p),
            // Without validators a 304 is the server's mistake.
            Fetched::NotModified { .. } => Err(FetchError::Status {
                url: url.to_string(),
                status: 304,
                retry_after: None,
            }),
        }
    }

    /// Fetches one page, conditionally when `validators` has any.
    pub async fn fetch_conditional(
        &self,
        url: &TargetUrl,
        validators: Validators<'_>,
    ) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        match tokio::time::timeout(
            self.timeout,
            self.fetch_inner(url, validators, None, started),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                url: url.to_string(),
                after: self.timeout,
            }),
        }
    }

    /// Fetches a document of any type (a feed, a sitemap) within the same
    /// budget, conditionally when `validators` has any, sending `accept`.
    pub async fn fetch_document(
        &self,
        url: &TargetUrl,
        validators: Validators<'_>,
        accept: &'static str,
    ) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        match tokio::time::timeout(
            self.timeout,
            self.fetch_inner(url, validators, Some(accept), started),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                url: url.to_string(),
                after: self.timeout,
            }),
        }
    }

    /// Fetches a small text resource (robots.txt) whatever its status:
    /// returns the status and at most `limit` bytes of body (the rest is
    /// cut off, not an error).
    pub async fn fetch_text(&self, url: &str, limit: usize) -> Result<(u16, Vec<u8>), FetchError> {
        if let Ok(parsed) = url::Url::parse(url) {
            self.refuse_literal(&parsed)?;
        }
        let fetch = async {
            let mut response = self
                .client
                .get(url)
                .header(ACCEPT, "text/plain,*/*;q=0.5")
                .send()
                .await
                .map_err(|e| self.classify(url, &e, None))?;
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while body.len() < limit {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(e) => return Err(self.classify(url, &e, Some(status))),
                }
            }
            body.truncate(limit);
            Ok((status, body))
        };
        match tokio::time::timeout(self.timeout, fetch).await {
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
        validators: Validators<'_>,
        accept: Option<&'static str>,
        started: Instant,
    ) -> Result<Fetched, FetchError> {
        let u = url.to_string();
        self.refuse_literal(url.as_url())?;
        let mut request = self.client.get(url.as_url().clone());
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        if let Some(etag) = validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        let request = request.build().map_err(|e| self.classify(&u, &e, None))?;
        let sent = self.sent_headers(request.headers());
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| self.classify(&u, &e, None))?;
        let status = response.status().as_u16();
        // What went over the wire, for the capture's WARC records. Only the
        // last request of a redirect chain is kept: the one that answered.
        let exchange = |payload_sha256| Exchange {
            url: response.url().to_string(),
            request_head: {
                let pairs: Vec<(&str, &str)> =
                    sent.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                wire::request_head(response.url(), &pairs)
            },
            response_head: wire::response_head(response.version(), status, response.headers()),
            payload_sha256,
            ip: response.remote_addr().map(|a| a.ip()),
        };
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        // A `Last-Modified` within a minute of the response's own time is
        // only a weak validator: the page may change again in the same
        // second. It is never sent back, so it can never hide an edit.
        let last_modified = header(LAST_MODIFIED).filter(|lm| {
            strong_last_modified(lm, header(DATE).as_deref(), time::OffsetDateTime::now_utc())
        });
        let etag = header(ETAG);
        if status == 304 && (validators.etag.is_some() || validators.last_modified.is_some()) {
            return Ok(Fetched::NotModified {
                etag,
                last_modified,
                exchange: exchange(None),
            });
        }
        if response.status().is_redirection()
            && let Some(location) = header(reqwest::header::LOCATION)
        {
            // The policy stopped here: say why.
            let next = response.url().join(&location).ok();
            let why = next
                .as_ref()
                .and_then(|next| redirect::refusal(response.url(), next, self.reach));
            return Err(match why {
                Some(redirect::Refusal::Private(p)) => FetchError::Private {
                    url: u,
                    reason: format!(
                        "it redirected to {}: {p}",
                        next.map_or(location, String::from)
                    ),
                },
                Some(why) => FetchError::Redirect {
                    url: u,
                    location,
                    why,
                    status,
                },
                // A redirect without a usable address: the server's error.
                None => FetchError::Status {
                    url: u,
                    status,
                    retry_after: None,
                },
            });
        }
        if !response.status().is_success() {
            let retry_after = header(RETRY_AFTER).and_then(|v| parse_retry_after(&v));
            return Err(FetchError::Status {
                url: u,
                status,
                retry_after,
            });
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(ct) = &content_type
            && accept.is_none()
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
        let head = exchange(None);
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
        let exchange = Exchange {
            payload_sha256: Some(Exchange::digest(&body)),
            ..head
        };
        Ok(Fetched::Page(FetchedPage {
            final_url,
            status,
            content_type,
            body,
            elapsed: started.elapsed(),
            etag,
            last_modified,
            exchange: Some(exchange),
        }))
    }

    /// The headers a request carries: the client's defaults unless the
    /// request sets its own, then the request's.
    fn sent_headers(&self, own: &HeaderMap) -> Vec<(String, String)> {
        let mut sent: Vec<(String, String)> = self
            .defaults
            .iter()
            .filter(|(name, _)| !own.contains_key(*name))
            .map(|(n, v)| ((*n).to_string(), v.clone()))
            .collect();
        for (name, value) in own {
            sent.push((name.as_str().to_string(), wire::latin1(value.as_bytes())));
        }
        sent
    }

    /// Refuses a URL whose host is a private address written literally,
    /// for a public-only fetch (names are checked by the resolver).
    fn refuse_literal(&self, url: &url::Url) -> Result<(), FetchError> {
        match (self.reach, guard::private_literal(url)) {
            (Reach::Public, Some(p)) => Err(FetchError::Private {
                url: url.to_string(),
                reason: p.to_string(),
            }),
            _ => Ok(()),
        }
    }

    fn classify(&self, url: &str, e: &reqwest::Error, status: Option<u16>) -> FetchError {
        let url = url.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            if let Some(p) = s.downcast_ref::<PrivateAddress>() {
                return FetchError::Private {
                    url,
                    reason: p.to_string(),
                };
            }
            if let Some(tls) = s.downcast_ref::<rustls::Error>() {
                return FetchError::Tls {
                    url,
                    reason: error::tls_reason(tls),
                };
            }
            // An io::Error's `source` skips the error it wraps: go inside.
            source = match s
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => s.source(),
            };
        }
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
        } else if e.is_connect() {
            FetchError::Connect {
                url,
                reason: error_chain(e),
            }
        } else {
            FetchError::Response {
                url,
                reason: error_chain(e),
            }
        }
    }
}

/// Reads `Retry-After`: delay seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(value)?;
    let wait = at - time::OffsetDateTime::now_utc();
    Some(Duration::from_secs(wait.whole_seconds().max(0) as u64))
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(value: &str) -> Option<time::OffsetDateTime> {
    let value = value.trim();
    let format = time::format_description::well_known::Rfc2822;
    time::OffsetDateTime::parse(value, &format)
        .or_else(|_| {
            // HTTP dates say "GMT"; RFC 2822 parsing wants an offset.
            time::OffsetDateTime::parse(&value.replace(" GMT", " +0000"), &format)
        })
        .ok()
}

/// How much older than the response a `Last-Modified` must be to be a
/// strong validator (RFC 9110 §8.8.2.2 leaves the margin to the client).
const STRONG_VALIDATOR_MARGIN: time::Duration = time::Duration::seconds(60);

/// Whether a `Last-Modified` value is a strong validator by RFC 9110
/// §8.8.2.2: at least a minute older than the response's `Date` (or, when
/// the server sent none or an unreadable one, than `now`). A page written
/// in the same second it was served may change again within that second,
/// and `If-Modified-Since` would then hide the edit. An unreadable
/// `Last-Modified` is never strong.
pub fn strong_last_modified(
    last_modified: &str,
    date: Option<&str>,
    now: time::OffsetDateTime,
) -> bool {
    let Some(modified) = parse_http_date(last_modified) else {
        return false;
    };
    let served = date.and_then(parse_http_date).unwrap_or(now);
    served - modified >= STRONG_VALIDATOR_MARGIN
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

#[cfg(test)]
mod tests;
