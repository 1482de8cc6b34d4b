//! Search of history (`redline search`, `search --json`; `/search` and
//! `/api/v1/search` to come): where a phrase is, and in which version it
//! entered or left an article's headline or body.
//!
//! The store's index says which articles ever held the phrase; this module
//! reads their versions in order and decides, as a pure function of the
//! texts: a phrase *left* at version N when N holds fewer occurrences of
//! it than N−1 (the words went out in that edit), *entered* when more. A
//! phrase matches whole words in order, case aside, whatever punctuation
//! stands between them: the same rule the index applies, so what the
//! index finds is what is counted here.

use serde::Serialize;

use crate::model::{Timestamp, Version};
use crate::store::{History, StoreError};

/// What to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    /// In any version: per article and field, the latest version holding it.
    Anywhere,
    /// Versions whose edit took the phrase out.
    Removed,
    /// Versions whose edit put the phrase in (version 1 is not an edit).
    Added,
    /// Articles whose latest version holds it.
    Current,
}

/// The field a phrase was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Body,
}

/// How a hit matched (the contract's `match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhraseMatch {
    Removed,
    Added,
    Present,
}

/// One hit, with the keys of `search --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    pub url: String,
    /// Where the phrase is found, entered or left.
    pub version: u32,
    pub captured_at: String,
    /// The headline of that version.
    pub title: String,
    pub field: Field,
    #[serde(rename = "match")]
    pub matched: PhraseMatch,
    /// The words around the phrase: from that version, or for a removal,
    /// from the version before (the phrase is no longer in its own).
    pub snippet: String,
    /// The article's target, once [`search`] has named it.
    #[serde(skip)]
    pub target: Option<crate::model::TargetId>,
    /// Where the phrase sits in `snippet` (bytes), for highlighting.
    #[serde(skip)]
    pub mark: std::ops::Range<usize>,
    /// For sorting, newest first.
    #[serde(skip)]
    pub at: Timestamp,
}

/// A phrase as words, case-folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    words: Vec<String>,
}

impl Phrase {
    /// The phrase of a query; `None` when it has no word in it.
    pub fn parse(text: &str) -> Option<Self> {
        let words: Vec<String> = words(text).map(|(_, w)| fold(w)).collect();
        (!words.is_empty()).then_some(Self { words })
    }

    /// Where the phrase occurs in `text` (byte ranges from its first
    /// word's start to its last word's end).
    pub fn occurrences(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        let tokens: Vec<(usize, &str)> = words(text).collect();
        let n = self.words.len();
        let mut found = Vec::new();
        let mut i = 0;
        while i + n <= tokens.len() {
            if tokens[i..i + n]
                .iter()
                .zip(&self.words)
                .all(|((_, t), w)| fold(t) == *w)
            {
                let (last_at, last) = tokens[i + n - 1];
                found.push(tokens[i].0..last_at + last.len());
                i += n;
            } else {
                i += 1;
            }
        }
        found
    }
}

/// Whether a character belongs to a word: letters, digits, marks and
/// private-use characters, as the index's tokenizer is set up
/// (`unicode61`, categories `L* N* Co M*`); spaces, punctuation and
/// symbols split words.
fn in_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric()
        || matches!(u32::from(c), 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
        || is_mark(c)
}

/// Whether `c` is a combining mark (it extends the character before it
/// into one grapheme), such as a Devanagari vowel sign or virama.
fn is_mark(c: char) -> bool {
    use unicode_segmentation::UnicodeSegmentation;
    let mut pair = String::from("a");
    pair.push(c);
    pair.graphemes(true).count() == 1
}

/// The words of a text with their byte offsets (see [`in_word`]).
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = None;
    let mut chars = text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')));
    std::iter::from_fn(move || {
        for (i, c) in chars.by_ref() {
            match (start, in_word(c)) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    start = None;
                    return Some((s, &text[s..i]));
                }
                _ => {}
            }
        }
        None
    })
}

fn fold(word: &str) -> String {
    word.to_lowercase()
}

/// About how many characters of context a snippet keeps on each side.
const CONTEXT: usize = 80;

/// The words around `at` in `text`: its paragraph, cut at word boundaries
/// about [`CONTEXT`] characters either side, `…` where cut. Returns the
/// snippet and where the phrase is in it.
fn snippet(text: &str, at: &std::ops::Range<usize>) -> (String, std::ops::Range<usize>) {
    let para_start = text[..at.start].rfind('\n').map_or(0, |i| i + 1);
    let para_end = text[at.end..].find('\n').map_or(text.len(), |i| at.end + i);
    let mut start = para_start;
    if text[para_start..at.start].chars().count() > CONTEXT {
        let cut = back_chars(text, at.start, CONTEXT).max(para_start);
        start = text[cut..at.start].find(' ').map_or(cut, |i| cut + i + 1);
    }
    let mut end = para_end;
    if text[at.end..para_end].chars().count() > CONTEXT {
        let cut = forward_chars(text, at.end, CONTEXT).min(para_end);
        end = text[at.end..cut].rfind(' ').map_or(cut, |i| at.end + i);
    }
    let head = if start > para_start { "…" } else { "" };
    let tail = if end < para_end { "…" } else { "" };
    let snippet = format!("{head}{}{tail}", &text[start..end]);
    let mark_start = head.len() + at.start - start;
    (snippet, mark_start..mark_start + (at.end - at.start))
}

