//! Seckill (flash sale): events that sell a limited stock of a course's seats at a low price in
//! a time window, where Redis (one Lua script, atomic) decides who gets a seat and a consumer
//! group in the worker writes each claim as a pending order, paid through the normal payment
//! flow within the event's pay window; an unpaid seat goes back to the stock once.
//!
//! Without `REDIS_URL` (embedded mode) the same API decides in the database: one guarded
//! `UPDATE … stock_left = stock_left - 1 WHERE stock_left > 0` and the unique seat index in one
//! transaction, correct with several processes on one database ([`crate::db::seckill`]).
//!
//! This module owns the events (staff create and change them with `seckill.manage`; the public
//! reads them with their live `stock_left`) and the loading of an event's stock into Redis when
//! it is published. Buying is in [`buy`], the stream consumer in [`consumer`], the return of
//! unpaid seats in [`release`], the Redis keys and scripts in [`script`].

pub mod buy;
pub mod consumer;
pub mod events;
pub mod port;
pub mod release;
pub mod script;
pub mod settings;
pub mod token;
pub mod verify;

use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use chrono::{DateTime, Utc};
use fred::prelude::*;
use serde::Serialize;

use crate::db::seckill::{self as repo, EventRow};
use crate::db::Db;
use crate::error::ResultExt;
use crate::jobs::Jobs;
use crate::redis::{app_error, Redis};
use crate::rest::throttle::ApiThrottle;

pub use settings::SeckillSettings;

/// An event as the public and staff see it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub id: i64,
    pub course_id: i64,
    pub price_policy_id: i64,
    pub title: String,
    pub price_cents: i64,
    pub stock: i32,
    /// Seats not yet taken: Redis' live count with Redis, the database's in embedded mode.
    pub stock_left: i64,
    pub per_user_limit: i32,
    pub pay_window_minutes: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: String,
    /// `upcoming`, `open` or `ended` at `server_time`.
    pub phase: &'static str,
    /// The server's clock: pages count down by it, not by the browser's.
    pub server_time: DateTime<Utc>,
}

/// Where an event stands at `now`.
pub fn phase(event: &EventRow, now: DateTime<Utc>) -> &'static str {
    if now < event.starts_at {
        "upcoming"
    } else if now < event.ends_at {
        "open"
    } else {
        "ended"
    }
}

/// What the job runtime needs of the seckill: the database, Redis and its prefix.
#[derive(Clone)]
pub struct SeckillCore {
    pub db: Db,
    pub redis: Option<Redis>,
    pub prefix: String,
    pub jobs: Jobs,
}

impl SeckillCore {
    pub fn keys(&self, event_id: i64) -> script::Keys {
        script::Keys::new(&self.prefix, event_id)
    }
}

#[derive(Clone)]
pub struct Seckill {
    core: SeckillCore,
    settings: SeckillSettings,
    throttle: ApiThrottle,
    authz: crate::rbac::Authz,
    token_key: token::TokenKey,
    /// Events by id for a second: a sale's thousands of requests per second read the row once.
    events: Arc<moka::future::Cache<i64, Arc<EventRow>>>,
    metrics: crate::metrics::Metrics,
}

impl Seckill {
    pub fn new(
        core: SeckillCore,
        settings: SeckillSettings,
        throttle: ApiThrottle,
        authz: crate::rbac::Authz,
        token_key: token::TokenKey,
    ) -> Self {
        Self {
            core,
            settings,
            throttle,
            authz,
            token_key,
            events: Arc::new(
                moka::future::Cache::builder()
                    .max_capacity(10_000)
                    .time_to_live(Duration::from_secs(1))
                    .build(),
            ),
            metrics: crate::metrics::Metrics::default(),
        }
    }

    pub fn with_metrics(self, metrics: crate::metrics::Metrics) -> Self {
        Self { metrics, ..self }
    }

    pub fn core(&self) -> &SeckillCore {
        &self.core
    }

    /// The event, published or not (callers decide who may see a draft).
    async fn event_row(&self, id: i64) -> Result<Arc<EventRow>, AppError> {
        if let Some(row) = self.events.get(&id).await {
            return Ok(row);
        }
        let row = repo::event(&self.core.db, id)
            .await
            .db_err("seckill event")?
            .ok_or_else(|| AppError::NotFound("seckill event".into()))?;
        let row = Arc::new(row);
        self.events.insert(id, row.clone()).await;
        Ok(row)
    }

