//! Furniture by name: which tags, ARIA roles and class or id words mark
//! navigation, headers, footers, comments, share bars and other parts of a
//! page that are not the story; and which words mark layout or content.

use std::collections::HashMap;

use super::*;

/// Structural tags that hold page furniture rather than the article.
pub(super) fn is_furniture_tag(name: &str) -> bool {
    matches!(
        name,
        "nav"
            | "header"
            | "footer"
            | "aside"
            | "form"
            | "figure"
            | "figcaption"
            | "dialog"
            | "menu"
    )
}

/// Words in a class or id that mark a comment section, whatever its size.
pub(super) fn is_comment_word(word: &str) -> bool {
    matches!(
        word,
        "comment" | "comments" | "commentlist" | "respond" | "disqus"
    )
}

/// Words in a class or id that mark page furniture by what it is about.
pub(super) fn is_furniture_word(word: &str) -> bool {
    matches!(
        word,
        "reply"
            | "share"
            | "sharing"
            | "sharebar"
            | "social"
            | "related"
            | "promo"
            | "newsletter"
            | "subscribe"
            | "subscription"
            | "signup"
            | "ad"
            | "ads"
            | "advert"
            | "advertisement"
            | "adslot"
            | "sponsor"
            | "sponsored"
            | "breadcrumb"
            | "breadcrumbs"
            | "cookie"
            | "cookies"
            | "consent"
            | "trending"
            | "popular"
            | "mostread"
            | "recommended"
            | "recommendations"
            | "outbrain"
            | "taboola"
            | "ticker"
            | "recommend"
            | "gallery"
            | "slideshow"
            | "carousel"
    )
}

/// Words in a class or id that mark furniture by where it sits on the page.
/// Sites also use them for wrappers (`content-with-sidebar-wrp`), so a
/// content word next to them wins.
pub(super) fn is_layout_word(word: &str) -> bool {
    matches!(
        word,
        "sidebar"
            | "footer"
            | "masthead"
            | "navbar"
            | "nav"
            | "navigation"
            | "menu"
            | "byline"
            | "tags"
            | "toolbar"
            | "caption"
            | "credit"
            | "popup"
            | "modal"
            | "paywall"
    )
}

/// Words in a class or id that name the article itself.
pub(super) fn is_content_word(word: &str) -> bool {
    matches!(
        word,
        "article" | "content" | "main" | "body" | "story" | "entry" | "text" | "articlebody"
    )
}

/// The lower-case words of a class or id: split at punctuation and at
/// camelCase humps (`shareButtons` → `share`, `buttons`). Run-together
/// names (`newscaption`, `relatedlinks`) also yield the distinctive
/// furniture word they contain.
pub(super) fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_name_words(name, &mut |w| out.push(w.to_string()));
    out
}

/// Calls `f` with each word `name_words` gives, without allocating a list:
/// classes are read on every element of every page.
pub(super) fn for_name_words(name: &str, f: &mut impl FnMut(&str)) {
    let mut word = String::new();
    for part in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        word.clear();
        let mut prev_lower = false;
        let mut humps = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
                f(&word);
                word.clear();
                humps = true;
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c.to_ascii_lowercase());
        }
        // Without humps the last word is the whole part, lower-cased.
        let whole = humps.then(|| part.to_ascii_lowercase());
        if let Some(whole) = &whole {
            f(whole);
        }
        let whole = whole.as_deref().unwrap_or(&word);
        for distinctive in DISTINCTIVE_FURNITURE {
            // Names are short: a plain window scan beats a substring
            // searcher's set-up.
            if whole.len() > distinctive.len()
                && whole
                    .as_bytes()
                    .windows(distinctive.len())
                    .any(|w| w == distinctive.as_bytes())
            {
                f(distinctive);
            }
        }
        f(&word);
    }
}

/// A segment of a page rendered by a streaming server (React's
/// `<div hidden id="S:0">`): the content itself, sent ahead hidden and moved
/// into place by a script when its turn comes.
pub(super) fn is_streamed_segment_id(id: &str) -> bool {
    id.strip_prefix("S:")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A class that states what the element *has* or how it shows
/// (`has-comments`, `with-sidebar`, `no-ads`, `show-related`): a flag on
/// the article, not the name of a part of the page.
pub(super) fn is_state_class(token: &str) -> bool {
    [
        "has-", "has_", "with-", "with_", "no-", "no_", "show-", "hide-", "enable-", "disable-",
        "is-",
    ]
    .iter()
    .any(|p| {
        token
            .as_bytes()
            .get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes()))
    })
}

