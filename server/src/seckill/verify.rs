//! Reconciliation (`xuecheng seckill verify <event>`): Redis' stock, buyers and stream against
//! the database's seats and stock, with every difference named. It reports; it repairs nothing
//! (see the README for what each difference means and how it is fixed by hand).

use fred::prelude::*;
use serde::Serialize;

use super::{script, SeckillCore};
use crate::db::{seckill as repo, Db};
use crate::redis::Redis;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    pub event_id: i64,
    pub stock: i64,
    pub db_stock_left: i64,
    pub db_seats_held: i64,
    pub db_seats_returned: i64,
    pub db_buyers_over_limit: i64,
    /// `None` in embedded mode.
    pub redis_stock: Option<i64>,
    pub redis_seats_held: Option<i64>,
    pub redis_returned: Option<i64>,
    pub stream_length: Option<i64>,
    pub stream_pending: Option<i64>,
    pub problems: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// [`check`] with the service's own connections.
pub async fn verify(core: &SeckillCore, event_id: i64) -> anyhow::Result<Report> {
    check(&core.db, core.redis.as_ref(), &core.prefix, event_id).await
}

/// `xuecheng seckill verify <event>`: prints the report as JSON; fails when it found problems.
pub async fn cli(settings: &crate::config::Settings, event_id: i64) -> anyhow::Result<()> {
    let db = crate::db::Db::connect(settings).await?;
    let redis = match &settings.redis_url {
        Some(url) => Some(Redis::connect_with(url.expose(), settings.into()).await?),
        None => None,
    };
    let report = check(&db, redis.as_ref(), &settings.redis_prefix, event_id).await;
    db.close().await;
    if let Some(redis) = &redis {
        redis.quit().await;
    }
    let report = report?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !report.ok() {
        anyhow::bail!(
            "seckill event {event_id}: {} problem(s)",
            report.problems.len()
        );
    }
    Ok(())
}

pub async fn check(
    db: &Db,
    redis: Option<&Redis>,
    prefix: &str,
    event_id: i64,
) -> anyhow::Result<Report> {
    let event = repo::event(db, event_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no seckill event {event_id}"))?;
    let tally = repo::tally(db, event_id, event.per_user_limit).await?;
    let stock = i64::from(event.stock);
    let left = i64::from(event.stock_left);
    let mut problems = Vec::new();
    if left + tally.held != stock {
        problems.push(format!(
            "database: stock_left {left} + seats held {} != stock {stock}",
            tally.held
        ));
    }
    if tally.buyers_over_limit > 0 {
        problems.push(format!(
            "database: {} buyers hold more than {} seats",
            tally.buyers_over_limit, event.per_user_limit
        ));
    }
    let mut report = Report {
        event_id,
        stock,
        db_stock_left: left,
        db_seats_held: tally.held,
        db_seats_returned: tally.returned,
        db_buyers_over_limit: tally.buyers_over_limit,
        redis_stock: None,
        redis_seats_held: None,
        redis_returned: None,
        stream_length: None,
        stream_pending: None,
        problems: Vec::new(),
    };
    if let (Some(redis), "published") = (redis, event.status.as_str()) {
        let keys = script::Keys::new(prefix, event_id);
        let pool = redis.pool();
        let redis_stock: Option<i64> = pool.get(&keys.stock).await?;
        let held: Vec<i64> = pool.hvals(&keys.buyers).await?;
        let returned: i64 = pool.scard(&keys.returned).await?;
        let length: i64 = pool.xlen(&keys.stream).await?;
        let pending: fred::types::Value = pool.xpending(&keys.stream, script::GROUP, ()).await?;
        let pending = match pending {
            fred::types::Value::Array(items) => items.first().and_then(|v| v.as_i64()),
            _ => None,
        }
        .unwrap_or(0);
        let held: i64 = held.iter().sum();
        let redis_stock = redis_stock.unwrap_or(0);
        if held + redis_stock != stock {
            problems.push(format!(
                "redis: stock {redis_stock} + seats held {held} != stock {stock}"
            ));
        }
        if redis_stock < 0 {
            problems.push(format!("redis: negative stock {redis_stock}"));
        }
        let written = tally.held + tally.returned;
        if length != written + pending && pending == 0 {
            problems.push(format!(
                "stream: {length} claims, database {written} seats, none pending"
            ));
        }
        if pending == 0 && redis_stock != left {
            problems.push(format!(
                "stock: redis {redis_stock} != database {left} with no claim in flight"
            ));
        }
        if returned != tally.returned {
            problems.push(format!(
                "returned seats: redis {returned} != database {}",
                tally.returned
            ));
        }
        report.redis_stock = Some(redis_stock);
        report.redis_seats_held = Some(held);
        report.redis_returned = Some(returned);
        report.stream_length = Some(length);
        report.stream_pending = Some(pending);
    }
    report.problems = problems;
    Ok(report)
}
