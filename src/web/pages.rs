//! The HTML pages: recent changes, articles, an article's history, one
//! version, sources and status (search is [`super::search`], diffs
//! [`super::diff_page`]). Each handler reads the store
//! through [`History`](crate::store::api::History), shapes plain values and
//! hands them to an auto-escaping template; every control is a GET form,
//! so the pages work with JavaScript off.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::diff_page::{self, Seg};
use super::params::{ChangeFilter, change_cursor, given, target_cursor};
use super::status::{StatusView, status as read_status};
use super::{Failure, PAGE_SIZE, Web};
use crate::detect::ChangeClass;
use crate::diff::{Change, Field};
use crate::model::{
    ChangeRow, HistoryRow, Target, TargetId, TargetQuery, TargetSort, TargetState, TargetUrl,
    Timestamp,
};
use crate::report::outbox::SourceView;

pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(changes))
        .route("/articles", get(articles))
        .route("/articles/lookup", get(lookup))
        .route("/articles/{id}", get(history))
        .route("/articles/{id}/compare", get(compare))
        .route("/articles/{id}/versions/{n}", get(version))
        .route("/articles/{id}/diff/{range}", get(diff_page::diff))
        .route("/sources", get(sources))
        .route("/status", get(status))
        .route("/search", get(super::search::search_page))
}

/// A time as the pages show it: `2026-12-05 19:34 UTC`.
pub fn human_time(t: Timestamp) -> String {
    let s = t.rfc3339();
    match (s.get(..10), s.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => s,
    }
}

/// One change on the recent-changes page and in feeds.
pub struct ChangeItem {
    pub id: i64,
    pub url: String,
    pub host: String,
    /// The headline of the changed version.
    pub title: String,
    /// The article's headline now.
    pub current_title: String,
    pub from: u32,
    pub to: u32,
    pub at: String,
    pub when: String,
    pub badges: Vec<&'static str>,
    pub added: u64,
    pub removed: u64,
    pub excerpt: Vec<Seg>,
}

/// The badges of a change: which parts changed, then its class when that
/// says more (minor, cosmetic, revert, removed).
pub fn badges(row: &ChangeRow, changes: &[Change]) -> Vec<&'static str> {
    let mut out = Vec::new();
    if row.title_changed || changes.iter().any(|c| c.field == Field::Title) {
        out.push("headline");
    }
    if changes.iter().any(|c| c.field == Field::Body) {
        out.push("body");
    }
    if changes.iter().any(|c| c.field == Field::Byline) {
        out.push("byline");
    }
    if let Some(
        c @ (ChangeClass::Minor
        | ChangeClass::Cosmetic
        | ChangeClass::Revert
        | ChangeClass::Removed),
    ) = row.class
    {
        out.push(c.as_str());
    }
    out
}

/// The most changed passage of the body (of the headline when the body
/// did not change), with the words around it.
pub fn excerpt(changes: &[Change]) -> Vec<Seg> {
    let size = |c: &Change| c.old.split_whitespace().count() + c.new.split_whitespace().count();
    let largest = |field: Field| {
        changes
            .iter()
            .filter(|c| c.field == field && !c.moved)
            .max_by_key(|c| size(c))
    };
    let Some(c) = largest(Field::Body).or_else(|| largest(Field::Title)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (kind, text) in [
        ("same", format!("…{} ", c.before)),
        ("del", c.old.clone()),
        ("ins", c.new.clone()),
        ("same", format!(" {}…", c.after)),
    ] {
        if !text.trim().trim_matches('…').is_empty() {
            out.push(Seg { kind, text });
        }
    }
    out
}

/// The change rows of a query, with their badges and excerpts.
pub async fn change_items(web: &Web, rows: &[ChangeRow]) -> Result<Vec<ChangeItem>, Failure> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let changes = web
            .store()
            .stored_changes(r.target, r.to)
            .await?
            .unwrap_or_default();
        out.push(ChangeItem {
            id: r.target.0,
            url: r.url.to_string(),
            host: r.url.as_url().host_str().unwrap_or_default().to_string(),
            title: r.title.clone(),
            current_title: r.current_title.clone(),
            from: r.from,
            to: r.to,
            at: r.captured_at.rfc3339(),
            when: human_time(r.captured_at),
            badges: badges(r, &changes),
            added: r.added,
            removed: r.removed,
            excerpt: excerpt(&changes),
        });
    }
    Ok(out)
}

