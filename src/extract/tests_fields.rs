//! Extraction on pages written for the purpose: robustness and the fields
//! besides the body.

use super::tests::PAGE;
use super::*;

/// Candidates with equal scores are decided by document order, never by
/// a hash map's: every extraction of a page gives the same article.
#[test]
fn extraction_is_deterministic() {
    let page = "<html><body><h1>Two halves</h1>\
        <div class=\"a\"><p>The first block has exactly this many letters in it, and a comma.</p></div>\
        <div class=\"b\"><p>The other block has exactly this many letters in it, and a comma.</p></div>\
        </body></html>";
    let first = extract(page, None, None).unwrap();
    for _ in 0..40 {
        assert_eq!(extract(page, None, None).unwrap(), first);
    }
}

#[test]
fn dates_come_from_marked_elements() {
    let page = r#"<html><body><article><h1>Harbour</h1>
        <time class="updated" datetime="2026-11-29T07:31:00Z">Updated 07:31</time>
        <time itemprop="datePublished" datetime="2022-08-31T22:10:00Z">31 August 2022</time>
        <p>The harbour reopened on Monday after three weeks of repairs to the sea wall, officials said.</p>
        </article></body></html>"#;
    let a = extract(page, None, None).unwrap();
    assert_eq!(a.published.as_deref(), Some("2022-08-31T22:10:00Z"));
    assert_eq!(a.modified.as_deref(), Some("2026-11-29T07:31:00Z"));
    // Without itemprop: the first <time> not marked as an update.
    let page = page.replace(r#" itemprop="datePublished""#, "");
    let a = extract(&page, None, None).unwrap();
    assert_eq!(a.published.as_deref(), Some("2022-08-31T22:10:00Z"));
}

#[test]
fn code_listings_keep_their_highlighted_comments() {
    let page = r#"<html><body><article><h1>Git basics</h1>
        <p>Staging files is the first step of every commit, and the command takes a list of paths or a flag.</p>
        <pre><code>git add -A <span class="hljs-comment"># this will stage all of your modified files</span></code></pre>
        <p>After that, a commit records the staged changes with a message that says what they do and why.</p>
        </article></body></html>"#;
    let a = extract(page, None, None).unwrap();
    assert!(
        a.text
            .contains("this will stage all of your modified files"),
        "{}",
        a.text
    );
}

#[test]
fn state_classes_are_not_furniture_names() {
    let story = "<p>The ferry company said on Monday that it would add two sailings a day from June, after a winter of delays.</p><p>Islanders welcomed the news but asked for a review of the timetable in the autumn, when fares are set.</p>";
    let page = format!(
        "<html><body><article class=\"post has-comments with-sidebar\"><h1>Ferries</h1>{story}</article><div id=\"comments\"><p>First! Great article, thanks for writing it up so clearly.</p></div></body></html>"
    );
    let a = extract(&page, None, None).unwrap();
    assert!(a.text.contains("two sailings a day"), "{}", a.text);
    assert!(!a.text.contains("First!"), "{}", a.text);
}

#[test]
fn broken_json_ld_still_gives_its_author_and_headline() {
    let page = r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
        "headline":"Ferries \"to double\"","author":{"@type":"Person","name":"Ana Costa"},"datePublished":"2022-03-01T10:00:00Z",
        "articleBody":"<p class="lead">The ferry company said..."}</script></head>
        <body><article><p>The ferry company said on Monday that it would add two sailings a day from June, after a winter of delays.</p></article></body></html>"#;
    let a = extract(page, None, None).unwrap();
    assert_eq!(a.byline.as_deref(), Some("Ana Costa"));
    assert_eq!(a.published.as_deref(), Some("2022-03-01T10:00:00Z"));
    assert_eq!(a.title, "Ferries \"to double\"");
}

