//! Metadata: the headline, the byline (author names only), published and
//! modified dates, the canonical URL and the description, from meta tags,
//! JSON-LD and marked-up elements.

use std::collections::HashMap;
use std::sync::LazyLock;

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node, Selector};
use serde_json::Value;

use super::*;

/// A paragraph with at least this many tenths of its text in links is
/// dropped from an automatically found body.
pub(super) const LINK_HEAVY_TENTHS: usize = 7;

/// The headline: the visible `<h1>` of the article when there is one, else
/// the page's declared headline, else its `<title>`.
pub(super) fn choose_title(
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
pub(super) fn find_byline(
    doc: &Html,
    headline: Option<NodeId>,
    container: Option<NodeId>,
) -> Option<String> {
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
pub(super) fn byline_text(root: NodeRef<'_, Node>) -> String {
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
pub(super) fn author_part(text: &str) -> Option<String> {
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

pub(super) fn strip_by(s: &str) -> &str {
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
pub(super) struct Metadata {
    pub(super) headline: Option<String>,
    /// The JSON-LD `articleBody`: a hint for the container, never output.
    pub(super) article_body: Option<String>,
    pub(super) byline: Option<String>,
    pub(super) published: Option<String>,
    pub(super) modified: Option<String>,
    pub(super) canonical: Option<String>,
    pub(super) description: Option<String>,
}

impl Metadata {
    pub(super) fn read(doc: &Html, base_url: Option<&str>) -> Self {
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
pub(super) fn dated(doc: &Html, itemprop: &str) -> Option<String> {
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
pub(super) fn marked_updated(t: &ElementRef<'_>) -> bool {
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
pub(super) fn json_ld_article(doc: &Html) -> Option<serde_json::Map<String, Value>> {
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
pub(super) fn json_ld_salvage(raw: &str) -> Option<Value> {
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

pub(super) fn is_article_type(t: &Value) -> bool {
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
pub(super) fn author_names(v: &Value) -> Option<String> {
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
