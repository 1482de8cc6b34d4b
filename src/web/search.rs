//! Search of the history on the web: the `/search` page and the query
//! that `/api/v1/search` shares with it. The index and the decision of
//! where a phrase entered or left are [`crate::report::search`]'s.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::pages::human_time;
use super::{Failure, Web};
use crate::model::Timestamp;
use crate::report::search::{self, Phrase, SearchHit, SearchMode};

/// The search form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub since: Option<String>,
}

impl SearchQuery {
    /// The phrase, mode and lower time bound; `None` without a phrase.
    pub fn parse(&self) -> Result<Option<(Phrase, SearchMode, Option<Timestamp>)>, Failure> {
        if self.q.trim().is_empty() {
            return Ok(None);
        }
        let phrase = Phrase::parse(&self.q)
            .ok_or_else(|| Failure::BadRequest(format!("q: {:?} has no words", self.q)))?;
        let mode = match self.mode.as_deref().unwrap_or("anywhere") {
            "" | "anywhere" => SearchMode::Anywhere,
            "removed" => SearchMode::Removed,
            "added" => SearchMode::Added,
            "current" => SearchMode::Current,
            other => {
                return Err(Failure::BadRequest(format!(
                    "mode: `{other}` is not anywhere, removed, added or current"
                )));
            }
        };
        let since = match self
            .since
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(
                crate::export::parse_time_bound(s, Timestamp::now())
                    .map_err(|e| Failure::BadRequest(format!("since: {e}")))?,
            ),
            None => None,
        };
        Ok(Some((phrase, mode, since)))
    }
}

/// Runs a search.
pub async fn run_search(web: &Web, q: &SearchQuery) -> Result<Vec<SearchHit>, Failure> {
    match q.parse()? {
        None => Ok(Vec::new()),
        Some((phrase, mode, since)) => Ok(search::search(web.store(), &phrase, mode, since).await?),
    }
}

/// A search hit on the page.
pub struct HitItem {
    pub id: Option<i64>,
    pub url: String,
    pub title: String,
    pub version: u32,
    pub when: String,
    pub what: &'static str,
    pub before: String,
    pub mark: String,
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub(super) struct SearchPage {
    q: String,
    mode: String,
    since: String,
    searched: bool,
    hits: Vec<HitItem>,
}

pub(super) async fn search_page(
    State(web): State<Web>,
    Query(q): Query<SearchQuery>,
) -> Result<SearchPage, Failure> {
    let items = run_search(&web, &q)
        .await?
        .into_iter()
        .map(|h| HitItem {
            id: h.target.map(|t| t.0),
            what: h.describe(),
            when: human_time(h.at),
            before: h.snippet[..h.mark.start].to_string(),
            mark: h.snippet[h.mark.clone()].to_string(),
            after: h.snippet[h.mark.end..].to_string(),
            url: h.url,
            title: h.title,
            version: h.version,
        })
        .collect();
    Ok(SearchPage {
        searched: !q.q.trim().is_empty(),
        q: q.q,
        mode: q.mode.unwrap_or_else(|| "anywhere".into()),
        since: q.since.unwrap_or_default(),
        hits: items,
    })
}