    /// A published event (a draft is 404 to buyers and the public).
    async fn published(&self, id: i64) -> Result<Arc<EventRow>, AppError> {
        let row = self.event_row(id).await?;
        if row.status != "published" {
            return Err(AppError::NotFound("seckill event".into()));
        }
        Ok(row)
    }

    /// The live remaining stock.
    async fn stock_left(&self, event: &EventRow) -> Result<i64, AppError> {
        let Some(redis) = &self.core.redis else {
            return Ok(i64::from(event.stock_left));
        };
        if event.status != "published" {
            return Ok(i64::from(event.stock_left));
        }
        let keys = self.core.keys(event.id);
        let left: Option<i64> = redis
            .pool()
            .get(&keys.stock)
            .await
            .map_err(|e| app_error(e, "seckill stock"))?;
        Ok(left.unwrap_or(i64::from(event.stock_left)).max(0))
    }

    async fn view(&self, event: &EventRow) -> Result<EventView, AppError> {
        let now = Utc::now();
        Ok(EventView {
            id: event.id,
            course_id: event.course_id,
            price_policy_id: event.price_policy_id,
            title: event.title.clone(),
            price_cents: event.price_cents,
            stock: event.stock,
            stock_left: self.stock_left(event).await?,
            per_user_limit: event.per_user_limit,
            pay_window_minutes: event.pay_window_minutes,
            starts_at: event.starts_at,
            ends_at: event.ends_at,
            status: event.status.clone(),
            phase: phase(event, now),
            server_time: now,
        })
    }

    /// `GET /api/v1/seckill-events`: published events not ended a day ago, soonest first.
    pub async fn list(&self) -> Result<Vec<EventView>, AppError> {
        let rows = repo::published_since(&self.core.db, Utc::now() - chrono::Duration::days(1))
            .await
            .db_err("seckill event")?;
        let mut views = Vec::with_capacity(rows.len());
        for row in &rows {
            views.push(self.view(row).await?);
        }
        Ok(views)
    }

    /// `GET /api/v1/seckill-events/{id}`: a published event (a draft only for its managers).
    pub async fn detail(&self, id: i64, caller: Option<i64>) -> Result<EventView, AppError> {
        let row = self.event_row(id).await?;
        if row.status != "published" {
            let managers = match caller {
                Some(user) => self
                    .authz
                    .require_user(user, "seckill.manage")
                    .await
                    .is_ok(),
                None => false,
            };
            if !managers {
                return Err(AppError::NotFound("seckill event".into()));
            }
        }
        self.view(&row).await
    }
}

/// Loads a published event into Redis: its window and limit, its stock (overwritten before the
/// start, when nothing can have been sold; kept after it), and the consumer group.
pub async fn load(core: &SeckillCore, event: &EventRow) -> Result<(), AppError> {
    let Some(redis) = &core.redis else {
        return Ok(());
    };
    if event.status != "published" {
        return Ok(());
    }
    let keys = core.keys(event.id);
    let fail = |e| app_error(e, "seckill: loading an event into Redis");
    let pool = redis.pool();
    let () = pool
        .hset(
            &keys.meta,
            [
                ("starts", event.starts_at.timestamp_millis().to_string()),
                ("ends", event.ends_at.timestamp_millis().to_string()),
                ("limit", event.per_user_limit.to_string()),
            ],
        )
        .await
        .map_err(fail)?;
    let stock = event.stock_left.to_string();
    if Utc::now() < event.starts_at {
        // Before the start nothing can have been claimed: whatever Redis holds under these keys
        // is another life's (a database restored or recreated beside a Redis that kept its
        // data, event ids counting from 1 again), and would count as this sale's buyers.
        let _: i64 = pool
            .del(vec![
                keys.buyers.clone(),
                keys.claims.clone(),
                keys.returned.clone(),
                keys.stream.clone(),
            ])
            .await
            .map_err(fail)?;
        let () = pool
            .set(&keys.stock, stock, None, None, false)
            .await
            .map_err(fail)?;
    } else {
        let _: Option<String> = pool
            .set(
                &keys.stock,
                stock,
                None,
                Some(fred::types::SetOptions::NX),
                false,
            )
            .await
            .map_err(fail)?;
    }
    consumer::ensure_group(redis, &keys).await.map_err(fail)?;
    Ok(())
}
