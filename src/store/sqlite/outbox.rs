//! The alert outbox: deliveries queued with the check that caused them,
//! due and retried deliveries, delivered and failed ones, disabled sinks.

use rusqlite::{Connection, Row, params};

use super::{Cached, Store, Tx, sql_error};
use crate::model::{Delivery, DeliveryState, NewDelivery, TargetId, Timestamp};
use crate::store::StoreError;

pub(super) fn insert_deliveries(
    tx: &Connection,
    target: TargetId,
    url: &str,
    now: Timestamp,
    deliveries: &[NewDelivery],
) -> rusqlite::Result<()> {
    for d in deliveries {
        tx.run(
            "INSERT INTO deliveries (id, sink, target_id, url, event, payload, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![d.id, d.sink, target.0, url, d.event, d.payload, now.millis()],
        )?;
    }
    Ok(())
}

pub(super) const DELIVERY_COLUMNS: &str =
    "seq, id, sink, url, event, payload, state, attempts, created_at, next_attempt_at, last_error";

pub(super) fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        seq: r.get(0)?,
        id: r.get(1)?,
        sink: r.get(2)?,
        url: r.get(3)?,
        event: r.get(4)?,
        payload: r.get(5)?,
        state: DeliveryState::parse(&r.get::<_, String>(6)?),
        attempts: r.get(7)?,
        created_at: Timestamp(r.get(8)?),
        next_attempt_at: Timestamp(r.get(9)?),
        last_error: r.get(10)?,
    })
}

impl Store {
    /// Queues deliveries outside a check (a test event from the CLI).
    pub fn queue_deliveries(
        &mut self,
        target: TargetId,
        deliveries: &[NewDelivery],
    ) -> Result<(), StoreError> {
        let url: String = self
            .conn
            .row("SELECT url FROM targets WHERE id = ?1", [target.0], |r| {
                r.get(0)
            })
            .map_err(self.sql())?;
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        insert_deliveries(&tx, target, &url, Timestamp::now(), deliveries).map_err(&sql)?;
        tx.commit().map_err(&sql)
    }

    /// Pending deliveries due at `now` whose sink is enabled — for each sink
    /// and target only the oldest, so they arrive in order.
    pub fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries d
                 WHERE d.state = 'pending' AND d.next_attempt_at <= ?1
                   AND d.sink NOT IN (SELECT name FROM disabled_sinks)
                   AND NOT EXISTS (SELECT 1 FROM deliveries e
                                   WHERE e.sink = d.sink AND e.target_id IS d.target_id
                                     AND e.state = 'pending' AND e.seq < d.seq)
                 ORDER BY d.seq LIMIT ?2"
            ))
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(params![now.millis(), limit as i64], delivery_from_row)
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// When the next pending delivery of an enabled sink is due.
    pub fn next_delivery_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let t: Option<i64> = self
            .conn
            .row(
                "SELECT MIN(next_attempt_at) FROM deliveries
                 WHERE state = 'pending' AND sink NOT IN (SELECT name FROM disabled_sinks)",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(t.map(Timestamp))
    }

    /// Records a successful delivery.
    pub fn mark_delivered(&mut self, seq: i64, now: Timestamp) -> Result<(), StoreError> {
        self.conn
            .run(
                "UPDATE deliveries SET state = 'delivered', delivered_at = ?2, attempts = attempts + 1, last_error = NULL
                 WHERE seq = ?1",
                params![seq, now.millis()],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or failed for good.
    pub fn mark_attempt_failed(
        &mut self,
        seq: i64,
        retry_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), StoreError> {
        match retry_at {
            Some(at) => self.conn.run(
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE seq = ?1",
                params![seq, at.millis(), error],
            ),
            None => self.conn.run(
                "UPDATE deliveries SET attempts = attempts + 1, state = 'failed', last_error = ?2 WHERE seq = ?1",
                params![seq, error],
            ),
        }
        .map_err(self.sql())?;
        Ok(())
    }

    /// Switches a sink off (its receiver answered 410 Gone).
    pub fn disable_sink(
        &mut self,
        name: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.conn
            .run(
                "INSERT INTO disabled_sinks (name, disabled_at, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET disabled_at = excluded.disabled_at, reason = excluded.reason",
                params![name, now.millis(), reason],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Sinks switched off, with why.
    pub fn disabled_sinks(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, reason FROM disabled_sinks ORDER BY name")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// Deliveries, newest first, optionally in one state.
    pub fn deliveries(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE ?1 IS NULL OR state = ?1 ORDER BY seq DESC LIMIT ?2"
            ))
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(
                params![state.map(DeliveryState::as_str), limit as i64],
                delivery_from_row,
            )
            .map_err(self.sql())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())
    }

    /// Deliveries counted by state.
    pub fn delivery_counts(&self) -> Result<Vec<(DeliveryState, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM deliveries GROUP BY state ORDER BY state")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (state, n) = row.map_err(self.sql())?;
            out.push((DeliveryState::parse(&state), n.max(0) as u64));
        }
        Ok(out)
    }

    /// Puts a failed (or pending) delivery back in line now, and switches its
    /// sink back on. Returns whether the delivery exists.
    pub fn retry_delivery(&mut self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let sql = sql_error(&self.db);
        let tx = Tx::begin(&mut self.conn).map_err(&sql)?;
        let n = tx
            .execute(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = ?2, created_at = ?2
                 WHERE id = ?1 AND state <> 'delivered'",
                params![id, now.millis()],
            )
            .map_err(&sql)?;
        tx.run(
            "DELETE FROM disabled_sinks WHERE name IN (SELECT sink FROM deliveries WHERE id = ?1)",
            [id],
        )
        .map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(n > 0)
    }

    /// Puts every failed delivery back in line. Returns how many.
    pub fn retry_failed(&mut self, now: Timestamp) -> Result<usize, StoreError> {
        let n = self
            .conn
            .run(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = ?1, created_at = ?1 WHERE state = 'failed'",
                [now.millis()],
            )
            .map_err(self.sql())?;
        self.conn
            .run("DELETE FROM disabled_sinks", [])
            .map_err(self.sql())?;
        Ok(n)
    }
}
