//! Diffs of texts written for the purpose.

use super::*;
use crate::text::Token;
use similar::DiffOp;

use super::merge::Segment;
use proptest::prelude::*;

fn summary(old: &str, new: &str) -> DiffSummary {
    WordDiff::new("T", old, "T", new).summary()
}

#[test]
fn a_changed_word_is_reported_exactly() {
    let s = summary(
        "The report was released on Wednesday by the office.",
        "The report was published on Wednesday by the office.",
    );
    assert_eq!((s.added, s.removed), (1, 1));
    assert_eq!(s.changes.len(), 1);
    let c = &s.changes[0];
    assert_eq!(c.kind, ChangeKind::Replace);
    assert_eq!((c.old.as_str(), c.new.as_str()), ("released", "published"));
    assert_eq!(c.before, "The report was");
    assert_eq!(c.after, "on Wednesday by the office.");
    assert!(!s.title_changed);
}

#[test]
fn inserted_and_deleted_sentences() {
    let s = summary("A b c.\n\nD e f.", "A b c. New words here.\n\nD e f.");
    assert_eq!((s.added, s.removed), (3, 0));
    assert_eq!(s.changes[0].kind, ChangeKind::Insert);
    assert_eq!(s.changes[0].new, "New words here.");

    let s = summary("A b c.\n\nGone para.\n\nD e f.", "A b c.\n\nD e f.");
    assert_eq!((s.added, s.removed), (0, 2));
    assert_eq!(s.changes[0].kind, ChangeKind::Delete);
    assert!(s.changes[0].old.contains("Gone para."));
}

#[test]
fn headline_changes_come_first() {
    let d = WordDiff::new("Old headline", "a b c", "New headline", "a x c");
    let s = d.summary();
    assert!(s.title_changed);
    assert_eq!(s.changes[0].field, Field::Title);
    assert_eq!(s.changes[1].field, Field::Body);
    assert_eq!((s.added, s.removed), (2, 2));
}

#[test]
fn identical_texts_have_no_changes() {
    let d = WordDiff::new("T", "a b\n\nc", "T", "a b\n\nc");
    assert!(!d.changed());
    assert!(d.summary().changes.is_empty());
}

#[test]
fn word_rendering_marks_changes_inline() {
    let d = WordDiff::new(
        "T",
        "one two three\n\nfour five",
        "T",
        "one 2 three\n\nfour five",
    );
    let labels = DiffLabels {
        url: "https://e.com/a".into(),
        from: "version 1".into(),
        to: "version 2".into(),
    };
    let out = render_word(&d, &[], &labels, false);
    assert!(
        out.contains("@@ paragraph 1 @@\none [-two-]{+2+} three"),
        "{out}"
    );
    assert!(
        !out.contains("four five"),
        "unchanged paragraphs are left out: {out}"
    );
    let colored = render_word(&d, &[], &labels, true);
    assert!(colored.contains("\x1b[31m[-two-]\x1b[0m"));
}

#[test]
fn html_rendering_escapes_and_marks() {
    let d = WordDiff::new("A <b>", "x & y", "A <i>", "x & z");
    let labels = DiffLabels {
        url: "https://e.com/?a=1&b=2".into(),
        from: "v1".into(),
        to: "v2".into(),
    };
    let html = render_html(&d, &[], &labels);
    assert!(
        html.contains("A &lt;<del>b</del><ins>i</ins>&gt;"),
        "{html}"
    );
    assert!(html.contains("x &amp; <del>y</del><ins>z</ins>"), "{html}");
    assert!(html.contains("href=\"https://e.com/?a=1&amp;b=2\""));
    assert!(!html.contains("<script"));
}

#[test]
fn unified_rendering_is_by_paragraph() {
    let labels = DiffLabels {
        url: "u".into(),
        from: "v1".into(),
        to: "v2".into(),
    };
    let f = |text| Fields {
        title: "T",
        text,
        byline: None,
        published: None,
        canonical: None,
        description: None,
    };
    let out = render_unified(&f("p one\n\np two"), &f("p one\n\np 2"), &labels);
    assert!(out.contains("--- v1"));
    assert!(out.contains("-p two\n+p 2\n"), "{out}");
}

