//! Article extraction: from a decoded HTML page to its headline, body
//! paragraphs, byline, dates, canonical URL and description.
//!
//! The body is found automatically, readability-style: every paragraph-like
//! block outside page furniture scores its parent and grandparent, the
//! best-scoring container (penalised by link density) is the article, and
//! its text is collected paragraph by paragraph. Furniture — navigation,
//! headers, footers, scripts, styles, forms, comment sections, asides, share
//! bars, related-link lists, figures and captions — is skipped by tag, ARIA
//! role and class/id words. A target's `selector` replaces the automatic
//! choice of container. When the rules find no paragraphs at all, the page
//! is read again with only code and comment sections left out: "no
//! article" is the last resort. A body the page declares in JSON-LD
//! (`articleBody`) checks the choice and is never output (see
//! [`declared`]). The byline is author names only, found between the
//! headline and the end of the body when metadata has none.
//!
//! Every traversal is iterative, so deeply nested markup cannot overflow the
//! stack; parsing is html5ever's, which never fails on malformed HTML.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node, Selector};
use serde_json::Value;

mod declared;
use declared::DeclaredBody;

/// FxHash's one-multiply hash, for the per-page maps keyed by node ids
/// (indexes the parser hands out) and by the page's own class names:
/// SipHash's defence against chosen keys buys nothing for maps that live
/// for one page and are bounded by its size, and they are hit for every
/// node.
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        for b in chunks.remainder() {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type NodeMap<V> = HashMap<NodeId, V, BuildHasherDefault<FastHasher>>;
type NodeSet = HashSet<NodeId, BuildHasherDefault<FastHasher>>;

use crate::text::{normalize_line, normalize_paragraphs, word_count};

/// Fewest visible characters a body needs to count as an article (counted in
/// characters, not words, so scripts written without spaces are judged fairly).
const MIN_ARTICLE_CHARS: usize = 40;
/// Shortest paragraph (in characters) that scores its containers.
const MIN_SCORING_CHARS: usize = 25;

/// A validated CSS selector naming the article body.
#[derive(Debug, Clone)]
pub struct BodySelector {
    source: String,
    selector: Selector,
}

/// Why a CSS selector was rejected.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{selector}` is not a valid CSS selector: {reason}")]
pub struct SelectorError {
    /// The selector as written.
    pub selector: String,
    /// What the parser said.
    pub reason: String,
}

impl BodySelector {
    /// Parses a CSS selector.
    pub fn parse(source: &str) -> Result<Self, SelectorError> {
        let source = source.trim();
        if source.is_empty() {
            return Err(SelectorError {
                selector: source.to_string(),
                reason: "it is empty".into(),
            });
        }
        let selector = Selector::parse(source).map_err(|e| SelectorError {
            selector: source.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            source: source.to_string(),
            selector,
        })
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// What was extracted from a page. Texts are normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Article {
    /// The headline.
    pub title: String,
    /// Body paragraphs joined by blank lines.
    pub text: String,
    /// Author(s), as the page names them.
    pub byline: Option<String>,
    /// Publication time, as the page gives it.
    pub published: Option<String>,
    /// Last-modified time, as the page gives it.
    pub modified: Option<String>,
    /// `rel=canonical` URL, absolute.
    pub canonical: Option<String>,
    /// The page's description or standfirst.
    pub description: Option<String>,
}

/// Why no article came out of a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Nothing on the page looks like article text.
    #[error("no article found on the page ({reason})")]
    NoArticle { reason: String },
    /// The target's selector matched no element.
    #[error("the selector `{selector}` matched nothing on the page")]
    SelectorMatchedNothing { selector: String },
    /// The selector matched, but only elements without text.
    #[error("the selector `{selector}` matched only elements without text")]
    SelectorEmpty { selector: String },
}

/// Extracts the article from an HTML page. `base_url` resolves a relative
/// canonical link.
pub fn extract(
    html: &str,
    selector: Option<&BodySelector>,
    base_url: Option<&str>,
) -> Result<Article, ExtractError> {
    extract_with(html, selector, &[], base_url)
}

/// [`extract`], with the elements matching `exclude` removed first (a
/// target's `exclude` rules: live tickers, promos the built-in rules miss).
pub fn extract_with(
    html: &str,
    selector: Option<&BodySelector>,
    exclude: &[BodySelector],
    base_url: Option<&str>,
) -> Result<Article, ExtractError> {
    let doc = Html::parse_document(&trim_for_parsing(html));
    let user: NodeSet = exclude
        .iter()
        .flat_map(|rule| doc.select(&rule.selector).map(|e| e.id()))
        .collect();
    let mut excluded = ExcludedSet::compute(&doc, false);
    excluded.user = user.clone();
    let meta = Metadata::read(&doc, base_url);

    let (paragraphs, container) = match selector {
        Some(sel) => {
            let mut paragraphs = Vec::new();
            let mut any = false;
            for el in doc.select(&sel.selector) {
                any = true;
                paragraphs.extend(collect_paragraphs(el, &excluded, true));
            }
            if !any {
                return Err(ExtractError::SelectorMatchedNothing {
                    selector: sel.source.clone(),
                });
            }
            (paragraphs, None)
        }
        None => {
            let found = best_container(&doc, &excluded)
                .map(|best| (collect_paragraphs(best, &excluded, false), best))
                .filter(|(p, _)| visible_chars(p) >= MIN_ARTICLE_CHARS);
            // "No article" is the last resort: a page whose prose all sits
            // in containers named like furniture (a layout `sidebar-*`
            // column, a widget wrapper) is read again with only code and
            // comments left out.
            let found = found.or_else(|| {
                excluded = ExcludedSet::compute(&doc, true);
                excluded.user = user.clone();
                best_container(&doc, &excluded)
                    .map(|best| (collect_paragraphs(best, &excluded, false), best))
            });
            // The body the page declares, where it has one, checks the
            // choice: rules that found a sliver of the story, or nothing,
            // give way to the element holding the declared paragraphs.
            let declared = meta.article_body.as_deref().and_then(DeclaredBody::new);
            let recall = |found: &Option<(Vec<String>, ElementRef<'_>)>, d: &DeclaredBody| {
                found
                    .as_ref()
                    .map_or(0.0, |(p, _)| d.cover(&p.join("\n")).recall)
            };
            let found = match declared {
                Some(d) if recall(&found, &d) < DECLARED_SLIVER => {
                    match declared_container(&doc, &user, &d, recall(&found, &d)) {
                        Some((paragraphs, el, lenient)) => {
                            excluded = lenient;
                            Some((paragraphs, el))
                        }
                        None => found,
                    }
                }
                _ => found,
            };
            let Some((paragraphs, best)) = found else {
                return Err(ExtractError::NoArticle {
                    reason: "no paragraphs of text outside navigation and page furniture".into(),
                });
            };
            (paragraphs, Some(best))
        }
    };

    let (title, headline) = choose_title(&doc, &excluded, container, &meta);
    // The headline is reported on its own; drop it where it repeats as the
    // body's first paragraph.
    let mut paragraphs: Vec<String> = paragraphs.iter().map(|p| normalize_line(p)).collect();
    if selector.is_none() {
        drop_edge_notices(&mut paragraphs);
    }
    if paragraphs
        .first()
        .is_some_and(|p| !title.is_empty() && *p == title)
    {
        paragraphs.remove(0);
    }
    let text = normalize_paragraphs(&paragraphs);
    if text.is_empty() {
        return Err(match selector {
            Some(sel) => ExtractError::SelectorEmpty {
                selector: sel.source.clone(),
            },
            None => ExtractError::NoArticle {
                reason: "the page has no body text".into(),
            },
        });
    }
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    if selector.is_none() && visible < MIN_ARTICLE_CHARS {
        return Err(ExtractError::NoArticle {
            reason: format!("only {} words of text", word_count(&text)),
        });
    }
    Ok(Article {
        title,
        text,
        byline: meta
            .byline
            .or_else(|| find_byline(&doc, headline, container.map(|c| c.id()))),
        published: meta.published,
        modified: meta.modified,
        canonical: meta.canonical,
        description: meta.description,
    })
}

/// Visible (non-space) characters of some paragraphs.
fn visible_chars(paragraphs: &[String]) -> usize {
    paragraphs
        .iter()
        .map(|p| p.chars().filter(|c| !c.is_whitespace()).count())
        .sum()
}

/// Deepest element nesting passed to the HTML parser. The HTML5 tree
/// builder checks element scopes by walking its stack of open elements, so
/// parsing cost grows with the square of the depth; real pages stay far below
/// this (browsers flatten beyond 512).
const MAX_PARSE_DEPTH: usize = 1024;

/// Makes a page cheaper to parse without changing what can be extracted:
/// drops comments and the content of `<style>`, inline `<svg>` and of
/// `<script>` other than JSON-LD (often half of a news page, and read by the tokenizer a character
/// at a time), and removes the tags (not the text) of elements nested deeper
/// than [`MAX_PARSE_DEPTH`], so a hostile page of a million nested `<div>`s
/// cannot stall a worker thread. A page with none of these is returned
/// untouched.
///
/// Depth is estimated with a light scan: void elements and elements whose
/// end tag is optional (`p`, `li`, cells…) do not count, comments and the
/// content of `script`/`style` are skipped.
fn trim_for_parsing(html: &str) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut dropped = 0usize;
    // Spans to drop, and whether a space stands in for them.
    let mut cut: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + off;
        let rest = &bytes[start..];
        if rest.starts_with(b"<!--") {
            i = memchr::memmem::find(&bytes[start + 4..], b"-->")
                .map_or(bytes.len(), |e| start + 4 + e + 3);
            // Comments never hold article text.
            cut.push((start, i, false));
            continue;
        }
        let end =
            memchr::memchr(b'>', &bytes[start + 1..]).map_or(bytes.len(), |e| start + 1 + e + 1);
        let closing = rest.get(1) == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        let raw_name = &bytes[name_start..end.max(name_start)];
        let name_len = raw_name
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            i = start + 1;
            continue;
        }
        // Tag names that matter here are short; longer ones are custom
        // elements, which nest like any other.
        let mut buf = [0u8; 12];
        let name: &[u8] = if name_len <= buf.len() {
            for (d, s) in buf.iter_mut().zip(&raw_name[..name_len]) {
                *d = s.to_ascii_lowercase();
            }
            &buf[..name_len]
        } else {
            b"custom-element"
        };
        let self_closing = bytes[..end].ends_with(b"/>");
        if closing {
            if counts_for_depth(name) {
                if dropped > 0 {
                    dropped -= 1;
                    cut.push((start, end, true));
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
        } else if matches!(name, b"script" | b"style" | b"textarea" | b"title" | b"xmp") {
            i = find_end_tag(bytes, end, name).unwrap_or(bytes.len());
            // Scripts and style sheets are often half the page and the
            // tokenizer reads them a character at a time; only JSON-LD
            // (metadata) is ever read from them.
            let open_tag = &bytes[start..end];
            let json_ld =
                memchr::memmem::find(&open_tag.to_ascii_lowercase(), b"ld+json").is_some();
            if (name == b"style" || (name == b"script" && !json_ld)) && i > end {
                cut.push((end, i, false));
            }
            continue;
        } else if name == b"svg" && !self_closing {
            // Inline icons and charts: paths, never article text.
            i = find_end_tag(bytes, end, name).unwrap_or(bytes.len());
            if i > end {
                cut.push((end, i, false));
            }
            continue;
        } else if counts_for_depth(name) && !self_closing {
            if depth >= MAX_PARSE_DEPTH {
                dropped += 1;
                cut.push((start, end, true));
            } else {
                depth += 1;
            }
        }
        i = end;
    }
    if cut.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for (a, b, space) in cut {
        if a < last || !html.is_char_boundary(a) || !html.is_char_boundary(b) {
            continue;
        }
        out.push_str(&html[last..a]);
        // Keep a word boundary where a block tag stood.
        if space {
            out.push(' ');
        }
        last = b;
    }
    out.push_str(&html[last..]);
    std::borrow::Cow::Owned(out)
}

