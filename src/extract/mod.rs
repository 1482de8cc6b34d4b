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

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use crate::text::{normalize_line, normalize_paragraphs, word_count};

mod body;
mod declared;
mod furniture;
mod meta;
mod parse;
mod prune;
mod score;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fields;

use body::*;
use declared::*;
use furniture::*;
use meta::*;
use parse::*;
use prune::*;
use score::*;

/// Parses any page a site sends as the extractor parses articles: scripts,
/// styles and comments emptied and nesting deeper than the parser needs
/// flattened first, so a hostile page cannot make parsing quadratic.
/// Discovery reads section pages with it.
pub fn parse_page(html: &str) -> Html {
    Html::parse_document(&trim_for_parsing(html))
}

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
    let doc = parse_page(html);
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
