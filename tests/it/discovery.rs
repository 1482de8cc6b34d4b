//! Discovery: RSS, Atom and JSON feeds, a sitemap index with a gzipped news
//! sitemap, and a section page, polled by the real daemon; every article
//! becomes a target exactly once; off-host links, old entries and junk are
//! refused; the caps hold; and an article found in a feed is followed from
//! publication through an edit (alerted with its source) to retirement.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::{Rfc2822, Rfc3339};

use crate::harness::{Driven, PageServer, Receiver, Route, Workspace, article, wait_for};

/// A realistic news page: navigation, headline, byline, dates, body and a
/// footer; `canonical` declared when given.
fn story(title: &str, lead: &str, published: OffsetDateTime, canonical: Option<&str>) -> String {
    let published = published.format(&Rfc3339).unwrap();
    let canonical = canonical
        .map(|c| format!("<link rel=\"canonical\" href=\"{c}\">"))
        .unwrap_or_default();
    let body: String = article::paragraphs()
        .iter()
        .take(8)
        .map(|p| format!("<p>{p}</p>\n"))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | The Daily Example</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
{canonical}
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/about">About us</a></nav></header>
<main><article>
<h1>{title}</h1>
<p class="byline">By Jane Reporter</p>
<time datetime="{published}">{published}</time>
<div class="article-body">
<p>{lead}</p>
{body}</div>
</article></main>
<footer><p>© The Daily Example. All rights reserved.</p></footer>
</body></html>"#
    )
}

