//! Targets and scheduling: syncing the config's targets, adding and
//! removing targets, claiming the due ones under a lease, the backlog and
//! the list.

use rusqlite::{OptionalExtension, params};

use super::rows::{settings_row, target_from_row};
use super::{Cached, Store, Tx, sql_error};
use crate::model::{
    Backlog, Origin, SyncReport, Target, TargetId, TargetQuery, TargetSettings, TargetSort,
    TargetState, TargetStatus, TargetSummary, TargetUrl, Timestamp,
};
use crate::store::StoreError;

impl Store {
    /// Makes the database's config targets match the config: new ones are
    /// added (due now), changed settings updated, and config targets no
    /// longer listed are marked `removed` (their history stays).
    pub fn sync_config_targets(
        &mut self,
        targets: &[TargetSettings],
        now: Timestamp,
    ) -> Result<SyncReport, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let mut report = SyncReport::default();
        for t in targets {
            let existed: bool = tx
                .row(
                    "SELECT 1 FROM targets WHERE url = ?1",
                    [t.url.as_str()],
                    |_| Ok(()),
                )
                .optional()
                .map_err(&sql)?
                .is_some();
            tx.run(
                "INSERT INTO targets (url, name, interval_ms, selector, origin, state, created_at, next_check_at,
                                      ignore_json, exclude_json, tags_json, host, robots_txt, url_key)
                 VALUES (?1, ?2, ?3, ?4, 'config', 'active', ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (url) DO UPDATE SET
                     name = excluded.name,
                     interval_ms = excluded.interval_ms,
                     selector = excluded.selector,
                     ignore_json = excluded.ignore_json,
                     exclude_json = excluded.exclude_json,
                     tags_json = excluded.tags_json,
                     robots_txt = excluded.robots_txt,
                     origin = 'config',
                     -- A retired target stays retired (`redline add` revives it).
                     state = CASE WHEN targets.state = 'retired' THEN 'retired' ELSE 'active' END,
                     next_check_at = CASE
                         WHEN targets.state = 'retired' THEN targets.next_check_at
                         WHEN targets.state <> 'active' THEN excluded.next_check_at
                         -- A shortened interval pulls the next check in
                         -- (beyond the jitter the schedule adds).
                         WHEN excluded.interval_ms IS NOT NULL
                              AND targets.next_check_at > ?5 + excluded.interval_ms
                                  + MIN(excluded.interval_ms / 10, 300000)
                         THEN ?5 + excluded.interval_ms
                         ELSE targets.next_check_at END",
                settings_row(t, now),
            )
            .map_err(&sql)?;
            if !existed {
                report.added.push(t.url.to_string());
            }
        }
        let listed: std::collections::HashSet<&str> =
            targets.iter().map(|t| t.url.as_str()).collect();
        let mut stale = Vec::new();
        {
            let mut stmt = tx
                .prepare("SELECT url FROM targets WHERE origin = 'config' AND state <> 'removed'")
                .map_err(&sql)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(&sql)?;
            for url in rows {
                let url = url.map_err(&sql)?;
                if !listed.contains(url.as_str()) {
                    stale.push(url);
                }
            }
        }
        for url in &stale {
            tx.run("UPDATE targets SET state = 'removed' WHERE url = ?1", [url])
                .map_err(&sql)?;
        }
        report.removed = stale;
        tx.commit().map_err(&sql)?;
        Ok(report)
    }

    /// Adds a target from the command line, or updates and reactivates an
    /// existing one (only the settings given replace stored ones).
    pub fn add_target(
        &mut self,
        t: &TargetSettings,
        now: Timestamp,
    ) -> Result<(Target, bool), StoreError> {
        let existing = self.target_by_url(&t.url)?;
        let created = existing.is_none();
        self.conn
            .run(
                "INSERT INTO targets (url, name, interval_ms, selector, origin, state, created_at, next_check_at,
                                      ignore_json, exclude_json, tags_json, host, robots_txt, url_key)
                 VALUES (?1, ?2, ?3, ?4, 'cli', 'active', ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (url) DO UPDATE SET
                     name = COALESCE(excluded.name, targets.name),
                     robots_txt = COALESCE(excluded.robots_txt, targets.robots_txt),
                     retired_at = NULL,
                     retired_reason = NULL,
                     failures = 0,
                     misses = 0,
                     interval_ms = COALESCE(excluded.interval_ms, targets.interval_ms),
                     selector = COALESCE(excluded.selector, targets.selector),
                     ignore_json = COALESCE(excluded.ignore_json, targets.ignore_json),
                     exclude_json = COALESCE(excluded.exclude_json, targets.exclude_json),
                     tags_json = COALESCE(excluded.tags_json, targets.tags_json),
                     origin = CASE WHEN targets.state = 'active' THEN targets.origin ELSE 'cli' END,
                     next_check_at = CASE WHEN targets.state = 'active' THEN targets.next_check_at
                                          ELSE excluded.next_check_at END,
                     state = 'active'",
                settings_row(t, now),
            )
            .map_err(self.sql())?;
        let target = self
            .target_by_url(&t.url)?
            .ok_or_else(|| self.corrupt("target vanished after insert"))?;
        Ok((target, created))
    }

    /// Adds many command-line targets in one transaction (existing URLs
    /// are left as they are). Returns how many were new.
    pub fn add_targets(
        &mut self,
        targets: &[TargetSettings],
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let mut added = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO targets (url, name, interval_ms, selector, origin, state, created_at, next_check_at,
                                          ignore_json, exclude_json, tags_json, host, robots_txt, url_key)
                     VALUES (?1, ?2, ?3, ?4, 'cli', 'active', ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (url) DO NOTHING",
                )
                .map_err(&sql)?;
            for t in targets {
                added += stmt.execute(settings_row(t, now)).map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(added)
    }

    /// Whether a target came from the config file.
    pub fn target_origin(&self, id: TargetId) -> Result<Origin, StoreError> {
        let origin: String = self
            .conn
            .row("SELECT origin FROM targets WHERE id = ?1", [id.0], |r| {
                r.get(0)
            })
            .map_err(self.sql())?;
        Ok(if origin == Origin::Config.as_str() {
            Origin::Config
        } else {
            Origin::Cli
        })
    }

    /// Stops checking a target. With `purge`, deletes it and its whole
    /// history. Returns whether the target existed.
    pub fn remove_target(&mut self, url: &TargetUrl, purge: bool) -> Result<bool, StoreError> {
        let n = if purge {
            self.conn
                .run("DELETE FROM targets WHERE url = ?1", [url.as_str()])
        } else {
            self.conn.run(
                "UPDATE targets SET state = 'removed', origin = 'cli' WHERE url = ?1",
                [url.as_str()],
            )
        }
        .map_err(self.sql())?;
        Ok(n > 0)
    }

    /// A target by URL, in any state.
    pub fn target_by_url(&self, url: &TargetUrl) -> Result<Option<Target>, StoreError> {
        let sql = format!(
            "SELECT {} FROM targets WHERE url = ?1",
            Self::TARGET_COLUMNS
        );
        Ok(self.query_targets(&sql, [url.as_str()])?.into_iter().next())
    }

    /// A target by id, in any state.
    pub fn target_by_id(&self, id: TargetId) -> Result<Option<Target>, StoreError> {
        let sql = format!("SELECT {} FROM targets WHERE id = ?1", Self::TARGET_COLUMNS);
        Ok(self.query_targets(&sql, [id.0])?.into_iter().next())
    }

    /// The target `url` names under the identity rules of discovery: the
    /// same URL, or the same identity key as its URL or its canonical URL.
    /// The exact URL wins, then the oldest target.
    pub fn target_by_identity(&self, url: &TargetUrl) -> Result<Option<Target>, StoreError> {
        let key = crate::model::canon::key(url.as_url());
        let sql = format!(
            "SELECT {} FROM targets WHERE url = ?1 OR url_key = ?2 OR canonical_key = ?2
             ORDER BY url = ?1 DESC, id LIMIT 1",
            Self::TARGET_COLUMNS
        );
        Ok(self
            .query_targets(&sql, rusqlite::params![url.as_str(), key])?
            .into_iter()
            .next())
    }

    /// Every active target, oldest first.
    pub fn active_targets(&self) -> Result<Vec<Target>, StoreError> {
        let sql = format!(
            "SELECT {} FROM targets WHERE state = 'active' ORDER BY id",
            Self::TARGET_COLUMNS
        );
        self.query_targets(&sql, [])
    }

    /// Up to `limit` active targets with ids above `after`, in id order:
    /// the next page of a walk over all of them.
    pub fn active_targets_after(
        &self,
        after: Option<TargetId>,
        limit: usize,
    ) -> Result<Vec<Target>, StoreError> {
        let sql = format!(
            // `+state`: walk the primary key from `after` on, in order,
            // instead of sorting every active target for each page.
            "SELECT {} FROM targets WHERE +state = 'active' AND id > ?1 ORDER BY id LIMIT ?2",
            Self::TARGET_COLUMNS
        );
        self.query_targets(&sql, params![after.map_or(i64::MIN, |t| t.0), limit as i64])
    }

    /// Active targets due at `now`, most overdue first, at most `limit`.
    pub fn due_targets(&self, now: Timestamp, limit: usize) -> Result<Vec<Target>, StoreError> {
        let sql = format!(
            "SELECT {} FROM targets WHERE state = 'active' AND next_check_at <= ?1
             ORDER BY next_check_at, id LIMIT ?2",
            Self::TARGET_COLUMNS
        );
        self.query_targets(&sql, params![now.millis(), limit as i64])
    }

    /// Active targets due at `now`, most overdue first, none on a host in
    /// `skip_hosts`: up to four times `limit` (at least 16), so hosts that
    /// turn out busy leave others to take.
    pub fn due_candidates(
        &self,
        now: Timestamp,
        limit: usize,
        skip_hosts: &[String],
    ) -> Result<Vec<Target>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let skip = serde_json::to_string(skip_hosts).expect("strings serialise");
        let query = format!(
            "SELECT {} FROM targets WHERE state = 'active' AND next_check_at <= ?1
               AND host NOT IN (SELECT value FROM json_each(?3))
             ORDER BY next_check_at, id LIMIT ?2",
            Self::TARGET_COLUMNS
        );
        let candidates = (limit.saturating_mul(4)).max(16) as i64;
        self.query_targets(&query, params![now.millis(), candidates, skip])
    }

    /// Leases targets for checking: each whose due time is still the one
    /// it was read with gets `lease_until` as its due time, in one
    /// transaction, so no target is handed out twice — by this process or
    /// another sharing the database. Returns the ids claimed.
    pub fn claim(
        &mut self,
        targets: &[(TargetId, Timestamp)],
        lease_until: Timestamp,
    ) -> Result<Vec<TargetId>, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let mut claimed = Vec::with_capacity(targets.len());
        for (id, due) in targets {
            let n = tx
                .run(
                    "UPDATE targets SET next_check_at = ?3
                     WHERE id = ?1 AND next_check_at = ?2 AND state = 'active'",
                    params![id.0, due.millis(), lease_until.millis()],
                )
                .map_err(&sql)?;
            if n == 1 {
                claimed.push(*id);
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(claimed)
    }

    /// How many active targets are due and how late the oldest is.
    pub fn backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        let (due, oldest): (i64, Option<i64>) = self
            .conn
            .row(
                "SELECT COUNT(*), MIN(next_check_at) FROM targets
                 WHERE state = 'active' AND next_check_at <= ?1",
                [now.millis()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.sql())?;
        let active: i64 = self
            .conn
            .row(
                "SELECT COUNT(*) FROM targets WHERE state = 'active'",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(Backlog {
            due: due.max(0) as u64,
            oldest_due: oldest.map(Timestamp),
            active: active.max(0) as u64,
        })
    }

    /// Makes every active target due at `at` (benchmarks, `check --all`).
    pub fn schedule_all_at(&mut self, at: Timestamp) -> Result<usize, StoreError> {
        self.conn
            .run(
                "UPDATE targets SET next_check_at = ?1 WHERE state = 'active'",
                [at.millis()],
            )
            .map_err(self.sql())
    }

    /// When the next active target falls due.
    pub fn next_due_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let t: Option<i64> = self
            .conn
            .row(
                "SELECT MIN(next_check_at) FROM targets WHERE state = 'active'",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(t.map(Timestamp))
    }

    /// Every target with its figures, in the order they were added.
    pub fn list_targets(&self) -> Result<Vec<TargetSummary>, StoreError> {
        self.summaries("1 ORDER BY id", Vec::new())
    }

    /// One page of targets with their figures: the web's article list.
    /// Each order is an index (`id`, the UNIQUE `url`, and
    /// `targets_by_change`), and a page after a cursor starts from its row.
    pub fn target_page(&self, q: &TargetQuery) -> Result<Vec<TargetSummary>, StoreError> {
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut bind = |v: rusqlite::types::Value| {
            args.push(v);
            format!("?{}", args.len())
        };
        let mut sql = String::from("1");
        if let Some(id) = q.id {
            sql += &format!(" AND id = {}", bind(id.0.into()));
        }
        if let Some(state) = q.state {
            sql += &format!(" AND state = {}", bind(state.as_str().to_string().into()));
        }
        if let Some(text) = &q.text {
            let t = bind(text.to_lowercase().into());
            sql += &format!(
                " AND (instr(lower(url), {t}) > 0 OR instr(lower(COALESCE(name, '')), {t}) > 0)"
            );
        }
        let order = match q.sort {
            TargetSort::Added => {
                if let Some(after) = q.after {
                    sql += &format!(" AND id > {}", bind(after.0.into()));
                }
                "id"
            }
            TargetSort::Url => {
                if let Some(after) = q.after {
                    sql += &format!(
                        " AND (url, id) > (SELECT url, id FROM targets WHERE id = {})",
                        bind(after.0.into())
                    );
                }
                "url, id"
            }
            TargetSort::Changed => {
                if let Some(after) = q.after {
                    sql += &format!(
                        " AND (COALESCE(last_change_at, 0), id) <
                              (SELECT COALESCE(last_change_at, 0), id FROM targets WHERE id = {})",
                        bind(after.0.into())
                    );
                }
                "COALESCE(last_change_at, 0) DESC, id DESC"
            }
        };
        sql += &format!(" ORDER BY {order} LIMIT {}", bind((q.limit as i64).into()));
        self.summaries(&sql, args)
    }

    /// Targets counted by state, lateness and failing host.
    pub fn target_status(
        &self,
        overdue_before: Timestamp,
        hosts: usize,
    ) -> Result<TargetStatus, StoreError> {
        let mut out = TargetStatus::default();
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM targets GROUP BY state ORDER BY state")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(self.sql())?;
        for row in rows {
            let (state, n) = row.map_err(self.sql())?;
            let state = TargetState::parse(&state)
                .ok_or_else(|| self.corrupt(format!("target state `{state}`")))?;
            out.by_state.push((state, n.max(0) as u64));
        }
        out.overdue = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM targets WHERE state = 'active' AND next_check_at < ?1",
                [overdue_before.millis()],
                |r| r.get::<_, i64>(0),
            )
            .map_err(self.sql())?
            .max(0) as u64;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT host, COUNT(*), MAX(last_error) FROM targets
                 WHERE state = 'active' AND last_error IS NOT NULL
                 GROUP BY host ORDER BY COUNT(*) DESC, host LIMIT ?1",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([hosts as i64], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, i64>(1)?.max(0) as u64,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(self.sql())?;
        for row in rows {
            out.failing_hosts.push(row.map_err(self.sql())?);
        }
        Ok(out)
    }

    /// Targets with their figures, `filter` being the WHERE clause's rest
    /// (with its ORDER BY and LIMIT) over `args`.
    fn summaries(
        &self,
        filter: &str,
        args: Vec<rusqlite::types::Value>,
    ) -> Result<Vec<TargetSummary>, StoreError> {
        let sql = format!(
            "SELECT {}, last_check_at, last_change_at, last_error,
                    (SELECT COUNT(*) FROM versions v WHERE v.target_id = targets.id)
             FROM targets WHERE {filter}",
            Self::TARGET_COLUMNS
        );
        let dbname = self.db.clone();
        let mut stmt = self.conn.prepare(&sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |row| {
                let n = Self::TARGET_COLUMN_COUNT;
                Ok((
                    target_from_row(&dbname, row)?,
                    row.get::<_, Option<i64>>(n)?,
                    row.get::<_, Option<i64>>(n + 1)?,
                    row.get::<_, Option<String>>(n + 2)?,
                    row.get::<_, i64>(n + 3)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (target, last_check, last_change, last_error, versions) =
                row.map_err(self.sql())?;
            out.push(TargetSummary {
                target: target?,
                versions: versions.max(0) as u64,
                last_check: last_check.map(Timestamp),
                last_change: last_change.map(Timestamp),
                last_error,
            });
        }
        Ok(out)
    }
}
