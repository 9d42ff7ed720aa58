//! The stream consumer (in the worker, with Redis only): reads each running event's claims
//! through the consumer group [`script::GROUP`] and writes every claim as a seat and its
//! pending order, then acknowledges it (`XACK` only after the commit, so a crash in between
//! redelivers it, and the unique seat index makes the second write a no-op).
//!
//! A claim that could not be written (the database away) stays pending for this consumer and is
//! read again from its own backlog (`XREADGROUP … 0`) until it lands. Entries pending with a
//! consumer that died (SIGKILL, a lost host) are taken over with `XAUTOCLAIM` once they have
//! been idle for `SECKILL_RECLAIM_IDLE_MS`.
//!
//! No command blocks (`BLOCK` would hold a multiplexed connection every request shares): when
//! nothing is waiting the loop sleeps 20 ms.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use fred::prelude::*;

use super::{script, SeckillCore};
use crate::db::seckill::{self as repo, EventRow, SeatOrder, Taken};
use crate::redis::Redis;

const BATCH: u64 = 200;
const IDLE_SLEEP: Duration = Duration::from_millis(20);
const REFRESH: Duration = Duration::from_secs(1);
const RECLAIM_EVERY: Duration = Duration::from_secs(2);

/// Creates the event's consumer group (and stream) unless it exists.
pub async fn ensure_group(redis: &Redis, keys: &script::Keys) -> Result<(), fred::error::Error> {
    match redis
        .pool()
        .xgroup_create::<(), _, _, _>(&keys.stream, script::GROUP, "0", true)
        .await
    {
        Err(e) if e.details().contains("BUSYGROUP") || e.to_string().contains("BUSYGROUP") => {
            Ok(())
        }
        other => other,
    }
}

/// A running event with what its orders need, read once per refresh.
struct Running {
    event: EventRow,
    title: String,
    months: i32,
    /// Our own pending entries need reading again (a write failed).
    backlog: bool,
}

type Entry = (String, HashMap<String, String>);

/// This process's name in the groups: unique, so a restarted worker is a new consumer and the
/// old one's entries are reclaimed, never silently shared.
pub fn consumer_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &id[..8])
}

/// Runs until `stop` turns true.
pub async fn run(
    core: SeckillCore,
    idle_reclaim: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(redis) = core.redis.clone() else {
        return;
    };
    let name = consumer_name();
    tracing::info!(consumer = %name, "seckill stream consumer started");
    let mut running: HashMap<i64, Running> = HashMap::new();
    let mut refreshed: Option<Instant> = None;
    let mut reclaimed = Instant::now();
    loop {
        if *stop.borrow() {
            break;
        }
        if refreshed.is_none_or(|t| t.elapsed() >= REFRESH) {
            refresh(&core, &redis, &mut running).await;
            refreshed = Some(Instant::now());
        }
        let reclaim = reclaimed.elapsed() >= RECLAIM_EVERY;
        if reclaim {
            reclaimed = Instant::now();
        }
        let mut worked = 0;
        for run in running.values_mut() {
            let keys = core.keys(run.event.id);
            let idle_ms = u64::try_from(idle_reclaim.as_millis()).unwrap_or(u64::MAX);
            let batch = if reclaim {
                redis
                    .pool()
                    .xautoclaim_values::<String, String, String, _, _, _, _>(
                        &keys.stream,
                        script::GROUP,
                        &name,
                        idle_ms,
                        "0-0",
                        Some(BATCH),
                        false,
                    )
                    .await
                    .map(|(_, entries)| entries)
            } else {
                Ok(Vec::new())
            };
            let mut entries: Vec<Entry> = match batch {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::debug!(%error, "seckill: XAUTOCLAIM failed");
                    Vec::new()
                }
            };
            if !entries.is_empty() {
                tracing::info!(
                    event_id = run.event.id,
                    count = entries.len(),
                    "seckill: took over claims of a consumer gone quiet"
                );
            }
            let start = if run.backlog { "0" } else { ">" };
            match redis
                .pool()
                .xreadgroup_map::<String, String, String, String, _, _, _, _>(
                    script::GROUP,
                    &name,
                    Some(BATCH),
                    None,
                    false,
                    keys.stream.clone(),
                    start,
                )
                .await
            {
                Ok(mut streams) => {
                    let read = streams.remove(&keys.stream).unwrap_or_default();
                    if run.backlog && read.is_empty() {
                        run.backlog = false;
                    }
                    entries.extend(read);
                }
                Err(error) if error.details().contains("NOGROUP") => {
                    if let Err(error) = ensure_group(&redis, &keys).await {
                        tracing::debug!(%error, "seckill: cannot create the consumer group");
                    }
                }
                Err(error) => tracing::debug!(%error, "seckill: XREADGROUP failed"),
            }
            let mut seen = HashSet::new();
            for (id, fields) in entries {
                if !seen.insert(id.clone()) {
                    continue;
                }
                worked += 1;
                match write(&core, run, &fields).await {
                    Ok(()) => {
                        let acked: Result<i64, _> = redis
                            .pool()
                            .xack(&keys.stream, script::GROUP, id.as_str())
                            .await;
                        if let Err(error) = acked {
                            // Still pending: written again (a no-op) when read again.
                            tracing::warn!(%error, "seckill: XACK failed");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, event_id = run.event.id,
                            "seckill: a claim could not be written yet; it stays in the stream");
                        run.backlog = true;
                        break;
                    }
                }
            }
        }
        if worked == 0 || running.values().any(|r| r.backlog) {
            let pause = if running.values().any(|r| r.backlog) {
                Duration::from_millis(500)
            } else {
                IDLE_SLEEP
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = stop.changed() => {}
            }
        }
    }
    tracing::info!(consumer = %name, "seckill stream consumer stopped");
}

