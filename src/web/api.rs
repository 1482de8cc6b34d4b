//! The read API, `/api/v1/...`: the pages' data as JSON with the keys of
//! the CLI's `--json` (the views of [`crate::report`]), RFC 3339 times in
//! UTC, lists as `{"items": [...], "next": CURSOR|null}` and, for
//! `changes`, one object per line when asked for `application/x-ndjson`.
//! Its OpenAPI document is [`super::openapi`].

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::failure::ApiFailure;
use super::pages::target;
use super::params::{ChangeFilter, DiffRange, change_cursor, page_size, target_cursor};
use super::search::{SearchQuery, run_search};
use super::status::{StatusView, status};
use super::{Failure, PAGE_SIZE, Web};
use crate::model::{TargetId, TargetQuery, TargetSort, Timestamp};
use crate::report::changes::ChangeView;
use crate::report::history::VersionView;
use crate::report::outbox::SourceView;
use crate::report::search::SearchHit;
use crate::report::targets::TargetView;
use crate::report::versions::{DiffView, VersionTextView};
use crate::report::{Cursor, Page, page};

type ApiResult<T> = Result<T, ApiFailure>;

pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/api/v1/changes", get(changes))
        .route("/api/v1/articles", get(articles))
        .route("/api/v1/articles/{id}", get(article))
        .route("/api/v1/articles/{id}/versions", get(versions))
        .route("/api/v1/articles/{id}/versions/{n}", get(version))
        .route("/api/v1/articles/{id}/diff/{from}/{to}", get(diff))
        .route("/api/v1/sources", get(sources))
        .route("/api/v1/status", get(api_status))
        .route("/api/v1/search", get(search))
        .route("/api/openapi.json", get(super::openapi::document))
}

#[derive(Debug, Default, Deserialize)]
struct After {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

impl After {
    /// One page of `all` after the cursor.
    fn page<T: crate::report::Keyed>(&self, all: Vec<T>) -> Result<Page<T>, Failure> {
        let size = page_size(self.limit.as_deref(), PAGE_SIZE)?;
        Ok(page(
            all,
            self.after.as_deref().and_then(Cursor::parse).as_ref(),
            size,
        ))
    }
}

/// Whether the client asked for one JSON object per line.
fn wants_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/x-ndjson"))
}

async fn changes(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(filter): Query<ChangeFilter>,
) -> ApiResult<Response> {
    let size = filter.page_size(PAGE_SIZE)?;
    let query = filter.query(Timestamp::now(), size + 1)?;
    let mut rows = web.store().changes(query).await?;
    let next = (rows.len() > size).then(|| {
        rows.truncate(size);
        change_cursor(rows[size - 1].key)
    });
    let items: Vec<ChangeView> = rows.iter().map(ChangeView::from).collect();
    if wants_ndjson(&headers) {
        let mut body = String::new();
        for item in &items {
            body.push_str(
                &serde_json::to_string(item).map_err(|e| Failure::Internal(e.to_string()))?,
            );
            body.push('\n');
        }
        let mut response = ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response();
        if let Some(next) = &next {
            let mut link = url::form_urlencoded::Serializer::new(filter.query_string());
            link.append_pair("after", next);
            if let Ok(v) = format!("</api/v1/changes?{}>; rel=\"next\"", link.finish()).parse() {
                response.headers_mut().insert(header::LINK, v);
            }
        }
        return Ok(response);
    }
    Ok(Json(serde_json::json!({ "items": items, "next": next })).into_response())
}

fn target_view(web: &Web, s: &crate::model::TargetSummary) -> TargetView {
    TargetView::new(
        s,
        web.inner
            .scheduler
            .current_interval(&s.target, Timestamp::now()),
    )
}

/// Watched articles in the order they were added (as `list --json`),
/// paged by id.
async fn articles(
    State(web): State<Web>,
    Query(a): Query<After>,
) -> ApiResult<Json<Page<TargetView>>> {
    let size = page_size(a.limit.as_deref(), PAGE_SIZE)?;
    let mut rows = web
        .store()
        .target_page(TargetQuery {
            sort: TargetSort::Added,
            after: target_cursor(&a.after)?,
            limit: size + 1,
            ..TargetQuery::default()
        })
        .await?;
    let next = (rows.len() > size).then(|| {
        rows.truncate(size);
        Cursor::parse(&rows[size - 1].target.id.0.to_string()).expect("an id is a cursor")
    });
    let items = rows.iter().map(|s| target_view(&web, s)).collect();
    Ok(Json(Page { items, next }))
}

async fn article(State(web): State<Web>, Path(id): Path<i64>) -> ApiResult<Json<TargetView>> {
    let summary = web
        .store()
        .target_page(TargetQuery {
            id: Some(TargetId(id)),
            limit: 1,
            ..TargetQuery::default()
        })
        .await?
        .pop()
        .ok_or_else(|| Failure::NotFound(format!("no article {id} is tracked")))?;
    Ok(Json(target_view(&web, &summary)))
}

async fn versions(
    State(web): State<Web>,
    Path(id): Path<i64>,
    Query(a): Query<After>,
) -> ApiResult<Json<Page<VersionView>>> {
    let t = target(&web, id).await?;
    let all: Vec<VersionView> = web
        .store()
        .history(t.id)
        .await?
        .iter()
        .map(VersionView::from)
        .collect();
    Ok(Json(a.page(all)?))
}

async fn version(
    State(web): State<Web>,
    Path((id, n)): Path<(i64, u32)>,
) -> ApiResult<Json<VersionTextView>> {
    let t = target(&web, id).await?;
    let store = web.store();
    let v = store
        .version(t.id, Some(n))
        .await?
        .ok_or_else(|| Failure::NotFound(format!("{} has no version {n}", t.url)))?;
    let seen = store
        .dates_seen(t.id, v.number, v.published.clone(), v.modified.clone())
        .await?;
    Ok(Json(VersionTextView::new(
        t.url.as_str(),
        &v,
        seen.as_ref(),
    )))
}

async fn diff(
    State(web): State<Web>,
    Path((id, from, to)): Path<(i64, String, String)>,
) -> ApiResult<Json<DiffView>> {
    let range = DiffRange::parse(&format!("{from}..{to}"))?;
    let (target, old, new, _) = super::diff_page::load(&web, id, &range).await?;
    let view = tokio::task::spawn_blocking(move || DiffView::new(target.url.as_str(), &old, &new))
        .await
        .map_err(|e| Failure::Internal(format!("the diff failed: {e}")))?;
    Ok(Json(view))
}

async fn sources(
    State(web): State<Web>,
    Query(a): Query<After>,
) -> ApiResult<Json<Page<SourceView>>> {
    let all: Vec<SourceView> = web
        .store()
        .list_sources()
        .await?
        .iter()
        .map(SourceView::from)
        .collect();
    Ok(Json(a.page(all)?))
}

async fn api_status(State(web): State<Web>) -> ApiResult<Json<StatusView>> {
    Ok(Json(status(&web).await?))
}

async fn search(
    State(web): State<Web>,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Page<SearchHit>>> {
    if q.q.trim().is_empty() {
        return Err(Failure::BadRequest("q: give a phrase to search for".into()).into());
    }
    let items = run_search(&web, &q).await?;
    Ok(Json(Page { items, next: None }))
}
