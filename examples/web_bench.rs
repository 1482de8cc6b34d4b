//! The web front over a large history: CPU time per request for the first
//! page and a page deep in each list, the status page, a feed, a diff and
//! a search, through the same Router `redline serve` runs (in process, no
//! socket, so only Redline's own work is counted).
//!
//!     cargo run --release --example web_bench -- --targets 10000 --versions 5
//!
//! The history is built through the store as checks would commit it (see
//! `common/history.rs`), each version after the first with its diff, so
//! every version is a change on the recent-changes list. A flat figure from
//! the first page to the deep one shows that paging uses an index, not an
//! offset.

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

#[path = "common/history.rs"]
mod history;

use history::{RARE, cpu};

/// Times each request is repeated; the figure is CPU time over them all,
/// divided.
const REPEAT: u32 = 20;

fn main() -> anyhow::Result<()> {
    let (targets, versions) = history::size_from_args("web_bench")?;
    let dir = tempfile::tempdir()?;
    let db: PathBuf = dir.path().join("web.db");
    history::build(&db, targets, versions, true)?;
    let conn = rusqlite::Connection::open(&db)?;
    // A cursor half-way down each list, as a reader paging far would hold.
    let changes = (targets * (versions - 1)) as i64;
    let (at, seq): (i64, i64) = conn.query_row(
        "SELECT v.captured_at, v.id FROM versions v JOIN diffs d ON d.to_version_id = v.id
         ORDER BY v.captured_at DESC, v.id DESC LIMIT 1 OFFSET ?1",
        [changes / 2],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let middle: i64 = conn.query_row(
        "SELECT id FROM targets ORDER BY url LIMIT 1 OFFSET ?1",
        [targets as i64 / 2],
        |r| r.get(0),
    )?;
    let first: i64 = conn.query_row("SELECT MIN(id) FROM targets", [], |r| r.get(0))?;
    drop(conn);

    let rt = tokio::runtime::Runtime::new()?;
    let store = redline::store::open_reports(&db)?;
    let web = redline::web::Web::new(
        store,
        redline::config::Config::builtin().scheduler(),
        Some(db.clone()),
        None,
    );
    let rare = url::form_urlencoded::byte_serialize(RARE.as_bytes()).collect::<String>();
    let requests = [
        ("recent changes, first page", "/".to_string()),
        (
            "recent changes, half-way down",
            format!("/?after={at}.{seq}"),
        ),
        (
            "articles by last change, first page",
            "/articles".to_string(),
        ),
        (
            "articles by URL, half-way down",
            format!("/articles?sort=url&after={middle}"),
        ),
        (
            "articles filtered by URL text",
            "/articles?q=news7.example".to_string(),
        ),
        ("/api/v1/changes, 50 items", "/api/v1/changes".to_string()),
        ("Atom feed, 50 entries with diffs", "/feed.atom".to_string()),
        ("one article's history", format!("/articles/{first}")),
        (
            "a diff, split",
            format!("/articles/{first}/diff/1..2?view=split"),
        ),
        ("status", "/status".to_string()),
        (
            "search --removed, a phrase in 1% of articles",
            format!("/search?q={rare}&mode=removed"),
        ),
    ];
    println!(
        "{} articles, {} versions, {} changes; CPU time per request (mean of {REPEAT})",
        targets,
        targets * versions,
        changes
    );
    for (what, path) in &requests {
        let mut bytes = 0;
        let before = cpu();
        for _ in 0..REPEAT {
            let response = rt.block_on(
                web.clone()
                    .router()
                    .oneshot(Request::get(path.as_str()).body(Body::empty())?),
            )?;
            anyhow::ensure!(
                response.status() == StatusCode::OK,
                "{path}: {}",
                response.status()
            );
            bytes = rt
                .block_on(axum::body::to_bytes(response.into_body(), 64 << 20))?
                .len();
        }
        let each: Duration = (cpu() - before) / REPEAT;
        println!(
            "  {what:<48} {:>8.2} ms  ({} KB)",
            each.as_secs_f64() * 1e3,
            bytes / 1024
        );
    }
    Ok(())
}