/// The events to read: published ones that ended less than a day ago.
async fn refresh(core: &SeckillCore, redis: &Redis, running: &mut HashMap<i64, Running>) {
    let rows = match repo::published_since(&core.db, Utc::now() - chrono::Duration::days(1)).await {
        Ok(rows) => rows,
        Err(error) => {
            tracing::debug!(%error, "seckill: cannot list events");
            return;
        }
    };
    let ids: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    running.retain(|id, _| ids.contains(id));
    for event in rows {
        let title = super::release::item_title(&core.db, &event).await;
        let months = super::release::valid_months(&core.db, &event).await;
        let (Ok(title), Ok(months)) = (title, months) else {
            continue;
        };
        if !running.contains_key(&event.id) {
            if let Err(error) = ensure_group(redis, &core.keys(event.id)).await {
                tracing::debug!(%error, "seckill: cannot create the consumer group");
                continue;
            }
        }
        let backlog = running.get(&event.id).is_some_and(|r| r.backlog);
        running.insert(
            event.id,
            Running {
                event,
                title,
                months,
                backlog,
            },
        );
    }
}

/// Writes one claim; `Ok` when it is in the database now (or was before).
async fn write(
    core: &SeckillCore,
    run: &Running,
    fields: &HashMap<String, String>,
) -> Result<(), String> {
    let number = |name: &str| fields.get(name).and_then(|v| v.parse::<i64>().ok());
    let (Some(user_id), Some(seat), Some(at)) = (number("user"), number("seat"), number("at"))
    else {
        tracing::error!(
            event_id = run.event.id,
            "seckill: a stream entry that does not parse"
        );
        return Ok(());
    };
    let claimed: DateTime<Utc> = DateTime::from_timestamp_millis(at).unwrap_or_else(Utc::now);
    let expires_at = claimed + chrono::Duration::minutes(i64::from(run.event.pay_window_minutes));
    let now = Utc::now();
    let order_no = crate::orders::checkout::order_no(now);
    let taken = repo::take_seat(
        &core.db,
        &run.event,
        user_id,
        Some(seat),
        &SeatOrder {
            order_no: &order_no,
            title: &run.title,
            valid_months: run.months,
            expires_at,
            ip: None,
        },
        now,
    )
    .await;
    let taken = match taken {
        Ok(taken) => taken,
        // A claim the database refuses for good (its buyer deleted meanwhile, a rule broken)
        // would stay first in line for ever and stop every later claim of the sale: it is
        // logged and acknowledged, and `xuecheng seckill verify` shows the seat Redis counted.
        Err(e) if is_permanent(&e) => {
            tracing::error!(error = %e, event_id = run.event.id, user_id, seat,
                "seckill: a claim the database refuses for good; dropped from the stream");
            return Ok(());
        }
        Err(e) => return Err(format!("database: {e}")),
    };
    match taken {
        Taken::Seat { seat_id, .. } => super::release::schedule(core, seat_id, expires_at).await,
        Taken::Duplicate => {}
        Taken::SoldOut | Taken::LimitReached => tracing::error!(
            event_id = run.event.id,
            user_id,
            seat,
            "seckill: Redis sold a seat the database refuses (no stock, or the buyer's limit); \
             see `xuecheng seckill verify`"
        ),
    }
    Ok(())
}

/// Whether the database refused a write by a constraint (it will refuse it again), rather than
/// being away or busy (worth trying again).
fn is_permanent(error: &sqlx::Error) -> bool {
    use sqlx::error::ErrorKind;
    error.as_database_error().is_some_and(|d| {
        matches!(
            d.kind(),
            ErrorKind::ForeignKeyViolation
                | ErrorKind::CheckViolation
                | ErrorKind::NotNullViolation
        )
    })
}
