//! The history: versions (texts and pages decompressed), diffs, the
//! history and change reports and the dates later checks saw.

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{VERSION_COLUMNS, VERSION_FROM, version_from_row};
use super::{Cached, Store};
use crate::detect::ChangeClass;
use crate::diff::Change;
use crate::model::{
    ChangeKey, ChangeQuery, ChangeRow, DatesSeen, HistoryRow, TargetId, TargetUrl, Timestamp,
    Version,
};
use crate::store::StoreError;
use crate::store::codec::decompress_page;

/// A version's page blob, its base's number and the base's blob.
pub(super) type PageRow = (Vec<u8>, Option<u32>, Option<Vec<u8>>);

impl Store {
    /// One version of a target; `None` asks for the latest.
    pub fn version(
        &self,
        target: TargetId,
        number: Option<u32>,
    ) -> Result<Option<Version>, StoreError> {
        let result = match number {
            Some(n) => self.conn.row(
                &format!("SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.target_id = ?1 AND v.number = ?2"),
                params![target.0, n],
                |r| version_from_row(r, 0),
            ),
            None => self.conn.row(
                &format!(
                    "SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.target_id = ?1 ORDER BY v.number DESC LIMIT 1"
                ),
                [target.0],
                |r| version_from_row(r, 0),
            ),
        };
        result.optional().map_err(self.sql())
    }

    /// The page stored with a version, decompressed: `None` when the
    /// version does not exist or its page was not kept.
    pub fn raw_html(&self, target: TargetId, number: u32) -> Result<Option<Vec<u8>>, StoreError> {
        Self::page_of(&self.conn, target, number).map_err(|e| match e {
            rusqlite::Error::ToSqlConversionFailure(e) => {
                self.corrupt(format!("page of version {number}: {e}"))
            }
            other => StoreError::Sql {
                db: self.db.clone(),
                source: other,
            },
        })
    }

