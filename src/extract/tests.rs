//! Extraction on pages written for the purpose: which text is the story.

use super::*;

pub(super) const PAGE: &str = r##"<!DOCTYPE html><html><head>
<title>Storm hits coast | Daily Example</title>
<meta property="og:title" content="Storm hits coast">
<meta name="description" content="A storm reached the coast.">
<meta property="article:published_time" content="2026-11-01T08:00:00Z">
<link rel="canonical" href="/news/storm">
</head><body>
<header class="site-header"><h1 class="logo">Daily Example</h1><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<div class="clock">Friday 20:17</div></header>
<main><article>
<h1>Storm hits coast</h1>
<div class="byline">By Jane Doe</div>
<div class="share"><a href="#">Share on X</a></div>
<p>The storm reached the coast early on Friday, bringing winds of more than 100 km/h, officials said.</p>
<figure><img src="a.jpg"><figcaption>Waves at the harbour. Photo: agency</figcaption></figure>
<p>Thousands of homes lost power, and schools in three districts were closed for the day.</p>
<aside class="related"><h3>Related</h3><ul><li><a href="/x">Earlier storm</a></li></ul></aside>
<p>Forecasters expect the wind to ease by Saturday evening, but warned of flooding along rivers.</p>
</article></main>
<section id="comments"><h3>Leave a Reply</h3><form><textarea></textarea></form><p>Great article, thanks for sharing this with us all!</p></section>
<footer><p>Most read: something else entirely, with many commas, and more, and more.</p></footer>
<script>var x = "not text";</script>
</body></html>"##;

#[test]
fn the_byline_is_the_author_names_only() {
    let body = "<p>The harbour reopened on Monday after three weeks of repairs to the sea wall, officials said.</p>";
    let cases = [
        (
            r##"<p class="byline">By <span class="author">Ana Costa</span> &middot; <time datetime="2026-11-29T07:31:00Z">Updated 07:31</time> &middot; <span class="views">12,345 views</span> &middot; <a href="#comments">23 comments</a></p>"##,
            "Ana Costa",
        ),
        (
            r##"<div class="article-byline">By Ana Costa and Li Wei | Published 3 hours ago</div>"##,
            "Ana Costa and Li Wei",
        ),
        (
            r##"<div class="meta"><a rel="author" href="/staff/ana">Ana Costa</a> <span>5 min read</span></div>"##,
            "Ana Costa",
        ),
        (
            r##"<div class="byline"><span itemprop="author" itemscope><span itemprop="name">Ana Costa</span></span><time>Nov 29</time></div>"##,
            "Ana Costa",
        ),
    ];
    for (byline, want) in cases {
        let page = format!(
            "<html><body><article><h1>Harbour reopens</h1>{byline}{body}</article></body></html>"
        );
        let a = extract(&page, None, None).unwrap();
        assert_eq!(a.byline.as_deref(), Some(want), "{byline}");
    }
}

