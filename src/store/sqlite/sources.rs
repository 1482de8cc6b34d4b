//! Sources in the store: the `sources` table, polls, the targets they
//! create (de-duplicated by URL identity, within the caps) and the merge of
//! targets that declare the same `rel=canonical` URL.

use rusqlite::{OptionalExtension, Row, params};

use super::{Cached, Store, StoreError, Tx, rules_json, sql_error};
use crate::model::{
    Discovered, Merged, PageCache, PollReport, Source, SourceKind, SourceSettings, SourceSummary,
    SourceSyncReport, TargetId, TargetUrl, Timestamp,
};

/// The target another one may duplicate, as [`Store::merge_canonical`]
/// reads it.
struct OtherTarget {
    id: i64,
    url: String,
    key: Option<String>,
    discovered: bool,
    title: Option<String>,
}

const SOURCE_COLUMNS: &str =
    "id, url, kind, settings_json, host, failures, etag, last_modified, body_hash, state, origin";

fn source_from_row(db: &str, r: &Row<'_>) -> rusqlite::Result<Result<Source, StoreError>> {
    let corrupt = |what: String| StoreError::Corrupt {
        db: db.to_string(),
        what,
    };
    let url: String = r.get(1)?;
    let kind: String = r.get(2)?;
    let settings: String = r.get(3)?;
    let url = match TargetUrl::parse(&url) {
        Ok(u) => u,
        Err(e) => return Ok(Err(corrupt(format!("source url: {e}")))),
    };
    let Some(kind) = SourceKind::parse(&kind) else {
        return Ok(Err(corrupt(format!("unknown source kind `{kind}`"))));
    };
    let settings: SourceSettings = match serde_json::from_str(&settings) {
        Ok(s) => s,
        Err(e) => return Ok(Err(corrupt(format!("settings of source {url}: {e}")))),
    };
    let body_hash: Option<Vec<u8>> = r.get(8)?;
    Ok(Ok(Source {
        id: r.get(0)?,
        url,
        kind,
        settings,
        host: r.get(4)?,
        failures: r.get::<_, i64>(5)?.clamp(0, u32::MAX as i64) as u32,
        cache: PageCache {
            etag: r.get(6)?,
            last_modified: r.get(7)?,
            body_hash: body_hash.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
            rules: None,
            fetched_at: None,
        },
        active: r.get::<_, String>(9)? == "active",
        from_config: r.get::<_, String>(10)? == "config",
    }))
}

fn settings_json(s: &SourceSettings) -> String {
    serde_json::to_string(s).expect("settings serialise")
}