/// Below this share of the declared body, what the rules found is a sliver
/// of the story (the declaration may be truncated, but it starts where the
/// story starts and is rarely less than half of it).
const DECLARED_SLIVER: f64 = 0.5;

/// The element holding the paragraphs of the declared body, read with only
/// code and comments left out (the rules missed it, often for its names),
/// when it holds at least twice as much of the declared body as `recall`
/// and at least half of it. Returns its paragraphs, the element, and the
/// lenient furniture set it was read with.
fn declared_container<'a>(
    doc: &'a Html,
    user: &NodeSet,
    declared: &DeclaredBody,
    recall: f64,
) -> Option<(Vec<String>, ElementRef<'a>, ExcludedSet)> {
    let mut lenient = ExcludedSet::compute(doc, true);
    lenient.user = user.clone();
    let mut paragraphs = Vec::new();
    let mut stack = vec![doc.tree.root()];
    while let Some(node) = stack.pop() {
        let Node::Element(el) = node.value() else {
            stack.extend(node.children().rev());
            continue;
        };
        if lenient.contains(&node) {
            continue;
        }
        let name = el.name();
        if matches!(name, "p" | "li" | "blockquote" | "pre")
            || (is_text_container(name) && has_direct_text(node, MIN_SCORING_CHARS))
        {
            paragraphs.push((node, collect_text(node, &lenient)));
        }
        stack.extend(node.children().rev());
    }
    let el = declared.container(&paragraphs).and_then(ElementRef::wrap)?;
    let text = collect_paragraphs(el, &lenient, false);
    let now = declared.cover(&text.join("\n")).recall;
    (now >= DECLARED_SLIVER && now >= 2.0 * recall && visible_chars(&text) >= MIN_ARTICLE_CHARS)
        .then_some((text, el, lenient))
}

/// Where the end tag `</name` (any case) starts, at or after `from`.
fn find_end_tag(hay: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    while let Some(off) = memchr::memmem::find(hay.get(at..)?, b"</") {
        let pos = at + off;
        let candidate = hay.get(pos + 2..pos + 2 + name.len())?;
        if candidate.eq_ignore_ascii_case(name) {
            return Some(pos);
        }
        at = pos + 2;
    }
    None
}

/// Whether an element, once opened, stays open until its end tag.
fn counts_for_depth(name: &[u8]) -> bool {
    !matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"option"
            | b"optgroup"
            | b"tr"
            | b"td"
            | b"th"
            | b"thead"
            | b"tbody"
            | b"tfoot"
            | b"rb"
            | b"rt"
            | b"rp"
            | b"html"
            | b"head"
            | b"body"
    )
}

/// Tags whose content is never text a reader sees.
fn is_code_tag(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "title"
            | "button"
            | "select"
            | "input"
            | "textarea"
            | "iframe"
            | "object"
            | "embed"
            | "svg"
            | "canvas"
            | "video"
            | "audio"
    )
}