/// Failure kinds of pages nobody here wrote, each on a small page
/// written for the test: the article must come out.
#[test]
fn articles_in_unusual_containers_are_found() {
    let story = "<p>The ferry company said on Monday that it would add two sailings a day from June, after a winter in which passengers waited for hours at the harbour.</p>\
        <p>Islanders welcomed the news but said the timetable still left the first crossing too late for workers, and asked for a review in the autumn.</p>\
        <p>The council will meet the operator next week to discuss fares, which rose by a fifth last year, and the state of the old pier.</p>";
    let nav =
        "<nav><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/sport\">Sport</a></nav>";
    let footer = "<footer><p>Copyright 2026 Example Media. All rights reserved. Reproduction without permission is prohibited.</p></footer>";
    let pages = [
        // Streaming server rendering: the article arrives hidden and a
        // script reveals it.
        format!(
            "<html><body>{nav}<div hidden id=\"S:0\"><article><h1>More ferries</h1>{story}</article></div>{footer}</body></html>"
        ),
        // The content column is named like furniture by a layout.
        format!(
            "<html><body>{nav}<div class=\"main-layout\"><section class=\"col-9 sidebar-first-only\">{story}</section><aside class=\"sidebar\"><p>Newsletter: sign up to get our best stories by email every morning.</p></aside></div>{footer}</body></html>"
        ),
        // A rich-text editor left the article as bare text in a span.
        format!(
            "<html><body>{nav}<section class=\"post\"><span class=\"rich\">{}</span></section>{footer}</body></html>",
            story.replace("<p>", "").replace("</p>", "<br><br>")
        ),
        // Held in <div>s rather than <p>s, split over sibling blocks.
        format!(
            "<html><body>{nav}<main>{}</main>{footer}</body></html>",
            story
                .replace("<p>", "<div class=\"block\"><div>")
                .replace("</p>", "</div></div>")
        ),
    ];
    for page in &pages {
        let a = extract(page, None, None).unwrap_or_else(|e| panic!("{e}: {page}"));
        for needle in [
            "two sailings a day",
            "first crossing too late",
            "state of the old pier",
        ] {
            assert!(
                a.text.contains(needle),
                "{needle} missing from {:?} of {page}",
                a.text
            );
        }
        assert!(!a.text.contains("Copyright"), "{}", a.text);
    }
    // A page whose one short article sits between a large footer and
    // navigation still yields it: "no article" is the last resort.
    let short = format!(
        "<html><body>{nav}<div class=\"widget-area\"><p>Short notice: the library opens an hour later on Saturday while the heating is repaired.</p></div>{footer}</body></html>"
    );
    let a = extract(&short, None, None).unwrap();
    assert!(a.text.contains("library opens an hour later"), "{}", a.text);
    // Steps folded into an accordion (WAI-ARIA: a region labelled by
    // its button) are the article's; a hidden pop-up is not.
    let folded = format!(
        "<html><body>{nav}<article><h1>More ferries</h1>{story}\
         <h3><button id=\"s1\" aria-expanded=\"false\" aria-controls=\"p1\">Step 1: book early</button></h3>\
         <div id=\"p1\" role=\"region\" aria-labelledby=\"s1\" style=\"display: none\"><p>Seats on the first sailing sell out weeks ahead in summer, so book as soon as the timetable is published in spring.</p></div>\
         <div class=\"popup\" style=\"display:none\"><p>Before you go: sign up for our newsletter and never miss a story from the islands again, every morning.</p></div>\
         </article>{footer}</body></html>"
    );
    let a = extract(&folded, None, None).unwrap();
    assert!(a.text.contains("sell out weeks ahead"), "{}", a.text);
    assert!(!a.text.contains("Before you go"), "{}", a.text);
    // The article's own address printed as text is not the story.
    let printed = format!(
        "<html><body><article><h1>More ferries</h1>{story}<p>https://news.example/2026/ferries-more-sailings</p></article></body></html>"
    );
    let a = extract(&printed, None, None).unwrap();
    assert!(!a.text.contains("https://"), "{}", a.text);
}

/// A page whose story sits in containers named like furniture, beside
/// a larger block of other prose: the rules alone take the wrong block;
/// the body the page declares in JSON-LD points to the right one.
#[test]
fn the_declared_body_points_to_the_story() {
    let paras = [
        "The ferry company said on Monday that it would add two sailings a day from June, after a winter in which passengers waited for hours at the harbour.",
        "Islanders welcomed the news but said the timetable still left the first crossing too late for workers, and asked for a review in the autumn.",
        "The council will meet the operator next week to discuss fares, which rose by a fifth last year, and the state of the old pier.",
    ];
    let story: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
    let quotes: String = (0..8)
        .map(|i| format!("<blockquote>Reader {i} wrote: I have taken this crossing every week for years, and the staff, the boats, and the views have never once let me down.</blockquote>"))
        .collect();
    let page = |ld: &str| {
        format!(
            "<html><head>{ld}</head><body><h1>More ferries</h1>\
             <section class=\"promo-newsletter\"><div class=\"newsletter-content\">{story}</div></section>\
             <div class=\"quotes\">{quotes}</div></body></html>"
        )
    };
    let without = extract(&page(""), None, None).unwrap();
    assert!(
        !without.text.contains("two sailings a day"),
        "{}",
        without.text
    );
    let ld = format!(
        r#"<script type="application/ld+json">{{"@type":"NewsArticle","headline":"More ferries","articleBody":"{}"}}</script>"#,
        paras.join(" ")
    );
    let with = extract(&page(&ld), None, None).unwrap();
    for p in paras {
        assert!(with.text.contains(p), "{p} missing from {}", with.text);
    }
    assert!(!with.text.contains("Reader 0"), "{}", with.text);
}