#[test]
fn promo_lines_and_counter_rows_are_not_the_story() {
    assert!(is_promo_line(
        "Read more: Storm warnings issued for the coast here"
    ));
    assert!(is_promo_line("READ MORE: Flood defences tested"));
    assert!(is_promo_line("Lesen Sie auch: Hochwasser im Süden"));
    assert!(!is_promo_line(
        "The minister said more: the plan would go ahead."
    ));
    assert!(is_page_counter_or_stamp("1.2k shares · 34 comments"));
    assert!(is_page_counter_or_stamp("12,345 views 23 comments"));
    assert!(!is_page_counter_or_stamp(
        "34 comments were left by readers on the story"
    ));
    let page = r#"<html><body><article><h1>Dam report</h1>
        <p>The dam held through the night, engineers said on Tuesday after inspecting the wall.</p>
        <p><strong>Read more:</strong> Flood warnings issued for the coast <a href="/n/1">here</a></p>
        <p>Residents were allowed back into their homes in the afternoon, police said.</p>
        <div><span>1.2k shares</span> <span>34 comments</span></div>
        </article></body></html>"#;
    let a = extract(page, None, None).unwrap();
    assert!(!a.text.contains("Read more"), "{}", a.text);
    assert!(!a.text.contains("shares"), "{}", a.text);
    assert!(a.text.contains("Residents were allowed back"), "{}", a.text);
}

#[test]
fn article_body_leaves_furniture_out() {
    let a = extract(PAGE, None, Some("https://news.example/news/storm?x=1")).unwrap();
    assert_eq!(a.title, "Storm hits coast");
    assert_eq!(
        a.text,
        "The storm reached the coast early on Friday, bringing winds of more than 100 km/h, officials said.\n\n\
         Thousands of homes lost power, and schools in three districts were closed for the day.\n\n\
         Forecasters expect the wind to ease by Saturday evening, but warned of flooding along rivers."
    );
    assert_eq!(a.byline.as_deref(), Some("Jane Doe"));
    assert_eq!(a.published.as_deref(), Some("2026-11-01T08:00:00Z"));
    assert_eq!(
        a.canonical.as_deref(),
        Some("https://news.example/news/storm")
    );
    assert_eq!(a.description.as_deref(), Some("A storm reached the coast."));
}

#[test]
fn selector_overrides_automatic_extraction() {
    let sel = BodySelector::parse("section#comments").unwrap();
    let a = extract(PAGE, Some(&sel), None).unwrap();
    assert!(a.text.contains("Great article"), "{}", a.text);
    let sel = BodySelector::parse("div.nope").unwrap();
    assert!(matches!(
        extract(PAGE, Some(&sel), None),
        Err(ExtractError::SelectorMatchedNothing { .. })
    ));
}

#[test]
fn pages_without_articles_say_so() {
    for page in [
        "",
        "<html><body><nav><a href=/>Home</a></nav></body></html>",
        "\u{0}\u{1}garbage<<<>>>",
    ] {
        assert!(
            matches!(
                extract(page, None, None),
                Err(ExtractError::NoArticle { .. })
            ),
            "{page:?}"
        );
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let mut page = String::from("<html><body>");
    page.push_str(&"<div>".repeat(10_000));
    page.push_str(
        "<p>Deep inside the page there is a paragraph of article text, long enough to count.</p>",
    );
    page.push_str(&"</div>".repeat(10_000));
    page.push_str("</body></html>");
    let a = extract(&page, None, None);
    // html5ever may flatten some of the nesting; what matters is no crash
    // and the text found when the tree keeps it.
    if let Ok(a) = a {
        assert!(a.text.contains("Deep inside"));
    }
}

#[test]
fn div_text_and_double_breaks_make_paragraphs() {
    let page = "<html><body><div class=\"story\">First paragraph of the story, with enough words to count.<br><br>Second paragraph of the story, also long enough to count here.</div></body></html>";
    let a = extract(page, None, None).unwrap();
    assert_eq!(a.text.split("\n\n").count(), 2, "{}", a.text);
}

#[test]
fn json_ld_provides_metadata() {
    let page = r#"<html><head><script type="application/ld+json">
{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},{"@type":"NewsArticle","headline":"LD headline","datePublished":"2026-01-02T03:04:05Z","dateModified":"2026-01-03T00:00:00Z","author":[{"@type":"Person","name":"A. Writer"},{"@type":"Person","name":"B. Writer"}]}]}
</script></head><body><p>Some article text that is long enough to be counted as a paragraph of the article.</p></body></html>"#;
    let a = extract(page, None, None).unwrap();
    assert_eq!(a.title, "LD headline");
    assert_eq!(a.byline.as_deref(), Some("A. Writer, B. Writer"));
    assert_eq!(a.published.as_deref(), Some("2026-01-02T03:04:05Z"));
    assert_eq!(a.modified.as_deref(), Some("2026-01-03T00:00:00Z"));
}

