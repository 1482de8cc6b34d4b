//! Detection on captures written for the purpose.

use super::*;
use crate::diff::summarize;

fn fields<'a>(title: &'a str, text: &'a str) -> Fields<'a> {
    Fields {
        title,
        text,
        byline: None,
        published: None,
        canonical: None,
        description: None,
    }
}

const BODY: &str = "The council met on Tuesday and voted to close the old library after a long debate about costs, staff and the future of the building. \
    Residents had campaigned for months to keep it open, collecting thousands of signatures and holding weekly vigils outside. \
    The leader said the decision was painful but that the budget left no choice, and promised a mobile library service for villages. \
    Campaigners said they would seek a judicial review of the decision and asked the county to pause any sale of the building until then.";

fn earlier(content_of: u32, f: Fields<'_>) -> Earlier<'_> {
    Earlier {
        content_of,
        fields: f,
    }
}

#[test]
fn classes_of_ordinary_changes() {
    let old = fields("Library to close", BODY);
    let texts = [
        (
            BODY.replace("Tuesday", "Wednesday"),
            "Library to close",
            ChangeClass::Minor,
        ),
        (
            BODY.replace("council", "Council"),
            "Library to close",
            ChangeClass::Cosmetic,
        ),
        (
            BODY.replace("costs, staff", "costs - staff"),
            "Library to close",
            ChangeClass::Cosmetic,
        ),
        (
            BODY.replace(
                "painful but",
                "painful, and he said he regretted it deeply, but",
            ),
            "Library to close",
            ChangeClass::Substantive,
        ),
        (
            BODY.to_string(),
            "Library will close",
            ChangeClass::Headline,
        ),
        (BODY.to_string(), "Library to Close!", ChangeClass::Cosmetic),
    ];
    let cases: Vec<(Fields<'_>, ChangeClass)> =
        texts.iter().map(|(t, h, c)| (fields(h, t), *c)).collect();
    for (new, class) in cases {
        let summary = summarize(&old, &new);
        assert_eq!(classify(&old, &new, &summary), class, "{}", new.text);
    }
    let mut new = old;
    new.byline = Some("Jane Doe");
    assert_eq!(
        classify(&old, &new, &summarize(&old, &new)),
        ChangeClass::Minor
    );
}

#[test]
fn the_relative_time_prefilter_misses_no_match() {
    for t in [
        "Updated 5 MINUTES AGO",
        "just now",
        "Just Now: x",
        "moments ago",
        "3h ago",
    ] {
        assert!(may_hold_relative_time(t), "{t}");
        assert!(RELATIVE_TIME.is_match(t), "{t}");
    }
    assert!(
        may_hold_relative_time("Chicago"),
        "a prefilter may pass extra texts"
    );
    assert!(!may_hold_relative_time("No time words here at all."));
    let p = Policy::default();
    assert_eq!(
        mask(&p, "Posted 2 hours ago in Chicago"),
        "Posted ⟨time⟩ in Chicago"
    );
}

#[test]
fn relative_times_never_make_a_change() {
    let p = Policy::default();
    let a = fields("T", "Updated 3 minutes ago. The story text.");
    let b = fields("T", "Updated 1 hour ago. The story text.");
    let recent = [earlier(1, a)];
    assert_eq!(
        decide(&p, Observed::Article(b), &recent, |_| SuspectRun::default()),
        Decision::Unchanged
    );
}

#[test]
fn dates_and_times_are_masked_only_when_switched_on() {
    let a = fields("T", "Published 20:17 on 27 November 2026. The story text.");
    let b = fields("T", "Published 21:05 on 28 November 2026. The story text.");
    let recent = [earlier(1, a)];
    assert!(matches!(
        decide(&Policy::default(), Observed::Article(b), &recent, |_| {
            SuspectRun::default()
        }),
        Decision::Store { .. }
    ));
    let p = Policy {
        masks: Masks {
            dates: true,
            times: true,
        },
        ..Policy::default()
    };
    assert_eq!(
        decide(&p, Observed::Article(b), &recent, |_| SuspectRun::default()),
        Decision::Unchanged
    );
}

#[test]
fn ignore_rules_mask_before_comparing() {
    let p = Policy {
        ignore: vec![Regex::new(r"Reading time: \d+ min").unwrap()],
        ..Policy::default()
    };
    let recent = [earlier(1, fields("T", "Reading time: 4 min. Text."))];
    assert_eq!(
        decide(
            &p,
            Observed::Article(fields("T", "Reading time: 5 min. Text.")),
            &recent,
            |_| SuspectRun::default()
        ),
        Decision::Unchanged
    );
}

#[test]
fn walls_and_vanished_articles_are_suspect_until_they_persist() {
    let p = Policy::default();
    let good = fields("Library to close", BODY);
    let recent = [earlier(1, good)];
    let wall = fields(
        "Just a moment...",
        "Checking your browser before accessing the site. Please enable JavaScript and cookies.",
    );
    match decide(&p, Observed::Article(wall), &recent, |_| {
        SuspectRun::default()
    }) {
        Decision::Suspect { kind, reason } => {
            assert_eq!(kind, SuspectKind::Blocked);
            assert!(reason.starts_with("blocked:"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // The third time in a row it is recorded, as a removal.
    assert_eq!(
        decide(&p, Observed::Article(wall), &recent, |k| {
            SuspectRun::of(if k == SuspectKind::Blocked { 2 } else { 0 })
        }),
        Decision::Store {
            class: Some(ChangeClass::Removed),
            revert_of: None,
            alert_paused: false
        }
    );
    assert!(matches!(
        decide(&p, Observed::Nothing("no article found"), &recent, |_| {
            SuspectRun::default()
        }),
        Decision::Suspect { .. }
    ));
    let shrunk = fields("Library to close", "The council met on Tuesday.");
    match decide(&p, Observed::Article(shrunk), &recent, |_| {
        SuspectRun::default()
    }) {
        Decision::Suspect { kind, reason } => {
            assert_eq!(kind, SuspectKind::Shrunk);
            assert!(reason.starts_with("shrunk:"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // A wall is not version 1 at once...
    assert!(matches!(
        decide(&p, Observed::Article(wall), &[], |_| SuspectRun::default()),
        Decision::Suspect { .. }
    ));
    // ...nor when it persists, if its headline is a challenge's.
    let persisted = |_| SuspectRun {
        checks: 5,
        same_text: 5,
    };
    assert!(matches!(
        decide(&p, Observed::Article(wall), &[], persisted),
        Decision::Suspect { .. }
    ));
    // A short article that says "no longer available" is suspect until
    // the same text has come back `suspect_after` times.
    let short = fields(
        "Ferry route to close",
        "The island ferry service is no longer available on Sundays from March, the operator said.",
    );
    let run = |checks, same_text| move |_| SuspectRun { checks, same_text };
    assert!(matches!(
        decide(&p, Observed::Article(short), &[], run(2, 1)),
        Decision::Suspect { .. }
    ));
    assert!(matches!(
        decide(&p, Observed::Article(short), &[], run(2, 0)),
        Decision::Suspect { .. }
    ));
    assert_eq!(
        decide(&p, Observed::Article(short), &[], run(2, 2)),
        Decision::Store {
            class: None,
            revert_of: None,
            alert_paused: false
        }
    );
    // Newer challenge phrasings are walls too.
    for text in [
        "Please verify you are a human to continue.",
        "Press and hold the button to confirm you are not a bot.",
        "Enable JavaScript and cookies to continue.",
    ] {
        assert!(blocked_reason("example.com", text).is_some(), "{text}");
    }
    // A long article that mentions a captcha is an article.
    let long = format!("{BODY} {BODY} {BODY} It asked readers to solve a captcha.");
    assert_eq!(blocked_reason("Robots", &long), None);
}

#[test]
fn reverts_share_content_and_flapping_pauses_alerts() {
    let p = Policy::default();
    let a = fields("Headline A", BODY);
    let b = fields("Headline B", BODY);
    // v1 = A, v2 = B; now A again.
    let recent = [earlier(2, b), earlier(1, a)];
    assert_eq!(
        decide(&p, Observed::Article(a), &recent, |_| SuspectRun::default()),
        Decision::Store {
            class: Some(ChangeClass::Revert),
            revert_of: Some(1),
            alert_paused: false
        }
    );
    // v1 A, v2 B, v3 A(1), v4 B(2): now A again is the 4th alternation.
    let recent = [earlier(2, b), earlier(1, a), earlier(2, b), earlier(1, a)];
    assert_eq!(
        decide(&p, Observed::Article(a), &recent, |_| SuspectRun::default()),
        Decision::Store {
            class: Some(ChangeClass::Revert),
            revert_of: Some(1),
            alert_paused: true
        }
    );
}

#[test]
fn streaks_count_only_the_same_state() {
    use SuspectKind::{Blocked, Shrunk};
    let checks = [Some(Blocked), Some(Blocked), Some(Shrunk), None];
    assert_eq!(suspect_streak(checks, SuspectKind::Blocked), 2);
    assert_eq!(suspect_streak(checks, SuspectKind::Shrunk), 0);
    assert_eq!(suspect_streak([None, Some(Blocked)], Blocked), 0);
    let seen = [
        (Some(Blocked), true),
        (Some(Blocked), false),
        (Some(Blocked), true),
    ];
    assert_eq!(
        suspect_run(seen, SuspectKind::Blocked),
        SuspectRun {
            checks: 3,
            same_text: 1
        }
    );
}