/// A long review told in many short blocks (specs, verdicts, a few
/// sentences each) must beat the one-sentence disclaimer box beside it,
/// which has more commas per block than any of them.
#[test]
fn a_small_dense_block_does_not_beat_a_long_article() {
    let mut review = String::new();
    for i in 0..30 {
        review.push_str(&format!(
            "<div class=\"cell\"><h3>Model {i}</h3><div>The model {i} kept its charge for a full day of riding in the hills and folded in seconds.</div><div>Braking was firm in the wet and the lights were bright enough for country lanes at night.</div></div>"
        ));
    }
    let page = format!(
        "<html><body><h1>The best folding bikes</h1>\
         <div class=\"note\"><p>We may earn a commission, at no cost to you, when you buy through links on this page, which supports our testing, writing, and photography, and keeps the site free.</p></div>\
         <div class=\"grid\">{review}</div></body></html>"
    );
    let a = extract(&page, None, None).unwrap();
    assert!(a.text.contains("Model 0"), "{}", a.text);
    assert!(
        a.text.contains("The model 29 kept its charge"),
        "{}",
        a.text
    );
}

/// Verse and lists are short lines with few commas; a poem must still
/// come out, not the page's furniture around it.
#[test]
fn verse_is_an_article() {
    let stanza = "The tide comes in across the sand<br>\
        and leaves the harbour wall behind<br>\
        the boats lie down on either hand<br>\
        and wait for water, wait for wind";
    let poem: String = (0..6).map(|_| format!("<p>{stanza}</p>")).collect();
    let page = format!(
        "<html><body><nav><a href=\"/\">Home</a> <a href=\"/poems\">Poems</a></nav>\
         <div class=\"sidebar\"><p>Subscribe to our weekly letter of new poems, reviews, and events near you, with a discount on tickets.</p></div>\
         <article><h1>Low Water</h1>{poem}</article>\
         <footer><p>Copyright 2026 Example Press, a registered charity, all rights reserved.</p></footer></body></html>"
    );
    // The same verse without an <article>: a column of short lines.
    let bare = page
        .replace("<article>", "<div class=\"poem\">")
        .replace("</article>", "</div>");
    for page in [&page, &bare] {
        let a = extract(page, None, None).unwrap();
        assert!(
            a.text.contains("wait for water, wait for wind"),
            "{}",
            a.text
        );
        assert!(
            a.text.contains("the boats lie down on either hand"),
            "{}",
            a.text
        );
        assert!(!a.text.contains("Subscribe"), "{}", a.text);
    }
}