#[test]
fn non_latin_text_survives() {
    let page = "<html><body><article><h1>国連報告書</h1><p>国連人権高等弁務官事務所は、新疆ウイグル自治区に関する報告書を公表した。中国政府はこれに反発している。</p><p>報告書は、人道に対する罪に当たる可能性があると指摘した。</p></article></body></html>";
    let a = extract(page, None, None).unwrap();
    assert_eq!(a.title, "国連報告書");
    assert!(a.text.contains("人道に対する罪"));
}

/// Regression: a page-wide `<div class="widget">`, `<form>` or
/// `div.Page-ad-margins` wrapper was taken for furniture and the whole
/// article vanished ("no article found").
#[test]
fn furniture_names_on_a_page_wide_wrapper_are_ignored() {
    for open in [
        "<div class=\"Page-ad-margins\">",
        "<form id=\"aspnetForm\">",
        "<div id=\"Blog1\" class=\"widget Blog\">",
    ] {
        let close = if open.starts_with("<form") {
            "</form>"
        } else {
            "</div>"
        };
        let page = format!(
            "<html><body>{open}<nav><a href=/>Home</a></nav><div class=\"story\">\
             <p>The council voted on Tuesday to close the library, after a debate that lasted six hours.</p>\
             <p>Residents said they would appeal the decision, which takes effect in March next year.</p>\
             </div><div class=\"sidebar\"><p>Other news, and more other news, and yet more.</p></div>{close}</body></html>"
        );
        let a = extract(&page, None, None).unwrap_or_else(|e| panic!("{open}: {e}"));
        assert!(
            a.text.starts_with("The council voted"),
            "{open}: {}",
            a.text
        );
        assert!(
            !a.text.contains("Other news"),
            "{open}: the small sidebar is still furniture"
        );
    }
}

#[test]
fn extreme_nesting_is_flattened_before_parsing() {
    let mut page = String::from("<html><body><!-- <div> --><script>var s = '<div><div>';</script>");
    page.push_str(&"<div><span>x</span><br/>".repeat(3000));
    page.push_str(
        "<p>The text at the bottom of the pile, long enough to count as the article.</p>",
    );
    page.push_str(&"</div>".repeat(3000));
    page.push_str("</body></html>");
    let flat = trim_for_parsing(&page);
    assert!(matches!(flat, std::borrow::Cow::Owned(_)));
    // The comment and the script's content are gone too.
    assert_eq!(flat.matches("<div>").count(), MAX_PARSE_DEPTH);
    assert!(flat.contains("<script></script>"));
    assert_eq!(flat.matches("</div>").count(), MAX_PARSE_DEPTH);
    assert!(flat.contains("The text at the bottom of the pile"));
    let a = extract(&page, None, None).unwrap();
    assert!(
        a.text.contains("The text at the bottom of the pile"),
        "{}",
        a.text
    );
    // Pages with nothing to trim pass through untouched.
    let normal = "<html><body><p>Plain page.</p></body></html>";
    assert!(matches!(
        trim_for_parsing(normal),
        std::borrow::Cow::Borrowed(_)
    ));
    // JSON-LD is kept; other scripts, styles and comments are emptied.
    let page = "<head><script type=\"application/LD+JSON\">{\"a\":1}</script><style>p{}</style><!-- x --><script src=a.js>var x='</div>';</script></head><svg viewBox=\"0 0 9 9\"><path d=\"M0 0L9 9\"/></svg><svg/>";
    assert_eq!(
        trim_for_parsing(page),
        "<head><script type=\"application/LD+JSON\">{\"a\":1}</script><style></style><script src=a.js></script></head><svg viewBox=\"0 0 9 9\"></svg><svg/>"
    );
}

