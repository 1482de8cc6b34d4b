//! The polite client: every request Redline sends to a news site goes
//! through it. It joins the fetcher to the politeness gates: robots.txt
//! (fetched once a day per origin, obeyed unless the target, source or host
//! says otherwise), the host's gate before each request, and a
//! `Retry-After` on `429`/`503` that pauses the whole host. Article checks
//! and source polls share one client, so a site sees one polite visitor.

use std::sync::Arc;
use std::time::Duration;

use super::{
    HostPermit, HostSpec, Politeness, ROBOTS_RETRY, ROBOTS_TTL, robots_location, robots_path,
};
use crate::fetch::{FetchConfig, FetchError, Fetched, Fetcher, Reach, Validators};
use crate::metrics::Metrics;
use crate::model::TargetUrl;
use crate::robots::{MAX_ROBOTS_BYTES, Rules};
use crate::schedule;
use crate::store::HostGates;

/// What a source's documents are fetched with: feeds, sitemaps, pages.
pub const LISTING_ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5";

/// Why a polite request was not answered with a page.
#[derive(Debug, thiserror::Error)]
pub enum PoliteError {
    /// The request failed or the server answered with an error.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// robots.txt forbids the URL (or could not be read); the message says
    /// which rule and how to override it.
    #[error("{0}")]
    Robots(String),
}

/// The fetcher behind the politeness gates and robots.txt.
pub struct PoliteClient {
    fetcher: Fetcher,
    /// The same, reaching public addresses only (for discovered targets).
    public_fetcher: Fetcher,
    politeness: Arc<Politeness>,
    /// The product token robots.txt groups are matched against.
    robots_token: String,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for PoliteClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoliteClient")
            .field("robots_token", &self.robots_token)
            .finish_non_exhaustive()
    }
}