#[derive(Template, WebTemplate)]
#[template(path = "changes.html")]
struct ChangesPage {
    filter: ChangeFilter,
    items: Vec<ChangeItem>,
    next: Option<String>,
    classes: Vec<&'static str>,
    feed: String,
}

impl ChangesPage {
    fn selected(&self, class: &str) -> bool {
        self.filter.class.as_deref() == Some(class)
    }
}

async fn changes(
    State(web): State<Web>,
    Query(filter): Query<ChangeFilter>,
) -> Result<ChangesPage, Failure> {
    let size = filter.page_size(PAGE_SIZE)?;
    let query = filter.query(Timestamp::now(), size + 1)?;
    let mut rows = web.store().changes(query).await?;
    let next = (rows.len() > size).then(|| {
        rows.truncate(size);
        change_cursor(rows[size - 1].key)
    });
    let items = change_items(&web, &rows).await?;
    let feed = if filter.any() {
        format!("/feed.atom?{}", filter.query_string())
    } else {
        "/feed.atom".to_string()
    };
    Ok(ChangesPage {
        filter,
        items,
        next,
        classes: ChangeClass::ALL.iter().map(|c| c.as_str()).collect(),
        feed,
    })
}

#[derive(Debug, Default, Deserialize)]
struct ArticleFilter {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

/// One article in the list.
pub struct ArticleItem {
    pub id: i64,
    pub url: String,
    pub name: Option<String>,
    pub state: &'static str,
    pub versions: u64,
    pub last_change: String,
    pub last_check: String,
    pub last_error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "articles.html")]
struct ArticlesPage {
    q: String,
    state: String,
    sort: String,
    items: Vec<ArticleItem>,
    next: Option<String>,
}

impl ArticlesPage {
    /// The filters and sort as a query string.
    fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("state", &self.state)
            .append_pair("sort", &self.sort)
            .finish()
    }
}

async fn articles(
    State(web): State<Web>,
    Query(f): Query<ArticleFilter>,
) -> Result<ArticlesPage, Failure> {
    let sort = given(&f.sort).unwrap_or("changed").to_string();
    let order = match sort.as_str() {
        "changed" => TargetSort::Changed,
        "added" => TargetSort::Added,
        "url" => TargetSort::Url,
        other => {
            return Err(Failure::BadRequest(format!(
                "sort: `{other}` is not changed, added or url"
            )));
        }
    };
    let state = given(&f.state).unwrap_or_default().to_string();
    let state_filter = match state.as_str() {
        "" => None,
        s => Some(TargetState::parse(s).ok_or_else(|| {
            Failure::BadRequest(format!("state: `{s}` is not active, retired or removed"))
        })?),
    };
    let after = target_cursor(&f.after)?;
    let q = given(&f.q).unwrap_or_default().to_string();
    let mut rows = web
        .store()
        .target_page(TargetQuery {
            sort: order,
            after,
            id: None,
            state: state_filter,
            text: (!q.is_empty()).then(|| q.clone()),
            limit: PAGE_SIZE + 1,
        })
        .await?;
    let next = (rows.len() > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE);
        rows[PAGE_SIZE - 1].target.id.0.to_string()
    });
    let items = rows
        .iter()
        .map(|s| ArticleItem {
            id: s.target.id.0,
            url: s.target.url.to_string(),
            name: s.target.name.clone(),
            state: s.target.state.as_str(),
            versions: s.versions,
            last_change: s.last_change.map_or_else(|| "–".into(), human_time),
            last_check: s.last_check.map_or_else(|| "never".into(), human_time),
            last_error: s.last_error.clone(),
        })
        .collect();
    Ok(ArticlesPage {
        q,
        state,
        sort,
        items,
        next,
    })
}

#[derive(Debug, Deserialize)]
struct LookupQuery {
    #[serde(default)]
    url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "lookup.html")]
struct LookupPage {
    url: String,
    problem: Option<String>,
}

