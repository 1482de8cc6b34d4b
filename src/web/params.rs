//! The web front's request vocabulary, as pure functions: list filters
//! and their query strings, cursors, and the `{from}..{to}[.ext]` of a diff
//! permalink. Everything a handler takes from a URL is parsed here, once,
//! into types, with a message naming the part at fault.

use serde::Deserialize;

use super::Failure;
use crate::detect::ChangeClass;
use crate::model::{ChangeKey, ChangeQuery, TargetId, Timestamp};

/// The filters of the change list and its feeds, as given in the query.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ChangeFilter {
    /// A duration back from now (`7d`), a date or an RFC 3339 time.
    #[serde(default)]
    pub since: Option<String>,
    /// A source's URL.
    #[serde(default)]
    pub source: Option<String>,
    /// A tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// A change class.
    #[serde(default)]
    pub class: Option<String>,
    /// Text in the headline or URL.
    #[serde(default)]
    pub q: Option<String>,
    /// The cursor: the last change of the previous page.
    #[serde(default)]
    pub after: Option<String>,
    /// Changes on a page (1 to 200; 50 when not given).
    #[serde(default)]
    pub limit: Option<String>,
}

/// Most items on one page of a list.
pub const MAX_PAGE: usize = 200;

/// A page size as given (`limit=`), or the default.
pub fn page_size(limit: Option<&str>, default: usize) -> Result<usize, Failure> {
    match limit.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                Failure::BadRequest(format!("limit: `{s}` is not a number from 1 to {MAX_PAGE}"))
            }),
    }
}

/// A query value as given: trimmed, and `None` when blank.
pub fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A `since=`: a duration back from `now` (`7d`), a date or an RFC 3339
/// time.
pub fn since(s: &Option<String>, now: Timestamp) -> Result<Option<Timestamp>, Failure> {
    given(s)
        .map(|s| {
            crate::export::parse_time_bound(s, now)
                .map_err(|e| Failure::BadRequest(format!("since: {e}")))
        })
        .transpose()
}

/// An `after=` of a target list: the id of the last target of the
/// previous page.
pub fn target_cursor(after: &Option<String>) -> Result<Option<TargetId>, Failure> {
    given(after)
        .map(|a| {
            a.parse::<i64>()
                .map(TargetId)
                .map_err(|_| Failure::BadRequest(format!("after: `{a}` is not a cursor")))
        })
        .transpose()
}

impl ChangeFilter {
    /// Changes on a page: `limit=`, else `default`.
    pub fn page_size(&self, default: usize) -> Result<usize, Failure> {
        page_size(self.limit.as_deref(), default)
    }

    /// The store query for one page of `limit` changes.
    pub fn query(&self, now: Timestamp, limit: usize) -> Result<ChangeQuery, Failure> {
        let since = since(&self.since, now)?;
        let class = given(&self.class)
            .map(|c| {
                ChangeClass::parse(c).ok_or_else(|| {
                    let all: Vec<&str> = ChangeClass::ALL.iter().map(|c| c.as_str()).collect();
                    Failure::BadRequest(format!("class: `{c}` is not one of {}", all.join(", ")))
                })
            })
            .transpose()?;
        let before = given(&self.after)
            .map(|a| {
                parse_change_cursor(a)
                    .ok_or_else(|| Failure::BadRequest(format!("after: `{a}` is not a cursor")))
            })
            .transpose()?;
        Ok(ChangeQuery {
            since,
            before,
            target: None,
            source: given(&self.source).map(str::to_string),
            tag: given(&self.tag).map(str::to_string),
            class,
            text: given(&self.q).map(str::to_string),
            limit: Some(limit),
        })
    }

