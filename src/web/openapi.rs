//! `/api/openapi.json`: the read API described in OpenAPI 3.1, written by
//! hand from the contract's key lists (shared/CLI-CONTRACT.md) so that a
//! test can hold the live routes to it.

use axum::Json;
use serde_json::{Value, json};

fn strings(keys: &[&str]) -> Value {
    let props: serde_json::Map<String, Value> =
        keys.iter().map(|k| ((*k).to_string(), json!({}))).collect();
    json!({ "type": "object", "required": keys, "properties": props })
}

fn list(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items", "next"],
        "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "next": { "type": ["string", "null"], "description": "Pass as `after` for the next page." }
        }
    })
}

fn op(summary: &str, params: &[Value], schema: Value) -> Value {
    json!({
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": { "description": "OK", "content": { "application/json": { "schema": schema } } },
                "400": { "description": "A parameter is malformed; `error` says which." },
                "401": { "description": "A token is required (`Authorization: Bearer TOKEN`)." },
                "404": { "description": "No such article or version." }
            }
        }
    })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

fn query_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The document.
pub fn spec() -> Value {
    let id = path_param("id", "The article's id (as in /articles/{id}).");
    let after = query_param("after", "The `next` cursor of the previous page.");
    let limit = query_param("limit", "Items on a page, 1 to 200 (default 50).");
    let filters = [
        query_param(
            "since",
            "A duration back from now (`7d`), a date or an RFC 3339 time.",
        ),
        query_param(
            "source",
            "Only articles discovered from the source at this URL.",
        ),
        query_param("tag", "Only articles with this tag."),
        query_param(
            "class",
            "Only changes of this class: cosmetic, minor, substantive, headline, revert, removed.",
        ),
        query_param("q", "Only changes whose headline or URL holds this text."),
        after.clone(),
        limit.clone(),
    ];
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Redline read API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every change to the wording of watched news articles. Keys are those of the CLI's --json output; times are RFC 3339 in UTC."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Change": strings(&["url", "from", "to", "captured_at", "class", "added", "removed", "title", "source", "tags"]),
                "Article": strings(&["url", "name", "state", "interval", "versions", "last_check", "last_change", "last_error", "source"]),
                "HistoryVersion": strings(&["version", "captured_at", "title", "words", "added", "removed", "class", "revert_of", "alert_paused", "changed_fields", "published", "modified", "dates_seen"]),
                "Version": strings(&["url", "version", "captured_at", "title", "text", "byline", "published", "modified", "canonical", "description", "final_url", "dates_seen"]),
                "Diff": strings(&["url", "from", "to", "added", "removed", "title_from", "title_to", "changes"]),
                "Source": strings(&["url", "kind", "last_poll", "articles", "last_error", "state", "active_articles", "interval", "next_poll"]),
                "SearchHit": strings(&["url", "version", "captured_at", "title", "field", "match", "snippet"]),
                "Status": strings(&["version", "uptime_seconds", "targets", "overdue", "errors_by_host", "outbox", "database_bytes"])
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/changes": op("Changes, newest first (as `changes --json`). Send `Accept: application/x-ndjson` for one object per line, the next page in a `Link` header.", &filters, list("Change")),
            "/api/v1/articles": op("Watched articles (as `list --json`).", &[after.clone(), limit.clone()], list("Article")),
            "/api/v1/articles/{id}": op("One article (as a line of `list --json`).", std::slice::from_ref(&id), schema_ref("Article")),
            "/api/v1/articles/{id}/versions": op("An article's versions, oldest first (as `history --json`).", &[id.clone(), after.clone(), limit.clone()], list("HistoryVersion")),
            "/api/v1/articles/{id}/versions/{n}": op("One version with its text (as `show --json`).", &[id.clone(), path_param("n", "The version number.")], schema_ref("Version")),
            "/api/v1/articles/{id}/diff/{from}/{to}": op("What changed between two versions (as `diff --format json`). Each end is a number, `first`, `latest` or `previous`.", &[id.clone(), path_param("from", "The old version."), path_param("to", "The new version.")], schema_ref("Diff")),
            "/api/v1/sources": op("Discovery sources (as `sources --json`).", &[after, limit], list("Source")),
            "/api/v1/status": op("The daemon's figures: targets by state, overdue checks, errors by host, the alert outbox, the database size.", &[], schema_ref("Status")),
            "/api/v1/search": op("Where a phrase is, or where it was removed or added (as `search --json`).", &[
                json!({ "name": "q", "in": "query", "required": true, "description": "The phrase.", "schema": { "type": "string" } }),
                query_param("mode", "anywhere (default), removed, added or current."),
                query_param("since", "Only versions captured since: a duration back from now, a date or an RFC 3339 time."),
            ], list("SearchHit"))
        }
    })
}

pub(super) async fn document() -> Json<Value> {
    Json(spec())
}