/// Text for the reader's tools, not the story: a reprint notice, the
/// page's own address, text-size buttons.
#[test]
fn reprint_and_tool_text_is_left_out() {
    let story = "<p>The ferry company said on Monday that it would add two sailings a day from June, after a winter in which passengers waited for hours.</p>\
        <p>Islanders welcomed the news but said the timetable still left the first crossing too late for workers, and asked for a review.</p>";
    let page = format!(
        "<html><body><article><h1>More ferries</h1>\
         <div class=\"tools\"><span>Text size</span><button>A-</button><button>A+</button></div>\
         <p>This copy is for your personal, non-commercial use only. To order presentation-ready copies for distribution to colleagues or customers, use the order form.</p>\
         {story}<p>https://news.example/2026/ferries</p></article></body></html>"
    );
    let a = extract(&page, None, None).unwrap();
    assert!(a.text.contains("two sailings a day"), "{}", a.text);
    assert!(!a.text.contains("Text size"), "{}", a.text);
    assert!(!a.text.contains("A+"), "{}", a.text);
    assert!(!a.text.contains("non-commercial"), "{}", a.text);
    assert!(!a.text.contains("https://"), "{}", a.text);
    // A subheading with a "copy link" button, and a checklist, stay.
    let page = format!(
        "<html><body><article><h1>More ferries</h1>{story}\
         <h3>What changes in June <button>#</button></h3>{story}\
         <ul><li><input type=\"checkbox\"> Book a seat</li><li><input type=\"checkbox\"> Print the ticket</li></ul></article></body></html>"
    );
    let a = extract(&page, None, None).unwrap();
    assert!(a.text.contains("What changes in June"), "{}", a.text);
    assert!(a.text.contains("Print the ticket"), "{}", a.text);
    // A rights line at the end goes; one inside the story stays.
    let page = format!(
        "<html><body><article><h1>More ferries</h1>{story}\
         <p>The operator said all rights reserved under the old contract would pass to the council.</p>{story}\
         <p>© 2026 Example News. All rights reserved.</p></article></body></html>"
    );
    let a = extract(&page, None, None).unwrap();
    assert!(a.text.contains("would pass to the council"), "{}", a.text);
    assert!(!a.text.contains("Example News"), "{}", a.text);
}

/// Pages in other languages: no English word decides the article.
#[test]
fn non_english_articles_are_found() {
    let pages = [
        (
            "de",
            "<p>Die Fähre fährt ab Juni zweimal täglich öfter, teilte das Unternehmen am Montag mit, nachdem Fahrgäste im Winter stundenlang am Hafen warteten.</p>\
             <p>Die Inselbewohner begrüßten die Nachricht, sagten aber, die erste Überfahrt sei für Pendler noch immer zu spät.</p>",
            "zweimal täglich",
            "<div class=\"seitenleiste\"><p>Newsletter abonnieren: die wichtigsten Nachrichten des Tages, jeden Morgen kostenlos in Ihrem Postfach.</p></div>",
        ),
        (
            "ja",
            "<p>フェリー会社は月曜日、六月から一日二便を増やすと発表した。冬の間、乗客は港で何時間も待たされていた。</p>\
             <p>島の住民はこの知らせを歓迎したが、始発便は通勤にはまだ遅すぎると述べ、秋に見直すよう求めた。</p>",
            "一日二便を増やす",
            "<div class=\"sokumen\"><p>ニュースレターに登録すると、毎朝最新のニュースをお届けします。</p></div>",
        ),
        (
            "tr",
            "<p>Feribot şirketi pazartesi günü yaptığı açıklamada, hazirandan itibaren günde iki sefer ekleneceğini, kışın yolcuların limanda saatlerce beklediğini söyledi.</p>\
             <p>Ada sakinleri haberi memnuniyetle karşıladı, ancak ilk seferin işe gidenler için hâlâ çok geç olduğunu belirtti.</p>",
            "günde iki sefer",
            "<div class=\"kenar\"><p>Bültenimize abone olun, günün en önemli haberleri her sabah e-postanızda.</p></div>",
        ),
    ];
    for (lang, story, needle, side) in pages {
        let page = format!(
            "<html lang=\"{lang}\"><body><nav><a href=\"/\">Start</a></nav><main><div class=\"inhalt\"><h1>Fähre</h1>{story}</div>{side}</main></body></html>"
        );
        let a = extract(&page, None, None).unwrap_or_else(|e| panic!("{lang}: {e}"));
        assert!(a.text.contains(needle), "{lang}: {}", a.text);
        // The sign-up box beside it is no part of the story, whatever
        // its class is called in the site's language.
        let side_text = &side[side.find("<p>").unwrap() + 3..side.find("</p>").unwrap()];
        assert!(!a.text.contains(side_text), "{lang}: {}", a.text);
    }
}