    /// The filters (not the cursor) as a query string, `&`-separated
    /// pairs without a leading `?`; empty when none is set.
    pub fn query_string(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("since", &self.since),
            ("source", &self.source),
            ("tag", &self.tag),
            ("class", &self.class),
            ("q", &self.q),
            ("limit", &self.limit),
        ] {
            if let Some(v) = given(v) {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }

    /// Whether any filter (or a page size) is set.
    pub fn any(&self) -> bool {
        !self.query_string().is_empty()
    }
}

/// A change cursor as text: capture time and sequence.
pub fn change_cursor(key: ChangeKey) -> String {
    format!("{}.{}", key.captured_at.millis(), key.seq)
}

/// The cursor [`change_cursor`] wrote.
pub fn parse_change_cursor(s: &str) -> Option<ChangeKey> {
    let (at, seq) = s.split_once('.')?;
    Some(ChangeKey {
        captured_at: Timestamp(at.parse().ok()?),
        seq: seq.parse().ok()?,
    })
}

/// One end of a diff permalink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRef {
    /// A version number.
    Number(u32),
    /// Version 1.
    First,
    /// The newest version.
    Latest,
    /// The version before the other end (before the newest, for `to`).
    Previous,
}

impl VersionRef {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "first" => Some(Self::First),
            "latest" => Some(Self::Latest),
            "previous" => Some(Self::Previous),
            n => n.parse().ok().filter(|n| *n > 0).map(Self::Number),
        }
    }
}

/// How a diff is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    /// The web page.
    Page,
    /// `diff --format json`.
    Json,
    /// `diff --format unified`.
    Patch,
    /// `diff --format word`, without colour.
    Text,
    /// `diff --format html`: one self-contained file.
    Html,
}

/// A diff permalink's `{from}..{to}[.ext]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffRange {
    /// The old end.
    pub from: VersionRef,
    /// The new end.
    pub to: VersionRef,
    /// How to render it.
    pub rendition: Rendition,
}

impl DiffRange {
    /// Reads `2..3`, `previous..latest`, `first..4.json`.
    pub fn parse(s: &str) -> Result<Self, Failure> {
        let bad = || {
            Failure::BadRequest(format!(
                "`{s}` is not a version range: write FROM..TO, each a number, `first`, `latest` or `previous`, optionally ending in .json, .patch, .txt or .html"
            ))
        };
        let (from, rest) = s.split_once("..").ok_or_else(bad)?;
        let (to, rendition) = match rest.split_once('.') {
            None => (rest, Rendition::Page),
            Some((to, ext)) => (
                to,
                match ext {
                    "json" => Rendition::Json,
                    "patch" => Rendition::Patch,
                    "txt" => Rendition::Text,
                    "html" => Rendition::Html,
                    _ => return Err(bad()),
                },
            ),
        };
        Ok(Self {
            from: VersionRef::parse(from).ok_or_else(bad)?,
            to: VersionRef::parse(to).ok_or_else(bad)?,
            rendition,
        })
    }

    /// The version numbers, given the newest; `None` when an end does not
    /// exist or both are the same.
    pub fn resolve(&self, latest: u32) -> Option<(u32, u32)> {
        let to = match self.to {
            VersionRef::Number(n) => n,
            VersionRef::First => 1,
            VersionRef::Latest => latest,
            VersionRef::Previous => latest.checked_sub(1)?,
        };
        let from = match self.from {
            VersionRef::Number(n) => n,
            VersionRef::First => 1,
            VersionRef::Latest => latest,
            VersionRef::Previous => to.checked_sub(1)?,
        };
        (from >= 1 && to >= 1 && from <= latest && to <= latest && from != to).then_some((from, to))
    }
}

/// How much unchanged text a diff page shows around each change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextSize {
    /// This many paragraphs on each side.
    Paragraphs(usize),
    /// The whole text.
    All,
}

impl ContextSize {
    /// `1`, `3` or `all`; one paragraph when not given.
    pub fn parse(s: Option<&str>) -> Result<Self, Failure> {
        match s.map(str::trim) {
            None | Some("") | Some("1") => Ok(Self::Paragraphs(1)),
            Some("3") => Ok(Self::Paragraphs(3)),
            Some("all") => Ok(Self::All),
            Some(other) => Err(Failure::BadRequest(format!(
                "context: `{other}` is not 1, 3 or all"
            ))),
        }
    }

    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paragraphs(3) => "3",
            Self::Paragraphs(_) => "1",
            Self::All => "all",
        }
    }
}

