//! The read API and the feeds in process: cursor paging against the CLI's
//! own `--json`, NDJSON, compression, Atom feeds parsed back with feed-rs
//! and their ETags, and the OpenAPI document held to the live routes.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::web::{call, get, seeded, target_id, urlencode, web};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_by_cursor_and_compress() {
    let (_server, ws, url) = tokio::task::spawn_blocking(seeded).await.unwrap();
    let web = web(&ws.db(), None);
    // Two changes, one a page: the cursor walks them newest first, once each.
    let mut seen = Vec::new();
    let mut path = "/api/v1/changes?limit=1".to_string();
    loop {
        let page = get(&web, &path).await.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 1);
        seen.extend(items.iter().map(|c| c["to"].as_u64().unwrap()));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/changes?limit=1&after={}", urlencode(next)),
            None => break,
        }
    }
    assert_eq!(seen, [3, 2]);
    // The same items as `changes --json`, key for key.
    let all = get(&web, "/api/v1/changes").await.json();
    let cli = ws.json_lines(&["changes", "--json"]);
    assert_eq!(all["items"].as_array().unwrap(), &cli);
    // The HTML list pages the same way.
    let first = get(&web, "/?limit=1").await;
    assert!(first.body.contains("rel=\"next\""));
    let next_link = first
        .body
        .split("rel=\"next\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let second = get(&web, &next_link).await;
    assert!(second.body.contains("1..2") && !second.body.contains("2..3"));
    // NDJSON when asked.
    let nd = call(
        &web,
        Request::get("/api/v1/changes?limit=1")
            .header(header::ACCEPT, "application/x-ndjson")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(nd.headers[header::CONTENT_TYPE], "application/x-ndjson");
    assert_eq!(nd.body.lines().count(), 1);
    assert!(
        nd.headers[header::LINK]
            .to_str()
            .unwrap()
            .contains("rel=\"next\"")
    );
    let line: serde_json::Value = serde_json::from_str(nd.body.lines().next().unwrap()).unwrap();
    assert_eq!(line["to"], 3);
    // The versions list is `history --json`.
    let id = target_id(&ws, &url);
    let versions = get(&web, &format!("/api/v1/articles/{id}/versions"))
        .await
        .json();
    assert_eq!(
        versions["items"].as_array().unwrap(),
        &ws.json_lines(&["history", &url, "--json"])
    );
    // Compressed when the client accepts it.
    let gz = call(
        &web,
        Request::get(format!("/articles/{id}/versions/1"))
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_parse_back_with_one_entry_per_change_and_honour_etags() {
    let (_server, ws, url) = tokio::task::spawn_blocking(seeded).await.unwrap();
    let web = web(&ws.db(), None);
    let id = target_id(&ws, &url);
    for path in [
        "/feed.atom".to_string(),
        format!("/articles/{id}/feed.atom"),
        "/feed.atom?class=headline".to_string(),
    ] {
        let a = get(&web, &path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert!(
            a.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/atom+xml")
        );
        let feed = feed_rs::parser::parse(a.body.as_bytes())
            .unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
        // RFC 4287 4.1.1: id, title, updated; an author for entries without one.
        assert!(!feed.id.is_empty() && feed.title.is_some() && feed.updated.is_some());
        assert!(!feed.authors.is_empty());
        let want: Vec<(u64, u64)> = if path.contains("headline") {
            vec![(1, 2)]
        } else {
            vec![(2, 3), (1, 2)]
        };
        assert_eq!(
            feed.entries.len(),
            want.len(),
            "{path}: one entry per change"
        );
        for (entry, (from, to)) in feed.entries.iter().zip(want) {
            let permalink = format!("http://localhost/articles/{id}/diff/{from}..{to}");
            assert_eq!(entry.id, permalink);
            assert_eq!(entry.links[0].href, permalink);
            assert!(entry.updated.is_some());
            let content = entry.content.as_ref().unwrap().body.as_ref().unwrap();
            assert!(
                content.contains("<del>") && content.contains("<ins>"),
                "{content}"
            );
            assert!(
                !content.contains("<script>"),
                "hostile text stays escaped in the content"
            );
        }
        let tag = a.headers[header::ETAG].to_str().unwrap().to_string();
        let again = call(
            &web,
            Request::get(path.as_str())
                .header(header::IF_NONE_MATCH, &tag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
    }
    let headline = get(&web, "/feed.atom?class=headline").await;
    let feed = feed_rs::parser::parse(headline.body.as_bytes()).unwrap();
    let content = feed.entries[0]
        .content
        .as_ref()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert!(content.contains("<del>") && content.contains("crimes against humanity"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_live_routes() {
    let (_server, ws, url) = tokio::task::spawn_blocking(seeded).await.unwrap();
    let web = web(&ws.db(), None);
    let id = target_id(&ws, &url).to_string();
    let spec = get(&web, "/api/openapi.json").await.json();
    assert_eq!(spec["openapi"], "3.1.0");
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 9);
    for (path, item) in paths {
        let concrete = path
            .replace("{id}", &id)
            .replace("{n}", "2")
            .replace("{from}", "1")
            .replace("{to}", "2");
        let concrete = if path.ends_with("/search") {
            format!("{concrete}?q=crimes+against+humanity&mode=removed")
        } else {
            concrete
        };
        let a = get(&web, &concrete).await;
        assert_eq!(a.status, StatusCode::OK, "{concrete}: {}", a.body);
        let body = a.json();
        let schema = &item["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let resolve = |s: &serde_json::Value| -> serde_json::Value {
            match s["$ref"].as_str() {
                Some(r) => schemas[r.rsplit('/').next().unwrap()].clone(),
                None => s.clone(),
            }
        };
        let schema = resolve(schema);
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let required = |s: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = s["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            k.sort();
            k
        };
        assert_eq!(keys(&body), required(&schema), "{concrete}");
        if let Some(items) = body["items"].as_array() {
            let item_schema = resolve(&schema["properties"]["items"]["items"]);
            assert!(!items.is_empty(), "{concrete}: the seed has items");
            for i in items {
                assert_eq!(keys(i), required(&item_schema), "{concrete} item");
            }
        }
    }
    // Nothing under /api/v1 answers that the document does not name.
    for undocumented in ["/api/v1/targets", "/api/v1/versions", "/api/v2/changes"] {
        assert_eq!(get(&web, undocumented).await.status, StatusCode::NOT_FOUND);
    }
}