    /// Reads and decompresses a version's page (resolving its delta base).
    pub(super) fn page_of(
        conn: &Connection,
        target: TargetId,
        number: u32,
    ) -> rusqlite::Result<Option<Vec<u8>>> {
        let row: Option<PageRow> = conn
            .row(
                "SELECT COALESCE(p.zstd, v.raw_html_zstd), p.base, COALESCE(bp.zstd, b.raw_html_zstd)
                 FROM versions v
                 LEFT JOIN pages p ON p.version_id = v.id
                 LEFT JOIN versions b ON b.target_id = v.target_id AND b.number = p.base
                 LEFT JOIN pages bp ON bp.version_id = b.id
                 WHERE v.target_id = ?1 AND v.number = ?2",
                params![target.0, number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((blob, base, base_blob)) = row else {
            return Ok(None);
        };
        if blob.is_empty() {
            return Ok(None);
        }
        let bad = |e: std::io::Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
        let dict = match (base, base_blob) {
            (Some(_), Some(b)) if !b.is_empty() => Some(decompress_page(&b, None).map_err(bad)?),
            (Some(n), _) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("the page it is stored against (version {n}) is missing").into(),
                ));
            }
            (None, _) => None,
        };
        decompress_page(&blob, dict.as_deref())
            .map(Some)
            .map_err(bad)
    }

    /// The stored diff that produced version `to`, if `to` > 1.
    pub fn stored_changes(
        &self,
        target: TargetId,
        to: u32,
    ) -> Result<Option<Vec<Change>>, StoreError> {
        let json: Option<String> = self
            .conn
            .row(
                "SELECT d.changes_json FROM diffs d JOIN versions v ON v.id = d.to_version_id
                 WHERE v.target_id = ?1 AND v.number = ?2",
                params![target.0, to],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql())?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| self.corrupt(format!("diff of version {to}: {e}")))
        })
        .transpose()
    }

    /// Every version of a target with its counts against the previous one.
    pub fn history(&self, target: TargetId) -> Result<Vec<HistoryRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT v.number, v.captured_at, CASE WHEN v.revert_of IS NULL THEN v.title ELSE o.title END,
                        v.words, d.added, d.removed, COALESCE(d.title_changed, 0), d.changes_json,
                        v.class, v.revert_of, v.alert_paused, v.published, v.modified
                 FROM versions v
                 LEFT JOIN versions o ON o.target_id = v.target_id AND o.number = v.revert_of
                 LEFT JOIN diffs d ON d.to_version_id = v.id
                 WHERE v.target_id = ?1 ORDER BY v.number",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([target.0], |r| {
                Ok((
                    HistoryRow {
                        version: r.get(0)?,
                        captured_at: Timestamp(r.get(1)?),
                        title: r.get(2)?,
                        words: r.get::<_, i64>(3)?.max(0) as u64,
                        added: r.get::<_, Option<i64>>(4)?.map(|n| n.max(0) as u64),
                        removed: r.get::<_, Option<i64>>(5)?.map(|n| n.max(0) as u64),
                        title_changed: r.get(6)?,
                        changed_fields: Vec::new(),
                        class: r
                            .get::<_, Option<String>>(8)?
                            .and_then(|c| ChangeClass::parse(&c)),
                        revert_of: r.get(9)?,
                        alert_paused: r.get(10)?,
                        published: r.get(11)?,
                        modified: r.get(12)?,
                        dates_seen: None,
                    },
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (mut h, changes) = row.map_err(self.sql())?;
            if let Some(json) = changes {
                let changes: Vec<Change> = serde_json::from_str(&json)
                    .map_err(|e| self.corrupt(format!("diff of version {}: {e}", h.version)))?;
                for c in changes {
                    if !h.changed_fields.contains(&c.field) {
                        h.changed_fields.push(c.field);
                    }
                }
            }
            out.push(h);
        }
        drop(stmt);
        for h in &mut out {
            h.dates_seen = self.dates_seen(
                target,
                h.version,
                h.published.as_deref(),
                h.modified.as_deref(),
            )?;
        }
        Ok(out)
    }

    /// The checks that read the page, found version `version`'s wording,
    /// and saw dates other than `published` and `modified`: how many, and
    /// the latest. `None` when there were none.
    pub fn dates_seen(
        &self,
        target: TargetId,
        version: u32,
        published: Option<&str>,
        modified: Option<&str>,
    ) -> Result<Option<DatesSeen>, StoreError> {
        let row: Option<(i64, i64, Option<String>, Option<String>)> = self
            .conn
            .row(
                "SELECT COUNT(*) OVER (), started_at, published, modified FROM checks
                 WHERE target_id = ?1 AND version = ?2 AND outcome = 'unchanged'
                   AND content_hash IS NOT NULL
                   AND (published IS NOT ?3 OR modified IS NOT ?4)
                 ORDER BY started_at DESC, id DESC LIMIT 1",
                params![target.0, version, published, modified],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(self.sql())?;
        Ok(row.map(|(n, at, published, modified)| DatesSeen {
            checks: n.max(0) as u64,
            checked_at: Timestamp(at),
            published,
            modified,
        }))
    }

    /// The changes (versions after the first) that `q` asks for, newest
    /// first. The order is the index on capture time (with the version's
    /// row id as the tie-break), so a page after a cursor is a range scan,
    /// never an offset.
    pub fn changes(&self, q: &ChangeQuery) -> Result<Vec<ChangeRow>, StoreError> {
        let mut sql = String::from(
            "SELECT t.url, t.name, f.number, v.number, v.captured_at, d.added, d.removed,
                    CASE WHEN v.revert_of IS NULL THEN v.title ELSE o.title END, d.title_changed, v.class,
                    t.tags_json, (SELECT s.url FROM sources s WHERE s.id = t.source_id), t.id, v.id,
                    (SELECT l.title FROM versions l WHERE l.target_id = t.id
                     ORDER BY l.number DESC LIMIT 1)
             FROM versions v
             JOIN diffs d ON d.to_version_id = v.id
             LEFT JOIN versions o ON o.target_id = v.target_id AND o.number = v.revert_of
             JOIN versions f ON f.id = d.from_version_id
             JOIN targets t ON t.id = d.target_id
             WHERE 1",
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut bind = |v: rusqlite::types::Value| {
            args.push(v);
            format!("?{}", args.len())
        };
        if let Some(since) = q.since {
            sql += &format!(" AND v.captured_at >= {}", bind(since.millis().into()));
        }
        if let Some(k) = q.before {
            let at = bind(k.captured_at.millis().into());
            let seq = bind(k.seq.into());
            sql +=
                &format!(" AND (v.captured_at < {at} OR (v.captured_at = {at} AND v.id < {seq}))");
        }
        if let Some(t) = q.target {
            sql += &format!(" AND v.target_id = {}", bind(t.0.into()));
        }
        if let Some(src) = &q.source {
            sql += &format!(
                " AND t.source_id = (SELECT s.id FROM sources s WHERE s.url = {})",
                bind(src.clone().into())
            );
        }
        if let Some(tag) = &q.tag {
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM json_each(t.tags_json) j WHERE j.value = {})",
                bind(tag.clone().into())
            );
        }
        if let Some(class) = q.class {
            sql += &format!(" AND v.class = {}", bind(class.as_str().to_string().into()));
        }
        if let Some(text) = &q.text {
            let t = bind(text.to_lowercase().into());
            sql += &format!(
                " AND (instr(lower(CASE WHEN v.revert_of IS NULL THEN v.title ELSE o.title END), {t}) > 0
                       OR instr(lower(t.url), {t}) > 0)"
            );
        }
        sql += " ORDER BY v.captured_at DESC, v.id DESC";
        if let Some(limit) = q.limit {
            sql += &format!(
                " LIMIT {}",
                bind((limit.min(i64::MAX as usize) as i64).into())
            );
        }
        let mut stmt = self.conn.prepare(&sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                    ),
                    (
                        r.get::<_, String>(7)?,
                        r.get::<_, bool>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                        r.get::<_, i64>(12)?,
                        r.get::<_, i64>(13)?,
                        r.get::<_, String>(14)?,
                    ),
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (
                (url, name, from, to, captured_at, added, removed),
                (title, title_changed, class, tags, source, target, seq, current_title),
            ) = row.map_err(self.sql())?;
            let tags: Vec<String> = match tags {
                Some(j) => serde_json::from_str(&j)
                    .map_err(|e| self.corrupt(format!("target tags: {e}")))?,
                None => Vec::new(),
            };
            out.push(ChangeRow {
                target: TargetId(target),
                key: ChangeKey {
                    captured_at: Timestamp(captured_at),
                    seq,
                },
                url: TargetUrl::parse(&url)
                    .map_err(|e| self.corrupt(format!("target url: {e}")))?,
                name,
                from,
                to,
                captured_at: Timestamp(captured_at),
                added: added.max(0) as u64,
                removed: removed.max(0) as u64,
                title,
                current_title,
                title_changed,
                class: class.and_then(|c| ChangeClass::parse(&c)),
                tags,
                source,
            });
        }
        Ok(out)
    }
}
