//! Change detection policy: deciding whether a capture is a new version, a
//! page to be suspicious of, a revert, or nothing at all — and classifying
//! every change.
//!
//! The store hands [`decide`] the latest versions and checks of a target
//! inside the transaction that will record the outcome, so the decision and
//! the write can never disagree. The rules:
//!
//! - **Masks.** Text matched by the target's `ignore` regexes and by the
//!   built-in masks (relative times always; dates and clock times when
//!   switched on) is blanked before comparing. The stored text keeps it.
//! - **Suspect pages.** A bot check, consent wall, paywall teaser or error
//!   page served with 200, an article that vanished, or a body that shrank
//!   to less than half is recorded as a `suspect` check, not a version. If
//!   the same state persists for `suspect_after` checks it is recorded as a
//!   real change (class `removed` when the article is gone). A first
//!   capture with a wall phrase becomes version 1 once the very same text
//!   has come back `suspect_after` times (a short story can say "no longer
//!   available"), unless its headline is a challenge's.
//! - **Dates.** The published time is not compared (see
//!   [`crate::diff::Fields`]): a date alone never makes a version.
//! - **Reverts.** A capture equal to one of the last `revert_window`
//!   versions is stored as a revert to it, sharing its content. When a
//!   target keeps alternating between two texts (`flap_limit` alternations),
//!   alerts for it pause until something new appears.
//! - **Classes.** `cosmetic` (only whitespace, quotes, dashes, case or
//!   punctuation), `minor` (a few words, or only metadata), `substantive`,
//!   `headline`, `revert`, `removed`.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::diff::{DiffSummary, Fields};
use crate::text::word_count;

mod ignore;

pub use ignore::{IgnoreRule, IgnoreRuleError};

/// Most words changed for a change to be `minor`.
pub const MINOR_WORDS: usize = 5;
/// Default for `[noise] suspect_after`.
pub const DEFAULT_SUSPECT_AFTER: u32 = 3;
/// Default for `[noise] revert_window`.
pub const DEFAULT_REVERT_WINDOW: u32 = 5;
/// Default for `[noise] flap_limit`.
pub const DEFAULT_FLAP_LIMIT: u32 = 3;
/// Pages with at least this many words are never taken for a bot wall or
/// error page, whatever phrases they contain.
const BLOCKED_MAX_WORDS: usize = 250;
/// Bodies below this many words are too short to judge shrinkage by.
const SHRINK_MIN_WORDS: usize = 60;

/// What kind of change produced a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeClass {
    /// Only whitespace, quotes, dashes, letter case or punctuation.
    Cosmetic,
    /// A few words, or only metadata (byline, dates, description).
    Minor,
    /// More than a few words of the body.
    Substantive,
    /// The headline's wording changed.
    Headline,
    /// The text went back to an earlier version.
    Revert,
    /// The article is gone (unpublished, replaced by an error or wall).
    Removed,
}

impl ChangeClass {
    /// Every class, in report order.
    pub const ALL: [ChangeClass; 6] = [
        Self::Cosmetic,
        Self::Minor,
        Self::Substantive,
        Self::Headline,
        Self::Revert,
        Self::Removed,
    ];

    /// The name used in config, reports and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cosmetic => "cosmetic",
            Self::Minor => "minor",
            Self::Substantive => "substantive",
            Self::Headline => "headline",
            Self::Revert => "revert",
            Self::Removed => "removed",
        }
    }

    /// Parses a class name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Built-in masks that can be switched on (`[defaults] masks`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Masks {
    /// Calendar dates: "27 November 2026", "Nov. 27, 2026", "2026-11-27".
    pub dates: bool,
    /// Clock times: "20:17", "8:05 pm", "10am".
    pub times: bool,
}

/// Why a capture is not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspectKind {
    /// A bot check, consent wall, paywall or error page.
    Blocked,
    /// No article text at all.
    Empty,
    /// The body shrank to less than half.
    Shrunk,
}

impl SuspectKind {
    /// The word that starts the recorded reason; also how a streak of the
    /// same state is recognised.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::Empty => "empty",
            Self::Shrunk => "shrunk",
        }
    }

    /// The kind a stored tag names.
    pub fn from_tag(tag: &str) -> Option<Self> {
        [Self::Blocked, Self::Empty, Self::Shrunk]
            .into_iter()
            .find(|k| k.tag() == tag)
    }
}

/// How long a suspect state has lasted: the latest checks (newest first)
/// that were suspect of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SuspectRun {
    /// Suspect checks of the kind in a row.
    pub checks: u32,
    /// Of those, the latest in a row that saw exactly this capture's text.
    pub same_text: u32,
}

