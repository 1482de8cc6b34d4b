//! Finding the container: every paragraph-like block outside furniture
//! scores its parent and grandparent, the best container (penalised by
//! link density) wins, and the choice climbs to an ancestor that holds
//! more of the same story.

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node};

use super::*;

/// Tags that break text into separate paragraphs.
pub(super) fn is_block(name: &str) -> bool {
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
pub(super) fn text_stats(root: NodeRef<'_, Node>, excluded: &ExcludedSet) -> (usize, usize) {
    text_stats_dropping(root, excluded, |_, _| false)
}

/// [`text_stats`] without the blocks (lists, list items, bare `div`s)
/// whose text is mostly links: what [`collect_paragraphs`] would keep.
pub(super) fn readable_text_stats(
    root: NodeRef<'_, Node>,
    excluded: &ExcludedSet,
) -> (usize, usize) {
    text_stats_dropping(root, excluded, |t, l| l * 10 >= t * LINK_HEAVY_TENTHS)
}

/// (characters, linked characters) of a subtree, leaving out each block
/// (`ul`, `ol`, `div`, `nav`, `table`) for whose counts `drop` holds.
pub(super) fn text_stats_dropping(
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
pub(super) struct ParagraphStats {
    /// Readability-style score, from the paragraphs near it.
    pub(super) score: f64,
    /// Paragraphs of text.
    pub(super) paragraphs: usize,
    /// Characters in those paragraphs.
    pub(super) chars: usize,
    /// Of which inside links.
    pub(super) linked: usize,
}

/// How many ancestors a paragraph's characters are credited to; bounds the
/// work on pathologically deep pages.
pub(super) const MAX_CREDIT_DEPTH: usize = 48;

/// The container most likely to hold the article body.
pub(super) fn best_container<'a>(doc: &'a Html, excluded: &ExcludedSet) -> Option<ElementRef<'a>> {
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
pub(super) fn climb<'a>(
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
pub(super) const MAX_CLIMB: usize = 8;
/// Ancestors in a row that may not pay before the climb ends.
pub(super) const CLIMB_LOOKAHEAD: usize = 2;
/// Average length of the paragraphs an ancestor must add to be climbed to.
pub(super) const CLIMB_MIN_AVERAGE_CHARS: usize = 100;
/// Largest share of linked text in what an ancestor adds.
pub(super) const CLIMB_MAX_LINK_SHARE: f64 = 0.2;