fn rss(items: &[(String, OffsetDateTime)]) -> Vec<u8> {
    let items: String = items
        .iter()
        .map(|(url, at)| {
            format!(
                "<item><title>Item</title><link>{}</link><pubDate>{}</pubDate></item>\n",
                url.replace('&', "&amp;"),
                at.format(&Rfc2822).unwrap()
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>The Daily Example</title><link>http://example/</link><description>News</description>\n{items}</channel></rss>"
    )
    .into_bytes()
}

fn feed_route(body: Vec<u8>, content_type: &str) -> Route {
    Route::html(body).content_type(content_type)
}

fn urls(ws: &Workspace) -> Vec<serde_json::Value> {
    ws.json_lines(&["list", "--json"])
}

fn url_set(list: &[serde_json::Value]) -> BTreeSet<String> {
    list.iter()
        .map(|t| t["url"].as_str().unwrap().to_string())
        .collect()
}

fn sources(ws: &Workspace) -> Vec<serde_json::Value> {
    ws.json_lines(&["sources", "--json"])
}

fn polled_times(ws: &Workspace, server: &PageServer, path: &str, n: u64) {
    wait_for(
        &format!("{n} polls of {path}"),
        Duration::from_secs(30),
        || server.hits(path) >= n,
    );
    let _ = ws;
}

#[test]
fn rss_atom_and_json_feeds_become_targets_once() {
    let server = PageServer::start();
    let elsewhere = PageServer::start();
    let now = OffsetDateTime::now_utc();
    let url = |p: &str| server.url(p);
    for slug in ["a", "b", "c", "d", "e", "f"] {
        server.route(
            &format!("/news/{slug}"),
            Route::html(story(
                &format!("Story {slug} from the world desk"),
                &format!("This is the lead paragraph of story {slug}."),
                now,
                None,
            )),
        );
    }
    elsewhere.route("/news/x", Route::html(story("Elsewhere", "x", now, None)));
    let (a, b, c) = (url("/news/a"), url("/news/b"), url("/news/c"));
    let off_host = elsewhere.url("/news/x");
    server.route(
        "/rss.xml",
        Route::dynamic(move |n| {
            let mut items = vec![
                (a.clone(), now),
                (format!("{b}?utm_source=rss&utm_medium=feed"), now),
                (format!("{b}#comments"), now),
                (off_host.clone(), now),
            ];
            if n >= 2 {
                // A new story appears, and an old one comes back spelled
                // differently.
                items.push((c.clone(), now));
                items.push((format!("{a}/?fbclid=xyz"), now));
            }
            rss(&items)
        })
        .content_type("application/rss+xml"),
    );
    let stamp = now.format(&Rfc3339).unwrap();
    server.route(
        "/atom.xml",
        feed_route(
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>World</title><id>urn:x</id><updated>{stamp}</updated>
<entry><title>D</title><id>urn:d</id><link rel="alternate" href="/news/d"/><published>{stamp}</published><updated>{stamp}</updated></entry>
<entry><title>A</title><id>urn:a</id><link href="{}"/><updated>{stamp}</updated></entry>
</feed>"#,
                url("/news/a")
            )
            .into_bytes(),
            "application/atom+xml",
        ),
    );
    let (e, f) = (url("/news/e"), url("/news/f"));
    server.route(
        "/feed.json",
        Route::dynamic(move |n| {
            let mut items = vec![serde_json::json!({"id": "e", "url": e, "date_published": stamp})];
            if n >= 2 {
                items.push(serde_json::json!({"id": "f", "url": f, "date_published": stamp}));
            }
            serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "W", "items": items})
                .to_string()
                .into_bytes()
        })
        .content_type("application/feed+json"),
    );
    let ws = Workspace::new();
    ws.write_local_config(&format!(
        "[[source]]\nurl = \"{}\"\nkind = \"feed\"\ninterval = \"1s\"\n\n[[source]]\nurl = \"{}\"\nkind = \"feed\"\ninterval = \"1s\"\n\n[[source]]\nurl = \"{}\"\nkind = \"feed\"\ninterval = \"1s\"\n",
        url("/rss.xml"),
        url("/atom.xml"),
        url("/feed.json")
    ));
    let daemon = ws.start_daemon();
    polled_times(&ws, &server, "/rss.xml", 3);
    polled_times(&ws, &server, "/feed.json", 3);
    wait_for("the six stories", Duration::from_secs(20), || {
        urls(&ws).len() >= 6
    });
    wait_for("every story checked", Duration::from_secs(20), || {
        urls(&ws).iter().all(|t| t["versions"] == 1)
    });
    let log = ws.stop_daemon(daemon);

    let list = urls(&ws);
    let expected: BTreeSet<String> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|s| url(&format!("/news/{s}")))
        .collect();
    assert_eq!(url_set(&list), expected, "each story once; log:\n{log}");
    assert_eq!(list.len(), 6);
    for t in &list {
        assert!(t["source"].is_string(), "{t}");
        assert_eq!(t["state"], "active");
    }
    assert_eq!(elsewhere.hits("/news/x"), 0, "off-host links are ignored");
    let src = sources(&ws);
    assert_eq!(src.len(), 3);
    for s in &src {
        for key in ["url", "kind", "last_poll", "articles", "last_error"] {
            assert!(s.get(key).is_some(), "sources --json has {key}: {s}");
        }
        assert_eq!(s["kind"], "feed");
        assert!(s["last_poll"].is_string());
        assert!(s["last_error"].is_null(), "{s}");
    }
    let total: u64 = src.iter().map(|s| s["articles"].as_u64().unwrap()).sum();
    assert_eq!(total, 6);
    // The Atom feed's relative link resolved against the feed's URL.
    let atom = src.iter().find(|s| s["url"] == url("/atom.xml")).unwrap();
    assert!(atom["articles"].as_u64().unwrap() >= 1);
    assert!(log.contains("new article from source"), "{log}");
    // Every source kept being polled.
    assert!(server.hits("/atom.xml") >= 2);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn sitemap_index_news_sitemap_and_section_page() {
    let server = PageServer::start();
    let elsewhere = PageServer::start();
    let now = OffsetDateTime::now_utc();
    let url = |p: &str| server.url(p);
    let recent = (now - time::Duration::hours(1)).format(&Rfc3339).unwrap();
    for slug in ["one", "two", "three"] {
        server.route(
            &format!("/world/2026/{slug}"),
            Route::html(story(
                &format!("The {slug} story"),
                &format!("Lead of the {slug} story."),
                now,
                Some(&url(&format!("/world/2026/{slug}"))),
            )),
        );
    }
    // The same story under a second URL, declaring the first as canonical.
    server.route(
        "/world/2026/three-amp",
        Route::html(story(
            "The three story",
            "Lead of the three story.",
            now,
            Some(&url("/world/2026/three")),
        )),
    );
    server.route(
        "/world/2019/old",
        Route::html(story("Old", "Old", now, None)),
    );
    let news = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{}</loc><news:news><news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication><news:publication_date>{recent}</news:publication_date><news:title>One</news:title></news:news></url>
<url><loc>{}?utm_campaign=sitemap&amp;utm_source=google</loc><news:news><news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication><news:publication_date>{recent}</news:publication_date><news:title>Two</news:title></news:news></url>
<url><loc>{}</loc><lastmod>2019-05-01T10:00:00Z</lastmod></url>
</urlset>"#,
        url("/world/2026/one"),
        url("/world/2026/two"),
        url("/world/2019/old"),
    );
    server.route(
        "/sitemaps/news.xml.gz",
        feed_route(gzip(news.as_bytes()), "application/x-gzip"),
    );
    server.route("/sitemaps/2019.xml", Route::status(500));
    server.route(
        "/sitemap_index.xml",
        feed_route(
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{}</loc><lastmod>{recent}</lastmod></sitemap>
<sitemap><loc>{}</loc><lastmod>2019-06-01T00:00:00Z</lastmod></sitemap>
</sitemapindex>"#,
                url("/sitemaps/news.xml.gz"),
                url("/sitemaps/2019.xml")
            )
            .into_bytes(),
            "application/xml",
        ),
    );
    server.route(
        "/world",
        Route::html(format!(
            r#"<!DOCTYPE html><html><head><title>World news</title></head><body>
<nav><a href="/">Home</a><a href="/about">About</a><a href="/world">World</a></nav>
<main>
<h2><a href="/world/2026/three">The three story</a></h2>
<h2><a href="/world/2026/three-amp">The three story (fast version)</a></h2>
<h2><a href="/world/2026/one?utm_source=section#top">The one story</a></h2>
<h2><a href="{}">Elsewhere</a></h2>
</main></body></html>"#,
            elsewhere.url("/world/2026/ext")
        )),
    );
    elsewhere.route(
        "/world/2026/ext",
        Route::html(story("Ext", "Ext", now, None)),
    );
    let ws = Workspace::new();
    ws.write_local_config(&format!(
        "[[source]]\nurl = \"{}\"\nkind = \"sitemap\"\ninterval = \"1s\"\n\n[[source]]\nurl = \"{}\"\nkind = \"page\"\ninterval = \"1s\"\ninclude = [\"/world/20\\\\d\\\\d/\"]\n",
        url("/sitemap_index.xml"),
        url("/world"),
    ));
    let daemon = ws.start_daemon();
    polled_times(&ws, &server, "/sitemaps/news.xml.gz", 2);
    polled_times(&ws, &server, "/world", 2);
    wait_for(
        "the AMP duplicate merged into its canonical story",
        Duration::from_secs(30),
        || {
            urls(&ws)
                .iter()
                .any(|t| t["url"] == url("/world/2026/three-amp") && t["state"] == "retired")
        },
    );
    // Two more polls of each: nothing comes back.
    let polls = server.hits("/world");
    polled_times(&ws, &server, "/world", polls + 2);
    let log = ws.stop_daemon(daemon);

    let list = urls(&ws);
    let expected: BTreeSet<String> = ["one", "two", "three", "three-amp"]
        .iter()
        .map(|s| url(&format!("/world/2026/{s}")))
        .collect();
    assert_eq!(url_set(&list), expected, "log:\n{log}");
    let active: BTreeSet<String> = list
        .iter()
        .filter(|t| t["state"] == "active")
        .map(|t| t["url"].as_str().unwrap().to_string())
        .collect();
    assert!(!active.contains(&url("/world/2026/three-amp")));
    assert!(active.contains(&url("/world/2026/three")));
    let text = ws.ok(&["list"]);
    assert!(
        text.contains(&format!("duplicate of {}", url("/world/2026/three"))),
        "{text}"
    );
    assert_eq!(
        server.hits("/sitemaps/2019.xml"),
        0,
        "old child sitemaps are not read"
    );
    assert_eq!(
        server.hits("/world/2019/old"),
        0,
        "entries older than the window are not added"
    );
    assert_eq!(
        elsewhere.hits("/world/2026/ext"),
        0,
        "off-host links are ignored"
    );
    let src = sources(&ws);
    assert!(src.iter().all(|s| s["last_error"].is_null()), "{src:?}");
    let kinds: BTreeSet<&str> = src.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, BTreeSet::from(["page", "sitemap"]));
}

