//! The excluded set: the elements left out before the article is looked
//! for (furniture, hidden elements, a target's `exclude` rules), with the
//! guard that a page-wide wrapper is never thrown away for its name.

use ego_tree::NodeRef;
use scraper::{Html, Node};

use super::*;

/// Share of the page's text above which a "likely furniture" element is
/// kept: it is the page, not a part of it.
pub(super) const FURNITURE_MAX_SHARE: f64 = 0.5;

/// The elements whose subtree is furniture, computed once per page.
pub(super) struct ExcludedSet {
    /// Found by the furniture rules.
    pub(super) roots: NodeSet,
    /// Matched by the target's `exclude` selectors.
    pub(super) user: NodeSet,
}

impl ExcludedSet {
    /// Furniture by the rules; with `lenient`, only what is never text
    /// (code, comment sections) — the fallback for pages whose article sits
    /// in containers named like furniture.
    pub(super) fn compute(doc: &Html, lenient: bool) -> Self {
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

    pub(super) fn contains(&self, node: &NodeRef<'_, Node>) -> bool {
        self.roots.contains(&node.id()) || self.user.contains(&node.id())
    }

    pub(super) fn contains_user(&self, node: &NodeRef<'_, Node>) -> bool {
        self.user.contains(&node.id())
    }
}
