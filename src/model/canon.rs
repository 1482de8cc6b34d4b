//! URL identity: when two URLs name the same article.
//!
//! Feeds, sitemaps and section pages link to one article in many spellings:
//! with campaign parameters (`?utm_source=rss`), click ids (`fbclid`,
//! `gclid`), a `#comments` fragment, an explicit default port, upper-case
//! host names, with or without a trailing slash, over http or https.
//! [`clean`] removes what never names an article (the fragment, tracking
//! parameters, a default port) and is the URL Redline fetches; [`key`] is
//! the identity two URLs are compared by: the cleaned URL without its
//! scheme and without a trailing slash on a path other than `/`. The URL
//! fetched keeps the slash as the site wrote it, since some servers answer
//! only one spelling.
//!
//! Other query parameters are kept in their order: on many sites they name
//! the article (`?id=123`).

use url::Url;

/// Query parameters that only say where a click came from. Names are
/// compared in lower case; `utm_` is a prefix.
pub const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "mkt_tok",
    "_ga",
    "_gl",
    "smid",
    "cmpid",
    "ocid",
    "guccounter",
];

fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}

/// The URL to fetch: fragment, tracking parameters and an empty query
/// removed. (Host case and default ports are already normalised by URL
/// parsing.)
pub fn clean(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                !is_tracking(name)
            })
            .collect();
        if kept.is_empty() {
            out.set_query(None);
        } else {
            out.set_query(Some(&kept.join("&")));
        }
    }
    out
}

/// The identity of a URL for de-duplication (see the module notes).
pub fn key(url: &Url) -> String {
    let cleaned = clean(url);
    let host = cleaned.host_str().unwrap_or_default();
    let mut out = String::with_capacity(cleaned.as_str().len());
    out.push_str(host);
    if let Some(port) = cleaned.port() {
        // A port that is the default of the other scheme is still the same
        // site: http://x:443 is rare enough to ignore.
        if !(port == 80 || port == 443) {
            out.push(':');
            out.push_str(&port.to_string());
        }
    }
    let path = cleaned.path();
    let path = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        "/"
    };
    out.push_str(path);
    if let Some(q) = cleaned.query() {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// [`key`] of a URL given as text; `None` when it is not an http(s) URL.
pub fn key_of(url: &str) -> Option<String> {
    let u = Url::parse(url.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| key(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> String {
        key_of(s).unwrap()
    }

    #[test]
    fn spellings_of_one_article_share_a_key() {
        let base = k("https://www.example.com/news/story-1");
        for variant in [
            "https://WWW.Example.COM/news/story-1",
            "https://www.example.com:443/news/story-1",
            "http://www.example.com/news/story-1",
            "https://www.example.com/news/story-1/",
            "https://www.example.com/news/story-1#comments",
            "https://www.example.com/news/story-1?utm_source=rss&utm_medium=feed",
            "https://www.example.com/news/story-1?UTM_Campaign=x",
            "https://www.example.com/news/story-1?fbclid=abc&gclid=def",
            "https://www.example.com/news/story-1?",
        ] {
            assert_eq!(k(variant), base, "{variant}");
        }
    }

    #[test]
    fn different_articles_keep_different_keys() {
        assert_ne!(k("https://e.com/story?id=1"), k("https://e.com/story?id=2"));
        assert_ne!(k("https://e.com/News/a"), k("https://e.com/news/a"));
        assert_ne!(k("https://e.com:8080/a"), k("https://e.com/a"));
        assert_ne!(k("https://e.com/a"), k("https://f.com/a"));
    }

    #[test]
    fn cleaning_keeps_meaningful_parameters_in_order_and_the_slash() {
        let u = Url::parse("https://e.com/a/?b=2&utm_source=x&a=1#top").unwrap();
        assert_eq!(clean(&u).as_str(), "https://e.com/a/?b=2&a=1");
        let u = Url::parse("https://e.com/a?utm_source=x").unwrap();
        assert_eq!(clean(&u).as_str(), "https://e.com/a");
        assert_eq!(k("https://e.com/"), "e.com/");
        assert_eq!(k("https://e.com"), "e.com/");
    }

    #[test]
    fn non_web_urls_have_no_key() {
        assert_eq!(key_of("mailto:a@b.c"), None);
        assert_eq!(key_of("not a url"), None);
    }
}
