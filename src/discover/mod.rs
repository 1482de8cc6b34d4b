//! Discovery: finding new articles by themselves. A source — an RSS, Atom
//! or JSON feed, a (news) sitemap or sitemap index, or a section page — is
//! polled on its interval, with the same per-host politeness, robots.txt
//! and conditional requests as article checks, and every new article URL it
//! lists becomes a target that remembers its source, its first-seen time
//! and the published time the source gave.
//!
//! What a poll may create is bounded: links stay on the source's host (or
//! the hosts it allows), must pass the `include`/`exclude` URL patterns,
//! must not be older than the tracking window, and at most
//! `max_new_per_poll` targets are created per poll and `max_targets`
//! active ones per source; a warning names the cap whenever one bites. A
//! source whose document turns into something else (an HTML error page,
//! junk) fails the poll with an error recorded on the source and backs off;
//! it never creates targets from junk.
//!
//! One article is never watched twice: URLs are compared by [`crate::model::canon::key`],
//! and a target whose page declares a `rel=canonical` URL already watched
//! is merged into that one after its first fetch (see
//! [`crate::store::Store::merge_canonical`]).

pub mod parse;
mod poll;
mod select;

use crate::model::{SourceKind, SourceSettings};

pub use poll::{Discoverer, PollError, PollSummary, run};

/// Child sitemaps of an index read per poll, newest first.
pub const MAX_CHILD_SITEMAPS: usize = 20;

/// Checks every pattern and selector of a source's settings, naming the
/// first bad one.
pub fn validate_settings(settings: &SourceSettings, kind: SourceKind) -> Result<(), String> {
    for (key, list) in [
        ("include", &settings.include),
        ("exclude", &settings.exclude),
    ] {
        for r in list {
            regex::Regex::new(r).map_err(|e| format!("`{key}` pattern `{r}`: {e}"))?;
        }
    }
    if let Some(l) = &settings.links {
        scraper::Selector::parse(l).map_err(|e| format!("`links` selector `{l}`: {e}"))?;
        if kind != SourceKind::Page {
            return Err("`links` applies only to sources of kind \"page\"".into());
        }
    }
    if kind == SourceKind::Page && settings.include.is_empty() && settings.links.is_none() {
        return Err(
            "a source of kind \"page\" needs `include` (URL regexes of article links) or `links` (a CSS selector of them): a home page links to far more than articles"
                .into(),
        );
    }
    if settings.max_new_per_poll == 0 || settings.max_targets == 0 {
        return Err("`max_new_per_poll` and `max_targets` must be at least 1".into());
    }
    if settings.interval_ms < 1000 {
        return Err("`interval` must be at least 1s".into());
    }
    if let Some(s) = &settings.targets.selector {
        crate::extract::BodySelector::parse(s).map_err(|e| format!("`targets.selector`: {e}"))?;
    }
    for e in &settings.targets.exclude {
        crate::extract::BodySelector::parse(e)
            .map_err(|err| format!("`targets.exclude`: {err}"))?;
    }
    for r in &settings.targets.ignore {
        crate::detect::IgnoreRule::parse(r).map_err(|e| format!("`targets.ignore`: {e}"))?;
    }
    Ok(())
}