/// Structural tags that hold page furniture rather than the article.
fn is_furniture_tag(name: &str) -> bool {
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
fn is_comment_word(word: &str) -> bool {
    matches!(
        word,
        "comment" | "comments" | "commentlist" | "respond" | "disqus"
    )
}

/// Words in a class or id that mark page furniture by what it is about.
fn is_furniture_word(word: &str) -> bool {
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
fn is_layout_word(word: &str) -> bool {
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
fn is_content_word(word: &str) -> bool {
    matches!(
        word,
        "article" | "content" | "main" | "body" | "story" | "entry" | "text" | "articlebody"
    )
}

/// The lower-case words of a class or id: split at punctuation and at
/// camelCase humps (`shareButtons` → `share`, `buttons`). Run-together
/// names (`newscaption`, `relatedlinks`) also yield the distinctive
/// furniture word they contain.
fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_name_words(name, &mut |w| out.push(w.to_string()));
    out
}

/// Calls `f` with each word `name_words` gives, without allocating a list:
/// classes are read on every element of every page.
fn for_name_words(name: &str, f: &mut impl FnMut(&str)) {
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
fn is_streamed_segment_id(id: &str) -> bool {
    id.strip_prefix("S:")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A class that states what the element *has* or how it shows
/// (`has-comments`, `with-sidebar`, `no-ads`, `show-related`): a flag on
/// the article, not the name of a part of the page.
fn is_state_class(token: &str) -> bool {
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
const DISTINCTIVE_FURNITURE: &[&str] = &[
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
enum Furniture {
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

fn classify<'a>(el: &'a scraper::node::Element, names: &mut NameCache<'a>) -> Furniture {
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
fn style_hides(style: &str) -> bool {
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
struct NameFlags {
    comment: bool,
    furniture: bool,
    layout: bool,
    content: bool,
}

/// Sites repeat the same class names on many elements: their words are
/// read once per page.
type NameCache<'a> =
    HashMap<(Option<&'a str>, Option<&'a str>), NameFlags, BuildHasherDefault<FastHasher>>;

fn name_flags(class: Option<&str>, id: Option<&str>) -> NameFlags {
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

/// Share of the page's text above which a "likely furniture" element is
/// kept: it is the page, not a part of it.
const FURNITURE_MAX_SHARE: f64 = 0.5;

/// The elements whose subtree is furniture, computed once per page.
struct ExcludedSet {
    /// Found by the furniture rules.
    roots: NodeSet,
    /// Matched by the target's `exclude` selectors.
    user: NodeSet,
}

impl ExcludedSet {
    /// Furniture by the rules; with `lenient`, only what is never text
    /// (code, comment sections) — the fallback for pages whose article sits
    /// in containers named like furniture.
    fn compute(doc: &Html, lenient: bool) -> Self {
        // Visible text length of every subtree, from one pre-order listing
        // walked backwards (children before parents).
        let mut order: Vec<NodeRef<'_, Node>> = Vec::new();
        let mut stack: Vec<NodeRef<'_, Node>> = vec![doc.tree.root()];
        while let Some(node) = stack.pop() {
            order.push(node);
            if node
                .value()
                .as_element()
                .is_some_and(|e| is_code_tag(e.name()))
            {
                continue;
            }
            stack.extend(node.children());
        }
        // Visible characters, and characters of prose: paragraphs and bare
        // text runs long enough to score (see `best_container`).
        let mut text_len: NodeMap<(usize, usize)> =
            NodeMap::with_capacity_and_hasher(order.len(), Default::default());
        for node in order.iter().rev() {
            let own = match node.value() {
                Node::Text(t) => (t.chars().filter(|c| !c.is_whitespace()).count(), 0),
                Node::Element(e) if is_code_tag(e.name()) => (0, 0),
                Node::Element(e) => {
                    let (mut all, mut prose, mut direct) = (0, 0, 0);
                    for c in node.children() {
                        let (a, p) = text_len.get(&c.id()).copied().unwrap_or((0, 0));
                        all += a;
                        prose += p;
                        if c.value().is_text() {
                            direct += a;
                        }
                    }
                    if matches!(e.name(), "p" | "pre" | "blockquote") {
                        (all, if all >= MIN_SCORING_CHARS { all } else { prose })
                    } else if e.name() == "a" {
                        // Link text is not prose, however long.
                        (all, 0)
                    } else if is_text_container(e.name()) && direct >= MIN_SCORING_CHARS {
                        (all, prose + direct)
                    } else {
                        (all, prose)
                    }
                }
                _ => node
                    .children()
                    .map(|c| text_len.get(&c.id()).copied().unwrap_or((0, 0)))
                    .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
            };
            text_len.insert(node.id(), own);
        }
        let (total, total_prose) = text_len
            .get(&doc.tree.root().id())
            .copied()
            .unwrap_or((0, 0));
        let (total, total_prose) = (total.max(1) as f64, total_prose as f64);

        let mut roots = NodeSet::default();
        let mut names = NameCache::default();
        let mut stack: Vec<NodeRef<'_, Node>> = vec![doc.tree.root()];
        while let Some(node) = stack.pop() {
            if let Node::Element(el) = node.value() {
                // A code listing's spans are named by the highlighter
                // (`hljs-comment`, `token keyword`): what they hold is code,
                // never page furniture.
                if matches!(el.name(), "pre" | "code") {
                    continue;
                }
                // `html` and `body` are never furniture, whatever their class.
                let verdict = if matches!(el.name(), "html" | "body") {
                    Furniture::No
                } else {
                    classify(el, &mut names)
                };
                let (text, prose) = text_len.get(&node.id()).copied().unwrap_or((0, 0));
                // What holds most of the page's prose is the page, whatever
                // it is called — but not an element whose tag says what it
                // is (a footer, a navigation bar). Judged by prose, not all
                // text: link lists, menus and counters around the article
                // come and go from one request to the next and must not tip
                // the decision. A page with no prose falls back on its text.
                let share = if total_prose >= MIN_SCORING_CHARS as f64 {
                    prose as f64 / total_prose
                } else {
                    text as f64 / total
                };
                let page = !matches!(el.name(), "nav" | "footer" | "aside" | "menu" | "dialog")
                    && share > FURNITURE_MAX_SHARE;
                if verdict == Furniture::Always
                    || (verdict == Furniture::Likely && !page && !lenient)
                {
                    roots.insert(node.id());
                    continue;
                }
            }
            stack.extend(node.children());
        }
        Self {
            roots,
            user: NodeSet::default(),
        }
    }

    fn contains(&self, node: &NodeRef<'_, Node>) -> bool {
        self.roots.contains(&node.id()) || self.user.contains(&node.id())
    }

    fn contains_user(&self, node: &NodeRef<'_, Node>) -> bool {
        self.user.contains(&node.id())
    }
}

/// Tags that break text into separate paragraphs.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "table"
            | "thead"
            | "tbody"
            | "tr"
            | "td"
            | "th"
            | "address"
            | "hr"
            | "details"
            | "summary"
            | "center"
    )
}

/// Text statistics of a subtree (furniture excluded): all text, and text
/// inside links.
fn text_stats(root: NodeRef<'_, Node>, excluded: &ExcludedSet) -> (usize, usize) {
    text_stats_dropping(root, excluded, |_, _| false)
}

/// [`text_stats`] without the blocks (lists, list items, bare `div`s)
/// whose text is mostly links: what [`collect_paragraphs`] would keep.
fn readable_text_stats(root: NodeRef<'_, Node>, excluded: &ExcludedSet) -> (usize, usize) {
    text_stats_dropping(root, excluded, |t, l| l * 10 >= t * LINK_HEAVY_TENTHS)
}

/// (characters, linked characters) of a subtree, leaving out each block
/// (`ul`, `ol`, `div`, `nav`, `table`) for whose counts `drop` holds.
fn text_stats_dropping(
    root: NodeRef<'_, Node>,
    excluded: &ExcludedSet,
    drop: impl Fn(usize, usize) -> bool,
) -> (usize, usize) {
    enum Step<'a> {
        Enter(NodeRef<'a, Node>, bool),
        Exit(bool),
    }
    // One post-order pass: each element's (characters, linked characters)
    // is summed into its parent's, except a dropped block's.
    let mut sums: Vec<(usize, usize)> = vec![(0, 0)];
    let mut stack = vec![Step::Enter(root, false)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Enter(node, in_link) => match node.value() {
                Node::Text(t) => {
                    let n = t.trim().chars().count();
                    let top = sums.last_mut().expect("never empty");
                    top.0 += n;
                    if in_link {
                        top.1 += n;
                    }
                }
                Node::Element(el) => {
                    if excluded.contains(&node) {
                        continue;
                    }
                    let droppable =
                        node != root && matches!(el.name(), "ul" | "ol" | "div" | "nav" | "table");
                    sums.push((0, 0));
                    stack.push(Step::Exit(droppable));
                    let link = in_link || el.name() == "a";
                    stack.extend(node.children().map(|c| Step::Enter(c, link)));
                }
                _ => {}
            },
            Step::Exit(droppable) => {
                let (t, l) = sums.pop().expect("pushed on enter");
                if droppable && t > 0 && drop(t, l) {
                    continue;
                }
                let top = sums.last_mut().expect("never empty");
                top.0 += t;
                top.1 += l;
            }
        }
    }
    sums[0]
}

/// Paragraph text found inside an element (through all its descendants).
#[derive(Debug, Clone, Copy, Default)]
struct ParagraphStats {
    /// Readability-style score, from the paragraphs near it.
    score: f64,
    /// Paragraphs of text.
    paragraphs: usize,
    /// Characters in those paragraphs.
    chars: usize,
    /// Of which inside links.
    linked: usize,
}

/// How many ancestors a paragraph's characters are credited to; bounds the
/// work on pathologically deep pages.
const MAX_CREDIT_DEPTH: usize = 48;

/// The container most likely to hold the article body.
fn best_container<'a>(doc: &'a Html, excluded: &ExcludedSet) -> Option<ElementRef<'a>> {
    let mut stats: NodeMap<ParagraphStats> = NodeMap::default();
    let body = doc
        .tree
        .root()
        .descendants()
        .find(|n| n.value().as_element().is_some_and(|e| e.name() == "body"))
        .unwrap_or_else(|| doc.tree.root());
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        if excluded.contains(&node) {
            continue;
        }
        let name = el.name();
        let scoring = matches!(name, "p" | "pre" | "blockquote")
            || (is_text_container(name) && has_direct_text(node, MIN_SCORING_CHARS));
        if scoring {
            // A bare-text container counts only its own text, not its block
            // children (which score on their own): deep nesting stays linear.
            let (chars, linked, commas) = paragraph_text(node, excluded, is_text_container(name));
            if chars >= MIN_SCORING_CHARS && linked * 2 < chars {
                let score = 1.0 + commas as f64 + (chars as f64 / 100.0).min(3.0);
                let mut ancestor = if is_text_container(name) {
                    Some(node)
                } else {
                    node.parent()
                };
                let mut level = 0usize;
                while let Some(a) = ancestor {
                    if level >= MAX_CREDIT_DEPTH || !a.value().is_element() {
                        break;
                    }
                    let entry = stats.entry(a.id()).or_default();
                    // Score decays with distance (parent, grandparent, then
                    // faster); raw counts go all the way up.
                    if level < 3 {
                        entry.score += score / (level as f64 + 1.0);
                    }
                    entry.paragraphs += 1;
                    entry.chars += chars;
                    entry.linked += linked;
                    level += 1;
                    ancestor = a.parent();
                }
            }
            if !is_text_container(name) {
                continue;
            }
        }
        stack.extend(node.children());
    }

    let mut ranked: Vec<(NodeId, ParagraphStats)> = stats
        .iter()
        .map(|(k, v)| (*k, *v))
        .filter(|(_, v)| v.score > 0.0)
        .collect();
    // Ties go to the element first in the document (NodeIds are handed out
    // in parse order): the choice must not depend on a hash map's order,
    // or two checks of the same page could disagree.
    ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
    let best = ranked
        .into_iter()
        .take(8)
        .filter_map(|(id, st)| {
            let node = doc.tree.get(id)?;
            let el = ElementRef::wrap(node)?;
            // Link density over the text that would be read: blocks that
            // are mostly links (a list of other stories dropped into the
            // story) are left out when the text is collected, so they do
            // not count against the container either.
            let (chars, linked) = readable_text_stats(node, excluded);
            let density = if chars == 0 {
                1.0
            } else {
                linked as f64 / chars as f64
            };
            let hinted = el.value().name() == "article"
                || el.value().attr("itemprop") == Some("articleBody");
            let bonus = if hinted { 1.25 } else { 1.0 };
            Some((el, st.score * (1.0 - density) * bonus))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(el, _)| el)?;
    Some(climb(best, &stats, excluded))
}

/// Articles split into sections (around pull quotes, images, ads) leave the
/// best container holding only part of the text. Climb to an ancestor while
/// what it adds is more article-like paragraphs: long enough on average and
/// with few links, unlike teaser lists and link blocks.
fn climb<'a>(
    best: ElementRef<'a>,
    stats: &NodeMap<ParagraphStats>,
    excluded: &ExcludedSet,
) -> ElementRef<'a> {
    let mut current = best;
    let Some(mut cur) = stats.get(&best.id()).copied() else {
        return best;
    };
    let mut cur_text = text_stats(*best, excluded);
    // A step that does not pay is not the end: an article split into
    // sections (page builders, product blocks, pull quotes) can gain a
    // little one level up and a lot two levels up. Higher ancestors are
    // weighed against the last one taken, so what they add is counted in
    // full; the climb ends after a few ancestors in a row that do not pay.
    let (mut steps, mut misses) = (0, 0);
    let mut probe = current;
    // Paragraphs of the last ancestor looked at.
    let mut probed = cur.paragraphs;
    while let Some(parent) = probe.parent().and_then(ElementRef::wrap) {
        if steps >= MAX_CLIMB
            || misses > CLIMB_LOOKAHEAD
            || matches!(parent.value().name(), "body" | "html")
        {
            break;
        }
        probe = parent;
        let Some(up) = stats.get(&parent.id()).copied() else {
            break;
        };
        let extra_paragraphs = up.paragraphs.saturating_sub(cur.paragraphs);
        let extra_chars = up.chars.saturating_sub(cur.chars);
        let extra_linked = up.linked.saturating_sub(cur.linked);
        if up.paragraphs == probed {
            // A plain wrapper adds no paragraphs; look one level further.
            if misses == 0 {
                current = parent;
            }
            continue;
        }
        probed = up.paragraphs;
        steps += 1;
        let average = extra_chars / extra_paragraphs;
        let link_share = extra_linked as f64 / extra_chars.max(1) as f64;
        // All the text the step adds, not only paragraphs: a teaser list's
        // summaries look like paragraphs, but its headlines are links.
        let up_text = text_stats(*parent, excluded);
        let added = up_text.0.saturating_sub(cur_text.0);
        let added_linked = up_text.1.saturating_sub(cur_text.1);
        let added_link_share = added_linked as f64 / added.max(1) as f64;
        // Only a substantial gain is worth the risk of taking in furniture.
        // Links between the paragraphs (product boxes, "more on this"
        // blocks) are dropped when the text is collected; they may weigh
        // more where the step at least triples the link-free paragraphs.
        let max_added_links = if extra_chars >= 2 * cur.chars {
            2.0 * CLIMB_MAX_LINK_SHARE
        } else {
            CLIMB_MAX_LINK_SHARE
        };
        // Short paragraphs (lists, verse, one-line paragraphs) are taken
        // where they at least double the text: furniture is rarely larger
        // than the article it sits beside.
        let min_average = if extra_chars >= cur.chars {
            CLIMB_MIN_AVERAGE_CHARS / 2
        } else {
            CLIMB_MIN_AVERAGE_CHARS
        };
        if extra_chars * 4 >= cur.chars
            && average >= min_average
            && link_share < CLIMB_MAX_LINK_SHARE
            && added_link_share < max_added_links
        {
            current = parent;
            cur = up;
            cur_text = up_text;
            misses = 0;
        } else {
            misses += 1;
        }
    }
    // Never end on a wrapper that added nothing: step back down to the
    // highest element that really gained paragraphs.
    let mut node = current;
    while node.id() != best.id() {
        let here = stats.get(&node.id()).map_or(0, |s| s.paragraphs);
        let Some(child) = node
            .child_elements()
            .find(|c| stats.get(&c.id()).is_some_and(|s| s.paragraphs == here))
        else {
            break;
        };
        node = child;
    }
    node
}

/// Most levels climbed above the best container.
const MAX_CLIMB: usize = 8;
/// Ancestors in a row that may not pay before the climb ends.
const CLIMB_LOOKAHEAD: usize = 2;
/// Average length of the paragraphs an ancestor must add to be climbed to.
const CLIMB_MIN_AVERAGE_CHARS: usize = 100;
/// Largest share of linked text in what an ancestor adds.
const CLIMB_MAX_LINK_SHARE: f64 = 0.2;

/// A run of ASCII this long without a space is no word of any language
/// written with spaces: an address, a list joined by bare commas, an
/// identifier, encoded data. (Scripts written without spaces are not
/// ASCII, so they never match.)
const MAX_WORD_BYTES: usize = 40;

fn is_unreadable_token(token: &str) -> bool {
    token.len() > MAX_WORD_BYTES && token.is_ascii()
}

/// Commas of running prose in a word: a Latin or Arabic comma ends the
/// word (prose puts a space after it; `a,b,c` is data), while the
/// full-width and ideographic commas of scripts without spaces count
/// wherever they stand.
fn prose_commas(token: &str) -> usize {
    let wide = token.chars().filter(|c| matches!(c, '，' | '、')).count();
    wide + usize::from(token.ends_with([',', '،']))
}

/// Characters, linked characters and commas of a paragraph's text, skipping
/// furniture and unreadable runs; with `own_only`, block-level children are
/// skipped too.
fn paragraph_text(
    root: NodeRef<'_, Node>,
    excluded: &ExcludedSet,
    own_only: bool,
) -> (usize, usize, usize) {
    let (mut chars, mut linked, mut commas) = (0, 0, 0);
    let mut stack = vec![(root, false)];
    while let Some((node, in_link)) = stack.pop() {
        match node.value() {
            Node::Text(t) => {
                for token in t.split_whitespace() {
                    if is_unreadable_token(token) {
                        continue;
                    }
                    let n = token.chars().count();
                    chars += n;
                    if in_link {
                        linked += n;
                    }
                    commas += prose_commas(token);
                }
            }
            Node::Element(el) => {
                if excluded.contains(&node) || (own_only && node != root && is_block(el.name())) {
                    continue;
                }
                let link = in_link || el.name() == "a";
                stack.extend(node.children().map(|c| (c, link)));
            }
            _ => {}
        }
    }
    (chars, linked, commas)
}

/// Containers that some sites fill with bare text (and `<br>`s) instead of
/// paragraphs; such a container counts as a paragraph itself. Rich-text
/// editors also leave whole articles as bare text in a `<span>` or `<font>`.
fn is_text_container(name: &str) -> bool {
    matches!(
        name,
        "div" | "section" | "article" | "main" | "td" | "center" | "span" | "font"
    )
}

/// Whether an element has at least `min` characters in its own text nodes.
fn has_direct_text(node: NodeRef<'_, Node>, min: usize) -> bool {
    node.children()
        .filter_map(|c| c.value().as_text().map(|t| t.trim().chars().count()))
        .sum::<usize>()
        >= min
}

/// All text of a subtree, furniture excluded, as one line.
fn collect_text(root: NodeRef<'_, Node>, excluded: &ExcludedSet) -> String {
    let mut out = String::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(el) => {
                if excluded.contains(&node) {
                    continue;
                }
                if matches!(el.name(), "br") || is_block(el.name()) {
                    out.push(' ');
                }
                // Children are pushed in reverse so they pop in document order.
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev());
            }
            _ => {}
        }
    }
    out
}