#[test]
fn broken_feeds_are_source_errors_and_the_caps_hold() {
    let server = PageServer::start();
    let now = OffsetDateTime::now_utc();
    let url = |p: &str| server.url(p);
    server.route(
        "/html.xml",
        Route::html("<!DOCTYPE html><html><head><title>Oops</title></head><body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>"),
    );
    let junk: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    server.route("/junk.xml", feed_route(junk, "application/rss+xml"));
    server.route(
        "/huge.xml",
        feed_route(vec![b'<'; 3_000_000], "application/rss+xml"),
    );
    let mut items = Vec::new();
    for i in 0..10 {
        let path = format!("/many/{i}");
        server.route(
            &path,
            Route::html(story(&format!("Many {i}"), &format!("Lead {i}"), now, None)),
        );
        items.push((url(&path), now - time::Duration::minutes(i)));
    }
    server.route("/many.xml", feed_route(rss(&items), "application/rss+xml"));
    let ws = Workspace::new();
    let mut config = String::new();
    for path in ["/html.xml", "/junk.xml", "/huge.xml"] {
        config.push_str(&format!(
            "[[source]]\nurl = \"{}\"\nkind = \"feed\"\ninterval = \"1s\"\n\n",
            url(path)
        ));
    }
    config.push_str(&format!(
        "[[source]]\nurl = \"{}\"\nkind = \"feed\"\ninterval = \"1s\"\nmax_new_per_poll = 3\nmax_targets = 5\n",
        url("/many.xml")
    ));
    ws.write_local_config(&config);
    let daemon = ws.start_daemon();
    polled_times(&ws, &server, "/many.xml", 4);
    wait_for(
        "the broken sources to fail",
        Duration::from_secs(20),
        || {
            sources(&ws)
                .iter()
                .filter(|s| s["last_error"].is_string())
                .count()
                == 3
        },
    );
    let log = ws.stop_daemon(daemon);

    let src = sources(&ws);
    let by_url = |p: &str| src.iter().find(|s| s["url"] == url(p)).unwrap().clone();
    let html = by_url("/html.xml");
    assert!(
        html["last_error"]
            .as_str()
            .unwrap()
            .contains("not a readable feed")
            && html["last_error"].as_str().unwrap().contains("HTML page"),
        "{html}"
    );
    assert!(
        by_url("/junk.xml")["last_error"]
            .as_str()
            .unwrap()
            .contains("not a readable feed")
    );
    assert!(
        by_url("/huge.xml")["last_error"]
            .as_str()
            .unwrap()
            .contains("max_body_bytes"),
        "{}",
        by_url("/huge.xml")
    );
    for p in ["/html.xml", "/junk.xml", "/huge.xml"] {
        assert_eq!(by_url(p)["articles"], 0);
    }
    // 3 per poll, 5 in all: the newest five.
    assert_eq!(by_url("/many.xml")["articles"], 5, "{log}");
    let list = urls(&ws);
    let expected: BTreeSet<String> = (0..5).map(|i| url(&format!("/many/{i}"))).collect();
    assert_eq!(url_set(&list), expected);
    assert!(log.contains("cap reached: max_new_per_poll"), "{log}");
    assert!(
        log.contains("cap reached: the source has max_targets"),
        "{log}"
    );
    assert!(log.contains("source poll failed"), "{log}");
}

