//! The article body a page declares in its JSON-LD (`articleBody`), used as
//! a hint for which container holds the story — never as the output: the
//! declared text is often truncated, stale or stripped of its subheadings.
//!
//! The hint answers one question: which element of the page holds the
//! paragraphs the declaration speaks of? Paragraphs whose words mostly
//! appear in the declared body are found wherever they sit (also inside
//! containers named like furniture), and the lowest element holding most
//! of them is the candidate.

use super::*;
use std::collections::HashSet;

use ego_tree::NodeRef;
use scraper::Node;
use unicode_segmentation::UnicodeSegmentation;

/// Fewest word triples a declared body needs before it is worth judging by:
/// a teaser of a sentence or two says little about where the story is.
const MIN_DECLARED_SHINGLES: usize = 40;

/// Share of a paragraph's word triples that must appear in the declared
/// body for the paragraph to count as part of it.
const PARAGRAPH_MATCH: f64 = 0.6;

/// Share of the matched paragraphs' weight the chosen container must hold.
const CONTAINER_HOLDS: f64 = 0.8;

/// Word triples of the declared body, hashed.
pub(super) struct DeclaredBody {
    pub(super) shingles: HashSet<u64>,
}

/// How a text compares with the declared body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Cover {
    /// Share of the declared body's triples found in the text.
    pub recall: f64,
}

impl DeclaredBody {
    /// The declared body, when it is long enough to judge by. Markup pasted
    /// into it (some sites put the body's HTML there) is read as text.
    pub(super) fn new(article_body: &str) -> Option<Self> {
        let text = if article_body.contains('<') {
            scraper::Html::parse_fragment(article_body)
                .root_element()
                .text()
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            article_body.to_string()
        };
        let shingles: HashSet<u64> = shingles(&text).collect();
        (shingles.len() >= MIN_DECLARED_SHINGLES).then_some(Self { shingles })
    }

    /// How much of the declared body `text` holds.
    pub(super) fn cover(&self, text: &str) -> Cover {
        let found: HashSet<u64> = shingles(text)
            .filter(|s| self.shingles.contains(s))
            .collect();
        Cover {
            recall: found.len() as f64 / self.shingles.len() as f64,
        }
    }

    /// Whether a paragraph's words are mostly the declared body's, and how
    /// many of its triples are.
    pub(super) fn matches(&self, paragraph: &str) -> Option<usize> {
        let (mut all, mut found) = (0usize, 0usize);
        for s in shingles(paragraph) {
            all += 1;
            found += usize::from(self.shingles.contains(&s));
        }
        (all >= 3 && found as f64 >= all as f64 * PARAGRAPH_MATCH).then_some(found)
    }

    /// The lowest element that holds most of the paragraphs matching the
    /// declared body. `paragraphs` are the page's paragraph elements with
    /// their text, in document order.
    pub(super) fn container<'a>(
        &self,
        paragraphs: &[(NodeRef<'a, Node>, String)],
    ) -> Option<NodeRef<'a, Node>> {
        let matched: Vec<(NodeRef<'a, Node>, usize)> = paragraphs
            .iter()
            .filter_map(|(node, text)| self.matches(text).map(|w| (*node, w)))
            .collect();
        let total: usize = matched.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return None;
        }
        // Weight held by each ancestor. Elements that hold enough are
        // nested in one another (two apart could not both hold most of
        // it), so the lowest is the one with the most ancestors.
        let mut held: std::collections::HashMap<ego_tree::NodeId, (usize, NodeRef<'a, Node>)> =
            std::collections::HashMap::new();
        for (node, weight) in &matched {
            for a in node.ancestors().filter(|a| a.value().is_element()) {
                held.entry(a.id()).or_insert((0, a)).0 += weight;
            }
        }
        held.into_values()
            .filter(|(w, _)| *w as f64 >= total as f64 * CONTAINER_HOLDS)
            .map(|(_, a)| a)
            .max_by_key(|a| a.ancestors().count())
    }
}

/// Hashed triples of lower-cased words (UAX #29 words, so scripts written
/// without spaces are split too).
fn shingles(text: &str) -> impl Iterator<Item = u64> {
    use std::hash::{Hash, Hasher};
    let words: Vec<String> = text.unicode_words().map(str::to_lowercase).collect();
    (0..words.len().saturating_sub(2)).map(move |i| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        words[i..i + 3].hash(&mut h);
        h.finish()
    })
}

/// Below this share of the declared body, what the rules found is a sliver
/// of the story (the declaration may be truncated, but it starts where the
/// story starts and is rarely less than half of it).
pub(super) const DECLARED_SLIVER: f64 = 0.5;

/// The element holding the paragraphs of the declared body, read with only
/// code and comments left out (the rules missed it, often for its names),
/// when it holds at least twice as much of the declared body as `recall`
/// and at least half of it. Returns its paragraphs, the element, and the
/// lenient furniture set it was read with.
pub(super) fn declared_container<'a>(
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

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "The ferry company said on Monday that it would add two sailings a day from June, after a winter in which passengers waited for hours at the harbour. Islanders welcomed the news but said the timetable still left the first crossing too late for workers, and asked for a review in the autumn.";

    #[test]
    fn a_short_declaration_is_no_guide() {
        assert!(DeclaredBody::new("Two more sailings a day from June.").is_none());
        assert!(DeclaredBody::new(BODY).is_some());
    }

    #[test]
    fn cover_counts_the_declared_words_found() {
        let d = DeclaredBody::new(BODY).unwrap();
        assert!(d.cover(BODY).recall > 0.99);
        let half = &BODY[..BODY.find("Islanders").unwrap()];
        let c = d.cover(half).recall;
        assert!(c > 0.4 && c < 0.6, "{c}");
        assert_eq!(d.cover("Nothing of the kind here at all").recall, 0.0);
    }

    #[test]
    fn markup_in_the_declaration_is_read_as_text() {
        let d = DeclaredBody::new(&format!("<p class=\"lead\">{BODY}</p>")).unwrap();
        assert!(d.cover(BODY).recall > 0.99);
    }

    #[test]
    fn the_container_is_the_lowest_holding_the_matched_paragraphs() {
        let (first, second) = BODY.split_at(BODY.find("Islanders").unwrap());
        let html = format!(
            "<html><body><div id=\"page\"><div id=\"story\"><div class=\"a\"><p>{first}</p></div><div class=\"b\"><p>{second}</p></div></div>\
             <div id=\"more\"><p>Other news: the bridge reopens next week after repairs to its deck and railings.</p></div></div></body></html>"
        );
        let doc = scraper::Html::parse_document(&html);
        let sel = scraper::Selector::parse("p").unwrap();
        let paragraphs: Vec<_> = doc
            .select(&sel)
            .map(|p| (*p, p.text().collect::<String>()))
            .collect();
        let d = DeclaredBody::new(BODY).unwrap();
        let found = d.container(&paragraphs).unwrap();
        assert_eq!(found.value().as_element().unwrap().id(), Some("story"));
    }
}