/// Collects the paragraphs of a container in reading order. With `explicit`
/// (a user's selector), only code and hidden elements are skipped: the user
/// said what the body is.
fn collect_paragraphs(root: ElementRef<'_>, excluded: &ExcludedSet, explicit: bool) -> Vec<String> {
    enum Step<'a> {
        Enter(NodeRef<'a, Node>),
        LeaveBlock { row: bool },
        LeaveLink,
        LeaveTime,
    }
    /// The paragraph being built, with how much of it is link text.
    #[derive(Default)]
    struct Current {
        text: String,
        chars: usize,
        linked: usize,
        dated: usize,
        /// Tool controls (small buttons, drop-downs) sat in the block.
        controls: bool,
    }
    let mut paragraphs = Vec::new();
    let mut current = Current::default();
    let mut link_depth = 0usize;
    let mut time_depth = 0usize;
    let mut last_was_br = false;
    // A paragraph that is mostly link text inside the article is a "read
    // more" line, a related headline or a tag list, not the story.
    // Table rows are data (standings, results) where links are normal.
    let flush = |current: &mut Current, paragraphs: &mut Vec<String>, row: bool| {
        let link_heavy =
            !explicit && !row && current.linked * 10 >= current.chars * LINK_HEAVY_TENTHS;
        // "Posted <time>…</time>", "Updated <time>3 minutes ago</time>":
        // dates are metadata, read separately, and change without the story.
        let dateline = !explicit && current.dated > 0 && current.dated * 2 >= current.chars;
        let line = normalize_line(&current.text);
        // "Read more: <a>…</a>" promos inside the story, however little of
        // them is linked.
        let promo = !explicit && (current.linked > 0 && is_promo_line(&line) || is_bare_url(&line));
        // A label among buttons ("Text size A- A+", "Share", "Listen") is
        // a tool, not a sentence of the story.
        let tool = !explicit && current.controls && line.split(' ').count() <= TOOL_LABEL_WORDS;
        if !line.is_empty()
            && !link_heavy
            && !dateline
            && !promo
            && !tool
            && (explicit || !is_page_counter_or_stamp(&line))
        {
            paragraphs.push(line);
        }
        *current = Current::default();
    };
    let mut stack = vec![Step::Enter(*root)];
    while let Some(step) = stack.pop() {
        match step {
            Step::LeaveBlock { row } => flush(&mut current, &mut paragraphs, row),
            Step::LeaveLink => link_depth = link_depth.saturating_sub(1),
            Step::LeaveTime => time_depth = time_depth.saturating_sub(1),
            Step::Enter(node) => match node.value() {
                Node::Text(t) => {
                    let visible = t.chars().filter(|c| !c.is_whitespace()).count();
                    if visible > 0 {
                        last_was_br = false;
                    }
                    current.chars += visible;
                    if link_depth > 0 {
                        current.linked += visible;
                    }
                    if time_depth > 0 {
                        current.dated += visible;
                    }
                    current.text.push_str(t);
                }
                Node::Element(el) => {
                    let name = el.name();
                    // A drop-down, or a button with an icon or a word or two
                    // on it ("A+", "Share"): a tool. A button that holds a
                    // heading (an accordion's) is the heading, a "copy link"
                    // button beside a subheading leaves it a subheading, and
                    // a checkbox in a list is a checklist's item.
                    if (name == "select"
                        || (name == "button"
                            && ElementRef::wrap(node).is_some_and(|b| {
                                b.text().flat_map(str::split_whitespace).count() <= 2
                            })))
                        && !node.ancestors().any(|a| {
                            a.value().as_element().is_some_and(|e| {
                                matches!(e.name(), "h2" | "h3" | "h4" | "h5" | "h6")
                            })
                        })
                    {
                        current.controls = true;
                    }
                    let skip = if explicit {
                        matches!(
                            name,
                            "script" | "style" | "noscript" | "template" | "button"
                        ) || el.attr("hidden").is_some()
                            || excluded.contains_user(&node)
                    } else {
                        excluded.contains(&node) || name == "h1"
                    };
                    if skip {
                        continue;
                    }
                    match name {
                        "br" => {
                            if last_was_br {
                                flush(&mut current, &mut paragraphs, false);
                            } else {
                                current.text.push(' ');
                            }
                            last_was_br = true;
                            continue;
                        }
                        // Cells of a row read as one line.
                        "td" | "th" => current.text.push(' '),
                        "a" => {
                            link_depth += 1;
                            stack.push(Step::LeaveLink);
                        }
                        "time" => {
                            time_depth += 1;
                            stack.push(Step::LeaveTime);
                        }
                        _ if is_block(name) => {
                            flush(&mut current, &mut paragraphs, false);
                            last_was_br = false;
                            stack.push(Step::LeaveBlock { row: name == "tr" });
                        }
                        // Inline boundaries (`<span>a</span><span>b</span>`)
                        // are not word boundaries; nothing to add.
                        _ => {}
                    }
                    let children: Vec<_> = node.children().collect();
                    stack.extend(children.into_iter().rev().map(Step::Enter));
                }
                _ => {}
            },
        }
    }
    flush(&mut current, &mut paragraphs, false);
    paragraphs
}

/// Short lines that are page furniture however they are marked up: time
/// stamps ("Updated 3 minutes ago", "Published 10:02 AM UTC, Thu September
/// 1, 2022"), counters ("1.2k shares", "42 comments", "5 min read").
fn is_page_counter_or_stamp(line: &str) -> bool {
    static STAMP: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^(?:last\s+)?(?:updated|published|posted|modified|first published|last modified)\b",
        )
        .expect("static regex")
    });
    static RELATIVE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^\W*(?:updated\s+)?(?:\d+|an?|one|a few)\s+(?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?)\s+ago\W*$",
        )
        .expect("static regex")
    });
    // One counter or several in a row ("1.2k shares · 34 comments").
    static COUNTER: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^(?:\W*[\d.,]+\s*[km]?\s+(?:comments?|shares?|views?|reads?|readers?|likes?|replies|reactions?|min(?:ute)?s?\s+read)\W*)+$",
        )
        .expect("static regex")
    });
    // A stamp names a time: a clock, a month, a numeric date, or "ago".
    static WHEN: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\d{1,2}:\d{2}|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\d\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\bago\b",
        )
        .expect("static regex")
    });
    let words = line.split(' ').count();
    words <= 12
        && ((STAMP
            .find(line)
            .is_some_and(|m| line[m.end()..].chars().take(61).any(char::is_numeric))
            && WHEN.is_match(line))
            || RELATIVE.is_match(line)
            || COUNTER.is_match(line))
}

/// The most words a tool's label has ("Text size", "Listen to this
/// article", "Share on social media").
const TOOL_LABEL_WORDS: usize = 5;

/// How many paragraphs at each end of a body are read for rights notices.
const NOTICE_EDGE: usize = 2;

/// Rights and reprint notices that sites print above or below every story
/// ("This copy is for your personal, non-commercial use only…", "© 2026
/// … All rights reserved."): boilerplate of the page, not the story. Only
/// the first and last paragraphs are read, so a story about copyright keeps
/// its sentences.
fn drop_edge_notices(paragraphs: &mut Vec<String>) {
    let n = paragraphs.len();
    let mut index = 0;
    paragraphs.retain(|p| {
        let edge = index < NOTICE_EDGE || index + NOTICE_EDGE >= n;
        index += 1;
        !(edge && is_rights_notice(p))
    });
}

/// A short paragraph that reserves rights or limits use, in the wording
/// such notices use (English and the major languages of the web).
fn is_rights_notice(line: &str) -> bool {
    const PHRASES: &[&str] = &[
        "all rights reserved",
        "personal, non-commercial use",
        "personal non-commercial use",
        "personal and non-commercial use",
        "alle rechte vorbehalten",
        "tous droits réservés",
        "todos los derechos reservados",
        "todos os direitos reservados",
        "tutti i diritti riservati",
        "tüm hakları saklıdır",
    ];
    if line.split(' ').count() > 60 {
        return false;
    }
    let lower = line.to_lowercase();
    PHRASES.iter().any(|p| lower.contains(p))
}

/// A line that is nothing but a web address: the article's own URL printed
/// for print-outs and share tools, never prose.
fn is_bare_url(line: &str) -> bool {
    let t = line.trim_matches(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')'));
    !t.contains(' ')
        && (t.starts_with("http://") || t.starts_with("https://") || t.starts_with("www."))
        && t.len() > 10
}

/// A short line that starts with a promo label and a colon ("Read more:",
/// "Related:", "See also:", and the same in a few major languages): sites
/// put links to other stories between an article's paragraphs this way.
/// The caller also asks for a link in it.
fn is_promo_line(line: &str) -> bool {
    static LABEL: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^\W*(?:read more|read also|also read|more|related|related stories|related articles|see also|recommended|watch|listen|further reading|lesen sie auch|mehr zum thema|lire aussi|à lire aussi|a lire aussi|lea también|lee también|leia também|leia mais|leggi anche)\s*:",
        )
        .expect("static regex")
    });
    line.split(' ').count() <= 25 && LABEL.is_match(line)
}

/// A paragraph with at least this many tenths of its text in links is
/// dropped from an automatically found body.
const LINK_HEAVY_TENTHS: usize = 7;

/// The headline: the visible `<h1>` of the article when there is one, else
/// the page's declared headline, else its `<title>`.
fn choose_title(
    doc: &Html,
    excluded: &ExcludedSet,
    container: Option<ElementRef<'_>>,
    meta: &Metadata,
) -> (String, Option<NodeId>) {
    // Every visible <h1>, found by one walk that skips furniture — but not
    // `<header>`s: a header holds the headline of the page or section it
    // introduces, even where its other contents are furniture to the body.
    let mut visible: Vec<ElementRef<'_>> = Vec::new();
    let mut stack = vec![doc.tree.root()];
    while let Some(node) = stack.pop() {
        let Some(el) = ElementRef::wrap(node) else {
            stack.extend(node.children());
            continue;
        };
        if excluded.contains(&node)
            && !(el.value().name() == "header"
                && !excluded.contains_user(&node)
                && classify(el.value(), &mut NameCache::default()) == Furniture::Likely)
        {
            continue;
        }
        if el.value().name() == "h1" {
            if !normalize_line(&collect_text(node, excluded)).is_empty() {
                visible.push(el);
            }
            continue;
        }
        let children: Vec<_> = node.children().collect();
        stack.extend(children.into_iter().rev());
    }
    // Prefer an h1 that shares an ancestor with the body container below
    // <body>, so a logo h1 in the page chrome does not win.
    let below_body = |n: &NodeRef<'_, Node>| {
        n.value()
            .as_element()
            .is_some_and(|e| !matches!(e.name(), "body" | "html"))
    };
    let container_line: NodeSet = container
        .map(|c| {
            std::iter::once(*c)
                .chain(c.ancestors())
                .filter(below_body)
                .map(|n| n.id())
                .collect()
        })
        .unwrap_or_default();
    let near_body = visible.iter().find(|h| {
        h.ancestors()
            .filter(below_body)
            .any(|a| container_line.contains(&a.id()))
    });
    if let Some(h) = near_body.or(visible.first()) {
        return (normalize_line(&collect_text(**h, excluded)), Some(h.id()));
    }
    if let Some(t) = &meta.headline {
        return (t.clone(), None);
    }
    let title = Selector::parse("title").expect("static selector");
    let text = doc
        .select(&title)
        .next()
        .map(|t| normalize_line(&t.text().collect::<String>()))
        .unwrap_or_default();
    (text, None)
}