#[test]
fn a_feed_article_is_followed_from_publication_to_retirement() {
    let server = PageServer::start();
    let receiver = Receiver::start(|_| (200, Duration::ZERO));
    let published = OffsetDateTime::now_utc();
    let article_url = server.url("/news/live");
    let feed_url = server.url("/feed.xml");
    {
        let article_url = article_url.clone();
        server.route(
            "/feed.xml",
            Route::dynamic(move |n| {
                // The story is published after the first poll.
                if n == 1 {
                    rss(&[])
                } else {
                    rss(&[(format!("{article_url}?utm_source=rss"), published)])
                }
            })
            .content_type("application/rss+xml"),
        );
    }
    let lead = "Officials said on Monday that the inquiry would continue.";
    server.route(
        "/news/live",
        Route::html(story("Inquiry continues", lead, published, None)),
    );
    let ws = Workspace::new();
    ws.write_local_config(&format!(
        "[[source]]\nurl = \"{feed_url}\"\nkind = \"feed\"\ninterval = \"1s\"\ntrack_for = \"15s\"\n\n[source.targets]\ninterval = \"1s\"\ntags = [\"world\"]\n\n[[alert]]\nkind = \"webhook\"\nname = \"desk\"\nurl = \"{}\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nsources = [\"{feed_url}\"]\nretry_min = \"100ms\"\nretry_max = \"300ms\"\n",
        receiver.url()
    ));
    let daemon = ws.start_daemon();
    wait_for("the story's first version", Duration::from_secs(40), || {
        urls(&ws)
            .iter()
            .any(|t| t["url"] == article_url && t["versions"] == 1)
    });
    // The newsroom edits the story.
    server.route(
        "/news/live",
        Route::html(story(
            "Inquiry continues",
            "Officials said on Monday that the inquiry had been suspended.",
            published,
            None,
        )),
    );
    wait_for("the change alert", Duration::from_secs(20), || {
        !receiver.delivered().is_empty()
    });
    wait_for(
        "retirement after track_for",
        Duration::from_secs(30),
        || {
            urls(&ws)
                .iter()
                .any(|t| t["url"] == article_url && t["state"] == "retired")
        },
    );
    let log = ws.stop_daemon(daemon);

    let alert = receiver.delivered()[0].json();
    assert_eq!(alert["type"], "article.changed", "{alert}");
    assert_eq!(alert["data"]["url"], article_url.as_str());
    assert_eq!(
        alert["data"]["source"],
        feed_url.as_str(),
        "the alert names the source"
    );
    assert_eq!(alert["data"]["tags"][0], "world");

    let list = ws.json_lines(&["list", "--json", "--source", &feed_url]);
    assert_eq!(list.len(), 1, "one target, without its utm_ parameters");
    assert_eq!(list[0]["source"], feed_url.as_str());
    assert!(list[0]["versions"].as_u64().unwrap() >= 2);
    let text = ws.ok(&["list"]);
    assert!(text.contains("track_for"), "{text}");

    let changes = ws.json_lines(&["changes", "--json", "--source", &feed_url]);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["source"], feed_url.as_str());
    assert_eq!(
        ws.json_lines(&["changes", "--json", "--tag", "world"])
            .len(),
        1
    );
    assert!(
        ws.json_lines(&["changes", "--json", "--tag", "sport"])
            .is_empty()
    );
    assert!(log.contains("target retired"), "{log}");
}

