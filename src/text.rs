//! Normalised article text: the form every comparison, hash and diff uses.
//!
//! A normalised text is a list of paragraphs joined by one blank line
//! (`"\n\n"`); inside a paragraph, every run of whitespace is one space and
//! invisible characters (zero-width spaces, soft hyphens, BOMs) are gone. Two
//! texts that differ only in layout normalise to the same string, so layout
//! never creates a version.

/// The separator between paragraphs of a normalised text.
pub const PARAGRAPH_BREAK: &str = "\n\n";

/// Characters that render as nothing and only ever differ by accident.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// Normalises one paragraph (or a headline): whitespace folded to single
/// spaces, trimmed, invisible characters removed.
pub fn normalize_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Normalises paragraphs into one text, dropping empty ones.
pub fn normalize_paragraphs<I, S>(paragraphs: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for p in paragraphs {
        let line = normalize_line(p.as_ref());
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(PARAGRAPH_BREAK);
        }
        out.push_str(&line);
    }
    out
}

/// Normalises free text whose paragraphs are separated by blank lines.
pub fn normalize_text(text: &str) -> String {
    normalize_paragraphs(split_paragraphs_loose(text))
}

/// Splits text at blank lines (lines holding only whitespace).
fn split_paragraphs_loose(text: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// The paragraphs of a normalised text.
pub fn paragraphs(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(PARAGRAPH_BREAK).filter(|p| !p.is_empty())
}

/// Number of words (whitespace-separated runs) in a text.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The diff tokens of a normalised text: its words, with [`PARAGRAPH_BREAK`]
/// standing between paragraphs so that splitting or joining paragraphs is a
/// change too.
pub fn tokens(normalized: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (i, p) in paragraphs(normalized).enumerate() {
        if i > 0 {
            out.push(PARAGRAPH_BREAK);
        }
        out.extend(p.split(' ').filter(|w| !w.is_empty()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn whitespace_and_invisible_characters_fold() {
        assert_eq!(normalize_line("  a\t\n b\u{00A0}c\u{200B}d  "), "a b cd");
        assert_eq!(normalize_line("soft\u{00AD}hyphen"), "softhyphen");
        assert_eq!(
            normalize_paragraphs(["  one  ", "", " \n ", "two\nlines"]),
            "one\n\ntwo lines"
        );
    }

    #[test]
    fn free_text_splits_at_blank_lines() {
        assert_eq!(normalize_text("a\nb\n\n\n  \nc"), "a b\n\nc");
    }

    #[test]
    fn tokens_mark_paragraph_breaks() {
        assert_eq!(tokens("a b\n\nc"), vec!["a", "b", PARAGRAPH_BREAK, "c"]);
        assert_eq!(word_count("a b\n\nc"), 3);
        assert!(tokens("").is_empty());
    }

    proptest! {
        #[test]
        fn normalizing_twice_changes_nothing(s in "\\PC{0,200}") {
            let once = normalize_text(&s);
            prop_assert_eq!(normalize_text(&once), once.clone());
            let line = normalize_line(&s);
            prop_assert_eq!(normalize_line(&line), line);
        }

        #[test]
        fn tokens_rejoin_to_the_text(s in "[a-z \n]{0,80}") {
            let n = normalize_text(&s);
            let joined = tokens(&n).iter().fold(String::new(), |mut acc, t| {
                if *t == PARAGRAPH_BREAK || acc.is_empty() || acc.ends_with(PARAGRAPH_BREAK) {
                    acc.push_str(t);
                } else {
                    acc.push(' ');
                    acc.push_str(t);
                }
                acc
            });
            prop_assert_eq!(joined, n);
        }
    }
}