fn back_chars(text: &str, from: usize, n: usize) -> usize {
    text[..from]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(i, _)| i)
}

fn forward_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| from + i)
}

/// The hits in one article's versions (oldest first) for `mode`, captured
/// at or after `since`.
pub fn find(
    url: &str,
    versions: &[Version],
    phrase: &Phrase,
    mode: SearchMode,
    since: Option<Timestamp>,
) -> Vec<SearchHit> {
    let mut hits = Vec::new();
    for field in [Field::Title, Field::Body] {
        fn text(v: &Version, field: Field) -> &str {
            match field {
                Field::Title => &v.title,
                Field::Body => &v.text,
            }
        }
        let found: Vec<Vec<std::ops::Range<usize>>> = versions
            .iter()
            .map(|v| phrase.occurrences(text(v, field)))
            .collect();
        let hit = |i: usize, from: usize, matched: PhraseMatch| {
            let (snippet, mark) = snippet(text(&versions[from], field), &found[from][0]);
            let v = &versions[i];
            SearchHit {
                target: None,
                url: url.to_string(),
                version: v.number,
                captured_at: v.captured_at.rfc3339(),
                title: v.title.clone(),
                field,
                matched,
                snippet,
                mark,
                at: v.captured_at,
            }
        };
        match mode {
            SearchMode::Removed | SearchMode::Added => {
                for i in 1..versions.len() {
                    let (before, now) = (found[i - 1].len(), found[i].len());
                    if mode == SearchMode::Removed && now < before {
                        hits.push(hit(i, i - 1, PhraseMatch::Removed));
                    } else if mode == SearchMode::Added && now > before {
                        hits.push(hit(i, i, PhraseMatch::Added));
                    }
                }
            }
            SearchMode::Current => {
                if let Some(last) = found.len().checked_sub(1)
                    && !found[last].is_empty()
                {
                    hits.push(hit(last, last, PhraseMatch::Present));
                }
            }
            SearchMode::Anywhere => {
                if let Some(i) = found.iter().rposition(|f| !f.is_empty()) {
                    hits.push(hit(i, i, PhraseMatch::Present));
                }
            }
        }
    }
    hits.retain(|h| since.is_none_or(|s| h.at >= s));
    hits
}

/// Every hit in the history for `mode`: the articles the store's index
/// names, each read whole and decided by [`find`], newest first.
pub async fn search(
    store: &dyn History,
    phrase: &Phrase,
    mode: SearchMode,
    since: Option<Timestamp>,
) -> Result<Vec<SearchHit>, StoreError> {
    let mut hits = Vec::new();
    for target in store.phrase_targets(phrase.words.clone()).await? {
        // Whether the latest version holds it needs the latest alone.
        let versions = match mode {
            SearchMode::Current => store.version(target.id, None).await?.into_iter().collect(),
            _ => store.versions(target.id).await?,
        };
        hits.extend(
            find(target.url.as_str(), &versions, phrase, mode, since)
                .into_iter()
                .map(|h| SearchHit {
                    target: Some(target.id),
                    ..h
                }),
        );
    }
    sort(&mut hits);
    Ok(hits)
}

impl SearchHit {
    /// Where the phrase is, in words: "removed from the headline", "added
    /// to the body", "in the body".
    pub fn describe(&self) -> &'static str {
        match (self.matched, self.field) {
            (PhraseMatch::Removed, Field::Title) => "removed from the headline",
            (PhraseMatch::Removed, Field::Body) => "removed from the body",
            (PhraseMatch::Added, Field::Title) => "added to the headline",
            (PhraseMatch::Added, Field::Body) => "added to the body",
            (PhraseMatch::Present, Field::Title) => "in the headline",
            (PhraseMatch::Present, Field::Body) => "in the body",
        }
    }
}