impl SuspectRun {
    /// A run of `checks`, none of them known to be the same text.
    pub fn of(checks: u32) -> Self {
        Self {
            checks,
            same_text: 0,
        }
    }
}

/// The detection settings for one target.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Regexes blanked before comparing (global and the target's).
    pub ignore: Vec<Regex>,
    /// Built-in masks switched on.
    pub masks: Masks,
    /// Checks a suspect state must persist before it is recorded.
    pub suspect_after: u32,
    /// How many earlier versions a capture is compared with for reverts.
    pub revert_window: u32,
    /// Alternations between two texts after which alerts pause.
    pub flap_limit: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            ignore: Vec::new(),
            masks: Masks::default(),
            suspect_after: DEFAULT_SUSPECT_AFTER,
            revert_window: DEFAULT_REVERT_WINDOW,
            flap_limit: DEFAULT_FLAP_LIMIT,
        }
    }
}

/// An earlier version as detection sees it.
#[derive(Debug, Clone)]
pub struct Earlier<'a> {
    /// The number of the version whose content it has (itself, or what it
    /// reverted to).
    pub content_of: u32,
    /// Its fields.
    pub fields: Fields<'a>,
}

/// What the capture turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Same as the latest version (after masks).
    Unchanged,
    /// Not trusted: record the check with this reason, store nothing.
    Suspect {
        /// What kind of suspect page it is.
        kind: SuspectKind,
        /// Why, starting with the kind's tag.
        reason: String,
    },
    /// Store a new version.
    Store {
        /// The change class (`None` for version 1).
        class: Option<ChangeClass>,
        /// For a revert, the version whose content it has again.
        revert_of: Option<u32>,
        /// Whether alerts are held back (flapping).
        alert_paused: bool,
    },
}