#[test]
fn malformed_html_still_yields_the_article() {
    let page = "<html><body><div><p>First paragraph of the story is here, and it is long enough.<p>Second paragraph without closing tags, also long enough to count<div><span>unclosed span <b>bold</i></p></p></div></td></tr>";
    let a = extract(page, None, None).unwrap();
    assert!(a.text.starts_with("First paragraph"), "{}", a.text);
    assert!(a.text.contains("Second paragraph"));
}

#[test]
fn a_five_megabyte_page_is_extracted() {
    let mut page = String::from("<html><body><article><h1>Big</h1>");
    let para = "<p>This paragraph of the article is repeated, with commas, clauses, and more words to make it long.</p>\n";
    while page.len() < 5 * 1024 * 1024 {
        page.push_str(para);
    }
    page.push_str("</article></body></html>");
    let a = extract(&page, None, None).unwrap();
    assert_eq!(a.title, "Big");
    assert!(a.text.len() > 4 * 1024 * 1024);
}

/// Regression guard: every level holding its own text made scoring walk
/// each subtree again, quadratic in the depth.
#[test]
fn deep_nesting_with_text_at_every_level() {
    let mut page = String::from("<html><body>");
    for i in 0..10_000 {
        page.push_str(&format!(
            "<div>level {i} has some text of its own, enough to count"
        ));
    }
    page.push_str(&"</div>".repeat(10_000));
    page.push_str("</body></html>");
    let _ = extract(&page, None, None);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096)) {
        let decoded = crate::decode::decode(&bytes, None, None);
        let _ = extract(&decoded.text, None, None);
    }

    #[test]
    fn arbitrary_tag_soup_never_panics(parts in proptest::collection::vec(
        proptest::prop_oneof![
            proptest::prelude::Just("<p>".to_string()),
            proptest::prelude::Just("</p>".to_string()),
            proptest::prelude::Just("<div class=\"article-body\">".to_string()),
            proptest::prelude::Just("</div>".to_string()),
            proptest::prelude::Just("<a href=x>".to_string()),
            proptest::prelude::Just("</a>".to_string()),
            proptest::prelude::Just("<nav>".to_string()),
            proptest::prelude::Just("<h1>".to_string()),
            proptest::prelude::Just("<br>".to_string()),
            proptest::prelude::Just("<table><tr><td>".to_string()),
            proptest::prelude::Just("<script>".to_string()),
            proptest::prelude::Just("<!--".to_string()),
            "[a-zA-Z ,.]{0,60}",
        ],
        0..200,
    )) {
        let page = parts.concat();
        if let Ok(a) = extract(&page, None, None) {
            proptest::prop_assert_eq!(crate::text::normalize_text(&a.text), a.text.clone());
        }
    }
}

#[test]
fn fields_of_a_wordpress_page_with_opengraph() {
    let a = extract(
        include_str!("../../tests/fixtures/wordpress-opengraph.html"),
        None,
        Some("https://valleycourier.example/2026/03/10/council-approves-flood-wall/"),
    )
    .unwrap();
    assert_eq!(
        a.title,
        "Council approves riverside flood wall after two-year row"
    );
    assert_eq!(a.byline.as_deref(), Some("Megan Price"));
    assert_eq!(a.published.as_deref(), Some("2026-03-10T09:15:00+00:00"));
    assert_eq!(a.modified.as_deref(), Some("2026-03-10T14:02:31+00:00"));
    assert_eq!(
        a.canonical.as_deref(),
        Some("https://valleycourier.example/2026/03/10/council-approves-flood-wall/")
    );
    assert_eq!(
        a.description.as_deref(),
        Some(
            "A 1.2 km flood wall along the River Wye will be built next spring, councillors decided on Tuesday."
        )
    );
    assert_eq!(a.text.split("\n\n").count(), 4, "{}", a.text);
    for furniture in [
        "Share this",
        "Photo:",
        "Posted in",
        "About time",
        "Recent Posts",
        "Proudly powered",
    ] {
        assert!(!a.text.contains(furniture), "{furniture:?} in {}", a.text);
    }
}