/// Orders hits across articles: newest first, then by address, version
/// and field, so the order is the same every time.
pub fn sort(hits: &mut [SearchHit]) {
    hits.sort_by(|a, b| {
        b.at.cmp(&a.at)
            .then_with(|| a.url.cmp(&b.url))
            .then_with(|| a.version.cmp(&b.version))
            .then_with(|| (a.field as u8).cmp(&(b.field as u8)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(number: u32, title: &str, text: &str) -> Version {
        Version::plain(
            number,
            Timestamp(i64::from(number) * 3_600_000),
            title,
            text,
        )
    }

    fn phrase(s: &str) -> Phrase {
        Phrase::parse(s).unwrap()
    }

    #[test]
    fn a_phrase_is_whole_words_in_order_case_and_punctuation_aside() {
        let p = phrase("Crimes against humanity");
        let text = "may have committed ‘crimes against humanity’. CRIMES, against humanity!";
        let found = p.occurrences(text);
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].clone()], "crimes against humanity");
        assert_eq!(&text[found[1].clone()], "CRIMES, against humanity");
        // Part of a word is not the word; the order matters.
        assert!(p.occurrences("crimes against humanityx").is_empty());
        assert!(p.occurrences("humanity against crimes").is_empty());
        // Other scripts: letters are letters.
        assert_eq!(
            phrase("Вооружённые силы")
                .occurrences("вооружённые силы России")
                .len(),
            1
        );
        assert_eq!(Phrase::parse(" … !"), None);
        // A virama joins a Devanagari word; it does not split it.
        assert_eq!(phrase("नमस्ते").occurrences("उसने नमस्ते कहा").len(), 1);
        assert!(phrase("नमस").occurrences("उसने नमस्ते कहा").is_empty());
    }

    #[test]
    fn removed_and_added_are_the_edits_that_changed_the_count() {
        let versions = [
            version(1, "UN says crimes against humanity", "Body one."),
            version(
                2,
                "UN says serious violations",
                "Body one. Crimes against humanity, it said.",
            ),
            version(3, "UN says serious violations", "Body one."),
            version(
                4,
                "UN says serious violations",
                "Body one. Crimes against humanity again.",
            ),
        ];
        let p = phrase("crimes against humanity");
        let removed = find("u", &versions, &p, SearchMode::Removed, None);
        let got: Vec<(u32, Field)> = removed.iter().map(|h| (h.version, h.field)).collect();
        assert_eq!(got, [(2, Field::Title), (3, Field::Body)]);
        assert!(removed.iter().all(|h| h.matched == PhraseMatch::Removed));
        // A removal's snippet is from the version before it.
        assert_eq!(removed[0].snippet, "UN says crimes against humanity");
        assert_eq!(removed[0].title, "UN says serious violations");
        let added = find("u", &versions, &p, SearchMode::Added, None);
        let got: Vec<(u32, Field)> = added.iter().map(|h| (h.version, h.field)).collect();
        assert_eq!(
            got,
            [(2, Field::Body), (4, Field::Body)],
            "version 1 is no edit"
        );
        let current = find("u", &versions, &p, SearchMode::Current, None);
        assert_eq!(current.len(), 1);
        assert_eq!((current[0].version, current[0].field), (4, Field::Body));
        let anywhere = find("u", &versions, &p, SearchMode::Anywhere, None);
        let got: Vec<(u32, Field)> = anywhere.iter().map(|h| (h.version, h.field)).collect();
        assert_eq!(got, [(1, Field::Title), (4, Field::Body)]);
        // Since the third version's capture: the removal at 3, the entry at 4.
        let since = Some(Timestamp(3 * 3_600_000));
        assert_eq!(
            find("u", &versions, &p, SearchMode::Removed, since).len(),
            1
        );
        assert_eq!(find("u", &versions, &p, SearchMode::Added, since).len(), 1);
    }

    #[test]
    fn one_occurrence_of_two_taken_out_is_a_removal() {
        let versions = [
            version(1, "T", "Rights abuses here. Rights abuses there."),
            version(2, "T", "Rights abuses here."),
        ];
        let hits = find(
            "u",
            &versions,
            &phrase("rights abuses"),
            SearchMode::Removed,
            None,
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].version, 2);
    }

    #[test]
    fn a_snippet_is_the_paragraph_cut_at_words_with_the_phrase_marked() {
        let long = "word ".repeat(40);
        let text = format!("First paragraph.\n{long}the phrase here {long}\nLast.");
        let at = phrase("the phrase").occurrences(&text)[0].clone();
        let (s, mark) = snippet(&text, &at);
        assert_eq!(&s[mark.clone()], "the phrase");
        assert!(s.starts_with("…word ") && s.ends_with("word…"), "{s}");
        assert!(!s.contains("First") && !s.contains("Last"));
        assert!(
            s.chars().count() <= 2 * CONTEXT + "the phrase".len() + 2,
            "{s}"
        );
        // A short paragraph is whole.
        let (s, _) = snippet("A short one with the phrase.", &(17..27));
        assert_eq!(s, "A short one with the phrase.");
    }

    #[test]
    fn hits_sort_newest_first_then_stably() {
        let versions = [version(1, "crimes", "crimes"), version(2, "x", "x")];
        let mut hits = find("b", &versions, &phrase("crimes"), SearchMode::Removed, None);
        hits.extend(find(
            "a",
            &versions,
            &phrase("crimes"),
            SearchMode::Removed,
            None,
        ));
        sort(&mut hits);
        let got: Vec<(&str, Field)> = hits.iter().map(|h| (h.url.as_str(), h.field)).collect();
        assert_eq!(
            got,
            [
                ("a", Field::Title),
                ("a", Field::Body),
                ("b", Field::Title),
                ("b", Field::Body)
            ]
        );
    }
}
