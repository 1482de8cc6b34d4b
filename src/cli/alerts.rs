//! `redline alerts`: the webhook outbox — what is pending, delivered or
//! failed; retrying; and a signed test event to check a receiver.

use std::io::Write;

use anyhow::{Context as _, anyhow};
use serde_json::json;

use super::{AlertsAction, Context, UsageError, block_on, json_line, runtime, time_or_dash};
use crate::alert::AlertSpec;
use crate::alert::{PAYLOAD_SCHEMA, webhook};
use crate::model::{DeliveryState, Timestamp};
use crate::report::outbox::DeliveryView;

/// Deliveries listed at most.
const LIST_LIMIT: usize = 1000;

pub(super) fn run(
    ctx: &Context,
    action: Option<AlertsAction>,
    pending: bool,
    failed: bool,
    json: bool,
) -> anyhow::Result<()> {
    match action {
        None => list(ctx, pending, failed, json),
        Some(AlertsAction::Retry { id, all_failed }) => retry(ctx, id, all_failed),
        Some(AlertsAction::Test { sink }) => test(ctx, &sink),
    }
}

fn list(ctx: &Context, pending: bool, failed: bool, json: bool) -> anyhow::Result<()> {
    let state = match (pending, failed) {
        (true, _) => Some(DeliveryState::Pending),
        (_, true) => Some(DeliveryState::Failed),
        _ => None,
    };
    let (rows, disabled) = block_on(async {
        let store = ctx.reports().await?;
        Ok((
            store.deliveries(state, LIST_LIMIT).await?,
            store.disabled_sinks().await?,
        ))
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        for d in &rows {
            json_line(&mut out, &DeliveryView::from(d))?;
        }
        return Ok(());
    }
    for (name, reason) in &disabled {
        writeln!(
            out,
            "sink {name} is disabled: {reason} (`redline alerts retry` re-enables it)"
        )?;
    }
    if rows.is_empty() {
        writeln!(out, "no alerts in the outbox")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<30}  {:<9}  {:>8}  {:<20}  {:<16}  URL",
        "ID", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "EVENT"
    )?;
    for d in &rows {
        let next = (d.state == DeliveryState::Pending).then_some(d.next_attempt_at);
        writeln!(
            out,
            "{:<30}  {:<9}  {:>8}  {:<20}  {:<16}  {}  → {}",
            d.id,
            d.state.as_str(),
            d.attempts,
            time_or_dash(next),
            d.event,
            d.url,
            d.sink
        )?;
        if let Some(e) = &d.last_error {
            writeln!(out, "{:>32}last error: {e}", "")?;
        }
    }
    Ok(())
}

fn retry(ctx: &Context, id: Option<String>, all_failed: bool) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let mut out = std::io::stdout().lock();
    if all_failed {
        let n = block_on(async { Ok(ctx.store().await?.retry_failed(now).await?) })?;
        writeln!(out, "{n} failed alerts queued again")?;
        return Ok(());
    }
    let id = id.ok_or_else(|| UsageError("name a delivery id, or --all-failed".into()))?;
    let found = block_on(async { Ok(ctx.store().await?.retry_delivery(id.clone(), now).await?) })?;
    if !found {
        return Err(anyhow!(
            "no undelivered alert with id {id} (see `redline alerts`)"
        ));
    }
    writeln!(
        out,
        "{id} queued again; `redline run` or `redline check` delivers it"
    )?;
    Ok(())
}

fn test(ctx: &Context, sink: &str) -> anyhow::Result<()> {
    let spec = ctx
        .config
        .alerts
        .iter()
        .find_map(|a| match a {
            AlertSpec::Webhook(w) if w.name == sink || w.url.as_str() == sink => Some(w),
            _ => None,
        })
        .ok_or_else(|| UsageError(format!("no webhook alert named `{sink}` in the config")))?;
    let id = format!(
        "msg_test{}",
        &blake3::hash(Timestamp::now().millis().to_string().as_bytes()).to_hex()[..22]
    );
    let body = json!({
        "schema": PAYLOAD_SCHEMA,
        "id": id,
        "type": "test",
        "timestamp": Timestamp::now().rfc3339(),
        "data": { "message": "A test event from Redline: this sink receives and verifies alerts." },
    })
    .to_string();
    let client = webhook::client(spec).context("setting up the HTTP client")?;
    let outcome = runtime()?.block_on(webhook::attempt(&client, spec, &id, &body));
    let mut out = std::io::stdout().lock();
    match outcome {
        webhook::Attempt::Delivered => {
            writeln!(out, "test event {id} delivered to {}", spec.name)?;
            Ok(())
        }
        webhook::Attempt::Gone => Err(anyhow!(
            "{} answered 410 Gone: it wants no more alerts",
            spec.name
        )),
        webhook::Attempt::Retry(e) => {
            Err(anyhow!("test event not delivered to {}: {e}", spec.name))
        }
    }
}