/// A byline from the page's markup when metadata names no author: the
/// author names only. Markup that marks the author itself (`rel=author`,
/// `itemprop=author`) wins; else an element whose class or id names a
/// byline or author gives its author part, never the times, view and
/// comment counters or share text that often sit in the same block.
fn find_byline(doc: &Html, headline: Option<NodeId>, container: Option<NodeId>) -> Option<String> {
    // A byline goes with the headline: between it and the end of the
    // article body. Names elsewhere (a site-wide bar, a list of authors in
    // the footer, a "more from" box) are not this article's.
    let mut position: NodeMap<usize> = NodeMap::default();
    for (i, n) in doc.tree.root().descendants().enumerate() {
        position.insert(n.id(), i);
    }
    let start = headline
        .or(container)
        .and_then(|id| position.get(&id).copied());
    let end = container.and_then(|id| {
        let mut last = doc.tree.get(id)?;
        while let Some(child) = last.last_child() {
            last = child;
        }
        position.get(&last.id()).copied()
    });
    let in_region = |id: NodeId| {
        let at = position.get(&id).copied().unwrap_or(0);
        start.is_none_or(|s| at >= s) && end.is_none_or(|e| at <= e)
    };
    let marked =
        Selector::parse(r#"[rel~="author"], [itemprop="author"]"#).expect("static selector");
    let name = Selector::parse(r#"[itemprop="name"]"#).expect("static selector");
    for el in doc.select(&marked).filter(|e| in_region(e.id())) {
        let named = el.select(&name).next().unwrap_or(el);
        let text = named
            .value()
            .attr("content")
            .map(str::to_string)
            .unwrap_or_else(|| byline_text(*named));
        if let Some(names) = author_part(&text) {
            return Some(names);
        }
    }
    doc.tree
        .root()
        .descendants()
        .filter(|n| in_region(n.id()))
        .filter(|n| {
            n.value().as_element().is_some_and(|e| {
                !is_code_tag(e.name())
                    && [e.attr("class"), e.attr("id")]
                        .into_iter()
                        .flatten()
                        .flat_map(name_words)
                        .any(|w| matches!(w.as_str(), "byline" | "author" | "authors" | "byl"))
            })
        })
        .find_map(|n| author_part(&byline_text(n)))
}

/// The text of a byline element with its times left out and its parts
/// (inline elements, blocks, line breaks) kept apart by ` · `.
fn byline_text(root: NodeRef<'_, Node>) -> String {
    let mut out = String::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(el) => {
                if is_code_tag(el.name()) || el.name() == "time" {
                    out.push_str(" · ");
                    continue;
                }
                if node != root && (el.name() == "br" || is_block(el.name())) {
                    out.push_str(" · ");
                }
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev());
            }
            _ => {}
        }
    }
    out
}

/// The author names in a byline's text: its first part (parts are split at
/// `·`, `|`, `•`, dashes and line breaks) that still has words once a
/// leading "By" is gone and everything from the first figure or time word
/// on is cut ("Jane Doe 3 hours ago", "Jane Doe Updated 07:31").
fn author_part(text: &str) -> Option<String> {
    const TIME_WORDS: &[&str] = &[
        "updated",
        "published",
        "posted",
        "modified",
        "last",
        "on",
        "at",
    ];
    for part in text.split(['·', '|', '•', '—', '–', '\n', '/']) {
        let part = normalize_line(part);
        let part = strip_by(&part);
        let mut words: Vec<&str> = Vec::new();
        for w in part.split(' ') {
            let bare = w.trim_matches(|c: char| !c.is_alphanumeric());
            if w.chars().any(|c| c.is_ascii_digit())
                || TIME_WORDS.contains(&bare.to_lowercase().as_str())
            {
                break;
            }
            words.push(w);
        }
        let names = words
            .join(" ")
            .trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | ';' | '-'))
            .to_string();
        if names.chars().any(char::is_alphabetic)
            && names.chars().count() <= 120
            && words.len() <= 16
        {
            return Some(names);
        }
    }
    None
}

fn strip_by(s: &str) -> &str {
    let t = s.trim();
    for prefix in ["By ", "by ", "BY ", "By: ", "by: ", "BY: "] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return rest.trim();
        }
    }
    t
}

/// Values from `<meta>`, `<link rel=canonical>`, `<time>` and JSON-LD.
#[derive(Debug, Default)]
struct Metadata {
    headline: Option<String>,
    /// The JSON-LD `articleBody`: a hint for the container, never output.
    article_body: Option<String>,
    byline: Option<String>,
    published: Option<String>,
    modified: Option<String>,
    canonical: Option<String>,
    description: Option<String>,
}

impl Metadata {
    fn read(doc: &Html, base_url: Option<&str>) -> Self {
        let mut m = Metadata::default();
        let ld = json_ld_article(doc);
        let meta_sel = Selector::parse("meta").expect("static selector");
        let mut metas: HashMap<String, String> = HashMap::new();
        for el in doc.select(&meta_sel) {
            let e = el.value();
            let key = e
                .attr("property")
                .or_else(|| e.attr("name"))
                .or_else(|| e.attr("itemprop"));
            if let (Some(k), Some(v)) = (key, e.attr("content")) {
                let v = normalize_line(v);
                if !v.is_empty() {
                    metas.entry(k.trim().to_ascii_lowercase()).or_insert(v);
                }
            }
        }
        let first = |keys: &[&str]| keys.iter().find_map(|k| metas.get(*k).cloned());

        m.headline = ld
            .as_ref()
            .and_then(|a| {
                a.get("headline")
                    .and_then(Value::as_str)
                    .map(normalize_line)
            })
            .filter(|s| !s.is_empty())
            .or_else(|| first(&["og:title", "twitter:title"]));
        m.article_body = ld
            .as_ref()
            .and_then(|a| a.get("articleBody"))
            .and_then(Value::as_str)
            .map(str::to_string);
        m.byline = ld
            .as_ref()
            .and_then(|a| a.get("author"))
            .and_then(author_names)
            .or_else(|| {
                first(&[
                    "author",
                    "article:author",
                    "byl",
                    "dc.creator",
                    "parsely-author",
                    "sailthru.author",
                ])
                .map(|s| strip_by(&s).to_string())
                .filter(|s| !s.starts_with("http"))
            });
        let time_sel = Selector::parse("time[datetime]").expect("static selector");
        m.published = ld
            .as_ref()
            .and_then(|a| {
                a.get("datePublished")
                    .and_then(Value::as_str)
                    .map(normalize_line)
            })
            .or_else(|| {
                first(&[
                    "article:published_time",
                    "og:published_time",
                    "datepublished",
                    "pubdate",
                    "publishdate",
                    "date",
                    "dc.date.issued",
                    "dc.date",
                    "sailthru.date",
                    "parsely-pub-date",
                ])
            })
            .or_else(|| dated(doc, "datePublished"))
            .or_else(|| {
                doc.select(&time_sel)
                    .filter(|t| !marked_updated(t))
                    .find_map(|t| t.value().attr("datetime").map(normalize_line))
                    .filter(|s| !s.is_empty())
            });
        m.modified = ld
            .as_ref()
            .and_then(|a| {
                a.get("dateModified")
                    .and_then(Value::as_str)
                    .map(normalize_line)
            })
            .or_else(|| {
                first(&[
                    "article:modified_time",
                    "og:updated_time",
                    "datemodified",
                    "last-modified",
                ])
            })
            .or_else(|| dated(doc, "dateModified"))
            .or_else(|| {
                doc.select(&time_sel)
                    .filter(marked_updated)
                    .find_map(|t| t.value().attr("datetime").map(normalize_line))
                    .filter(|s| !s.is_empty())
            });
        m.description = first(&["description", "og:description", "twitter:description"]);
        let canon_sel = Selector::parse(r#"link[rel~="canonical"]"#).expect("static selector");
        m.canonical = doc
            .select(&canon_sel)
            .find_map(|l| l.value().attr("href"))
            .and_then(|href| {
                let href = href.trim();
                match base_url.and_then(|b| url::Url::parse(b).ok()) {
                    Some(base) => base.join(href).ok().map(|u| u.to_string()),
                    None => url::Url::parse(href).ok().map(|u| u.to_string()),
                }
            });
        m
    }
}

/// The time an `itemprop` date element gives (`<time itemprop=… datetime>`,
/// `<meta itemprop=… content>`, or its text).
fn dated(doc: &Html, itemprop: &str) -> Option<String> {
    let sel = Selector::parse(&format!(r#"[itemprop="{itemprop}"]"#)).ok()?;
    doc.select(&sel).find_map(|e| {
        let v = e.value();
        let raw = v
            .attr("datetime")
            .or_else(|| v.attr("content"))
            .map(str::to_string)
            .unwrap_or_else(|| e.text().collect());
        Some(normalize_line(&raw)).filter(|s| !s.is_empty())
    })
}

/// Whether a `<time>` says when the story was updated, not published: its
/// class, id or itemprop names an update, or its text starts with
/// "Updated"/"Modified".
fn marked_updated(t: &ElementRef<'_>) -> bool {
    let v = t.value();
    let named = [v.attr("class"), v.attr("id"), v.attr("itemprop")]
        .into_iter()
        .flatten()
        .flat_map(name_words)
        .any(|w| {
            matches!(
                w.as_str(),
                "updated" | "update" | "modified" | "datemodified" | "lastmodified"
            )
        });
    let text: String = t.text().collect::<String>().trim_start().to_lowercase();
    named
        || text.starts_with("updated")
        || text.starts_with("modified")
        || text.starts_with("last updated")
}

/// The JSON-LD object on the page typed as an article; where there are
/// several (a page can carry a second, partial one, such as a block of
/// dates), the one that says the most.
fn json_ld_article(doc: &Html) -> Option<serde_json::Map<String, Value>> {
    let sel = Selector::parse(r#"script[type="application/ld+json"]"#).expect("static selector");
    let mut best: Option<serde_json::Map<String, Value>> = None;
    for script in doc.select(&sel) {
        let raw: String = script.text().collect();
        let value = match serde_json::from_str::<Value>(raw.trim()) {
            Ok(v) => v,
            // Broken JSON-LD is common (raw HTML or quotes pasted into
            // `articleBody`); the fields before the break are still the
            // site's word, and losing them would flip the byline and
            // headline from one request to the next.
            Err(_) => match json_ld_salvage(&raw) {
                Some(v) => v,
                None => continue,
            },
        };
        let mut stack = vec![&value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(items) => stack.extend(items.iter()),
                Value::Object(map) => {
                    if map.get("@type").is_some_and(is_article_type)
                        && best.as_ref().is_none_or(|b| map.len() > b.len())
                    {
                        best = Some(map.clone());
                    }
                    if let Some(graph) = map.get("@graph") {
                        stack.push(graph);
                    }
                    if let Some(main) = map.get("mainEntity") {
                        stack.push(main);
                    }
                }
                _ => {}
            }
        }
    }
    best
}

/// The article fields that can still be read from a JSON-LD block that is
/// not valid JSON: `@type`, `headline`, `datePublished`, `dateModified` and
/// the `author` names, each taken from its first well-formed `"key": value`.
fn json_ld_salvage(raw: &str) -> Option<Value> {
    static STRING_FIELD: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r#""(@type|headline|datePublished|dateModified)"\s*:\s*"((?:[^"\\]|\\.)+)""#,
        )
        .expect("static regex")
    });
    static AUTHOR: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#""author"\s*:\s*(\[[^\]]*\]|\{[^}]*\}|"(?:[^"\\]|\\.)+")"#)
            .expect("static regex")
    });
    let mut map = serde_json::Map::new();
    // Bounded repetition in a pattern compiles into a large automaton, so
    // lengths are checked here instead: a value this long is not a field.
    for c in STRING_FIELD.captures_iter(raw) {
        let key = c[1].to_string();
        if c[2].len() > 400 || map.contains_key(&key) {
            continue;
        }
        if let Ok(Value::String(v)) = serde_json::from_str::<Value>(&format!("\"{}\"", &c[2])) {
            map.insert(key, Value::String(v));
        }
    }
    if let Some(c) = AUTHOR.captures_iter(raw).find(|c| c[1].len() <= 2000)
        && let Ok(v) = serde_json::from_str::<Value>(&c[1])
    {
        map.insert("author".into(), v);
    }
    map.get("@type")
        .is_some_and(is_article_type)
        .then_some(Value::Object(map))
}

fn is_article_type(t: &Value) -> bool {
    let ok = |s: &str| {
        s.ends_with("Article") || matches!(s, "BlogPosting" | "LiveBlogPosting" | "Report")
    };
    match t {
        Value::String(s) => ok(s),
        Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(ok)),
        _ => false,
    }
}