async fn lookup(State(web): State<Web>, Query(q): Query<LookupQuery>) -> Result<Response, Failure> {
    let url = q.url.trim().to_string();
    if url.is_empty() {
        return Ok(LookupPage { url, problem: None }.into_response());
    }
    let parsed = match TargetUrl::parse(&url) {
        Ok(u) => u,
        Err(e) => {
            let page = LookupPage {
                url,
                problem: Some(e.to_string()),
            };
            return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    match web.store().target_by_identity(parsed).await? {
        Some(t) => Ok(Redirect::to(&format!("/articles/{}", t.id)).into_response()),
        None => Ok((
            axum::http::StatusCode::NOT_FOUND,
            LookupPage {
                url,
                problem: Some("this article is not tracked".into()),
            },
        )
            .into_response()),
    }
}

pub(super) async fn target(web: &Web, id: i64) -> Result<Target, Failure> {
    web.store()
        .target_by_id(TargetId(id))
        .await?
        .ok_or_else(|| Failure::NotFound(format!("no article {id} is tracked")))
}

/// A version in an article's history.
pub struct HistoryItem {
    pub number: u32,
    pub when: String,
    pub title: String,
    pub words: u64,
    pub added: Option<u64>,
    pub removed: Option<u64>,
    pub class: &'static str,
}

impl From<&HistoryRow> for HistoryItem {
    fn from(r: &HistoryRow) -> Self {
        Self {
            number: r.version,
            when: human_time(r.captured_at),
            title: r.title.clone(),
            words: r.words,
            added: r.added,
            removed: r.removed,
            class: r.class.map_or("", |c| c.as_str()),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
struct HistoryPage {
    target: Target,
    items: Vec<HistoryItem>,
    latest: u32,
}

async fn history(State(web): State<Web>, Path(id): Path<i64>) -> Result<HistoryPage, Failure> {
    let target = target(&web, id).await?;
    let rows = web.store().history(target.id).await?;
    let latest = rows.last().map_or(0, |r| r.version);
    let items = rows.iter().rev().map(HistoryItem::from).collect();
    Ok(HistoryPage {
        target,
        items,
        latest,
    })
}

#[derive(Debug, Deserialize)]
struct CompareQuery {
    from: Option<u32>,
    to: Option<u32>,
}

async fn compare(Path(id): Path<i64>, Query(q): Query<CompareQuery>) -> Result<Redirect, Failure> {
    match (q.from, q.to) {
        (Some(a), Some(b)) if a != b => {
            let (from, to) = (a.min(b), a.max(b));
            Ok(Redirect::to(&format!("/articles/{id}/diff/{from}..{to}")))
        }
        _ => Err(Failure::BadRequest(
            "pick two different versions to compare".into(),
        )),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "version.html")]
struct VersionPage {
    target: Target,
    v: crate::model::Version,
    when: String,
    paragraphs: Vec<String>,
    latest: u32,
    check: Option<String>,
}

async fn version(
    State(web): State<Web>,
    Path((id, n)): Path<(i64, u32)>,
) -> Result<VersionPage, Failure> {
    let target = target(&web, id).await?;
    let store = web.store();
    let v = store
        .version(target.id, Some(n))
        .await?
        .ok_or_else(|| Failure::NotFound(format!("{} has no version {n}", target.url)))?;
    let latest = store
        .version(target.id, None)
        .await?
        .map_or(n, |v| v.number);
    let check = store
        .captures(
            target.id,
            Some(v.captured_at),
            Some(Timestamp(v.captured_at.millis() + 1)),
        )
        .await?
        .into_iter()
        .find_map(|c| c.exchange)
        .map(|e| {
            let status = e
                .response_head
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            format!(
                "{status} from {} ({})",
                e.url,
                e.ip.map_or_else(|| "address not kept".to_string(), |ip| ip.to_string())
            )
        });
    let paragraphs = v
        .text
        .split(crate::text::PARAGRAPH_BREAK)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    Ok(VersionPage {
        when: human_time(v.captured_at),
        target,
        v,
        paragraphs,
        latest,
        check,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "sources.html")]
struct SourcesPage {
    items: Vec<SourceView>,
}

async fn sources(State(web): State<Web>) -> Result<SourcesPage, Failure> {
    let items = web
        .store()
        .list_sources()
        .await?
        .iter()
        .map(SourceView::from)
        .collect();
    Ok(SourcesPage { items })
}

#[derive(Template, WebTemplate)]
#[template(path = "status.html")]
struct StatusPage {
    s: StatusView,
    uptime: String,
    size: String,
}

async fn status(State(web): State<Web>) -> Result<StatusPage, Failure> {
    let s = read_status(&web).await?;
    let uptime = crate::model::format_duration(std::time::Duration::from_secs(s.uptime_seconds));
    let size = s
        .database_bytes
        .map_or_else(|| "unknown".into(), |b| format!("{:.1} MB", b as f64 / 1e6));
    Ok(StatusPage { s, uptime, size })
}

pub(super) async fn not_found() -> Failure {
    Failure::NotFound("there is no page at this address".into())
}
