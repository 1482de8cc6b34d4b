//! The captures of a target as archives read them: each stored version
//! with the check that captured it, and each unchanged check, with the
//! HTTP exchange kept for it (migration 10 on).

use rusqlite::params;

use super::Store;
use crate::model::{CaptureKind, CaptureRow, Exchange, TargetId, Timestamp};
use crate::store::StoreError;

impl Store {
    /// A target's captures from `since` (inclusive) to `until` (exclusive),
    /// oldest first: its versions (with the exchange of the check that
    /// stored each, when it was kept) and its unchanged checks.
    pub fn captures(
        &self,
        target: TargetId,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Result<Vec<CaptureRow>, StoreError> {
        let since = since.map_or(i64::MIN, |t| t.millis());
        let until = until.map_or(i64::MAX, |t| t.millis());
        // A version's check is the one that stored it (`new` or `changed`,
        // naming its number); a version without one (a database older than
        // the check log) still counts, with no exchange.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT v.number, v.captured_at, 'version', c.http_status, c.url, c.request_head,
                        c.response_head, c.payload_sha256, c.ip
                 FROM versions v
                 LEFT JOIN checks c ON c.id = (
                     SELECT MIN(id) FROM checks
                     WHERE target_id = v.target_id AND version = v.number
                       AND outcome IN ('new', 'changed'))
                 WHERE v.target_id = ?1 AND v.captured_at >= ?2 AND v.captured_at < ?3
                 UNION ALL
                 SELECT c.version, c.started_at, 'unchanged', c.http_status, c.url, c.request_head,
                        c.response_head, c.payload_sha256, c.ip
                 FROM checks c
                 WHERE c.target_id = ?1 AND c.outcome = 'unchanged' AND c.version IS NOT NULL
                   AND c.started_at >= ?2 AND c.started_at < ?3
                 ORDER BY 2, 3 DESC",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(params![target.0, since, until], |r| {
                let number: u32 = r.get(0)?;
                let kind: String = r.get(2)?;
                let url: Option<String> = r.get(4)?;
                let request_head: Option<String> = r.get(5)?;
                let response_head: Option<String> = r.get(6)?;
                let digest: Option<Vec<u8>> = r.get(7)?;
                let ip: Option<String> = r.get(8)?;
                let exchange = match (url, request_head, response_head) {
                    (Some(url), Some(request_head), Some(response_head)) => Some(Exchange {
                        url,
                        request_head,
                        response_head,
                        payload_sha256: digest.and_then(|d| <[u8; 32]>::try_from(d).ok()),
                        ip: ip.and_then(|ip| ip.parse().ok()),
                    }),
                    _ => None,
                };
                Ok(CaptureRow {
                    at: Timestamp(r.get(1)?),
                    kind: if kind == "version" {
                        CaptureKind::Version(number)
                    } else {
                        CaptureKind::Unchanged(number)
                    },
                    status: r.get(3)?,
                    exchange,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }
}