#[test]
fn sources_are_added_listed_and_removed_from_the_command_line() {
    let ws = Workspace::new();
    ws.write_local_config("");
    let out = ws.ok(&[
        "add",
        "--feed",
        "https://news.example/rss.xml",
        "--include",
        "/news/",
        "--tag",
        "world",
        "--track-for",
        "7d",
    ]);
    assert!(out.contains("added feed source"), "{out}");
    let src = sources(&ws);
    assert_eq!(src.len(), 1);
    assert_eq!(src[0]["kind"], "feed");
    assert!(src[0]["last_poll"].is_null());
    assert_eq!(src[0]["articles"], 0);

    let bad = ws.run(&["add", "--page", "https://news.example/world"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("needs `include`"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let bad = ws.run(&[
        "add",
        "--feed",
        "https://news.example/rss.xml",
        "--include",
        "(unclosed",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = ws.run(&["add", "https://news.example/a", "--include", "/x/"]);
    assert_eq!(bad.status.code(), Some(2));

    ws.ok(&["add", "--sitemap", "https://news.example/sitemap.xml"]);
    assert_eq!(sources(&ws).len(), 2);
    let out = ws.ok(&["remove", "https://news.example/rss.xml"]);
    assert!(out.contains("removed source"), "{out}");
    let src = sources(&ws);
    assert_eq!(src[0]["state"], "removed");
    let unknown = ws.run(&["list", "--source", "https://news.example/nope.xml"]);
    assert_eq!(unknown.status.code(), Some(1));

    // A [[source]] with a bad pattern is a config error naming its line.
    ws.write_local_config(
        "[[source]]\nurl = \"https://news.example/feed\"\nkind = \"feed\"\ninclude = [\"(\"]\n",
    );
    let out = ws.run(&["sources"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`include`") && err.contains("redline.toml:"),
        "{err}"
    );
}

#[test]
fn sources_poll_once_from_the_command_line() {
    let server = PageServer::start();
    let now = OffsetDateTime::now_utc();
    let story_url = server.url("/news/one");
    server.route(
        "/news/one",
        Route::html(story("One story", "Lead of one.", now, None)),
    );
    server.route(
        "/feed.xml",
        feed_route(
            rss(&[(format!("{story_url}?utm_source=rss"), now)]),
            "application/rss+xml",
        )
        .etag("\"v1\""),
    );
    let ws = Workspace::new();
    ws.write_local_config("");
    let feed = server.url("/feed.xml");
    ws.ok(&["add", "--feed", &feed, "--tag", "world"]);
    let out = ws.ok(&["sources", "--poll"]);
    assert!(out.contains("1 listed, 1 new"), "{out}");
    assert!(out.contains(&format!("new {story_url}")), "{out}");
    let list = ws.json_lines(&["list", "--json", "--source", &feed]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["url"], story_url.as_str());
    // The feed answers 304 to the validators it gave.
    let out = ws.ok(&["sources", "--poll"]);
    assert!(out.contains("not modified"), "{out}");
    assert_eq!(
        ws.json_lines(&["list", "--json"]).len(),
        1,
        "nothing added twice"
    );
    // A feed gone bad: exit 1, the error on the source.
    server.route("/feed.xml", Route::status(500));
    let out = ws.run(&["sources", "--poll"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("answered HTTP 500"));
    assert!(
        sources(&ws)[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("500")
    );
}

/// `track_for` decides how long a discovered article is checked, whether it
/// is longer than the age schedule (checked at the last tier's pace until
/// then) or shorter (one last check when the window closes). Driven through
/// the library with the scheduler's clock, without sleeping.
#[test]
fn track_for_outlasts_or_cuts_short_the_age_schedule() {
    use redline::model::canon;
    use redline::model::{CheckStatus, Discovered, PageCache, TargetState};
    use redline::model::{SourceKind, SourceSettings};
    use redline::model::{TargetUrl, Timestamp};

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;
    const DAY: i64 = 24 * HOUR;
    let server = PageServer::start();
    // A whole second, as the page writes its published time.
    let t0 = Timestamp(Timestamp::now().minus(Duration::from_secs(3600)).millis() / 1000 * 1000);
    let published = OffsetDateTime::from_unix_timestamp(t0.millis() / 1000).unwrap();
    for slug in ["long", "short"] {
        server.route(
            &format!("/news/{slug}"),
            Route::html(story(
                &format!("The {slug} story"),
                "Lead.",
                published,
                None,
            )),
        );
    }
    let driven = Driven::new(t0);
    // Two sources, one article each, found at t0.
    for (slug, track_for) in [("long", 45 * DAY), ("short", 2 * HOUR)] {
        let feed = TargetUrl::parse(&server.url(&format!("/{slug}.xml"))).unwrap();
        let article = TargetUrl::parse(&server.url(&format!("/news/{slug}"))).unwrap();
        let settings = SourceSettings {
            track_for_ms: Some(track_for as u64),
            ..SourceSettings::default()
        };
        driven.store(move |s| {
            s.add_source(&feed, SourceKind::Feed, &settings, t0)?;
            let source = s.source_by_url(&feed)?.unwrap();
            let link = Discovered {
                key: canon::key(article.as_url()),
                url: article,
                published: Some(t0),
            };
            s.record_poll(&source, t0, t0, &PageCache::default(), &[link])
        });
    }
    // Checks at a time, returning the wait until the next check (or None
    // once retired, with the reason).
    let check_at = |slug: &str, at: i64| -> Result<i64, String> {
        let (report, after) = driven.check_at(&server.url(&format!("/news/{slug}")), at);
        assert_ne!(report.status, CheckStatus::Error, "{:?}", report.error);
        match after.state {
            TargetState::Active => Ok(after.next_check_at.millis() - at),
            _ => Err(after.retired_reason.unwrap_or_default()),
        }
    };
    let t = t0.millis();
    // Longer than the schedule: past its 30 days, daily until 45 days.
    assert!((DAY..=DAY + DAY / 10).contains(&check_at("long", t + 20 * DAY).unwrap()));
    let past_tiers = check_at("long", t + 35 * DAY).expect("still tracked after 30 days");
    assert!((DAY..=DAY + DAY / 10).contains(&past_tiers), "{past_tiers}");
    // The last check is not later than the window's end.
    assert_eq!(check_at("long", t + 45 * DAY - 6 * HOUR).unwrap(), 6 * HOUR);
    let reason = check_at("long", t + 45 * DAY).unwrap_err();
    assert!(reason.contains("track_for"), "{reason}");

    // Shorter than the schedule: every 5 minutes, then retired at 2 hours.
    assert!((5 * MIN..=6 * MIN).contains(&check_at("short", t + HOUR).unwrap()));
    assert_eq!(check_at("short", t + 2 * HOUR - 2 * MIN).unwrap(), 2 * MIN);
    let reason = check_at("short", t + 2 * HOUR).unwrap_err();
    assert!(reason.contains("tracked for 2h"), "{reason}");
}
