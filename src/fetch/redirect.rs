//! Which redirects a fetch follows. A redirect is followed when it stays
//! on the web (http or https), does not leave https for plain http, is
//! within `fetch.max_redirects`, and, for a public-only fetch, does not
//! name a private address literally (names are checked by the resolver).
//! The decision is [`verdict`], a pure function; [`policy`] hands it to
//! reqwest, and the fetch turns a refusal into a named error.

use url::Url;

use super::guard::{self, PrivateAddress, Reach};

/// Why a redirect was not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// To something other than a web page (`file:`, `ftp:`, `javascript:`…).
    NotWeb,
    /// From https to plain http: the page would come over a connection
    /// anyone on the path could read and rewrite.
    Downgrade,
    /// To a private or local address, written in the URL, for a fetch
    /// that may reach public addresses only.
    Private(PrivateAddress),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotWeb => f.write_str("which is not an http or https address"),
            Self::Downgrade => f.write_str(
                "which would leave https for plain http (an edit on the way could not be told from the publisher's)",
            ),
            Self::Private(p) => write!(f, "{p}"),
        }
    }
}

/// What to do with one redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    /// Follow it.
    Follow,
    /// More than `max` redirects in a row.
    TooMany,
    /// Stop here, for this reason.
    Refuse(Refusal),
}

/// The decision for a redirect from `from` to `to`, when `visited` URLs
/// (the first request's included) came before it.
pub fn verdict(from: &Url, to: &Url, visited: usize, max: u32, reach: Reach) -> Hop {
    if visited > max as usize {
        return Hop::TooMany;
    }
    refusal(from, to, reach).map_or(Hop::Follow, Hop::Refuse)
}

/// Why a redirect from `from` to `to` must not be followed, whatever the
/// count, if it must not.
pub fn refusal(from: &Url, to: &Url, reach: Reach) -> Option<Refusal> {
    if !matches!(to.scheme(), "http" | "https") {
        return Some(Refusal::NotWeb);
    }
    if from.scheme() == "https" && to.scheme() == "http" {
        return Some(Refusal::Downgrade);
    }
    match reach {
        Reach::Public => guard::private_literal(to).map(Refusal::Private),
        Reach::Any => None,
    }
}

/// The redirect policy of a client with this limit and reach: it follows
/// what [`verdict`] allows, errs on too many, and otherwise stops, leaving
/// the redirect response for the fetch to report.
pub fn policy(max: u32, reach: Reach) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let Some(from) = attempt.previous().last() else {
            return attempt.follow();
        };
        match verdict(from, attempt.url(), attempt.previous().len(), max, reach) {
            Hop::Follow => attempt.follow(),
            Hop::TooMany => attempt.error(format!("more than {max} redirects")),
            Hop::Refuse(_) => attempt.stop(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn redirects_on_the_web_are_followed_to_the_limit() {
        let (a, b) = (url("https://news.example/a"), url("https://news.example/b"));
        assert_eq!(verdict(&a, &b, 1, 5, Reach::Any), Hop::Follow);
        assert_eq!(verdict(&a, &b, 5, 5, Reach::Any), Hop::Follow);
        assert_eq!(verdict(&a, &b, 6, 5, Reach::Any), Hop::TooMany);
        assert_eq!(verdict(&a, &b, 1, 0, Reach::Any), Hop::TooMany);
        // Up to https is an upgrade, and http to http is as it was.
        let plain = url("http://news.example/a");
        assert_eq!(verdict(&plain, &a, 1, 5, Reach::Any), Hop::Follow);
        assert_eq!(verdict(&plain, &plain, 1, 5, Reach::Any), Hop::Follow);
    }

    #[test]
    fn other_schemes_and_downgrades_are_refused() {
        let from = url("https://news.example/a");
        for to in [
            "file:///etc/passwd",
            "ftp://news.example/a",
            "data:text/html,x",
        ] {
            assert_eq!(
                refusal(&from, &url(to), Reach::Any),
                Some(Refusal::NotWeb),
                "{to}"
            );
        }
        assert_eq!(
            refusal(&from, &url("http://news.example/a"), Reach::Any),
            Some(Refusal::Downgrade)
        );
        // A refusal stands whatever the count.
        assert_eq!(
            verdict(&from, &url("http://news.example/a"), 1, 5, Reach::Any),
            Hop::Refuse(Refusal::Downgrade)
        );
    }

    #[test]
    fn private_addresses_are_refused_only_to_a_public_only_fetch() {
        let from = url("http://news.example/a");
        for to in [
            "http://127.0.0.1:6379/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://10.0.0.8/",
        ] {
            assert!(
                matches!(
                    refusal(&from, &url(to), Reach::Public),
                    Some(Refusal::Private(_))
                ),
                "{to}"
            );
            assert_eq!(refusal(&from, &url(to), Reach::Any), None, "{to}");
        }
        assert_eq!(
            refusal(&from, &url("http://93.184.215.14/"), Reach::Public),
            None
        );
    }
}
