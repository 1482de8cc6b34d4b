//! Reading what a source lists: feed entries (RSS, Atom, JSON Feed through
//! feed-rs), sitemap entries (sitemap index, urlset, Google News
//! extensions, gzipped or not) and links on a section page.
//!
//! Each parser returns article links with whatever dates the source gives;
//! filtering, identity and caps are the caller's. Anything that is not the
//! kind of document expected — an HTML error page where a feed should be,
//! junk bytes, a sitemap with another root element — is an error naming
//! what was found, never an empty success, so a broken source shows up in
//! `redline sources` instead of silently finding nothing.

use std::io::Read as _;

use quick_xml::events::Event;
use scraper::Selector;
use url::Url;

use crate::model::Timestamp;
use crate::schedule::parse_published;

/// One article link a source lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Absolute URL, as listed (not yet cleaned).
    pub url: String,
    /// Published time, when the source gives one.
    pub published: Option<Timestamp>,
}

/// What a sitemap document holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sitemap {
    /// A `<urlset>`: article entries.
    Urls(Vec<Entry>),
    /// A `<sitemapindex>`: child sitemaps with their `lastmod`.
    Index(Vec<Entry>),
}

/// Why a source's document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not a feed at all, or a broken one.
    #[error("not a readable feed ({0})")]
    Feed(String),
    /// Not a sitemap, or a broken one.
    #[error("not a readable sitemap ({0})")]
    Sitemap(String),
    /// A gzip body that does not decompress, or decompresses too large.
    #[error("gzip body: {0}")]
    Gzip(String),
}

/// Largest decompressed sitemap (a gzip bomb is an error, not a flood).
pub const MAX_SITEMAP_BYTES: u64 = 50 * 1024 * 1024;

/// What the body looks like, for error messages: an HTML page, empty, or
/// its first bytes.
fn looks_like(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.is_empty() {
        "the body is empty".into()
    } else if head.starts_with("<!doctype html") || head.starts_with("<html") {
        "got an HTML page".into()
    } else {
        let first: String = head.chars().take(40).filter(|c| !c.is_control()).collect();
        format!("it starts with `{first}`")
    }
}

/// Entries of an RSS 0.9x/1.0/2.0, Atom or JSON Feed document. Relative
/// links resolve against `base` (the feed's URL).
pub fn feed(body: &[u8], base: &Url) -> Result<Vec<Entry>, ParseError> {
    let parsed = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .build()
        .parse(body)
        .map_err(|e| {
            let what = looks_like(body);
            ParseError::Feed(format!("{e}; {what}"))
        })?;
    let mut out = Vec::with_capacity(parsed.entries.len());
    for entry in parsed.entries {
        // The entry's page: an alternate (or unlabelled) link, else an id
        // that is a URL (RSS guid isPermaLink).
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .map(|l| l.href.clone())
            .or_else(|| entry.id.starts_with("http").then(|| entry.id.clone()));
        let Some(link) = link else { continue };
        let Ok(url) = base.join(link.trim()) else {
            continue;
        };
        out.push(Entry {
            url: url.to_string(),
            published: entry
                .published
                .or(entry.updated)
                .map(|d| Timestamp(d.timestamp_millis())),
        });
    }
    Ok(out)
}

/// Undoes gzip when the body is gzipped (a `.xml.gz` sitemap served as a
/// file rather than with `Content-Encoding`).
pub fn gunzip_if_needed(body: Vec<u8>) -> Result<Vec<u8>, ParseError> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(body);
    }
    let mut out = Vec::with_capacity(body.len() * 4);
    flate2::read::MultiGzDecoder::new(body.as_slice())
        .take(MAX_SITEMAP_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| ParseError::Gzip(e.to_string()))?;
    if out.len() as u64 > MAX_SITEMAP_BYTES {
        return Err(ParseError::Gzip(format!(
            "decompresses to more than {MAX_SITEMAP_BYTES} bytes"
        )));
    }
    Ok(out)
}

