//! The body: the chosen container's text collected paragraph by
//! paragraph, with page counters, stamps, tool labels, rights notices,
//! bare URLs and promotion lines left out.

use std::sync::LazyLock;

use ego_tree::NodeRef;
use scraper::{ElementRef, Node};

use super::*;

/// A run of ASCII this long without a space is no word of any language
/// written with spaces: an address, a list joined by bare commas, an
/// identifier, encoded data. (Scripts written without spaces are not
/// ASCII, so they never match.)
pub(super) const MAX_WORD_BYTES: usize = 40;

pub(super) fn is_unreadable_token(token: &str) -> bool {
    token.len() > MAX_WORD_BYTES && token.is_ascii()
}

/// Commas of running prose in a word: a Latin or Arabic comma ends the
/// word (prose puts a space after it; `a,b,c` is data), while the
/// full-width and ideographic commas of scripts without spaces count
/// wherever they stand.
pub(super) fn prose_commas(token: &str) -> usize {
    let wide = token.chars().filter(|c| matches!(c, '，' | '、')).count();
    wide + usize::from(token.ends_with([',', '،']))
}

/// Characters, linked characters and commas of a paragraph's text, skipping
/// furniture and unreadable runs; with `own_only`, block-level children are
/// skipped too.
pub(super) fn paragraph_text(
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
pub(super) fn is_text_container(name: &str) -> bool {
    matches!(
        name,
        "div" | "section" | "article" | "main" | "td" | "center" | "span" | "font"
    )
}

/// Whether an element has at least `min` characters in its own text nodes.
pub(super) fn has_direct_text(node: NodeRef<'_, Node>, min: usize) -> bool {
    node.children()
        .filter_map(|c| c.value().as_text().map(|t| t.trim().chars().count()))
        .sum::<usize>()
        >= min
}

/// All text of a subtree, furniture excluded, as one line.
pub(super) fn collect_text(root: NodeRef<'_, Node>, excluded: &ExcludedSet) -> String {
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
pub(super) fn collect_paragraphs(
    root: ElementRef<'_>,
    excluded: &ExcludedSet,
    explicit: bool,
) -> Vec<String> {
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
pub(super) fn is_page_counter_or_stamp(line: &str) -> bool {
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
pub(super) const TOOL_LABEL_WORDS: usize = 5;

/// How many paragraphs at each end of a body are read for rights notices.
pub(super) const NOTICE_EDGE: usize = 2;

/// Rights and reprint notices that sites print above or below every story
/// ("This copy is for your personal, non-commercial use only…", "© 2026
/// … All rights reserved."): boilerplate of the page, not the story. Only
/// the first and last paragraphs are read, so a story about copyright keeps
/// its sentences.
pub(super) fn drop_edge_notices(paragraphs: &mut Vec<String>) {
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
pub(super) fn is_rights_notice(line: &str) -> bool {
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
pub(super) fn is_bare_url(line: &str) -> bool {
    let t = line.trim_matches(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')'));
    !t.contains(' ')
        && (t.starts_with("http://") || t.starts_with("https://") || t.starts_with("www."))
        && t.len() > 10
}

/// A short line that starts with a promo label and a colon ("Read more:",
/// "Related:", "See also:", and the same in a few major languages): sites
/// put links to other stories between an article's paragraphs this way.
/// The caller also asks for a link in it.
pub(super) fn is_promo_line(line: &str) -> bool {
    static LABEL: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^\W*(?:read more|read also|also read|more|related|related stories|related articles|see also|recommended|watch|listen|further reading|lesen sie auch|mehr zum thema|lire aussi|à lire aussi|a lire aussi|lea también|lee también|leia também|leia mais|leggi anche)\s*:",
        )
        .expect("static regex")
    });
    line.split(' ').count() <= 25 && LABEL.is_match(line)
}