impl Store {
    fn query_sources(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Source>, StoreError> {
        let db = self.db.clone();
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(params, |r| source_from_row(&db, r))
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(self.sql())??);
        }
        Ok(out)
    }

    /// Writes a source's target defaults onto the active targets it
    /// created, so a changed `[source.targets]` applies to them too.
    fn apply_source_defaults(
        tx: &rusqlite::Connection,
        source: i64,
        s: &SourceSettings,
    ) -> rusqlite::Result<usize> {
        let t = &s.targets;
        tx.run(
            "UPDATE targets SET interval_ms = ?2, selector = ?3, ignore_json = ?4,
                    exclude_json = ?5, tags_json = ?6, track_for_ms = ?7, robots_txt = ?8
             WHERE source_id = ?1 AND state = 'active'",
            params![
                source,
                t.interval_ms.map(|v| v as i64),
                t.selector,
                rules_json(&t.ignore),
                rules_json(&t.exclude),
                rules_json(&t.tags),
                s.track_for_ms.map(|v| v as i64),
                s.robots_txt,
            ],
        )
    }

    /// Upserts one source; returns its id, whether it is new and whether
    /// its settings changed.
    fn upsert_source(
        tx: &rusqlite::Connection,
        url: &TargetUrl,
        kind: SourceKind,
        settings: &SourceSettings,
        origin: &str,
        now: Timestamp,
    ) -> rusqlite::Result<(i64, bool, bool)> {
        let json = settings_json(settings);
        let before: Option<(i64, String, String, String)> = tx
            .row(
                "SELECT id, settings_json, kind, state FROM sources WHERE url = ?1",
                [url.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        match before {
            None => {
                tx.run(
                    "INSERT INTO sources (url, kind, origin, state, settings_json, host, created_at, next_poll_at)
                     VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6, ?6)",
                    params![url.as_str(), kind.as_str(), origin, json, url.host_key(), now.millis()],
                )?;
                Ok((tx.last_insert_rowid(), true, false))
            }
            Some((id, old_json, old_kind, state)) => {
                let changed = old_json != json || old_kind != kind.as_str();
                tx.run(
                    "UPDATE sources SET kind = ?2, settings_json = ?3, state = 'active',
                            origin = CASE WHEN ?4 = 'config' THEN 'config' ELSE origin END,
                            next_poll_at = CASE WHEN ?5 THEN ?6 ELSE next_poll_at END,
                            etag = CASE WHEN ?5 THEN NULL ELSE etag END,
                            last_modified = CASE WHEN ?5 THEN NULL ELSE last_modified END,
                            body_hash = CASE WHEN ?5 THEN NULL ELSE body_hash END
                     WHERE id = ?1",
                    params![
                        id,
                        kind.as_str(),
                        json,
                        origin,
                        changed || state != "active",
                        now.millis()
                    ],
                )?;
                Ok((id, false, changed))
            }
        }
    }

    /// Makes the database's config sources match the config: new ones added
    /// (polled at once), changed settings applied (to their targets too),
    /// and config sources no longer listed marked removed (no more polls;
    /// their targets run out their tracking as usual).
    pub fn sync_config_sources(
        &mut self,
        sources: &[(TargetUrl, SourceKind, SourceSettings)],
        now: Timestamp,
    ) -> Result<SourceSyncReport, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let mut report = SourceSyncReport::default();
        for (url, kind, settings) in sources {
            let (id, created, changed) =
                Self::upsert_source(&tx, url, *kind, settings, "config", now).map_err(&sql)?;
            if created {
                report.added.push(url.to_string());
            }
            if changed {
                Self::apply_source_defaults(&tx, id, settings).map_err(&sql)?;
            }
        }
        let listed: std::collections::HashSet<&str> =
            sources.iter().map(|(u, _, _)| u.as_str()).collect();
        let stale: Vec<String> = {
            let mut stmt = tx
                .prepare("SELECT url FROM sources WHERE origin = 'config' AND state = 'active'")
                .map_err(&sql)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(&sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(&sql)?;
            rows.into_iter()
                .filter(|u| !listed.contains(u.as_str()))
                .collect()
        };
        for url in &stale {
            tx.run("UPDATE sources SET state = 'removed' WHERE url = ?1", [url])
                .map_err(&sql)?;
        }
        report.removed = stale;
        tx.commit().map_err(&sql)?;
        Ok(report)
    }

    /// Adds a source from the command line, or updates and reactivates one.
    pub fn add_source(
        &mut self,
        url: &TargetUrl,
        kind: SourceKind,
        settings: &SourceSettings,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let (id, created, changed) =
            Self::upsert_source(&tx, url, kind, settings, "cli", now).map_err(&sql)?;
        if changed {
            Self::apply_source_defaults(&tx, id, settings).map_err(&sql)?;
        }
        tx.commit().map_err(&sql)?;
        Ok(created)
    }

    /// Stops polling a source (its targets stay). Returns whether it existed.
    pub fn remove_source(&mut self, url: &TargetUrl) -> Result<bool, StoreError> {
        let n = self
            .conn
            .run(
                "UPDATE sources SET state = 'removed', origin = 'cli' WHERE url = ?1",
                [url.as_str()],
            )
            .map_err(self.sql())?;
        Ok(n > 0)
    }

    /// A source by URL, in any state.
    pub fn source_by_url(&self, url: &TargetUrl) -> Result<Option<Source>, StoreError> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE url = ?1");
        Ok(self.query_sources(&sql, [url.as_str()])?.into_iter().next())
    }

    /// Claims active sources due at `now` (at most `limit`), moving their
    /// next poll to `lease_until` so no one else polls them meanwhile.
    pub fn claim_due_sources(
        &mut self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
    ) -> Result<Vec<Source>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE state = 'active' AND next_poll_at <= ?1
             ORDER BY next_poll_at, id LIMIT ?2"
        );
        let due = self.query_sources(&sql, params![now.millis(), limit as i64])?;
        for s in &due {
            self.conn
                .run(
                    "UPDATE sources SET next_poll_at = ?2 WHERE id = ?1",
                    params![s.id, lease_until.millis()],
                )
                .map_err(self.sql())?;
        }
        Ok(due)
    }

    /// When the next active source is due.
    pub fn next_poll_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let t: Option<i64> = self
            .conn
            .row(
                "SELECT MIN(next_poll_at) FROM sources WHERE state = 'active'",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(t.map(Timestamp))
    }

    /// Records a good poll that found nothing new to read (`304`, or the
    /// same bytes as last time): the time, the next poll, fresh validators.
    pub fn record_poll_unchanged(
        &mut self,
        source: i64,
        now: Timestamp,
        next: Timestamp,
        cache: &PageCache,
    ) -> Result<(), StoreError> {
        self.conn
            .run(
                "UPDATE sources SET last_poll_at = ?2, next_poll_at = ?3, last_error = NULL, failures = 0,
                        etag = COALESCE(?4, etag), last_modified = COALESCE(?5, last_modified)
                 WHERE id = ?1",
                params![source, now.millis(), next.millis(), cache.etag, cache.last_modified],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Records a failed poll: the error, the failure streak, when to try
    /// again. Validators are dropped so the next poll reads the document.
    pub fn record_poll_failure(
        &mut self,
        source: i64,
        now: Timestamp,
        next: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .run(
                "UPDATE sources SET last_poll_at = ?2, next_poll_at = ?3, last_error = ?4,
                        failures = failures + 1, etag = NULL, last_modified = NULL, body_hash = NULL
                 WHERE id = ?1",
                params![source, now.millis(), next.millis(), error],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Records a good poll and turns its links into targets, in one
    /// transaction: links whose identity is already watched (as a URL or as
    /// a declared canonical URL, in any state) are skipped; new ones are
    /// created in the order given until a cap is reached.
    pub fn record_poll(
        &mut self,
        source: &Source,
        now: Timestamp,
        next: Timestamp,
        cache: &PageCache,
        links: &[Discovered],
    ) -> Result<PollReport, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let mut report = PollReport::default();
        let s = &source.settings;
        let mut active: i64 = tx
            .row(
                "SELECT COUNT(*) FROM targets WHERE source_id = ?1 AND state = 'active'",
                [source.id],
                |r| r.get(0),
            )
            .map_err(&sql)?;
        for link in links {
            let known = tx
                .row(
                    "SELECT 1 FROM targets WHERE url_key = ?1 OR canonical_key = ?1 OR url = ?2 LIMIT 1",
                    params![link.key, link.url.as_str()],
                    |_| Ok(()),
                )
                .optional()
                .map_err(&sql)?
                .is_some();
            if known {
                report.known += 1;
                continue;
            }
            if report.created.len() >= s.max_new_per_poll as usize {
                report.capped_per_poll += 1;
                continue;
            }
            if active >= i64::from(s.max_targets) {
                report.capped_total += 1;
                continue;
            }
            let t = &s.targets;
            tx.run(
                "INSERT INTO targets (url, interval_ms, selector, origin, state, created_at, next_check_at,
                                      ignore_json, exclude_json, tags_json, host, robots_txt,
                                      source_id, url_key, published_at, track_for_ms)
                 VALUES (?1, ?2, ?3, 'cli', 'active', ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    link.url.as_str(),
                    t.interval_ms.map(|v| v as i64),
                    t.selector,
                    now.millis(),
                    rules_json(&t.ignore),
                    rules_json(&t.exclude),
                    rules_json(&t.tags),
                    link.url.host_key(),
                    s.robots_txt,
                    source.id,
                    link.key,
                    link.published.map(Timestamp::millis),
                    s.track_for_ms.map(|v| v as i64),
                ],
            )
            .map_err(&sql)?;
            active += 1;
            report.created.push(link.url.to_string());
        }
        // A poll that left links for later keeps no validators: the next
        // poll must read the document again, unchanged or not.
        let capped = report.capped_per_poll + report.capped_total > 0;
        let cache = if capped { &PageCache::default() } else { cache };
        tx.run(
            "UPDATE sources SET last_poll_at = ?2, next_poll_at = ?3, last_error = NULL, failures = 0,
                    etag = ?4, last_modified = ?5, body_hash = ?6
             WHERE id = ?1",
            params![
                source.id,
                now.millis(),
                next.millis(),
                cache.etag,
                cache.last_modified,
                cache.body_hash.map(|h| h.to_vec()),
            ],
        )
        .map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(report)
    }

    /// Every source with its figures, in the order they were added.
    pub fn list_sources(&self) -> Result<Vec<SourceSummary>, StoreError> {
        let sql = format!(
            "SELECT {SOURCE_COLUMNS}, last_poll_at, next_poll_at, last_error,
                    (SELECT COUNT(*) FROM targets t WHERE t.source_id = sources.id),
                    (SELECT COUNT(*) FROM targets t WHERE t.source_id = sources.id AND t.state = 'active')
             FROM sources ORDER BY id"
        );
        let db = self.db.clone();
        let mut stmt = self.conn.prepare(&sql).map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    source_from_row(&db, r)?,
                    r.get::<_, Option<i64>>(11)?,
                    r.get::<_, i64>(12)?,
                    r.get::<_, Option<String>>(13)?,
                    r.get::<_, i64>(14)?,
                    r.get::<_, i64>(15)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (source, last_poll, next, last_error, articles, active) =
                row.map_err(self.sql())?;
            out.push(SourceSummary {
                source: source?,
                last_poll: last_poll.map(Timestamp),
                next_poll: Timestamp(next),
                last_error,
                articles: articles.max(0) as u64,
                active_articles: active.max(0) as u64,
            });
        }
        Ok(out)
    }

    /// After a target's page declared `canonical` (its identity
    /// `canonical_key`): remembers it, and when another target already
    /// watches that article — its URL or its declared canonical URL has the
    /// same identity, and its latest headline is `title` — retires one of
    /// the two as a duplicate. Only targets discovered from a source are
    /// retired this way (one added by hand or in the config stays); between
    /// two discovered ones, the one at the canonical URL itself is kept,
    /// else the older. Returns what was merged, when a merge happened.
    ///
    /// A canonical URL that is a site's root names no article (a common
    /// misconfiguration) and is ignored, and so are two pages with
    /// different headlines: a broken canonical tag must never silence a
    /// story.
    pub fn merge_canonical(
        &mut self,
        target: TargetId,
        canonical_key: &str,
        title: &str,
        now: Timestamp,
    ) -> Result<Option<Merged>, StoreError> {
        if canonical_key.ends_with('/') && canonical_key.matches('/').count() == 1 {
            return Ok(None);
        }
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        tx.run(
            "UPDATE targets SET canonical_key = ?2 WHERE id = ?1",
            params![target.0, canonical_key],
        )
        .map_err(&sql)?;
        let other: Option<OtherTarget> = tx
            .row(
                // The first other target by either key, each found through
                // its own index in id order: with `OR`, SQLite would gather
                // and sort every target sharing the key, and a site whose
                // pages all carry one canonical URL would make every check
                // cost as much as the site has targets.
                "SELECT t.id, t.url, t.url_key, t.source_id IS NOT NULL,
                        (SELECT v.title FROM versions v WHERE v.target_id = t.id ORDER BY v.number DESC LIMIT 1)
                 FROM targets t
                 WHERE t.id = (SELECT MIN(id) FROM (
                     SELECT * FROM (SELECT id FROM targets
                                    WHERE url_key = ?2 AND id <> ?1 AND state <> 'removed'
                                    ORDER BY id LIMIT 1)
                     UNION ALL
                     SELECT * FROM (SELECT id FROM targets
                                    WHERE canonical_key = ?2 AND id <> ?1 AND state <> 'removed'
                                    ORDER BY id LIMIT 1)))",
                params![target.0, canonical_key],
                |r| {
                    Ok(OtherTarget {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        key: r.get(2)?,
                        discovered: r.get(3)?,
                        title: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(&sql)?;
        let Some(OtherTarget {
            id: other_id,
            url: other_url,
            key: other_key,
            discovered: other_found,
            title: other_title,
        }) = other
        else {
            tx.commit().map_err(&sql)?;
            return Ok(None);
        };
        let same_story = other_title
            .is_some_and(|t| crate::text::normalize_line(&t) == crate::text::normalize_line(title));
        if !same_story {
            tx.commit().map_err(&sql)?;
            return Ok(None);
        }
        let (own_url, own_key, own_found): (String, Option<String>, bool) = tx
            .row(
                "SELECT url, url_key, source_id IS NOT NULL FROM targets WHERE id = ?1",
                [target.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(&sql)?;
        // Only a discovered target is ever retired as a duplicate: a URL a
        // user added on purpose stays watched. Between two discovered
        // targets, the one at the canonical URL itself is kept, else the
        // older.
        let own_is_canonical = own_key.as_deref() == Some(canonical_key);
        let other_is_canonical = other_key.as_deref() == Some(canonical_key);
        let keep_own = match (own_found, other_found) {
            (false, false) => {
                tx.commit().map_err(&sql)?;
                return Ok(None);
            }
            (false, true) => true,
            (true, false) => false,
            (true, true) => match (own_is_canonical, other_is_canonical) {
                (true, false) => true,
                (false, true) => false,
                _ => target.0 < other_id,
            },
        };
        let (dup, dup_url, kept_url) = if keep_own {
            (other_id, other_url, own_url)
        } else {
            (target.0, own_url, other_url)
        };
        let reason =
            format!("duplicate of {kept_url}: both pages declare the same rel=canonical URL");
        tx.run(
            "UPDATE targets SET state = 'retired', retired_at = ?2, retired_reason = ?3,
                    etag = NULL, last_modified = NULL, body_hash = NULL
             WHERE id = ?1",
            params![dup, now.millis(), reason],
        )
        .map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(Some(Merged {
            retired: dup_url,
            kept: kept_url,
            reason,
        }))
    }
}