/// Entries of a sitemap (`<urlset>`, with `<news:publication_date>` when
/// present, else `<lastmod>`) or the children of a sitemap index.
pub fn sitemap(body: &[u8], base: &Url) -> Result<Sitemap, ParseError> {
    let text = String::from_utf8_lossy(body);
    let mut reader = quick_xml::Reader::from_str(&text);
    reader.config_mut().trim_text(true);
    let bad = |e: String| ParseError::Sitemap(e);
    let mut root: Option<String> = None;
    // Element path below the root, local names only.
    let mut path: Vec<String> = Vec::new();
    let mut loc = String::new();
    let mut news_date = String::new();
    let mut lastmod = String::new();
    let mut entries = Vec::new();
    let text_into = |path: &[String],
                     s: &str,
                     loc: &mut String,
                     news: &mut String,
                     lm: &mut String| match path.last().map(String::as_str) {
        Some("loc") if path.len() == 2 => loc.push_str(s),
        Some("lastmod") if path.len() == 2 => lm.push_str(s),
        Some("publication_date") => news.push_str(s),
        _ => {}
    };
    loop {
        let event = reader.read_event().map_err(|e| {
            bad(format!(
                "{e} at byte {}; {}",
                reader.buffer_position(),
                looks_like(body)
            ))
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().into_inner().to_string();
                if root.is_none() {
                    if name != "urlset" && name != "sitemapindex" {
                        return Err(bad(format!(
                            "the root element is <{name}>, not <urlset> or <sitemapindex>"
                        )));
                    }
                    root = Some(name);
                } else {
                    path.push(name);
                }
            }
            Event::Empty(e) if root.is_none() => {
                let name = e.local_name().into_inner().to_string();
                if name == "urlset" || name == "sitemapindex" {
                    root = Some(name);
                } else {
                    return Err(bad(format!(
                        "the root element is <{name}/>, not <urlset> or <sitemapindex>"
                    )));
                }
            }
            Event::End(_) => {
                if path.len() == 1 {
                    // End of a <url> or <sitemap>.
                    let u = loc.trim();
                    if !u.is_empty()
                        && let Ok(url) = base.join(u)
                    {
                        let date = if news_date.trim().is_empty() {
                            &lastmod
                        } else {
                            &news_date
                        };
                        entries.push(Entry {
                            url: url.to_string(),
                            published: parse_published(date),
                        });
                    }
                    loc.clear();
                    news_date.clear();
                    lastmod.clear();
                }
                path.pop();
            }
            Event::Text(t) => text_into(
                &path,
                &t.xml10_content(),
                &mut loc,
                &mut news_date,
                &mut lastmod,
            ),
            Event::CData(t) => text_into(
                &path,
                &t.xml10_content(),
                &mut loc,
                &mut news_date,
                &mut lastmod,
            ),
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = ch {
                    text_into(
                        &path,
                        c.encode_utf8(&mut [0; 4]),
                        &mut loc,
                        &mut news_date,
                        &mut lastmod,
                    );
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match root.as_deref() {
        Some("urlset") => Ok(Sitemap::Urls(entries)),
        Some(_) => Ok(Sitemap::Index(entries)),
        None => Err(bad(format!("no XML element found; {}", looks_like(body)))),
    }
}

/// Links on a section or home page, in document order: every `<a href>`
/// (inside the elements `links` selects, when given), resolved against the
/// page's `<base href>` or its URL.
pub fn page(html: &str, page_url: &Url, links: Option<&Selector>) -> Vec<Entry> {
    let doc = crate::extract::parse_page(html);
    let base = Selector::parse("base[href]")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h).ok())
        .unwrap_or_else(|| page_url.clone());
    let anchor = Selector::parse("a[href]").expect("valid selector");
    let mut out = Vec::new();
    let mut push = |href: &str| {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') {
            return;
        }
        if let Ok(url) = base.join(href)
            && matches!(url.scheme(), "http" | "https")
        {
            out.push(Entry {
                url: url.to_string(),
                published: None,
            });
        }
    };
    match links {
        None => {
            for a in doc.select(&anchor) {
                push(a.value().attr("href").unwrap_or_default());
            }
        }
        Some(sel) => {
            for el in doc.select(sel) {
                if let Some(h) = el.value().attr("href").filter(|_| el.value().name() == "a") {
                    push(h);
                } else {
                    for a in el.select(&anchor) {
                        push(a.value().attr("href").unwrap_or_default());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example/feeds/world.xml").unwrap()
    }

    #[test]
    fn rss_atom_and_json_feed_entries_are_read_with_dates() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>
            <item><title>A</title><link>https://news.example/a?utm_source=rss</link>
            <pubDate>Tue, 10 Nov 2026 09:00:00 GMT</pubDate></item>
            <item><title>B</title><guid isPermaLink="true">https://news.example/b</guid></item>
            </channel></rss>"#;
        let e = feed(rss, &base()).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].url, "https://news.example/a?utm_source=rss");
        assert_eq!(
            e[0].published,
            Timestamp::parse_rfc3339("2026-11-10T09:00:00Z")
        );
        assert_eq!(e[1].url, "https://news.example/b");

        let atom = br#"<?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom"><title>W</title><id>x</id><updated>2026-11-10T09:00:00Z</updated>
            <entry><title>C</title><id>tag:c</id><link rel="alternate" href="/c"/>
            <link rel="replies" href="/c/comments"/><published>2026-11-10T08:00:00Z</published>
            <updated>2026-11-10T09:00:00Z</updated></entry></feed>"#;
        let e = feed(atom, &base()).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].url, "https://news.example/c");
        assert_eq!(
            e[0].published,
            Timestamp::parse_rfc3339("2026-11-10T08:00:00Z")
        );

        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"W",
            "items":[{"id":"1","url":"https://news.example/d","date_published":"2026-11-10T07:00:00Z"}]}"#;
        let e = feed(json, &base()).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].url, "https://news.example/d");
        assert!(e[0].published.is_some());
    }

    #[test]
    fn html_and_junk_are_feed_errors() {
        let html = b"<!DOCTYPE html><html><head><title>503</title></head><body>Service unavailable</body></html>";
        let err = feed(html, &base()).unwrap_err().to_string();
        assert!(err.contains("HTML page"), "{err}");
        let junk: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert!(feed(&junk, &base()).is_err());
        assert!(feed(b"", &base()).is_err());
    }

    #[test]
    fn sitemaps_indexes_and_news_dates_are_read() {
        let urlset = br#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
                    xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
              <url><loc>https://news.example/a?x=1&amp;y=2</loc>
                <news:news><news:publication><news:name>N</news:name><news:language>en</news:language></news:publication>
                <news:publication_date>2026-11-10T06:00:00+00:00</news:publication_date>
                <news:title>A</news:title></news:news></url>
              <url><loc>/b</loc><lastmod>2026-11-09</lastmod></url>
              <url><loc>/c</loc><lastmod>2026-11-10T06:00+01:00</lastmod></url>
            </urlset>"#;
        let Sitemap::Urls(e) = sitemap(urlset, &base()).unwrap() else {
            panic!("a urlset")
        };
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].url, "https://news.example/a?x=1&y=2");
        assert_eq!(
            e[0].published,
            Timestamp::parse_rfc3339("2026-11-10T06:00:00Z")
        );
        assert_eq!(e[1].url, "https://news.example/b");
        assert_eq!(
            e[1].published,
            Timestamp::parse_rfc3339("2026-11-09T00:00:00Z")
        );
        assert_eq!(
            e[2].published,
            Timestamp::parse_rfc3339("2026-11-10T05:00:00Z"),
            "a W3C datetime without seconds keeps its clock and offset"
        );

        let index = br#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://news.example/news.xml.gz</loc><lastmod>2026-11-10T06:00:00Z</lastmod></sitemap>
            </sitemapindex>"#;
        let Sitemap::Index(c) = sitemap(index, &base()).unwrap() else {
            panic!("an index")
        };
        assert_eq!(c[0].url, "https://news.example/news.xml.gz");
    }

    #[test]
    fn other_documents_are_sitemap_errors() {
        let err = sitemap(b"<html><body>Not found</body></html>", &base())
            .unwrap_err()
            .to_string();
        assert!(err.contains("<html>"), "{err}");
        assert!(sitemap(b"", &base()).is_err());
        assert!(sitemap(b"<urlset><url><loc>x</url>", &base()).is_err());
    }

    #[test]
    fn gzip_is_undone_and_bombs_are_refused() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"<urlset/>").unwrap();
        let body = gz.finish().unwrap();
        assert_eq!(gunzip_if_needed(body).unwrap(), b"<urlset/>");
        assert_eq!(gunzip_if_needed(b"plain".to_vec()).unwrap(), b"plain");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..(MAX_SITEMAP_BYTES >> 20) + 1 {
            gz.write_all(&zeros).unwrap();
        }
        assert!(gunzip_if_needed(gz.finish().unwrap()).is_err());
    }

    #[test]
    fn page_links_resolve_and_follow_the_selector() {
        let html = r##"<html><head><base href="https://news.example/world/"></head><body>
            <nav><a href="/about">About</a></nav>
            <main><h2><a href="story-1">One</a></h2><div class="teaser"><a href="https://other.example/x">X</a></div>
            <a href="#top">top</a><a href="mailto:x@y">mail</a></main></body></html>"##;
        let page_url = Url::parse("https://news.example/world").unwrap();
        let all: Vec<String> = page(html, &page_url, None)
            .into_iter()
            .map(|e| e.url)
            .collect();
        assert_eq!(
            all,
            [
                "https://news.example/about",
                "https://news.example/world/story-1",
                "https://other.example/x"
            ]
        );
        let sel = Selector::parse("main h2").unwrap();
        let some: Vec<String> = page(html, &page_url, Some(&sel))
            .into_iter()
            .map(|e| e.url)
            .collect();
        assert_eq!(some, ["https://news.example/world/story-1"]);
    }

    #[test]
    fn a_section_page_nested_without_end_is_read_flat() {
        // 200,000 unclosed <div>s: the tree builder's scope checks walk its
        // stack of open elements, so parsing this as it stands is
        // quadratic in the depth. Flattened first, it is read at once and
        // its links are all found, the deepest too.
        let mut html = String::from("<html><body><a href=\"/top\">top</a>");
        html.push_str(&"<div>".repeat(200_000));
        html.push_str("<a href=\"/world/deep-story\">deep</a>");
        let page_url = Url::parse("https://news.example/world/").unwrap();
        let urls: Vec<String> = page(&html, &page_url, None)
            .into_iter()
            .map(|e| e.url)
            .collect();
        assert_eq!(
            urls,
            [
                "https://news.example/top",
                "https://news.example/world/deep-story"
            ]
        );
    }
}