/// A diff page's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One column, deletions and insertions in line.
    Inline,
    /// Two columns, old left.
    Split,
}

impl Layout {
    /// `inline` or `split`; inline when not given.
    pub fn parse(s: Option<&str>) -> Result<Self, Failure> {
        match s.map(str::trim) {
            None | Some("") | Some("inline") => Ok(Self::Inline),
            Some("split") => Ok(Self::Split),
            Some(other) => Err(Failure::BadRequest(format!(
                "view: `{other}` is not inline or split"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_ranges_read_numbers_words_and_renditions() {
        let r = DiffRange::parse("2..3").unwrap();
        assert_eq!(
            (r.from, r.to, r.rendition),
            (
                VersionRef::Number(2),
                VersionRef::Number(3),
                Rendition::Page
            )
        );
        let r = DiffRange::parse("previous..latest.json").unwrap();
        assert_eq!(r.resolve(5), Some((4, 5)));
        assert_eq!(r.rendition, Rendition::Json);
        assert_eq!(
            DiffRange::parse("first..latest").unwrap().resolve(3),
            Some((1, 3))
        );
        assert_eq!(
            DiffRange::parse("1..2.patch").unwrap().rendition,
            Rendition::Patch
        );
        assert_eq!(
            DiffRange::parse("1..2.txt").unwrap().rendition,
            Rendition::Text
        );
        assert_eq!(
            DiffRange::parse("1..2.html").unwrap().rendition,
            Rendition::Html
        );
        for bad in ["", "1", "1..", "..2", "0..2", "1..2.pdf", "a..b", "-1..2"] {
            assert!(DiffRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_range_outside_the_history_or_onto_itself_resolves_to_nothing() {
        let r = DiffRange::parse("3..7").unwrap();
        assert_eq!(r.resolve(5), None);
        assert_eq!(DiffRange::parse("2..2").unwrap().resolve(5), None);
        assert_eq!(
            DiffRange::parse("previous..latest").unwrap().resolve(1),
            None
        );
        assert_eq!(
            DiffRange::parse("previous..first").unwrap().resolve(4),
            None
        );
    }

    #[test]
    fn change_cursors_round_trip_and_reject_junk() {
        let k = ChangeKey {
            captured_at: Timestamp(1_800_000_000_123),
            seq: 42,
        };
        assert_eq!(parse_change_cursor(&change_cursor(k)), Some(k));
        for bad in ["", "1", "a.b", "1.", ".2"] {
            assert_eq!(parse_change_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn filters_become_a_query_and_a_query_string() {
        let f = ChangeFilter {
            since: Some("7d".into()),
            tag: Some("politics & law".into()),
            class: Some("headline".into()),
            q: Some(" ".into()),
            ..ChangeFilter::default()
        };
        let now = Timestamp(10 * 86_400_000);
        let q = f.query(now, 50).unwrap();
        assert_eq!(q.since, Some(Timestamp(3 * 86_400_000)));
        assert_eq!(q.class, Some(ChangeClass::Headline));
        assert_eq!(q.tag.as_deref(), Some("politics & law"));
        assert_eq!(q.text, None, "a blank filter is no filter");
        assert_eq!(
            f.query_string(),
            "since=7d&tag=politics+%26+law&class=headline"
        );
        let bad = ChangeFilter {
            class: Some("huge".into()),
            ..ChangeFilter::default()
        };
        assert!(matches!(bad.query(now, 50), Err(Failure::BadRequest(m)) if m.contains("huge")));
    }

    #[test]
    fn context_and_layout_take_only_their_values() {
        assert_eq!(
            ContextSize::parse(None).unwrap(),
            ContextSize::Paragraphs(1)
        );
        assert_eq!(ContextSize::parse(Some("all")).unwrap(), ContextSize::All);
        assert!(ContextSize::parse(Some("2")).is_err());
        assert_eq!(Layout::parse(Some("split")).unwrap(), Layout::Split);
        assert!(Layout::parse(Some("table")).is_err());
    }
}