/// Observation of a page: an article, or a reason there is none.
#[derive(Debug, Clone, Copy)]
pub enum Observed<'a> {
    /// An article was extracted.
    Article(Fields<'a>),
    /// Extraction found no article.
    Nothing(&'a str),
}

/// Decides what a capture is. `recent` is newest first; `streak` is the
/// number of consecutive latest checks that were suspect with the same tag
/// as this one would be (the caller counts them from the check history via
/// [`suspect_streak`]).
pub fn decide(
    policy: &Policy,
    observed: Observed<'_>,
    recent: &[Earlier<'_>],
    streak: impl Fn(SuspectKind) -> SuspectRun,
) -> Decision {
    let latest = recent.first();
    let suspect = |kind: SuspectKind, reason: String| {
        if streak(kind).checks + 1 >= policy.suspect_after.max(1) {
            None
        } else {
            Some(Decision::Suspect {
                kind,
                reason: format!("{}: {reason}", kind.tag()),
            })
        }
    };
    let new = match observed {
        Observed::Nothing(why) => {
            let Some(_) = latest else {
                // Never a version 1 of nothing; the caller records an error.
                return Decision::Suspect {
                    kind: SuspectKind::Empty,
                    reason: format!("{}: {why}", SuspectKind::Empty.tag()),
                };
            };
            if let Some(d) = suspect(SuspectKind::Empty, why.to_string()) {
                return d;
            }
            return Decision::Store {
                class: Some(ChangeClass::Removed),
                revert_of: None,
                alert_paused: false,
            };
        }
        Observed::Article(f) => f,
    };

    // The common case, cheaply: the very same article as the latest version
    // (masking could only confirm it).
    if let Some(latest) = latest
        && new == latest.fields
    {
        return Decision::Unchanged;
    }
    let blocked = blocked_reason(new.title, new.text);
    let Some(latest) = latest else {
        // A short page with a wall phrase is not taken as the first version
        // at once. Walls carry per-request tokens, counters or rotating
        // text; a page that comes back word for word over `suspect_after`
        // checks is the article (a short story that says "no longer
        // available"), unless its headline is a challenge's ("Just a
        // moment...").
        if let Some(reason) = blocked
            && (streak(SuspectKind::Blocked).same_text + 1 < policy.suspect_after.max(1)
                || challenge_headline(new.title))
        {
            return Decision::Suspect {
                kind: SuspectKind::Blocked,
                reason: format!("{}: {reason}", SuspectKind::Blocked.tag()),
            };
        }
        return Decision::Store {
            class: None,
            revert_of: None,
            alert_paused: false,
        };
    };

    let masked_new = masked_fields(policy, &new);
    if masked_new == masked_fields(policy, &latest.fields) {
        return Decision::Unchanged;
    }
    if let Some(reason) = blocked
        && blocked_reason(latest.fields.title, latest.fields.text).is_none()
    {
        return suspect(SuspectKind::Blocked, reason.to_string()).unwrap_or(Decision::Store {
            class: Some(ChangeClass::Removed),
            revert_of: None,
            alert_paused: false,
        });
    }
    let (old_words, new_words) = (word_count(latest.fields.text), word_count(new.text));
    if old_words >= SHRINK_MIN_WORDS
        && new_words * 2 < old_words
        && let Some(d) = suspect(
            SuspectKind::Shrunk,
            format!("the body shrank from {old_words} to {new_words} words"),
        )
    {
        return d;
    }

    // A return to an earlier text is a revert, not a new text.
    let window = policy.revert_window as usize;
    if let Some(earlier) = recent.iter().skip(1).take(window).find(|e| {
        e.content_of != latest.content_of && masked_fields(policy, &e.fields) == masked_new
    }) {
        let paused = flapping(recent, earlier.content_of, policy.flap_limit);
        return Decision::Store {
            class: Some(ChangeClass::Revert),
            revert_of: Some(earlier.content_of),
            alert_paused: paused,
        };
    }
    Decision::Store {
        class: None,
        revert_of: None,
        alert_paused: false,
    }
}

/// Whether storing a return to `target_content` makes the latest versions
/// alternate between two texts at least `limit` times.
fn flapping(recent: &[Earlier<'_>], target_content: u32, limit: u32) -> bool {
    // The sequence of contents, newest first, starting with the new one.
    let mut seq = vec![target_content];
    seq.extend(recent.iter().map(|e| e.content_of));
    let (a, b) = (seq[0], seq[1]);
    let alternating = seq
        .iter()
        .enumerate()
        .take_while(|(i, c)| **c == if i % 2 == 0 { a } else { b })
        .count();
    // n alternating versions are n - 1 alternations.
    alternating.saturating_sub(1) > limit as usize
}

/// The class of a stored change that `decide` left open.
pub fn classify(old: &Fields<'_>, new: &Fields<'_>, summary: &DiffSummary) -> ChangeClass {
    let title_cosmetic = fold(old.title) == fold(new.title);
    if !title_cosmetic {
        return ChangeClass::Headline;
    }
    if fold(old.text) == fold(new.text) {
        let meta_same = [
            (old.byline, new.byline),
            (old.published, new.published),
            (old.canonical, new.canonical),
            (old.description, new.description),
        ]
        .iter()
        .all(|(a, b)| a.map(fold) == b.map(fold));
        return if meta_same {
            ChangeClass::Cosmetic
        } else {
            ChangeClass::Minor
        };
    }
    if summary.added.max(summary.removed) <= MINOR_WORDS {
        ChangeClass::Minor
    } else {
        ChangeClass::Substantive
    }
}

/// Text with only what a reader would call wording: lower case, quotes and
/// dashes unified, punctuation dropped, whitespace folded.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            // Punctuation, quotes, dashes and whitespace all separate words
            // the same way.
            space = true;
        }
    }
    out
}

/// The fields as compared: masks and ignore rules applied.
fn masked_fields(policy: &Policy, f: &Fields<'_>) -> Vec<String> {
    let mut out = vec![mask(policy, f.title), mask(policy, f.text)];
    // Not the published time: a date alone never makes a version.
    out.extend(
        [f.byline, f.canonical, f.description]
            .iter()
            .map(|v| v.map(|v| mask(policy, v)).unwrap_or_default()),
    );
    out
}

/// Blanks what the policy says to ignore.
pub fn mask(policy: &Policy, text: &str) -> String {
    // The relative-time pattern needs Unicode word boundaries, which rule
    // out the regex crate's fast engines; most texts have no "ago" and no
    // "just now" at all, and skip it.
    let mut s = if may_hold_relative_time(text) {
        RELATIVE_TIME.replace_all(text, "⟨time⟩").into_owned()
    } else {
        text.to_string()
    };
    if policy.masks.dates {
        for re in DATES.iter() {
            s = re.replace_all(&s, "⟨date⟩").into_owned();
        }
    }
    if policy.masks.times {
        s = CLOCK_TIME.replace_all(&s, "⟨time⟩").into_owned();
    }
    for re in &policy.ignore {
        s = re.replace_all(&s, "⟨ignored⟩").into_owned();
    }
    s
}

/// Whether `text` has "ago" or "just now" in any case: the words every
/// [`RELATIVE_TIME`] match contains.
fn may_hold_relative_time(text: &str) -> bool {
    let b = text.as_bytes();
    let has = |needle: &[u8]| {
        memchr::memchr2_iter(needle[0], needle[0].to_ascii_uppercase(), b).any(|i| {
            b.get(i..i + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        })
    };
    has(b"ago") || has(b"just now")
}

static RELATIVE_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?:\d+|an?|one|a few)\s+(?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?|months?|years?)\s+ago|just now|moments? ago|\d+\s*(?:s|m|h|d|min|mins|hr|hrs)\s+ago)\b",
    )
    .expect("static regex")
});

