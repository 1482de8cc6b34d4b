//! Recording checks: what a check reads of its target before deciding
//! ([`Store::recent`]), and the one transaction that writes what it
//! decided ([`Store::commit_check`]) — the check row, a new version with
//! its page and diff, the alerts to queue, the target's new state and its
//! next due time — or refuses it as a conflict when the target moved on in
//! between.

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Cached, Store, StoreError, Tx, VERSION_COLUMNS, VERSION_FROM, compress_page, compress_text,
    insert_deliveries, millis, sql_error, version_from_row,
};
use crate::detect::{ChangeClass, SuspectKind};
use crate::model::{
    CacheUpdate, Capture, CheckCommit, CheckRow, Next, RawHtmlPolicy, Recent, RecentCheck, TargetId,
};

impl Store {
    /// What a check reads of its target before deciding: its URL, failure
    /// state, the latest version's number, up to `window` latest versions
    /// (only the latest when it has the capture's fields: most checks find
    /// it again, and then earlier ones are not read or decompressed) and,
    /// for a capture, the latest checks with whether each saw its text.
    pub fn recent(
        &self,
        target: TargetId,
        window: usize,
        capture: Option<&Capture>,
    ) -> Result<Recent, StoreError> {
        let sql = self.sql();
        let (url, failing_alerted, failures, misses, latest) = self
            .conn
            .row(
                "SELECT url, failing_alerted, failures, misses,
                        (SELECT MAX(number) FROM versions WHERE target_id = ?1)
                 FROM targets WHERE id = ?1",
                [target.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .map_err(&sql)?;
        let mut recent = Recent {
            latest,
            versions: Vec::new(),
            checks: Vec::new(),
            url,
            failing_alerted,
            failures,
            misses,
        };
        if window > 0 && latest.is_some() {
            let mut stmt = self
                .conn
                .prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} {VERSION_FROM}
                     WHERE v.target_id = ?1 ORDER BY v.number DESC LIMIT ?2"
                ))
                .map_err(&sql)?;
            let mut read = |n: usize| {
                stmt.query_map(params![target.0, n as i64], |r| version_from_row(r, 0))
                    .map_err(&sql)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(&sql)
            };
            recent.versions = read(1)?;
            let differs = |c: &Capture| {
                recent
                    .versions
                    .first()
                    .is_some_and(|v| v.fields() != c.fields())
            };
            if window > 1 && capture.is_some_and(differs) {
                recent.versions = read(window)?;
            }
        }
        if let Some(capture) = capture {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT suspect_kind, COALESCE(content_hash = ?3, 0) FROM checks WHERE target_id = ?1
                     ORDER BY started_at DESC, id DESC LIMIT ?2",
                )
                .map_err(&sql)?;
            recent.checks = stmt
                .query_map(
                    params![
                        target.0,
                        window.max(1) as i64 + 20,
                        capture.hash.0.as_slice()
                    ],
                    |r| {
                        let kind: Option<String> = r.get(0)?;
                        Ok(RecentCheck {
                            suspect: kind.as_deref().and_then(SuspectKind::from_tag),
                            same_text: r.get(1)?,
                        })
                    },
                )
                .map_err(&sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(&sql)?;
        }
        Ok(recent)
    }

    /// Writes everything one check decided in one transaction, or nothing:
    /// [`StoreError::Conflict`] when the target's due time is no longer the
    /// check's lease (another worker took it) or a version was stored since
    /// the check read its target.
    pub fn commit_check(&mut self, c: &CheckCommit) -> Result<(), StoreError> {
        let db = self.db.clone();
        let sql = sql_error(&db);
        let conflict = |what: String, retry: bool| StoreError::Conflict {
            db: db.clone(),
            target: c.target.0,
            what,
            retry,
        };
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let row: Option<(String, i64, Option<u32>)> = tx
            .row(
                "SELECT url, next_check_at, (SELECT MAX(number) FROM versions WHERE target_id = ?1)
                 FROM targets WHERE id = ?1",
                [c.target.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(&sql)?;
        let Some((url, due, latest)) = row else {
            return Err(conflict(
                "the target is no longer in the database".into(),
                false,
            ));
        };
        if let Some(lease) = c.lease
            && lease.millis() != due
        {
            return Err(conflict(
                "another worker claimed the target while this check ran".into(),
                false,
            ));
        }
        if latest != c.based_on {
            return Err(conflict(
                format!(
                    "version {} was stored while this check ran",
                    latest.unwrap_or(0)
                ),
                true,
            ));
        }
        let now = c.check.facts.started_at.millis();
        if let Some(v) = &c.version {
            let number = c.based_on.map_or(1, |n| n + 1);
            insert_version(&tx, &db, c.target, number, now, v)?;
        }
        insert_check(&tx, c.target, &c.check).map_err(&sql)?;
        insert_deliveries(&tx, c.target, &url, c.check.facts.started_at, &c.deliveries)
            .map_err(&sql)?;
        let u = &c.update;
        tx.run(
            "UPDATE targets SET last_check_at = ?2, last_error = ?3,
                    last_change_at = CASE WHEN ?4 THEN ?2 ELSE last_change_at END,
                    failures = ?5, misses = ?6, failing_alerted = ?7,
                    published_at = COALESCE(?8, published_at),
                    full_fetch_at = COALESCE(?9, full_fetch_at)
             WHERE id = ?1",
            params![
                c.target.0,
                now,
                u.last_error,
                u.changed,
                u.failures,
                u.misses,
                u.failing_alerted,
                u.published_at.map(|t| t.millis()),
                u.full_fetch_at.map(|t| t.millis()),
            ],
        )
        .map_err(&sql)?;
        match &u.cache {
            CacheUpdate::Refresh {
                etag,
                last_modified,
            } => tx.run(
                "UPDATE targets SET etag = COALESCE(?2, etag), last_modified = COALESCE(?3, last_modified)
                 WHERE id = ?1",
                params![c.target.0, etag, last_modified],
            ),
            CacheUpdate::Replace(p) => tx.run(
                "UPDATE targets SET etag = ?2, last_modified = ?3, body_hash = ?4, cache_rules = ?5
                 WHERE id = ?1",
                params![
                    c.target.0,
                    p.etag,
                    p.last_modified,
                    p.body_hash.map(|h| h.to_vec()),
                    p.rules
                ],
            ),
            CacheUpdate::Clear => tx.run(
                "UPDATE targets SET etag = NULL, last_modified = NULL, body_hash = NULL WHERE id = ?1",
                [c.target.0],
            ),
        }
        .map_err(&sql)?;
        apply_next(&tx, c.target, &c.next, now).map_err(&sql)?;
        tx.commit().map_err(&sql)
    }
}

/// Stores version `number` with its page and its diff against the version
/// before it.
fn insert_version(
    tx: &Connection,
    db: &str,
    target: TargetId,
    number: u32,
    now: i64,
    v: &crate::model::NewVersion,
) -> Result<(), StoreError> {
    let sql = sql_error(db);
    let corrupt = |what: String| StoreError::Corrupt {
        db: db.to_string(),
        what,
    };
    let capture = &v.capture;
    // A revert shares the content of the version it returns to: its text
    // and page are not stored again.
    let (title, text) = if v.revert_of.is_some() {
        ("", "")
    } else {
        (capture.title.as_str(), capture.text.as_str())
    };
    // Later texts are stored against the first version's text.
    let text_zstd = if number > 1 && !text.is_empty() {
        let base: Option<String> = tx
            .row(
                "SELECT text FROM versions WHERE target_id = ?1 AND number = 1 AND text_zstd IS NULL",
                [target.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(&sql)?;
        base.and_then(|b| compress_text(text, &b))
    } else {
        None
    };
    let text = if text_zstd.is_some() { "" } else { text };
    let (raw, raw_base) = if v.revert_of.is_some() || capture.raw_html.is_empty() {
        (Vec::new(), None)
    } else {
        let base = if number > 1 {
            Store::page_of(tx, target, 1).map_err(&sql)?
        } else {
            None
        };
        compress_page(&capture.raw_html, base.map(|b| (1, b)))
            .map_err(|e| corrupt(format!("cannot compress the page: {e}")))?
    };
    if v.raw_html == RawHtmlPolicy::FirstAndLatest && number > 2 {
        // Only the first and the latest page are kept.
        tx.run(
            "DELETE FROM pages WHERE version_id IN
               (SELECT id FROM versions WHERE target_id = ?1 AND number > 1 AND number < ?2)",
            params![target.0, number],
        )
        .map_err(&sql)?;
        tx.run(
            "UPDATE versions SET raw_html_zstd = X''
             WHERE target_id = ?1 AND number > 1 AND number < ?2 AND length(raw_html_zstd) > 0",
            params![target.0, number],
        )
        .map_err(&sql)?;
    }
    tx.run(
        "INSERT INTO versions (target_id, number, captured_at, title, text, words, byline, published,
                               modified, canonical, description, content_hash, final_url, raw_html_zstd,
                               class, revert_of, alert_paused, text_zstd)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, X'', ?14, ?15, ?16, ?17)",
        params![
            target.0,
            number,
            now,
            title,
            text,
            crate::text::word_count(&capture.text) as i64,
            capture.byline,
            capture.published,
            capture.modified,
            capture.canonical,
            capture.description,
            capture.hash.0.as_slice(),
            capture.final_url,
            v.class.map(ChangeClass::as_str),
            v.revert_of,
            v.alert_paused,
            text_zstd,
        ],
    )
    .map_err(&sql)?;
    let version_id = tx.last_insert_rowid();
    // Indexed whole, reverts too: the index holds no text to share.
    super::search::index_version(tx, version_id, &capture.title, &capture.text).map_err(&sql)?;
    if !raw.is_empty() {
        tx.run(
            "INSERT INTO pages (version_id, base, zstd) VALUES (?1, ?2, ?3)",
            params![version_id, raw_base, raw],
        )
        .map_err(&sql)?;
    }
    if let Some(summary) = &v.diff {
        let changes_json = serde_json::to_string(&summary.changes)
            .map_err(|e| corrupt(format!("cannot encode diff: {e}")))?;
        tx.run(
            "INSERT INTO diffs (target_id, from_version_id, to_version_id, added, removed, title_changed, changes_json)
             SELECT ?1, id, ?3, ?4, ?5, ?6, ?7 FROM versions WHERE target_id = ?1 AND number = ?2",
            params![
                target.0,
                number - 1,
                version_id,
                summary.added as i64,
                summary.removed as i64,
                summary.title_changed,
                changes_json
            ],
        )
        .map_err(&sql)?;
    }
    Ok(())
}

fn insert_check(tx: &Connection, target: TargetId, c: &CheckRow) -> rusqlite::Result<()> {
    let facts = &c.facts;
    let x = facts.exchange.as_ref();
    tx.run(
        "INSERT INTO checks (target_id, started_at, duration_ms, http_status, bytes, outcome, version, error,
                             published, modified, content_hash, suspect_kind,
                             url, request_head, response_head, payload_sha256, ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            target.0,
            facts.started_at.millis(),
            millis(facts.duration),
            facts.http_status,
            facts.bytes.map(|b| b as i64),
            c.status.as_str(),
            c.version,
            c.error,
            c.seen.as_ref().and_then(|s| s.published.as_deref()),
            c.seen.as_ref().and_then(|s| s.modified.as_deref()),
            c.seen.as_ref().map(|s| s.hash.0.to_vec()),
            c.suspect.map(SuspectKind::tag),
            x.map(|x| x.url.as_str()),
            x.map(|x| x.request_head.as_str()),
            x.map(|x| x.response_head.as_str()),
            x.and_then(|x| x.payload_sha256.map(|d| d.to_vec())),
            x.and_then(|x| x.ip.map(|ip| ip.to_string())),
        ],
    )?;
    Ok(())
}

/// Writes where a target goes next: its due time, or retirement.
fn apply_next(tx: &Connection, target: TargetId, next: &Next, now: i64) -> rusqlite::Result<()> {
    match next {
        Next::At(at) => tx.run(
            "UPDATE targets SET next_check_at = ?2 WHERE id = ?1",
            params![target.0, at.millis()],
        )?,
        Next::Retire(reason) => tx.run(
            "UPDATE targets SET state = 'retired', retired_at = ?2, retired_reason = ?3,
                    etag = NULL, last_modified = NULL, body_hash = NULL
             WHERE id = ?1",
            params![target.0, now, reason],
        )?,
    };
    Ok(())
}