impl PoliteClient {
    /// A client from `[fetch]` and `[[host]]`, with the hosts' politeness
    /// state kept by `gates`, counting into `metrics`.
    pub fn new(
        fetch: &FetchConfig,
        hosts: &[HostSpec],
        gates: Arc<dyn HostGates>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, FetchError> {
        Ok(Self {
            fetcher: Fetcher::new(fetch)?,
            public_fetcher: Fetcher::with_reach(fetch, Reach::Public)?,
            politeness: Politeness::new(fetch, hosts, gates),
            robots_token: robots_token(&fetch.user_agent),
            metrics,
        })
    }

    /// The politeness gates.
    pub fn politeness(&self) -> &Arc<Politeness> {
        &self.politeness
    }

    /// Fetches an article page with a request slot on its host already
    /// held: robots.txt when obeyed, the host's gap, the request
    /// (conditional with `validators`), and a `Retry-After` pause.
    pub async fn fetch_page(
        &self,
        url: &TargetUrl,
        robots_txt: Option<bool>,
        permit: &HostPermit,
        validators: Validators<'_>,
        reach: Reach,
    ) -> Result<Fetched, PoliteError> {
        let fetcher = self.fetcher_for(reach);
        if self.politeness.obeys_robots(permit.host(), robots_txt) {
            self.robots_allow(url, permit, fetcher).await?;
        }
        self.politeness.before_send(permit).await;
        let fetched = fetcher.fetch_conditional(url, validators).await;
        self.pause_if_asked(permit.host(), fetched).await
    }

    /// Fetches a source's document (feed, sitemap, page) as politely as a
    /// target: the host's gate, robots.txt when obeyed, a conditional
    /// request, and a `Retry-After` pause for the whole host; it waits for
    /// the host's gate.
    pub async fn fetch_listing(
        &self,
        url: &TargetUrl,
        robots_txt: Option<bool>,
        validators: Validators<'_>,
    ) -> Result<Fetched, PoliteError> {
        let host = url.host_key();
        let permit = self.politeness.start(&host).await;
        if self.politeness.obeys_robots(&host, robots_txt) {
            self.robots_allow(url, &permit, &self.fetcher).await?;
        }
        self.politeness.before_send(&permit).await;
        let fetched = self
            .fetcher
            .fetch_document(url, validators, LISTING_ACCEPT)
            .await;
        self.pause_if_asked(&host, fetched).await
    }

    /// A `429`/`503` means the whole site asked us to slow down, not just
    /// this page: its host is paused for its `Retry-After` (a minute when
    /// it gives none, a day at most).
    async fn pause_if_asked(
        &self,
        host: &str,
        fetched: Result<Fetched, FetchError>,
    ) -> Result<Fetched, PoliteError> {
        if let Err(FetchError::Status {
            status: 429 | 503,
            retry_after,
            ..
        }) = &fetched
        {
            let wait = retry_after
                .unwrap_or(Duration::from_secs(60))
                .min(schedule::MAX_RETRY_AFTER);
            self.politeness.pause(host, wait).await;
            tracing::warn!(host = %host, wait_s = wait.as_secs(), "host asked us to wait (Retry-After); pausing it");
        }
        Ok(fetched?)
    }

    /// Whether robots.txt lets Redline fetch the target; the rules are
    /// fetched once a day per site and cached.
    /// The client for what a fetch may reach.
    fn fetcher_for(&self, reach: Reach) -> &Fetcher {
        match reach {
            Reach::Any => &self.fetcher,
            Reach::Public => &self.public_fetcher,
        }
    }

    async fn robots_allow(
        &self,
        url: &TargetUrl,
        permit: &HostPermit,
        fetcher: &Fetcher,
    ) -> Result<(), PoliteError> {
        let (origin, robots_url) = robots_location(url);
        let lock = self.politeness.robots_lock(&origin);
        let fetching = match self.politeness.cached_robots(&origin) {
            Some(_) => None,
            None => Some(lock.lock().await),
        };
        let rules = match self.politeness.cached_robots(&origin) {
            Some(r) => r,
            None => {
                self.politeness.before_send(permit).await;
                let (rules, ttl) = match fetcher.fetch_text(&robots_url, MAX_ROBOTS_BYTES).await {
                    Ok((200..=299, body)) => (
                        Rules::parse(&String::from_utf8_lossy(&body), &self.robots_token),
                        ROBOTS_TTL,
                    ),
                    // No robots.txt (or none for us): everything is allowed.
                    Ok((400..=499, _)) => (Rules::allow_all(), ROBOTS_TTL),
                    Ok((status, _)) => (
                        Rules::unreachable(format!("{robots_url} answered HTTP {status}")),
                        ROBOTS_RETRY,
                    ),
                    // The site itself cannot be reached (or refused, for
                    // a discovered target on a private address): that is
                    // the check's failure, told against the article's URL.
                    Err(e) if e.is_unreachable() => return Err(e.retold_for(url.as_str()).into()),
                    Err(e) => (Rules::unreachable(e.to_string()), ROBOTS_RETRY),
                };
                let rules = Arc::new(rules);
                self.politeness
                    .remember_robots(&origin, Arc::clone(&rules), ttl);
                rules
            }
        };
        drop(fetching);
        let path = robots_path(url);
        if rules.allows(&path) {
            return Ok(());
        }
        self.metrics.robots_blocked();
        let why = match (rules.unreachable_reason(), rules.blocking_rule(&path)) {
            (Some(reason), _) => format!(
                "robots.txt could not be read ({reason}); RFC 9309 says to assume everything is disallowed until it can"
            ),
            (None, Some(rule)) => format!(
                "{robots_url} disallows {path} for {} (rule `Disallow: {rule}`)",
                self.robots_token
            ),
            (None, None) => format!("{robots_url} disallows {path}"),
        };
        Err(PoliteError::Robots(format!(
            "blocked by robots.txt: {why}; set robots_txt = false on the target (or source) or its [[host]] to fetch it anyway"
        )))
    }
}

/// The robots.txt product token: the User-Agent's first word.
fn robots_token(user_agent: &str) -> String {
    user_agent
        .split(['/', ' '])
        .next()
        .filter(|t| !t.is_empty())
        .unwrap_or("Redline")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_robots_token_is_the_user_agents_product() {
        assert_eq!(robots_token("Redline/0.1 (news monitor)"), "Redline");
        assert_eq!(robots_token("NewsBot"), "NewsBot");
        assert_eq!(robots_token(""), "Redline");
    }
}
