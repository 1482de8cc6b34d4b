//! Atom feeds (RFC 4287) of changes: everything (`/feed.atom`, which takes
//! the change list's filters, so `?source=URL` and `?tag=T` are the
//! per-source and per-tag feeds) and one article's
//! (`/articles/{id}/feed.atom`). One entry per change; its id and link are
//! the diff permalink, its content the diff as escaped HTML with
//! `<del>`/`<ins>`. Responses carry an `ETag` and honour `If-None-Match`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::diff_page::DiffBody;
use super::pages::{ChangeItem, change_items, target};
use super::params::{ChangeFilter, ContextSize};
use super::{Failure, Web};
use crate::model::{ChangeQuery, ChangeRow, Timestamp};

/// Entries in one feed.
const FEED_ENTRIES: usize = 50;

pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/feed.atom", get(everything))
        .route("/articles/{id}/feed.atom", get(article))
}

#[derive(Template)]
#[template(path = "entry.html")]
struct EntryContent<'a> {
    item: &'a ChangeItem,
    body: &'a DiffBody,
}

struct Entry {
    item: ChangeItem,
    link: String,
    content: String,
}

#[derive(Template)]
#[template(path = "feed.xml")]
struct Feed {
    id: String,
    title: String,
    self_link: String,
    alternate: String,
    updated: String,
    entries: Vec<Entry>,
}

/// `scheme://host` as the client addressed us (behind a proxy, as the
/// proxy says through `X-Forwarded-Proto` and `Host`).
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// The feed's ETag: a hash of its bytes.
pub fn etag(body: &str) -> String {
    format!("\"{}\"", &blake3::hash(body.as_bytes()).to_hex()[..32])
}

/// Whether an `If-None-Match` header names `tag` (or is `*`).
pub fn matches(if_none_match: Option<&str>, tag: &str) -> bool {
    if_none_match.is_some_and(|v| {
        v.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == tag)
    })
}

async fn entries(web: &Web, origin: &str, rows: Vec<ChangeRow>) -> Result<Vec<Entry>, Failure> {
    let items = change_items(web, &rows).await?;
    let mut out = Vec::with_capacity(items.len());
    for (row, item) in rows.iter().zip(items) {
        let store = web.store();
        let (Some(old), Some(new)) = (
            store.version(row.target, Some(row.from)).await?,
            store.version(row.target, Some(row.to)).await?,
        ) else {
            continue;
        };
        let link = format!(
            "{origin}/articles/{}/diff/{}..{}",
            item.id, item.from, item.to
        );
        let content = tokio::task::spawn_blocking(move || {
            let body = DiffBody::new(&old, &new, ContextSize::Paragraphs(1));
            EntryContent {
                item: &item,
                body: &body,
            }
            .render()
            .map(|html| (item, html))
        })
        .await
        .map_err(|e| Failure::Internal(format!("a feed entry failed: {e}")))?
        .map_err(|e| Failure::Internal(format!("a feed entry failed: {e}")))?;
        out.push(Entry {
            item: content.0,
            link,
            content: content.1,
        });
    }
    Ok(out)
}

async fn respond(
    web: &Web,
    headers: &HeaderMap,
    query: ChangeQuery,
    path: String,
    title: String,
    alternate: String,
) -> Result<Response, Failure> {
    let origin = origin(headers);
    let rows = web.store().changes(query).await?;
    let entries = entries(web, &origin, rows).await?;
    let updated = entries
        .first()
        .map_or_else(|| Timestamp(0).rfc3339(), |e| e.item.at.clone());
    let feed = Feed {
        id: format!("{origin}{path}"),
        title,
        self_link: format!("{origin}{path}"),
        alternate: format!("{origin}{alternate}"),
        updated,
        entries,
    };
    let body = feed
        .render()
        .map_err(|e| Failure::Internal(format!("the feed failed: {e}")))?;
    let tag = etag(&body);
    let given = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if matches(given, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/atom+xml; charset=utf-8".to_string(),
            ),
            (header::ETAG, tag),
        ],
        body,
    )
        .into_response())
}

async fn everything(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(filter): Query<ChangeFilter>,
) -> Result<Response, Failure> {
    let mut query = filter.query(Timestamp::now(), FEED_ENTRIES)?;
    query.before = None;
    let qs = filter.query_string();
    let (path, alternate) = if qs.is_empty() {
        ("/feed.atom".to_string(), "/".to_string())
    } else {
        (format!("/feed.atom?{qs}"), format!("/?{qs}"))
    };
    let title = match (&filter.source, &filter.tag) {
        (Some(s), _) if !s.trim().is_empty() => format!("Redline: changes to articles from {s}"),
        (_, Some(t)) if !t.trim().is_empty() => format!("Redline: changes to articles tagged {t}"),
        _ => "Redline: changes to watched articles".to_string(),
    };
    respond(&web, &headers, query, path, title, alternate).await
}

async fn article(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, Failure> {
    let target = target(&web, id).await?;
    let query = ChangeQuery {
        target: Some(target.id),
        limit: Some(FEED_ENTRIES),
        ..ChangeQuery::default()
    };
    respond(
        &web,
        &headers,
        query,
        format!("/articles/{id}/feed.atom"),
        format!("Redline: changes to {}", target.url),
        format!("/articles/{id}"),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_the_star() {
        let tag = etag("<feed/>");
        assert!(matches(Some(&tag), &tag));
        assert!(matches(Some(&format!("\"x\", W/{tag}")), &tag));
        assert!(matches(Some("*"), &tag));
        assert!(!matches(Some("\"other\""), &tag));
        assert!(!matches(None, &tag));
        assert_ne!(etag("<feed/>"), etag("<feed />"));
    }

    #[test]
    fn the_origin_is_the_host_the_client_asked_for() {
        let mut h = HeaderMap::new();
        assert_eq!(origin(&h), "http://localhost");
        h.insert(header::HOST, "news.example:8080".parse().unwrap());
        assert_eq!(origin(&h), "http://news.example:8080");
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(origin(&h), "https://news.example:8080");
    }
}
