//! Normalised article text: the form every comparison, hash and diff uses.
//!
//! A normalised text is a list of paragraphs joined by one blank line
//! (`"\n\n"`); inside a paragraph, every run of whitespace is one space and
//! invisible characters (zero-width spaces, soft hyphens, BOMs) are gone. Two
//! texts that differ only in layout normalise to the same string, so layout
//! never creates a version.
//!
//! Words are Unicode words (UAX #29), so scripts written without spaces
//! (Chinese, Japanese) are counted and diffed word by word, not paragraph
//! by paragraph.

use unicode_segmentation::UnicodeSegmentation;

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

/// Number of words in a text, by Unicode word boundaries (UAX #29): runs
/// of letters and digits in space-separated scripts, and every ideograph or
/// kana of Chinese and Japanese (which are written without spaces).
/// Punctuation is not a word.
pub fn word_count(text: &str) -> usize {
    text.unicode_words().count()
}

/// A diff token: a word, a punctuation mark, or [`PARAGRAPH_BREAK`], and
/// whether a space stood before it. Tokens are equal when their text is:
/// spacing alone is never a change of wording.
#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    /// The token's text.
    pub text: &'a str,
    /// Whether a space stood before it in the text.
    pub spaced: bool,
}

impl Token<'_> {
    /// Whether this token separates paragraphs.
    pub fn is_break(&self) -> bool {
        self.text == PARAGRAPH_BREAK
    }

    /// Whether this token is a word (has a letter or digit), not
    /// punctuation.
    pub fn is_word(&self) -> bool {
        self.text.chars().any(char::is_alphanumeric)
    }
}

impl PartialEq for Token<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Token<'_> {}

impl std::hash::Hash for Token<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

/// The diff tokens of a normalised text, split at Unicode word boundaries
/// (UAX #29): words, punctuation marks, and each ideograph or kana of
/// Chinese and Japanese, so a one-word edit in any script is a one-word
/// change. [`PARAGRAPH_BREAK`] stands between paragraphs, so splitting or
/// joining paragraphs is a change too. [`join`] puts them back together.
pub fn tokens(normalized: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for (i, p) in paragraphs(normalized).enumerate() {
        if i > 0 {
            out.push(Token {
                text: PARAGRAPH_BREAK,
                spaced: false,
            });
        }
        let mut spaced = false;
        for piece in p.split_word_bounds() {
            if piece.chars().all(char::is_whitespace) {
                spaced = true;
            } else {
                out.push(Token {
                    text: piece,
                    spaced,
                });
                spaced = false;
            }
        }
    }
    out
}

/// Joins tokens back into text: a space where the text had one (never at
/// the start, nor after a paragraph break), paragraph breaks kept.
pub fn join(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for t in tokens {
        if t.spaced && !out.is_empty() && !out.ends_with(PARAGRAPH_BREAK) {
            out.push(' ');
        }
        out.push_str(t.text);
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

    fn texts<'a>(t: &[Token<'a>]) -> Vec<&'a str> {
        t.iter().map(|t| t.text).collect()
    }

    #[test]
    fn tokens_mark_paragraph_breaks() {
        assert_eq!(
            texts(&tokens("a b\n\nc")),
            vec!["a", "b", PARAGRAPH_BREAK, "c"]
        );
        assert_eq!(word_count("a b\n\nc"), 3);
        assert!(tokens("").is_empty());
    }

    #[test]
    fn tokens_follow_unicode_word_boundaries() {
        assert_eq!(
            texts(&tokens("The court's ruling, 1,000 pages.")),
            vec!["The", "court's", "ruling", ",", "1,000", "pages", "."]
        );
        // Every ideograph is a word; spaces are not invented.
        let zh = "北京今天下雨。";
        assert_eq!(texts(&tokens(zh)).len(), 7);
        assert_eq!(word_count(zh), 6);
        assert_eq!(join(&tokens(zh)), zh);
        assert_eq!(word_count("東京都に住んでいます"), 10);
        assert_eq!(word_count("— , ."), 0);
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
        fn tokens_rejoin_to_the_text(s in "[a-z.,'北京東京 \n]{0,80}") {
            let n = normalize_text(&s);
            prop_assert_eq!(join(&tokens(&n)), n);
        }
    }
}
