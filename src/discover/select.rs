//! Which links of a listing become targets: a source's rules (hosts,
//! include and exclude patterns, the age window) compiled once per poll,
//! and the selection that cleans, keys, filters and orders the links —
//! pure functions, tested without a network or a store.

use std::collections::HashSet;

use regex::Regex;
use url::Url;

use super::parse::Entry;
use crate::model::{Discovered, Source, TargetUrl, Timestamp, canon};

/// Links left out by the rules, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Skipped {
    /// On a host the source does not allow.
    pub off_host: usize,
    /// Left out by `include`/`exclude`.
    pub filtered: usize,
    /// Older than the window.
    pub too_old: usize,
}

/// A source's rules, compiled once per poll.
pub(super) struct Rules {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    hosts: Vec<String>,
    any_host: bool,
    own_host: String,
    own_key: String,
    pub(super) oldest: Option<Timestamp>,
}

impl Rules {
    pub(super) fn new(source: &Source, oldest: Option<Timestamp>) -> Result<Self, String> {
        let compile = |list: &[String]| {
            list.iter()
                .map(|r| Regex::new(r).map_err(|e| format!("pattern `{r}`: {e}")))
                .collect::<Result<Vec<_>, _>>()
        };
        let s = &source.settings;
        Ok(Self {
            include: compile(&s.include)?,
            exclude: compile(&s.exclude)?,
            any_host: s.hosts.iter().any(|h| h == "*"),
            hosts: s.hosts.clone(),
            own_host: source.host.clone(),
            own_key: canon::key(source.url.as_url()),
            oldest,
        })
    }

    pub(super) fn host_allowed(&self, url: &Url) -> bool {
        let Ok(u) = TargetUrl::parse(url.as_str()) else {
            return false;
        };
        let host = u.host_key();
        self.any_host || host == self.own_host || self.hosts.contains(&host)
    }
}

/// Keeps the links that pass the source's rules, cleaned, keyed and
/// de-duplicated, newest first (entries without a date keep their order,
/// after dated ones).
pub(super) fn select(entries: Vec<Entry>, rules: &Rules) -> (Vec<Discovered>, Skipped) {
    let mut skipped = Skipped::default();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for e in entries {
        let Ok(parsed) = Url::parse(&e.url) else {
            continue;
        };
        let cleaned = canon::clean(&parsed);
        let key = canon::key(&cleaned);
        if key == rules.own_key || !seen.insert(key.clone()) {
            continue;
        }
        if !rules.host_allowed(&cleaned) {
            skipped.off_host += 1;
            continue;
        }
        let text = cleaned.as_str();
        if (!rules.include.is_empty() && !rules.include.iter().any(|r| r.is_match(text)))
            || rules.exclude.iter().any(|r| r.is_match(text))
        {
            skipped.filtered += 1;
            continue;
        }
        if let (Some(p), Some(oldest)) = (e.published, rules.oldest)
            && p < oldest
        {
            skipped.too_old += 1;
            continue;
        }
        let Ok(url) = TargetUrl::parse(text) else {
            continue;
        };
        out.push(Discovered {
            url,
            key,
            published: e.published,
        });
    }
    out.sort_by(|a, b| match (a.published, b.published) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    (out, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PageCache, SourceKind, SourceSettings};

    fn source(settings: SourceSettings) -> Source {
        let url = TargetUrl::parse("https://news.example/feed.xml").unwrap();
        Source {
            id: 1,
            host: url.host_key(),
            url,
            kind: SourceKind::Feed,
            settings,
            failures: 0,
            cache: PageCache::default(),
            active: true,
            from_config: true,
        }
    }

    fn entry(url: &str, published: Option<i64>) -> Entry {
        Entry {
            url: url.into(),
            published: published.map(Timestamp),
        }
    }

    #[test]
    fn selection_applies_host_patterns_age_and_identity() {
        let settings = SourceSettings {
            include: vec!["/news/".into()],
            exclude: vec!["/video/".into()],
            hosts: vec!["cdn.news.example".into()],
            ..SourceSettings::default()
        };
        let rules = Rules::new(&source(settings), Some(Timestamp(1_000))).unwrap();
        let (links, summary) = select(
            vec![
                entry("https://news.example/news/a?utm_source=rss", Some(5_000)),
                entry("https://news.example/news/a/", Some(5_000)),
                entry("https://news.example/news/b#x", Some(9_000)),
                entry("https://cdn.news.example/news/c", None),
                entry("https://evil.example/news/d", Some(9_000)),
                entry("https://news.example/about", None),
                entry("https://news.example/news/video/e", None),
                entry("https://news.example/news/old", Some(10)),
                entry("https://news.example/feed.xml", None),
            ],
            &rules,
        );
        let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://news.example/news/b",
                "https://news.example/news/a",
                "https://cdn.news.example/news/c"
            ]
        );
        assert_eq!(summary.off_host, 1);
        assert_eq!(summary.filtered, 2);
        assert_eq!(summary.too_old, 1);
    }

    #[test]
    fn a_star_allows_any_host() {
        let settings = SourceSettings {
            hosts: vec!["*".into()],
            ..SourceSettings::default()
        };
        let rules = Rules::new(&source(settings), None).unwrap();
        let (links, _) = select(vec![entry("https://elsewhere.example/x", None)], &rules);
        assert_eq!(links.len(), 1);
    }
}