#[test]
fn fields_of_a_page_with_a_json_ld_graph() {
    let a = extract(
        include_str!("../../tests/fixtures/jsonld-graph.html"),
        None,
        Some("https://eft.example/markets/2026/11/central-bank-holds-rates?utm_source=x"),
    )
    .unwrap();
    assert_eq!(a.title, "Central bank holds rates as inflation cools");
    assert_eq!(a.byline.as_deref(), Some("Priya Natarajan, Tom Becker"));
    assert_eq!(a.published.as_deref(), Some("2026-11-20T12:00:00Z"));
    assert_eq!(a.modified.as_deref(), Some("2026-11-20T15:45:00Z"));
    assert_eq!(
        a.canonical.as_deref(),
        Some("https://eft.example/markets/2026/11/central-bank-holds-rates")
    );
    assert!(a.text.starts_with("The central bank kept"), "{}", a.text);
    assert!(a.text.ends_with("expected in January."), "{}", a.text);
    for furniture in [
        "FTSE",
        "Advertisement",
        "Related",
        "Mortgage rates",
        "By Priya",
    ] {
        assert!(!a.text.contains(furniture), "{furniture:?} in {}", a.text);
    }
}

#[test]
fn fields_of_an_old_style_page_with_only_a_time_element() {
    let a = extract(
        include_str!("../../tests/fixtures/time-only.html"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(a.title, "Storm closes mountain pass for third day");
    assert_eq!(a.published.as_deref(), Some("2026-01-14T07:30:00+01:00"));
    assert_eq!(a.byline, None);
    assert_eq!(a.canonical, None);
    assert!(
        a.text.starts_with("The Col du Vent"),
        "the dateline is not body text: {}",
        a.text
    );
    assert_eq!(a.text.split("\n\n").count(), 3);
}

#[test]
fn exclude_rules_remove_elements_before_extraction() {
    let page = "<html><body><article><h1>T</h1><p>The first paragraph of the article, long enough to count here.</p>\
        <div class=\"live\"><p>Live: markets up 2.3 per cent at 14:05, oil down, gold steady for now.</p></div>\
        <p>The second paragraph of the article, also long enough to count here.</p></article></body></html>";
    let live = BodySelector::parse("div.live").unwrap();
    let a = extract_with(page, None, std::slice::from_ref(&live), None).unwrap();
    assert!(!a.text.contains("markets"), "{}", a.text);
    assert_eq!(a.text.split("\n\n").count(), 2);
    // With a body selector too.
    let body = BodySelector::parse("article").unwrap();
    let a = extract_with(page, Some(&body), &[live], None).unwrap();
    assert!(!a.text.contains("markets"), "{}", a.text);
}

#[test]
fn stamps_and_counters_are_not_body_text() {
    for line in [
        "Updated 3 minutes ago",
        "Published 10:02 AM UTC, Thu September 1, 2022",
        "Last updated: 27/11/2026 20:17",
        "1.2k shares",
        "42 comments",
        "5 min read",
        "2 hours ago",
    ] {
        assert!(is_page_counter_or_stamp(line), "{line}");
    }
    for line in [
        "Updated figures released on Tuesday show 42 people were injured in the blast.",
        "The ministry published 12 reports.",
        "42 comments were received during the consultation, officials said.",
        "Inside Xinjiang",
        "Updated figures show 42 people were injured.",
    ] {
        assert!(!is_page_counter_or_stamp(line), "{line}");
    }
}

#[test]
fn bad_selectors_are_rejected() {
    assert!(BodySelector::parse("div[[").is_err());
    assert!(BodySelector::parse("  ").is_err());
    assert_eq!(
        BodySelector::parse(" article p ").unwrap().as_str(),
        "article p"
    );
}