static CLOCK_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b\d{1,2}(?::\d{2}){1,2}\s*(?:[ap]\.?m\.?)?(?:\s*(?:UTC|GMT|[ECMP][SD]T|BST|CET|CEST))?\b|\b\d{1,2}\s*[ap]\.?m\.?(?:\W|$)")
        .expect("static regex")
});

static DATES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let month = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";
    [
        format!(r"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+{month},?\s+\d{{4}}\b"),
        format!(r"(?i)\b{month}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"),
        r"\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b".to_string(),
        r"\b\d{1,2}/\d{1,2}/\d{2,4}\b".to_string(),
    ]
    .iter()
    .map(|r| Regex::new(r).expect("static regex"))
    .collect()
});

/// Phrases of bot checks and browser challenges: pages served instead of
/// any article.
const CHALLENGE_PHRASES: &[&str] = &[
    "just a moment",
    "checking your browser",
    "checking if the site connection is secure",
    "performing security verification",
    "attention required",
    "are you a robot",
    "are you human",
    "verify you are human",
    "verify you are a human",
    "verifying you are human",
    "human verification",
    "press and hold",
    "press & hold",
    "not a robot",
    "captcha",
    "please complete the security check",
    "why have i been blocked",
    "you have been blocked",
    "please enable javascript",
    "enable javascript and cookies",
    "enable javascript to continue",
    "javascript is disabled",
    "please turn javascript on",
];

/// Whether a headline is a challenge page's own ("Just a moment...",
/// "Attention Required!"): such a page is never an article, however often
/// it comes back.
fn challenge_headline(title: &str) -> bool {
    let t = title.to_lowercase();
    word_count(&t) <= 6 && CHALLENGE_PHRASES.iter().any(|p| t.contains(p))
}

/// Phrases of pages that are not the article: consent walls, paywalls and
/// error pages (bot checks are [`CHALLENGE_PHRASES`]). Matched only on
/// short pages.
const BLOCKED_PHRASES: &[&str] = &[
    "access denied",
    "unusual traffic",
    "request blocked",
    "request unsuccessful",
    "403 forbidden",
    "404 not found",
    "page not found",
    "page cannot be found",
    "page you requested",
    "page you were looking for",
    "no longer available",
    "internal server error",
    "service unavailable",
    "bad gateway",
    "temporarily unavailable",
    "we value your privacy",
    "we care about your privacy",
    "cookie consent",
    "accept all cookies",
    "manage your privacy",
    "before you continue",
    "subscribe to continue",
    "subscribe to read",
    "to continue reading",
    "already a subscriber",
    "sign in to continue",
    "log in to continue",
    "for subscribers only",
    "this content is for subscribers",
];

/// Why a page looks like a wall or an error page rather than an article.
pub fn blocked_reason(title: &str, text: &str) -> Option<&'static str> {
    if word_count(text) >= BLOCKED_MAX_WORDS {
        return None;
    }
    let hay = format!("{title}\n{text}").to_lowercase();
    // The reason names the phrase found, which tells a user at a glance
    // whether it was a bot check, a consent page or an error.
    CHALLENGE_PHRASES
        .iter()
        .chain(BLOCKED_PHRASES)
        .copied()
        .find(|p| hay.contains(p))
}

/// Counts how many of the latest checks (newest first, each as the kind
/// of suspect it was, or `None` for a check that was not suspect) were
/// suspect of `kind`.
pub fn suspect_streak(
    checks: impl IntoIterator<Item = Option<SuspectKind>>,
    kind: SuspectKind,
) -> u32 {
    checks.into_iter().take_while(|k| *k == Some(kind)).count() as u32
}

/// The run of latest checks (newest first, as the kind of suspect each was
/// and whether it saw this capture's text) that were suspect of `kind`.
pub fn suspect_run(
    checks: impl IntoIterator<Item = (Option<SuspectKind>, bool)> + Clone,
    kind: SuspectKind,
) -> SuspectRun {
    let same_text = suspect_streak(
        checks
            .clone()
            .into_iter()
            .take_while(|(_, same)| *same)
            .map(|(k, _)| k),
        kind,
    );
    SuspectRun {
        checks: suspect_streak(checks.into_iter().map(|(k, _)| k), kind),
        same_text,
    }
}

#[cfg(test)]
mod tests;
