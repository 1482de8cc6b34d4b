//! Rows to records and back: the column lists, and how a target, a version
//! and a target's settings are read from or bound to SQL.

use std::time::Duration;

use rusqlite::Row;

use super::millis;
use crate::detect::ChangeClass;
use crate::model::{
    PageCache, Target, TargetId, TargetSettings, TargetState, TargetUrl, Timestamp, Version,
};
use crate::store::StoreError;
use crate::store::codec::decompress_text;

/// The values ?1 to ?11 of the statements that insert targets: url, name,
/// interval, selector, now, ignore, exclude, tags, host, robots_txt, url_key.
pub(super) fn settings_row(t: &TargetSettings, now: Timestamp) -> impl rusqlite::Params + '_ {
    (
        t.url.as_str(),
        t.name.as_deref(),
        t.interval.map(millis),
        t.selector.as_deref(),
        now.millis(),
        rules_json(&t.ignore),
        rules_json(&t.exclude),
        rules_json(&t.tags),
        t.url.host_key(),
        t.robots_txt,
        crate::model::canon::key(t.url.as_url()),
    )
}

pub(super) fn rules_json(rules: &[String]) -> Option<String> {
    (!rules.is_empty()).then(|| serde_json::to_string(rules).expect("strings serialise"))
}

/// The columns [`version_from_row`] reads, in order, from [`VERSION_FROM`]:
/// a revert's content comes from the version it returned to.
pub(super) const VERSION_COLUMNS: &str = "v.number, v.captured_at,
    CASE WHEN v.revert_of IS NULL THEN v.title ELSE o.title END,
    CASE WHEN v.revert_of IS NULL THEN v.text ELSE o.text END,
    CASE WHEN v.revert_of IS NULL THEN v.text_zstd ELSE o.text_zstd END, b.text,
    v.words, v.byline, v.published, v.modified, v.canonical, v.description,
    v.class, v.revert_of, v.alert_paused, v.final_url";

/// The versions table with the version a revert returned to.
pub(super) const VERSION_FROM: &str = "FROM versions v
    LEFT JOIN versions o ON o.target_id = v.target_id AND o.number = v.revert_of
    LEFT JOIN versions b ON b.target_id = v.target_id AND b.number = 1";

/// Reads a version selected with [`VERSION_COLUMNS`] starting at `at`.
pub(super) fn version_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Version> {
    let number: u32 = r.get(at)?;
    let mut text: String = r.get(at + 3)?;
    if let Some(blob) = r.get::<_, Option<Vec<u8>>>(at + 4)? {
        let base: Option<String> = r.get(at + 5)?;
        text = decompress_text(&blob, base.as_deref().unwrap_or("")).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                at + 4,
                rusqlite::types::Type::Blob,
                format!("text of version {number}: {e}").into(),
            )
        })?;
    }
    Ok(Version {
        number,
        captured_at: Timestamp(r.get(at + 1)?),
        title: r.get(at + 2)?,
        text,
        words: r.get::<_, i64>(at + 6)?.max(0) as u64,
        byline: r.get(at + 7)?,
        published: r.get(at + 8)?,
        modified: r.get(at + 9)?,
        canonical: r.get(at + 10)?,
        description: r.get(at + 11)?,
        class: r
            .get::<_, Option<String>>(at + 12)?
            .and_then(|c| ChangeClass::parse(&c)),
        revert_of: r.get(at + 13)?,
        alert_paused: r.get(at + 14)?,
        final_url: r.get(at + 15)?,
    })
}

/// Reads a target row selected with [`Store::TARGET_COLUMNS`].
pub(super) fn target_from_row(
    db: &str,
    row: &Row<'_>,
) -> rusqlite::Result<Result<Target, StoreError>> {
    let corrupt = |what: String| StoreError::Corrupt {
        db: db.to_string(),
        what,
    };
    let url: String = row.get(1)?;
    let state: String = row.get(5)?;
    let interval_ms: Option<i64> = row.get(3)?;
    let id: i64 = row.get(0)?;
    let name: Option<String> = row.get(2)?;
    let selector: Option<String> = row.get(4)?;
    let next: i64 = row.get(6)?;
    let list = |json: Option<String>, what: &str| -> Result<Vec<String>, StoreError> {
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| corrupt(format!("target {what} rules: {e}")))
        })
        .transpose()
        .map(Option::unwrap_or_default)
    };
    let ignore = match list(row.get(7)?, "ignore") {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let exclude = match list(row.get(8)?, "exclude") {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let tags = match list(row.get(9)?, "tags") {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let url = match TargetUrl::parse(&url) {
        Ok(u) => u,
        Err(e) => return Ok(Err(corrupt(format!("target url: {e}")))),
    };
    let host: Option<String> = row.get(10)?;
    let body_hash: Option<Vec<u8>> = row.get(15)?;
    let Some(state) = TargetState::parse(&state) else {
        return Ok(Err(corrupt(format!("unknown target state `{state}`"))));
    };
    Ok(Ok(Target {
        id: TargetId(id),
        name,
        interval: interval_ms.map(|ms| Duration::from_millis(ms.max(0) as u64)),
        selector,
        ignore,
        exclude,
        tags,
        state,
        next_check_at: Timestamp(next),
        host: host.unwrap_or_else(|| url.host_key()),
        url,
        created_at: Timestamp(row.get(11)?),
        published_at: row.get::<_, Option<i64>>(12)?.map(Timestamp),
        robots_txt: row.get(17)?,
        cache: PageCache {
            etag: row.get(13)?,
            last_modified: row.get(14)?,
            body_hash: body_hash.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
            rules: row.get(16)?,
            fetched_at: row.get::<_, Option<i64>>(23)?.map(Timestamp),
        },
        failures: row.get::<_, i64>(18)?.clamp(0, u32::MAX as i64) as u32,
        misses: row.get::<_, i64>(19)?.clamp(0, u32::MAX as i64) as u32,
        retired_reason: row.get(20)?,
        track_for: row
            .get::<_, Option<i64>>(21)?
            .map(|ms| Duration::from_millis(ms.max(1) as u64)),
        source: row.get(22)?,
    }))
}