/// Furniture words long and unusual enough to be found inside run-together
/// names without matching ordinary words.
pub(super) const DISTINCTIVE_FURNITURE: &[&str] = &[
    "caption",
    "comment",
    "newsletter",
    "related",
    "sharing",
    "social",
    "sponsor",
    "advert",
    "outbrain",
    "taboola",
    "breadcrumb",
    "slideshow",
    "trending",
    "recommend",
    "subscribe",
];

/// How sure we are that an element is furniture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Furniture {
    /// Not furniture.
    No,
    /// Never visible text, or a comment section: always excluded.
    Always,
    /// Looks like furniture by tag, role or class — unless it holds most of
    /// the page's text, in which case the name is an accident of the site's
    /// markup (a page-wide `<form>`, a `div.widget` or `div.ad-margins`
    /// wrapping everything).
    Likely,
}

pub(super) fn classify<'a>(el: &'a scraper::node::Element, names: &mut NameCache<'a>) -> Furniture {
    let name = el.name();
    if is_code_tag(name) {
        return Furniture::Always;
    }
    // One pass over the attributes: looking each up by name costs an
    // atom lookup per call, and this runs for every element of the page.
    let (mut hidden, mut aria_hidden, mut style, mut class, mut id, mut role) =
        (false, false, None, None, None, None);
    let mut labelled = false;
    for (key, value) in el.attrs() {
        match key {
            "hidden" => hidden = true,
            "aria-hidden" => aria_hidden = value == "true",
            "style" => style = Some(value),
            "class" => class = Some(value),
            "id" => id = Some(value),
            "role" => role = Some(value),
            "aria-labelledby" => labelled = true,
            _ => {}
        }
    }
    // Hidden now is not hidden for good: pages rendered by streaming
    // servers send the article in a hidden element that a script reveals.
    // Only when it holds most of the page is it read (see `Likely`).
    if hidden && id.is_some_and(is_streamed_segment_id) {
        return Furniture::No;
    }
    // A collapsed accordion panel (WAI-ARIA's pattern: a region labelled
    // by the heading button that opens it) is the article's text folded
    // away, not furniture; its class and role are still read below.
    let folded = labelled && role.is_none_or(|r| r.trim() == "region");
    if (hidden || aria_hidden || style.is_some_and(style_hides)) && !folded {
        return Furniture::Likely;
    }
    let NameFlags {
        comment,
        furniture,
        layout,
        content,
    } = *names
        .entry((class, id))
        .or_insert_with(|| name_flags(class, id));
    if comment {
        return Furniture::Always;
    }
    if is_furniture_tag(name) {
        return Furniture::Likely;
    }
    if furniture || (layout && !content) {
        return Furniture::Likely;
    }
    if let Some(role) = role
        && matches!(
            role.trim(),
            "navigation"
                | "banner"
                | "contentinfo"
                | "complementary"
                | "dialog"
                | "alert"
                | "search"
                | "menu"
        )
    {
        return Furniture::Likely;
    }
    Furniture::No
}

/// Whether an inline style hides the element (`display: none`,
/// `visibility: hidden`, in any case and spacing).
pub(super) fn style_hides(style: &str) -> bool {
    let has = |needle: &[u8]| {
        style
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    // Most styles say neither word; only those are compacted and read.
    if !has(b"none") && !has(b"hidden") {
        return false;
    }
    let s: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    s.contains("display:none") || s.contains("visibility:hidden")
}

/// What the words of an element's class and id say it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct NameFlags {
    pub(super) comment: bool,
    pub(super) furniture: bool,
    pub(super) layout: bool,
    pub(super) content: bool,
}

/// Sites repeat the same class names on many elements: their words are
/// read once per page.
pub(super) type NameCache<'a> =
    HashMap<(Option<&'a str>, Option<&'a str>), NameFlags, BuildHasherDefault<FastHasher>>;

pub(super) fn name_flags(class: Option<&str>, id: Option<&str>) -> NameFlags {
    let mut flags = NameFlags::default();
    for token in [class, id]
        .into_iter()
        .flatten()
        .flat_map(str::split_whitespace)
        .filter(|token| !is_state_class(token))
    {
        for_name_words(token, &mut |w| {
            flags.comment |= is_comment_word(w);
            flags.furniture |= is_furniture_word(w);
            flags.layout |= is_layout_word(w);
            flags.content |= is_content_word(w);
        });
    }
    flags
}