#[test]
fn metadata_changes_follow_the_headline() {
    let old = Fields {
        title: "Old",
        text: "a b c",
        byline: Some("Jane Doe"),
        published: Some("2026-01-01"),
        canonical: None,
        description: Some("same"),
    };
    let new = Fields {
        title: "New",
        text: "a x c",
        byline: Some("Jane Doe and John Roe"),
        published: Some("2026-01-01"),
        canonical: Some("https://e.com/a"),
        description: Some("same"),
    };
    let s = summarize(&old, &new);
    let fields: Vec<Field> = s.changes.iter().map(|c| c.field).collect();
    assert_eq!(
        fields,
        vec![Field::Title, Field::Byline, Field::Canonical, Field::Body]
    );
    assert_eq!(s.changes[1].kind, ChangeKind::Replace);
    assert_eq!(s.changes[2].kind, ChangeKind::Insert);
    assert_eq!(
        (s.added, s.removed),
        (2, 2),
        "counts cover headline and body words"
    );
    assert_eq!(
        s.changed_fields(),
        vec![Field::Title, Field::Byline, Field::Canonical, Field::Body]
    );
    assert_ne!(old.hash(), new.hash());
    let same_but_no_byline = Fields {
        byline: None,
        ..old
    };
    assert_ne!(old.hash(), same_but_no_byline.hash());
    assert_ne!(
        Fields {
            byline: Some(""),
            ..old
        }
        .hash(),
        same_but_no_byline.hash()
    );

    let d = WordDiff::new(old.title, old.text, new.title, new.text);
    let labels = DiffLabels {
        url: "u".into(),
        from: "v1".into(),
        to: "v2".into(),
    };
    let meta = metadata_changes(&old, &new);
    let out = render_word(&d, &meta, &labels, false);
    assert!(
        out.contains("byline: [-Jane Doe-]{+Jane Doe and John Roe+}"),
        "{out}"
    );
    assert!(out.find("headline:").unwrap() < out.find("byline:").unwrap());
    let html = render_html(&d, &meta, &labels);
    assert!(
        html.contains("<th>canonical</th><td><ins>https://e.com/a</ins></td>"),
        "{html}"
    );
}

#[test]
fn changes_are_cut_at_sentence_and_paragraph_starts() {
    // Deleting the first of two sentences that start with the same word.
    let s = summary(
        "Ascom is based in Baar. Ascom employs 1,300 people.",
        "Ascom employs 1,300 people.",
    );
    assert_eq!(s.changes.len(), 1);
    assert_eq!(s.changes[0].old, "Ascom is based in Baar.");
    // Inserting a paragraph before one that starts with the same word.
    let s = summary(
        "In June the law passed.\n\nIn July it took effect.",
        "In June the law passed.\n\nIn a statement, the firm objected.\n\nIn July it took effect.",
    );
    assert_eq!(s.changes.len(), 1);
    assert_eq!(s.changes[0].new, "In a statement, the firm objected.\n\n");
}

#[test]
fn a_moved_paragraph_is_shown_as_moved_and_not_counted() {
    let old =
        "Alpha paragraph one here.\n\nBravo paragraph two here.\n\nCharlie paragraph three here.";
    let new =
        "Bravo paragraph two here.\n\nCharlie paragraph three here.\n\nAlpha paragraph one here.";
    let d = WordDiff::new("T", old, "T", new);
    let s = d.summary();
    assert_eq!((s.added, s.removed), (0, 0), "{s:?}");
    assert!(s.changes.iter().all(|c| c.moved), "{s:?}");
    let labels = DiffLabels {
        url: "u".into(),
        from: "1".into(),
        to: "2".into(),
    };
    let out = render_word(&d, &[], &labels, false);
    assert!(
        out.contains("(moved here) @@\nAlpha paragraph one here."),
        "{out}"
    );
    assert!(!out.contains("{+Alpha"), "{out}");
}

#[test]
fn a_rewritten_paragraph_is_shown_old_and_new() {
    let old = "Kept paragraph stays the same.\n\nThe mayor said the plan was sound and would go ahead in spring.";
    let new = "Kept paragraph stays the same.\n\nCritics called the scheme reckless, and the council has now paused it.";
    let s = summary(old, new);
    assert_eq!(s.changes.len(), 1, "{s:?}");
    assert_eq!(s.changes[0].kind, ChangeKind::Replace);
    assert_eq!(
        s.changes[0].old,
        "The mayor said the plan was sound and would go ahead in spring."
    );
    assert_eq!(
        s.changes[0].new,
        "Critics called the scheme reckless, and the council has now paused it."
    );
    // A light edit keeps its word-level detail.
    let s = summary(
        "The mayor said the plan was sound.",
        "The mayor said the plan was flawed.",
    );
    assert_eq!(
        (s.changes[0].old.as_str(), s.changes[0].new.as_str()),
        ("sound", "flawed")
    );
}

