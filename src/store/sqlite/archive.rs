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
        // A version's check is the first that stored it (`new` or
        // `changed`, naming its number); a version without one (a database
        // older than the check log) still counts, with no exchange. One
        // pass over the target's checks, not a lookup per version.
        let mut stored: std::collections::HashMap<u32, (Option<u16>, Option<Exchange>)> =
            std::collections::HashMap::new();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT c.version, {EXCHANGE_COLUMNS} FROM checks c
                 WHERE c.target_id = ?1 AND c.outcome IN ('new', 'changed') AND c.version IS NOT NULL
                 ORDER BY c.id"
            ))
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(params![target.0], |r| {
                Ok((r.get::<_, u32>(0)?, exchange_from_row(r, 1)?))
            })
            .map_err(self.sql())?;
        for row in rows {
            let (number, found) = row.map_err(self.sql())?;
            stored.entry(number).or_insert(found);
        }
        let mut out: Vec<CaptureRow> = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT number, captured_at FROM versions
                 WHERE target_id = ?1 AND captured_at >= ?2 AND captured_at < ?3",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(params![target.0, since, until], |r| {
                Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(self.sql())?;
        for row in rows {
            let (number, at) = row.map_err(self.sql())?;
            let (status, exchange) = stored.remove(&number).unwrap_or((None, None));
            out.push(CaptureRow {
                at: Timestamp(at),
                kind: CaptureKind::Version(number),
                status,
                exchange,
            });
        }
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT c.version, c.started_at, {EXCHANGE_COLUMNS} FROM checks c
                 WHERE c.target_id = ?1 AND c.outcome = 'unchanged' AND c.version IS NOT NULL
                   AND c.started_at >= ?2 AND c.started_at < ?3"
            ))
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(params![target.0, since, until], |r| {
                let (status, exchange) = exchange_from_row(r, 2)?;
                Ok(CaptureRow {
                    at: Timestamp(r.get(1)?),
                    kind: CaptureKind::Unchanged(r.get(0)?),
                    status,
                    exchange,
                })
            })
            .map_err(self.sql())?;
        for row in rows {
            out.push(row.map_err(self.sql())?);
        }
        // In time order; a version before an unchanged check at the same
        // instant (the check that matched it came after).
        out.sort_by_key(|c| (c.at, matches!(c.kind, CaptureKind::Unchanged(_))));
        Ok(out)
    }
}

/// The columns [`exchange_from_row`] reads, from `checks c`.
const EXCHANGE_COLUMNS: &str =
    "c.http_status, c.url, c.request_head, c.response_head, c.payload_sha256, c.ip";

/// The status and exchange of a check row, from column `at` on.
fn exchange_from_row(
    r: &rusqlite::Row<'_>,
    at: usize,
) -> rusqlite::Result<(Option<u16>, Option<Exchange>)> {
    let status: Option<u16> = r.get(at)?;
    let url: Option<String> = r.get(at + 1)?;
    let request_head: Option<String> = r.get(at + 2)?;
    let response_head: Option<String> = r.get(at + 3)?;
    let digest: Option<Vec<u8>> = r.get(at + 4)?;
    let ip: Option<String> = r.get(at + 5)?;
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
    Ok((status, exchange))
}