/// Author names from a JSON-LD `author` value (a string, a Person, or a list).
fn author_names(v: &Value) -> Option<String> {
    let mut names = Vec::new();
    let mut push = |s: &str| {
        let s = normalize_line(s);
        if !s.is_empty() && !s.starts_with("http") && !names.contains(&s) {
            names.push(s);
        }
    };
    match v {
        Value::String(s) => push(s),
        Value::Object(o) => {
            if let Some(n) = o.get("name").and_then(Value::as_str) {
                push(n);
            }
        }
        Value::Array(items) => {
            for i in items {
                match i {
                    Value::String(s) => push(s),
                    Value::Object(o) => {
                        if let Some(n) = o.get("name").and_then(Value::as_str) {
                            push(n);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    (!names.is_empty()).then(|| names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r##"<!DOCTYPE html><html><head>
<title>Storm hits coast | Daily Example</title>
<meta property="og:title" content="Storm hits coast">
<meta name="description" content="A storm reached the coast.">
<meta property="article:published_time" content="2026-11-01T08:00:00Z">
<link rel="canonical" href="/news/storm">
</head><body>
<header class="site-header"><h1 class="logo">Daily Example</h1><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<div class="clock">Friday 20:17</div></header>
<main><article>
<h1>Storm hits coast</h1>
<div class="byline">By Jane Doe</div>
<div class="share"><a href="#">Share on X</a></div>
<p>The storm reached the coast early on Friday, bringing winds of more than 100 km/h, officials said.</p>
<figure><img src="a.jpg"><figcaption>Waves at the harbour. Photo: agency</figcaption></figure>
<p>Thousands of homes lost power, and schools in three districts were closed for the day.</p>
<aside class="related"><h3>Related</h3><ul><li><a href="/x">Earlier storm</a></li></ul></aside>
<p>Forecasters expect the wind to ease by Saturday evening, but warned of flooding along rivers.</p>
</article></main>
<section id="comments"><h3>Leave a Reply</h3><form><textarea></textarea></form><p>Great article, thanks for sharing this with us all!</p></section>
<footer><p>Most read: something else entirely, with many commas, and more, and more.</p></footer>
<script>var x = "not text";</script>
</body></html>"##;

    #[test]
    fn the_byline_is_the_author_names_only() {
        let body = "<p>The harbour reopened on Monday after three weeks of repairs to the sea wall, officials said.</p>";
        let cases = [
            (
                r##"<p class="byline">By <span class="author">Ana Costa</span> &middot; <time datetime="2026-11-29T07:31:00Z">Updated 07:31</time> &middot; <span class="views">12,345 views</span> &middot; <a href="#comments">23 comments</a></p>"##,
                "Ana Costa",
            ),
            (
                r##"<div class="article-byline">By Ana Costa and Li Wei | Published 3 hours ago</div>"##,
                "Ana Costa and Li Wei",
            ),
            (
                r##"<div class="meta"><a rel="author" href="/staff/ana">Ana Costa</a> <span>5 min read</span></div>"##,
                "Ana Costa",
            ),
            (
                r##"<div class="byline"><span itemprop="author" itemscope><span itemprop="name">Ana Costa</span></span><time>Nov 29</time></div>"##,
                "Ana Costa",
            ),
        ];
        for (byline, want) in cases {
            let page = format!(
                "<html><body><article><h1>Harbour reopens</h1>{byline}{body}</article></body></html>"
            );
            let a = extract(&page, None, None).unwrap();
            assert_eq!(a.byline.as_deref(), Some(want), "{byline}");
        }
    }

    /// Failure kinds of pages nobody here wrote, each on a small page
    /// written for the test: the article must come out.
    #[test]
    fn articles_in_unusual_containers_are_found() {
        let story = "<p>The ferry company said on Monday that it would add two sailings a day from June, after a winter in which passengers waited for hours at the harbour.</p>\
            <p>Islanders welcomed the news but said the timetable still left the first crossing too late for workers, and asked for a review in the autumn.</p>\
            <p>The council will meet the operator next week to discuss fares, which rose by a fifth last year, and the state of the old pier.</p>";
        let nav = "<nav><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/sport\">Sport</a></nav>";
        let footer = "<footer><p>Copyright 2026 Example Media. All rights reserved. Reproduction without permission is prohibited.</p></footer>";
        let pages = [
            // Streaming server rendering: the article arrives hidden and a
            // script reveals it.
            format!(
                "<html><body>{nav}<div hidden id=\"S:0\"><article><h1>More ferries</h1>{story}</article></div>{footer}</body></html>"
            ),
            // The content column is named like furniture by a layout.
            format!(
                "<html><body>{nav}<div class=\"main-layout\"><section class=\"col-9 sidebar-first-only\">{story}</section><aside class=\"sidebar\"><p>Newsletter: sign up to get our best stories by email every morning.</p></aside></div>{footer}</body></html>"
            ),
            // A rich-text editor left the article as bare text in a span.
            format!(
                "<html><body>{nav}<section class=\"post\"><span class=\"rich\">{}</span></section>{footer}</body></html>",
                story.replace("<p>", "").replace("</p>", "<br><br>")
            ),
            // Held in <div>s rather than <p>s, split over sibling blocks.
            format!(
                "<html><body>{nav}<main>{}</main>{footer}</body></html>",
                story
                    .replace("<p>", "<div class=\"block\"><div>")
                    .replace("</p>", "</div></div>")
            ),
        ];
        for page in &pages {
            let a = extract(page, None, None).unwrap_or_else(|e| panic!("{e}: {page}"));
            for needle in [
                "two sailings a day",
                "first crossing too late",
                "state of the old pier",
            ] {
                assert!(
                    a.text.contains(needle),
                    "{needle} missing from {:?} of {page}",
                    a.text
                );
            }
            assert!(!a.text.contains("Copyright"), "{}", a.text);
        }
        // A page whose one short article sits between a large footer and
        // navigation still yields it: "no article" is the last resort.
        let short = format!(
            "<html><body>{nav}<div class=\"widget-area\"><p>Short notice: the library opens an hour later on Saturday while the heating is repaired.</p></div>{footer}</body></html>"
        );
        let a = extract(&short, None, None).unwrap();
        assert!(a.text.contains("library opens an hour later"), "{}", a.text);
        // Steps folded into an accordion (WAI-ARIA: a region labelled by
        // its button) are the article's; a hidden pop-up is not.
        let folded = format!(
            "<html><body>{nav}<article><h1>More ferries</h1>{story}\
             <h3><button id=\"s1\" aria-expanded=\"false\" aria-controls=\"p1\">Step 1: book early</button></h3>\
             <div id=\"p1\" role=\"region\" aria-labelledby=\"s1\" style=\"display: none\"><p>Seats on the first sailing sell out weeks ahead in summer, so book as soon as the timetable is published in spring.</p></div>\
             <div class=\"popup\" style=\"display:none\"><p>Before you go: sign up for our newsletter and never miss a story from the islands again, every morning.</p></div>\
             </article>{footer}</body></html>"
        );
        let a = extract(&folded, None, None).unwrap();
        assert!(a.text.contains("sell out weeks ahead"), "{}", a.text);
        assert!(!a.text.contains("Before you go"), "{}", a.text);
        // The article's own address printed as text is not the story.
        let printed = format!(
            "<html><body><article><h1>More ferries</h1>{story}<p>https://news.example/2026/ferries-more-sailings</p></article></body></html>"
        );
        let a = extract(&printed, None, None).unwrap();
        assert!(!a.text.contains("https://"), "{}", a.text);
    }

    /// A page whose story sits in containers named like furniture, beside
    /// a larger block of other prose: the rules alone take the wrong block;
    /// the body the page declares in JSON-LD points to the right one.
    #[test]
    fn the_declared_body_points_to_the_story() {
        let paras = [
            "The ferry company said on Monday that it would add two sailings a day from June, after a winter in which passengers waited for hours at the harbour.",
            "Islanders welcomed the news but said the timetable still left the first crossing too late for workers, and asked for a review in the autumn.",
            "The council will meet the operator next week to discuss fares, which rose by a fifth last year, and the state of the old pier.",
        ];
        let story: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
        let quotes: String = (0..8)
            .map(|i| format!("<blockquote>Reader {i} wrote: I have taken this crossing every week for years, and the staff, the boats, and the views have never once let me down.</blockquote>"))
            .collect();
        let page = |ld: &str| {
            format!(
                "<html><head>{ld}</head><body><h1>More ferries</h1>\
                 <section class=\"promo-newsletter\"><div class=\"newsletter-content\">{story}</div></section>\
                 <div class=\"quotes\">{quotes}</div></body></html>"
            )
        };
        let without = extract(&page(""), None, None).unwrap();
        assert!(
            !without.text.contains("two sailings a day"),
            "{}",
            without.text
        );
        let ld = format!(
            r#"<script type="application/ld+json">{{"@type":"NewsArticle","headline":"More ferries","articleBody":"{}"}}</script>"#,
            paras.join(" ")
        );
        let with = extract(&page(&ld), None, None).unwrap();
        for p in paras {
            assert!(with.text.contains(p), "{p} missing from {}", with.text);
        }
        assert!(!with.text.contains("Reader 0"), "{}", with.text);
    }

    /// A long review told in many short blocks (specs, verdicts, a few
    /// sentences each) must beat the one-sentence disclaimer box beside it,
    /// which has more commas per block than any of them.
    #[test]
    fn a_small_dense_block_does_not_beat_a_long_article() {
        let mut review = String::new();
        for i in 0..30 {
            review.push_str(&format!(
                "<div class=\"cell\"><h3>Model {i}</h3><div>The model {i} kept its charge for a full day of riding in the hills and folded in seconds.</div><div>Braking was firm in the wet and the lights were bright enough for country lanes at night.</div></div>"
            ));
        }
        let page = format!(
            "<html><body><h1>The best folding bikes</h1>\
             <div class=\"note\"><p>We may earn a commission, at no cost to you, when you buy through links on this page, which supports our testing, writing, and photography, and keeps the site free.</p></div>\
             <div class=\"grid\">{review}</div></body></html>"
        );
        let a = extract(&page, None, None).unwrap();
        assert!(a.text.contains("Model 0"), "{}", a.text);
        assert!(
            a.text.contains("The model 29 kept its charge"),
            "{}",
            a.text
        );
    }

    /// Verse and lists are short lines with few commas; a poem must still
    /// come out, not the page's furniture around it.
    #[test]
    fn verse_is_an_article() {
        let stanza = "The tide comes in across the sand<br>\
            and leaves the harbour wall behind<br>\
            the boats lie down on either hand<br>\
            and wait for water, wait for wind";
        let poem: String = (0..6).map(|_| format!("<p>{stanza}</p>")).collect();
        let page = format!(
            "<html><body><nav><a href=\"/\">Home</a> <a href=\"/poems\">Poems</a></nav>\
             <div class=\"sidebar\"><p>Subscribe to our weekly letter of new poems, reviews, and events near you, with a discount on tickets.</p></div>\
             <article><h1>Low Water</h1>{poem}</article>\
             <footer><p>Copyright 2026 Example Press, a registered charity, all rights reserved.</p></footer></body></html>"
        );
        // The same verse without an <article>: a column of short lines.
        let bare = page
            .replace("<article>", "<div class=\"poem\">")
            .replace("</article>", "</div>");
        for page in [&page, &bare] {
            let a = extract(page, None, None).unwrap();
            assert!(
                a.text.contains("wait for water, wait for wind"),
                "{}",
                a.text
            );
            assert!(
                a.text.contains("the boats lie down on either hand"),
                "{}",
                a.text
            );
            assert!(!a.text.contains("Subscribe"), "{}", a.text);
        }
    }

    /// Text for the reader's tools, not the story: a reprint notice, the
    /// page's own address, text-size buttons.
    #[test]
    fn reprint_and_tool_text_is_left_out() {
        let story = "<p>The ferry company said on Monday that it would add two sailings a day from June, after a winter in which passengers waited for hours.</p>\
            <p>Islanders welcomed the news but said the timetable still left the first crossing too late for workers, and asked for a review.</p>";
        let page = format!(
            "<html><body><article><h1>More ferries</h1>\
             <div class=\"tools\"><span>Text size</span><button>A-</button><button>A+</button></div>\
             <p>This copy is for your personal, non-commercial use only. To order presentation-ready copies for distribution to colleagues or customers, use the order form.</p>\
             {story}<p>https://news.example/2026/ferries</p></article></body></html>"
        );
        let a = extract(&page, None, None).unwrap();
        assert!(a.text.contains("two sailings a day"), "{}", a.text);
        assert!(!a.text.contains("Text size"), "{}", a.text);
        assert!(!a.text.contains("A+"), "{}", a.text);
        assert!(!a.text.contains("non-commercial"), "{}", a.text);
        assert!(!a.text.contains("https://"), "{}", a.text);
        // A subheading with a "copy link" button, and a checklist, stay.
        let page = format!(
            "<html><body><article><h1>More ferries</h1>{story}\
             <h3>What changes in June <button>#</button></h3>{story}\
             <ul><li><input type=\"checkbox\"> Book a seat</li><li><input type=\"checkbox\"> Print the ticket</li></ul></article></body></html>"
        );
        let a = extract(&page, None, None).unwrap();
        assert!(a.text.contains("What changes in June"), "{}", a.text);
        assert!(a.text.contains("Print the ticket"), "{}", a.text);
        // A rights line at the end goes; one inside the story stays.
        let page = format!(
            "<html><body><article><h1>More ferries</h1>{story}\
             <p>The operator said all rights reserved under the old contract would pass to the council.</p>{story}\
             <p>© 2026 Example News. All rights reserved.</p></article></body></html>"
        );
        let a = extract(&page, None, None).unwrap();
        assert!(a.text.contains("would pass to the council"), "{}", a.text);
        assert!(!a.text.contains("Example News"), "{}", a.text);
    }

    /// Pages in other languages: no English word decides the article.
    #[test]
    fn non_english_articles_are_found() {
        let pages = [
            (
                "de",
                "<p>Die Fähre fährt ab Juni zweimal täglich öfter, teilte das Unternehmen am Montag mit, nachdem Fahrgäste im Winter stundenlang am Hafen warteten.</p>\
                 <p>Die Inselbewohner begrüßten die Nachricht, sagten aber, die erste Überfahrt sei für Pendler noch immer zu spät.</p>",
                "zweimal täglich",
                "<div class=\"seitenleiste\"><p>Newsletter abonnieren: die wichtigsten Nachrichten des Tages, jeden Morgen kostenlos in Ihrem Postfach.</p></div>",
            ),
            (
                "ja",
                "<p>フェリー会社は月曜日、六月から一日二便を増やすと発表した。冬の間、乗客は港で何時間も待たされていた。</p>\
                 <p>島の住民はこの知らせを歓迎したが、始発便は通勤にはまだ遅すぎると述べ、秋に見直すよう求めた。</p>",
                "一日二便を増やす",
                "<div class=\"sokumen\"><p>ニュースレターに登録すると、毎朝最新のニュースをお届けします。</p></div>",
            ),
            (
                "tr",
                "<p>Feribot şirketi pazartesi günü yaptığı açıklamada, hazirandan itibaren günde iki sefer ekleneceğini, kışın yolcuların limanda saatlerce beklediğini söyledi.</p>\
                 <p>Ada sakinleri haberi memnuniyetle karşıladı, ancak ilk seferin işe gidenler için hâlâ çok geç olduğunu belirtti.</p>",
                "günde iki sefer",
                "<div class=\"kenar\"><p>Bültenimize abone olun, günün en önemli haberleri her sabah e-postanızda.</p></div>",
            ),
        ];
        for (lang, story, needle, side) in pages {
            let page = format!(
                "<html lang=\"{lang}\"><body><nav><a href=\"/\">Start</a></nav><main><div class=\"inhalt\"><h1>Fähre</h1>{story}</div>{side}</main></body></html>"
            );
            let a = extract(&page, None, None).unwrap_or_else(|e| panic!("{lang}: {e}"));
            assert!(a.text.contains(needle), "{lang}: {}", a.text);
            // The sign-up box beside it is no part of the story, whatever
            // its class is called in the site's language.
            let side_text = &side[side.find("<p>").unwrap() + 3..side.find("</p>").unwrap()];
            assert!(!a.text.contains(side_text), "{lang}: {}", a.text);
        }
    }

    /// Candidates with equal scores are decided by document order, never by
    /// a hash map's: every extraction of a page gives the same article.
    #[test]
    fn extraction_is_deterministic() {
        let page = "<html><body><h1>Two halves</h1>\
            <div class=\"a\"><p>The first block has exactly this many letters in it, and a comma.</p></div>\
            <div class=\"b\"><p>The other block has exactly this many letters in it, and a comma.</p></div>\
            </body></html>";
        let first = extract(page, None, None).unwrap();
        for _ in 0..40 {
            assert_eq!(extract(page, None, None).unwrap(), first);
        }
    }

    #[test]
    fn dates_come_from_marked_elements() {
        let page = r#"<html><body><article><h1>Harbour</h1>
            <time class="updated" datetime="2026-11-29T07:31:00Z">Updated 07:31</time>
            <time itemprop="datePublished" datetime="2022-08-31T22:10:00Z">31 August 2022</time>
            <p>The harbour reopened on Monday after three weeks of repairs to the sea wall, officials said.</p>
            </article></body></html>"#;
        let a = extract(page, None, None).unwrap();
        assert_eq!(a.published.as_deref(), Some("2022-08-31T22:10:00Z"));
        assert_eq!(a.modified.as_deref(), Some("2026-11-29T07:31:00Z"));
        // Without itemprop: the first <time> not marked as an update.
        let page = page.replace(r#" itemprop="datePublished""#, "");
        let a = extract(&page, None, None).unwrap();
        assert_eq!(a.published.as_deref(), Some("2022-08-31T22:10:00Z"));
    }

    #[test]
    fn code_listings_keep_their_highlighted_comments() {
        let page = r#"<html><body><article><h1>Git basics</h1>
            <p>Staging files is the first step of every commit, and the command takes a list of paths or a flag.</p>
            <pre><code>git add -A <span class="hljs-comment"># this will stage all of your modified files</span></code></pre>
            <p>After that, a commit records the staged changes with a message that says what they do and why.</p>
            </article></body></html>"#;
        let a = extract(page, None, None).unwrap();
        assert!(
            a.text
                .contains("this will stage all of your modified files"),
            "{}",
            a.text
        );
    }

    #[test]
    fn state_classes_are_not_furniture_names() {
        let story = "<p>The ferry company said on Monday that it would add two sailings a day from June, after a winter of delays.</p><p>Islanders welcomed the news but asked for a review of the timetable in the autumn, when fares are set.</p>";
        let page = format!(
            "<html><body><article class=\"post has-comments with-sidebar\"><h1>Ferries</h1>{story}</article><div id=\"comments\"><p>First! Great article, thanks for writing it up so clearly.</p></div></body></html>"
        );
        let a = extract(&page, None, None).unwrap();
        assert!(a.text.contains("two sailings a day"), "{}", a.text);
        assert!(!a.text.contains("First!"), "{}", a.text);
    }

    #[test]
    fn broken_json_ld_still_gives_its_author_and_headline() {
        let page = r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
            "headline":"Ferries \"to double\"","author":{"@type":"Person","name":"Ana Costa"},"datePublished":"2022-03-01T10:00:00Z",
            "articleBody":"<p class="lead">The ferry company said..."}</script></head>
            <body><article><p>The ferry company said on Monday that it would add two sailings a day from June, after a winter of delays.</p></article></body></html>"#;
        let a = extract(page, None, None).unwrap();
        assert_eq!(a.byline.as_deref(), Some("Ana Costa"));
        assert_eq!(a.published.as_deref(), Some("2022-03-01T10:00:00Z"));
        assert_eq!(a.title, "Ferries \"to double\"");
    }

    #[test]
    fn promo_lines_and_counter_rows_are_not_the_story() {
        assert!(is_promo_line(
            "Read more: Storm warnings issued for the coast here"
        ));
        assert!(is_promo_line("READ MORE: Flood defences tested"));
        assert!(is_promo_line("Lesen Sie auch: Hochwasser im Süden"));
        assert!(!is_promo_line(
            "The minister said more: the plan would go ahead."
        ));
        assert!(is_page_counter_or_stamp("1.2k shares · 34 comments"));
        assert!(is_page_counter_or_stamp("12,345 views 23 comments"));
        assert!(!is_page_counter_or_stamp(
            "34 comments were left by readers on the story"
        ));
        let page = r#"<html><body><article><h1>Dam report</h1>
            <p>The dam held through the night, engineers said on Tuesday after inspecting the wall.</p>
            <p><strong>Read more:</strong> Flood warnings issued for the coast <a href="/n/1">here</a></p>
            <p>Residents were allowed back into their homes in the afternoon, police said.</p>
            <div><span>1.2k shares</span> <span>34 comments</span></div>
            </article></body></html>"#;
        let a = extract(page, None, None).unwrap();
        assert!(!a.text.contains("Read more"), "{}", a.text);
        assert!(!a.text.contains("shares"), "{}", a.text);
        assert!(a.text.contains("Residents were allowed back"), "{}", a.text);
    }

    #[test]
    fn article_body_leaves_furniture_out() {
        let a = extract(PAGE, None, Some("https://news.example/news/storm?x=1")).unwrap();
        assert_eq!(a.title, "Storm hits coast");
        assert_eq!(
            a.text,
            "The storm reached the coast early on Friday, bringing winds of more than 100 km/h, officials said.\n\n\
             Thousands of homes lost power, and schools in three districts were closed for the day.\n\n\
             Forecasters expect the wind to ease by Saturday evening, but warned of flooding along rivers."
        );
        assert_eq!(a.byline.as_deref(), Some("Jane Doe"));
        assert_eq!(a.published.as_deref(), Some("2026-11-01T08:00:00Z"));
        assert_eq!(
            a.canonical.as_deref(),
            Some("https://news.example/news/storm")
        );
        assert_eq!(a.description.as_deref(), Some("A storm reached the coast."));
    }

    #[test]
    fn selector_overrides_automatic_extraction() {
        let sel = BodySelector::parse("section#comments").unwrap();
        let a = extract(PAGE, Some(&sel), None).unwrap();
        assert!(a.text.contains("Great article"), "{}", a.text);
        let sel = BodySelector::parse("div.nope").unwrap();
        assert!(matches!(
            extract(PAGE, Some(&sel), None),
            Err(ExtractError::SelectorMatchedNothing { .. })
        ));
    }

    #[test]
    fn pages_without_articles_say_so() {
        for page in [
            "",
            "<html><body><nav><a href=/>Home</a></nav></body></html>",
            "\u{0}\u{1}garbage<<<>>>",
        ] {
            assert!(
                matches!(
                    extract(page, None, None),
                    Err(ExtractError::NoArticle { .. })
                ),
                "{page:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let mut page = String::from("<html><body>");
        page.push_str(&"<div>".repeat(10_000));
        page.push_str("<p>Deep inside the page there is a paragraph of article text, long enough to count.</p>");
        page.push_str(&"</div>".repeat(10_000));
        page.push_str("</body></html>");
        let a = extract(&page, None, None);
        // html5ever may flatten some of the nesting; what matters is no crash
        // and the text found when the tree keeps it.
        if let Ok(a) = a {
            assert!(a.text.contains("Deep inside"));
        }
    }

    #[test]
    fn div_text_and_double_breaks_make_paragraphs() {
        let page = "<html><body><div class=\"story\">First paragraph of the story, with enough words to count.<br><br>Second paragraph of the story, also long enough to count here.</div></body></html>";
        let a = extract(page, None, None).unwrap();
        assert_eq!(a.text.split("\n\n").count(), 2, "{}", a.text);
    }

    #[test]
    fn json_ld_provides_metadata() {
        let page = r#"<html><head><script type="application/ld+json">
{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},{"@type":"NewsArticle","headline":"LD headline","datePublished":"2026-01-02T03:04:05Z","dateModified":"2026-01-03T00:00:00Z","author":[{"@type":"Person","name":"A. Writer"},{"@type":"Person","name":"B. Writer"}]}]}
</script></head><body><p>Some article text that is long enough to be counted as a paragraph of the article.</p></body></html>"#;
        let a = extract(page, None, None).unwrap();
        assert_eq!(a.title, "LD headline");
        assert_eq!(a.byline.as_deref(), Some("A. Writer, B. Writer"));
        assert_eq!(a.published.as_deref(), Some("2026-01-02T03:04:05Z"));
        assert_eq!(a.modified.as_deref(), Some("2026-01-03T00:00:00Z"));
    }

    #[test]
    fn non_latin_text_survives() {
        let page = "<html><body><article><h1>国連報告書</h1><p>国連人権高等弁務官事務所は、新疆ウイグル自治区に関する報告書を公表した。中国政府はこれに反発している。</p><p>報告書は、人道に対する罪に当たる可能性があると指摘した。</p></article></body></html>";
        let a = extract(page, None, None).unwrap();
        assert_eq!(a.title, "国連報告書");
        assert!(a.text.contains("人道に対する罪"));
    }

    /// Regression: a page-wide `<div class="widget">`, `<form>` or
    /// `div.Page-ad-margins` wrapper was taken for furniture and the whole
    /// article vanished ("no article found").
    #[test]
    fn furniture_names_on_a_page_wide_wrapper_are_ignored() {
        for open in [
            "<div class=\"Page-ad-margins\">",
            "<form id=\"aspnetForm\">",
            "<div id=\"Blog1\" class=\"widget Blog\">",
        ] {
            let close = if open.starts_with("<form") {
                "</form>"
            } else {
                "</div>"
            };
            let page = format!(
                "<html><body>{open}<nav><a href=/>Home</a></nav><div class=\"story\">\
                 <p>The council voted on Tuesday to close the library, after a debate that lasted six hours.</p>\
                 <p>Residents said they would appeal the decision, which takes effect in March next year.</p>\
                 </div><div class=\"sidebar\"><p>Other news, and more other news, and yet more.</p></div>{close}</body></html>"
            );
            let a = extract(&page, None, None).unwrap_or_else(|e| panic!("{open}: {e}"));
            assert!(
                a.text.starts_with("The council voted"),
                "{open}: {}",
                a.text
            );
            assert!(
                !a.text.contains("Other news"),
                "{open}: the small sidebar is still furniture"
            );
        }
    }

    #[test]
    fn extreme_nesting_is_flattened_before_parsing() {
        let mut page =
            String::from("<html><body><!-- <div> --><script>var s = '<div><div>';</script>");
        page.push_str(&"<div><span>x</span><br/>".repeat(3000));
        page.push_str(
            "<p>The text at the bottom of the pile, long enough to count as the article.</p>",
        );
        page.push_str(&"</div>".repeat(3000));
        page.push_str("</body></html>");
        let flat = trim_for_parsing(&page);
        assert!(matches!(flat, std::borrow::Cow::Owned(_)));
        // The comment and the script's content are gone too.
        assert_eq!(flat.matches("<div>").count(), MAX_PARSE_DEPTH);
        assert!(flat.contains("<script></script>"));
        assert_eq!(flat.matches("</div>").count(), MAX_PARSE_DEPTH);
        assert!(flat.contains("The text at the bottom of the pile"));
        let a = extract(&page, None, None).unwrap();
        assert!(
            a.text.contains("The text at the bottom of the pile"),
            "{}",
            a.text
        );
        // Pages with nothing to trim pass through untouched.
        let normal = "<html><body><p>Plain page.</p></body></html>";
        assert!(matches!(
            trim_for_parsing(normal),
            std::borrow::Cow::Borrowed(_)
        ));
        // JSON-LD is kept; other scripts, styles and comments are emptied.
        let page = "<head><script type=\"application/LD+JSON\">{\"a\":1}</script><style>p{}</style><!-- x --><script src=a.js>var x='</div>';</script></head><svg viewBox=\"0 0 9 9\"><path d=\"M0 0L9 9\"/></svg><svg/>";
        assert_eq!(
            trim_for_parsing(page),
            "<head><script type=\"application/LD+JSON\">{\"a\":1}</script><style></style><script src=a.js></script></head><svg viewBox=\"0 0 9 9\"></svg><svg/>"
        );
    }

    #[test]
    fn malformed_html_still_yields_the_article() {
        let page = "<html><body><div><p>First paragraph of the story is here, and it is long enough.<p>Second paragraph without closing tags, also long enough to count<div><span>unclosed span <b>bold</i></p></p></div></td></tr>";
        let a = extract(page, None, None).unwrap();
        assert!(a.text.starts_with("First paragraph"), "{}", a.text);
        assert!(a.text.contains("Second paragraph"));
    }

    #[test]
    fn a_five_megabyte_page_is_extracted() {
        let mut page = String::from("<html><body><article><h1>Big</h1>");
        let para = "<p>This paragraph of the article is repeated, with commas, clauses, and more words to make it long.</p>\n";
        while page.len() < 5 * 1024 * 1024 {
            page.push_str(para);
        }
        page.push_str("</article></body></html>");
        let a = extract(&page, None, None).unwrap();
        assert_eq!(a.title, "Big");
        assert!(a.text.len() > 4 * 1024 * 1024);
    }

    /// Regression guard: every level holding its own text made scoring walk
    /// each subtree again, quadratic in the depth.
    #[test]
    fn deep_nesting_with_text_at_every_level() {
        let mut page = String::from("<html><body>");
        for i in 0..10_000 {
            page.push_str(&format!(
                "<div>level {i} has some text of its own, enough to count"
            ));
        }
        page.push_str(&"</div>".repeat(10_000));
        page.push_str("</body></html>");
        let _ = extract(&page, None, None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096)) {
            let decoded = crate::decode::decode(&bytes, None, None);
            let _ = extract(&decoded.text, None, None);
        }

        #[test]
        fn arbitrary_tag_soup_never_panics(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::prelude::Just("<p>".to_string()),
                proptest::prelude::Just("</p>".to_string()),
                proptest::prelude::Just("<div class=\"article-body\">".to_string()),
                proptest::prelude::Just("</div>".to_string()),
                proptest::prelude::Just("<a href=x>".to_string()),
                proptest::prelude::Just("</a>".to_string()),
                proptest::prelude::Just("<nav>".to_string()),
                proptest::prelude::Just("<h1>".to_string()),
                proptest::prelude::Just("<br>".to_string()),
                proptest::prelude::Just("<table><tr><td>".to_string()),
                proptest::prelude::Just("<script>".to_string()),
                proptest::prelude::Just("<!--".to_string()),
                "[a-zA-Z ,.]{0,60}",
            ],
            0..200,
        )) {
            let page = parts.concat();
            if let Ok(a) = extract(&page, None, None) {
                proptest::prop_assert_eq!(crate::text::normalize_text(&a.text), a.text.clone());
            }
        }
    }

    #[test]
    fn fields_of_a_wordpress_page_with_opengraph() {
        let a = extract(
            include_str!("../tests/fixtures/wordpress-opengraph.html"),
            None,
            Some("https://valleycourier.example/2026/03/10/council-approves-flood-wall/"),
        )
        .unwrap();
        assert_eq!(
            a.title,
            "Council approves riverside flood wall after two-year row"
        );
        assert_eq!(a.byline.as_deref(), Some("Megan Price"));
        assert_eq!(a.published.as_deref(), Some("2026-03-10T09:15:00+00:00"));
        assert_eq!(a.modified.as_deref(), Some("2026-03-10T14:02:31+00:00"));
        assert_eq!(
            a.canonical.as_deref(),
            Some("https://valleycourier.example/2026/03/10/council-approves-flood-wall/")
        );
        assert_eq!(
            a.description.as_deref(),
            Some(
                "A 1.2 km flood wall along the River Wye will be built next spring, councillors decided on Tuesday."
            )
        );
        assert_eq!(a.text.split("\n\n").count(), 4, "{}", a.text);
        for furniture in [
            "Share this",
            "Photo:",
            "Posted in",
            "About time",
            "Recent Posts",
            "Proudly powered",
        ] {
            assert!(!a.text.contains(furniture), "{furniture:?} in {}", a.text);
        }
    }

    #[test]
    fn fields_of_a_page_with_a_json_ld_graph() {
        let a = extract(
            include_str!("../tests/fixtures/jsonld-graph.html"),
            None,
            Some("https://eft.example/markets/2026/11/central-bank-holds-rates?utm_source=x"),
        )
        .unwrap();
        assert_eq!(a.title, "Central bank holds rates as inflation cools");
        assert_eq!(a.byline.as_deref(), Some("Priya Natarajan, Tom Becker"));
        assert_eq!(a.published.as_deref(), Some("2026-11-20T12:00:00Z"));
        assert_eq!(a.modified.as_deref(), Some("2026-11-20T15:45:00Z"));
        assert_eq!(
            a.canonical.as_deref(),
            Some("https://eft.example/markets/2026/11/central-bank-holds-rates")
        );
        assert!(a.text.starts_with("The central bank kept"), "{}", a.text);
        assert!(a.text.ends_with("expected in January."), "{}", a.text);
        for furniture in [
            "FTSE",
            "Advertisement",
            "Related",
            "Mortgage rates",
            "By Priya",
        ] {
            assert!(!a.text.contains(furniture), "{furniture:?} in {}", a.text);
        }
    }

    #[test]
    fn fields_of_an_old_style_page_with_only_a_time_element() {
        let a = extract(include_str!("../tests/fixtures/time-only.html"), None, None).unwrap();
        assert_eq!(a.title, "Storm closes mountain pass for third day");
        assert_eq!(a.published.as_deref(), Some("2026-01-14T07:30:00+01:00"));
        assert_eq!(a.byline, None);
        assert_eq!(a.canonical, None);
        assert!(
            a.text.starts_with("The Col du Vent"),
            "the dateline is not body text: {}",
            a.text
        );
        assert_eq!(a.text.split("\n\n").count(), 3);
    }

    #[test]
    fn exclude_rules_remove_elements_before_extraction() {
        let page = "<html><body><article><h1>T</h1><p>The first paragraph of the article, long enough to count here.</p>\
            <div class=\"live\"><p>Live: markets up 2.3 per cent at 14:05, oil down, gold steady for now.</p></div>\
            <p>The second paragraph of the article, also long enough to count here.</p></article></body></html>";
        let live = BodySelector::parse("div.live").unwrap();
        let a = extract_with(page, None, std::slice::from_ref(&live), None).unwrap();
        assert!(!a.text.contains("markets"), "{}", a.text);
        assert_eq!(a.text.split("\n\n").count(), 2);
        // With a body selector too.
        let body = BodySelector::parse("article").unwrap();
        let a = extract_with(page, Some(&body), &[live], None).unwrap();
        assert!(!a.text.contains("markets"), "{}", a.text);
    }

    #[test]
    fn stamps_and_counters_are_not_body_text() {
        for line in [
            "Updated 3 minutes ago",
            "Published 10:02 AM UTC, Thu September 1, 2022",
            "Last updated: 27/11/2026 20:17",
            "1.2k shares",
            "42 comments",
            "5 min read",
            "2 hours ago",
        ] {
            assert!(is_page_counter_or_stamp(line), "{line}");
        }
        for line in [
            "Updated figures released on Tuesday show 42 people were injured in the blast.",
            "The ministry published 12 reports.",
            "42 comments were received during the consultation, officials said.",
            "Inside Xinjiang",
            "Updated figures show 42 people were injured.",
        ] {
            assert!(!is_page_counter_or_stamp(line), "{line}");
        }
    }

    #[test]
    fn bad_selectors_are_rejected() {
        assert!(BodySelector::parse("div[[").is_err());
        assert!(BodySelector::parse("  ").is_err());
        assert_eq!(
            BodySelector::parse(" article p ").unwrap().as_str(),
            "article p"
        );
    }
}