/// A one-word edit in a script written without spaces is a change of
/// just that word, in the JSON changes, the inline word diff and the
/// HTML page; the unified diff (one line per paragraph) shows the
/// paragraph with it.
#[test]
fn one_word_edits_in_scripts_without_spaces() {
    let cases = [
        (
            "联合国人权事务高级专员办事处发布报告，称新疆存在严重侵犯人权的行为。报告呼吁中国政府释放所有被任意拘押的人。",
            "严重",
            "重大",
        ),
        (
            "国連人権高等弁務官事務所は報告書を公表し、新疆で深刻な人権侵害が行われていると指摘した。中国政府は報告を強く批判した。",
            "深刻",
            "重大",
        ),
        (
            "สำนักงานข้าหลวงใหญ่เพื่อสิทธิมนุษยชนแห่งสหประชาชาติเผยแพร่รายงาน ระบุว่ามีการละเมิดสิทธิมนุษยชนอย่างร้ายแรงในซินเจียง",
            "ร้ายแรง",
            "กว้างขวาง",
        ),
    ];
    for (old, word, replacement) in cases {
        let new = old.replacen(word, replacement, 1);
        let s = WordDiff::new("T", old, "T", &new).summary();
        assert_eq!(s.changes.len(), 1, "{old}: {:?}", s.changes);
        let c = &s.changes[0];
        // Only characters of the word change; shared characters may stay.
        assert!(!c.old.is_empty() && word.contains(c.old.as_str()), "{c:?}");
        assert!(
            !c.new.is_empty() && replacement.contains(c.new.as_str()),
            "{c:?}"
        );
        let labels = DiffLabels {
            url: "u".into(),
            from: "1".into(),
            to: "2".into(),
        };
        let diff = WordDiff::new("T", old, "T", &new);
        let word_view = render_word(&diff, &[], &labels, false);
        assert!(
            word_view.contains(&format!("[-{}-]{{+{}+}}", c.old, c.new)),
            "{word_view}"
        );
        // No spaces are invented around the change.
        let rebuilt = word_view
            .lines()
            .last()
            .unwrap()
            .replace(&format!("[-{}-]", c.old), "")
            .replace(&format!("{{+{}+}}", c.new), &c.new);
        assert_eq!(rebuilt, new);
        let html = render_html(&diff, &[], &labels);
        assert!(html.contains(&format!("<del>{}</del><ins>{}</ins>", c.old, c.new)));
        let old_f = Fields {
            title: "T",
            text: old,
            byline: None,
            published: None,
            canonical: None,
            description: None,
        };
        let new_f = Fields {
            text: &new,
            ..old_f
        };
        let unified = render_unified(&old_f, &new_f, &labels);
        assert!(unified.contains(&format!("+{new}")), "{unified}");
        assert!(s.added >= 1 && s.added <= replacement.chars().count());
    }
}

#[test]
fn excerpt_is_bounded() {
    let s = summary("a b c", "a x c");
    assert_eq!(s.excerpt(80), "[-b-]{+x+}");
    let long = summary("a", &"word ".repeat(100));
    assert!(long.excerpt(40).chars().count() <= 40);
}

/// Rebuilds the new token list from the old one and the ops.
fn apply(old: &[Token<'_>], new: &[Token<'_>], ops: &[DiffOp]) -> Vec<String> {
    let mut out = Vec::new();
    for op in ops {
        match *op {
            DiffOp::Equal { old_index, len, .. } => out.extend(
                old[old_index..old_index + len]
                    .iter()
                    .map(|s| s.text.to_string()),
            ),
            DiffOp::Delete { .. } => {}
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => out.extend(
                new[new_index..new_index + new_len]
                    .iter()
                    .map(|s| s.text.to_string()),
            ),
        }
    }
    out
}

proptest! {
    #[test]
    fn applying_the_diff_to_the_old_text_gives_the_new(
        old in proptest::collection::vec("[a-e]{1,3}", 0..40),
        new in proptest::collection::vec("[a-e]{1,3}", 0..40),
    ) {
        let old = old.join(" ");
        let new = new.join(" ");
        let seg = Segment::new(Field::Body, &old, &new);
        let rebuilt = apply(&seg.old, &seg.new, &seg.ops);
        prop_assert_eq!(rebuilt.join(" "), new.clone());
        let s = WordDiff::new("", &old, "", &new).summary();
        let old_words = crate::text::word_count(&old) as i64;
        let new_words = crate::text::word_count(&new) as i64;
        prop_assert_eq!(new_words - old_words, s.added as i64 - s.removed as i64);
    }
}
