//! Scoring an extractor against a benchmark of pages with known article
//! text, the way the article-extraction benchmark in `shared/` describes:
//! 4-token shingles over Unicode word tokens, per-page precision and recall
//! from multiset overlaps, averaged over pages, and F1 as the harmonic mean
//! of the two averages.
//!
//! Used by `examples/extraction_eval.rs`; kept in the library so the scoring
//! itself is unit-tested.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

/// Tokens of a text: maximal runs of Unicode word characters, case kept.
pub fn tokens(text: &str) -> Vec<&str> {
    static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\w+").expect("static regex"));
    WORD.find_iter(text).map(|m| m.as_str()).collect()
}

/// The multiset of 4-token windows of a text. A text of 1–3 tokens yields
/// one shorter window; an empty text yields none.
pub fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let toks = tokens(text);
    let mut out: HashMap<Vec<&str>, usize> = HashMap::new();
    if toks.is_empty() {
        return out;
    }
    if toks.len() < 4 {
        out.insert(toks, 1);
        return out;
    }
    for w in toks.windows(4) {
        *out.entry(w.to_vec()).or_default() += 1;
    }
    out
}

/// Precision and recall of one page; `None` where the side has no windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageScore {
    /// TP / (TP + FP), when the prediction has windows.
    pub precision: Option<f64>,
    /// TP / (TP + FN), when the truth has windows.
    pub recall: Option<f64>,
    /// Whether the token sequences are identical.
    pub exact: bool,
}

/// Scores one prediction against the truth.
pub fn score_page(truth: &str, prediction: &str) -> PageScore {
    let t = shingles(truth);
    let p = shingles(prediction);
    let tp: usize = p
        .iter()
        .map(|(k, n)| (*n).min(t.get(k).copied().unwrap_or(0)))
        .sum();
    let p_total: usize = p.values().sum();
    let t_total: usize = t.values().sum();
    let fp = p_total - tp;
    let fn_ = t_total - tp;
    // The counts are scaled to sum to 1 upstream; ratios are unchanged.
    let precision = (p_total > 0).then(|| tp as f64 / (tp + fp) as f64);
    let recall = (t_total > 0).then(|| tp as f64 / (tp + fn_) as f64);
    PageScore {
        precision,
        recall,
        exact: tokens(truth) == tokens(prediction),
    }
}

/// Corpus figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorpusScore {
    /// Mean precision over pages with a non-empty prediction.
    pub precision: f64,
    /// Mean recall over pages with a non-empty truth.
    pub recall: f64,
    /// Harmonic mean of the two means.
    pub f1: f64,
    /// Share of pages extracted token for token.
    pub accuracy: f64,
}

/// Averages page scores into corpus figures.
pub fn score_corpus(pages: &[PageScore]) -> CorpusScore {
    let mean = |xs: Vec<f64>| {
        if xs.is_empty() {
            0.0
        } else {
            xs.iter().sum::<f64>() / xs.len() as f64
        }
    };
    let precision = mean(pages.iter().filter_map(|p| p.precision).collect());
    let recall = mean(pages.iter().filter_map(|p| p.recall).collect());
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let accuracy = if pages.is_empty() {
        0.0
    } else {
        pages.iter().filter(|p| p.exact).count() as f64 / pages.len() as f64
    };
    CorpusScore {
        precision,
        recall,
        f1,
        accuracy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unicode_word_runs() {
        assert_eq!(
            tokens("end.Next, don't — 2019年"),
            vec!["end", "Next", "don", "t", "2019年"]
        );
        assert_eq!(tokens("endNext"), vec!["endNext"]);
        assert!(tokens(" … — ").is_empty());
    }

    #[test]
    fn short_texts_give_one_short_window() {
        let s = shingles("a b");
        assert_eq!(s.len(), 1);
        assert_eq!(s[&vec!["a", "b"]], 1);
        assert!(shingles("").is_empty());
        assert_eq!(shingles("a b c d e").values().sum::<usize>(), 2);
    }

    #[test]
    fn perfect_and_empty_predictions() {
        let truth = "one two three four five six";
        let s = score_page(truth, truth);
        assert_eq!(
            (s.precision, s.recall, s.exact),
            (Some(1.0), Some(1.0), true)
        );
        let s = score_page(truth, "");
        assert_eq!((s.precision, s.recall), (None, Some(0.0)));
    }

    #[test]
    fn extra_and_missing_windows() {
        // Truth: 3 windows. Prediction adds one word at the end: 4 windows, 3 shared.
        let s = score_page("a b c d e f", "a b c d e f g");
        assert_eq!(s.precision, Some(0.75));
        assert_eq!(s.recall, Some(1.0));
        // Prediction misses the last word: 2 windows, both true.
        let s = score_page("a b c d e f", "a b c d e");
        assert_eq!(s.precision, Some(1.0));
        assert!((s.recall.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn repeats_count_as_a_multiset() {
        // "a b c d" twice in the prediction, once in the truth.
        let s = score_page("a b c d", "a b c d a b c d");
        // Prediction windows: abcd, bcda, cdab, dabc, abcd → 5, one true.
        assert_eq!(s.precision, Some(0.2));
        assert_eq!(s.recall, Some(1.0));
    }

    #[test]
    fn corpus_f1_is_the_harmonic_mean_of_means() {
        let pages = [
            PageScore {
                precision: Some(1.0),
                recall: Some(0.5),
                exact: false,
            },
            PageScore {
                precision: None,
                recall: Some(0.0),
                exact: false,
            },
            PageScore {
                precision: Some(0.5),
                recall: Some(1.0),
                exact: true,
            },
        ];
        let c = score_corpus(&pages);
        assert!((c.precision - 0.75).abs() < 1e-12);
        assert!((c.recall - 0.5).abs() < 1e-12);
        assert!((c.f1 - 0.6).abs() < 1e-12);
        assert!((c.accuracy - 1.0 / 3.0).abs() < 1e-12);
    }
}
