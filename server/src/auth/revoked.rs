//! Revoked access-token ids, checked on every bearer request.
//!
//! The store of record is the `revoked_tokens` table, or one sorted set in Redis when Redis is
//! configured (member: the id, score: its expiry in ms). Asking the store on every request cost
//! more than the rest of a small API request (bench/accounts), so each instance also keeps the
//! ids in memory and asks the store only while its copy might be incomplete:
//! - SQLite (embedded mode) serves from one process, which records every revocation itself: the
//!   copy, loaded from the table on first use, is complete.
//! - PostgreSQL without Redis may run several instances that cannot hear of each other's
//!   revocations: every check asks the table.
//! - Redis: every instance subscribes to a channel before loading the set, so nothing revoked
//!   after the load is missed; revoking publishes the id and waits until every subscribed
//!   instance has acknowledged it, so a token refused on one instance is refused on all of them
//!   by the time the revocation is answered. While the subscription is down (or in Redis Cluster,
//!   where a publish cannot count the subscribers of other nodes) checks go to Redis.
//!
//! An id found in memory is revoked for certain (ids are never un-revoked), so the memory is
//! consulted first in every mode.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, RwLock,
    },
    time::Duration,
};

use app::error::AppError;
use chrono::{DateTime, TimeDelta, Utc};
use fred::prelude::*;
use tokio::sync::OnceCell;

use crate::{
    config::DatabaseKind,
    db::{self, Db},
    error::{internal, ResultExt},
};

/// How long a revoker waits for the other instances to acknowledge; a live instance answers in
/// about a millisecond.
const ACK_WAIT: Duration = Duration::from_secs(1);
/// Revoked ids are kept this long past their expiry, because verification tolerates clock skew.
pub const PURGE_MARGIN: TimeDelta = TimeDelta::minutes(5);

#[derive(Clone)]
pub struct RevokedIds {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    redis: Option<RedisSide>,
    /// Id → expiry of every revoked id this instance knows of.
    known: RwLock<HashMap<String, DateTime<Utc>>>,
    /// Whether `known` holds every revoked id (see the module comment).
    complete: AtomicBool,
    /// SQLite's one-time load of the table.
    loaded: OnceCell<()>,
    inserts: AtomicUsize,
}

struct RedisSide {
    redis: crate::redis::Redis,
    /// The sorted set of revoked ids.
    set_key: String,
    /// The channel a revocation is announced on.
    channel: String,
    /// Prefix of the per-revocation acknowledgement counters.
    ack_prefix: String,
}

impl RevokedIds {
    pub fn new(db: Db) -> Self {
        Self::build(db, None)
    }

    /// Keeps the ids in Redis under `prefix`, and follows other instances' revocations.
    /// Must be called inside the Tokio runtime: it starts the subscriber task.
    pub fn with_redis(db: Db, redis: crate::redis::Redis, prefix: &str) -> Self {
        let side = RedisSide {
            redis,
            set_key: format!("{prefix}revoked-jti"),
            channel: format!("{prefix}revoked-jti-events"),
            ack_prefix: format!("{prefix}revoked-jti-ack:"),
        };
        let this = Self::build(db, Some(side));
        let clustered = this
            .redis()
            .is_some_and(|r| r.redis.pool().next().is_clustered());
        if !clustered {
            tokio::spawn(follow(Arc::downgrade(&this.inner)));
        }
        this
    }

    fn build(db: Db, redis: Option<RedisSide>) -> Self {
        RevokedIds {
            inner: Arc::new(Inner {
                db,
                redis,
                known: RwLock::new(HashMap::new()),
                complete: AtomicBool::new(false),
                loaded: OnceCell::new(),
                inserts: AtomicUsize::new(0),
            }),
        }
    }

    fn redis(&self) -> Option<&RedisSide> {
        self.inner.redis.as_ref()
    }

    /// Whether this instance's memory is trusted to hold every revoked id right now.
    pub fn is_complete(&self) -> bool {
        self.inner.complete.load(Ordering::Acquire)
    }

    pub async fn is_revoked(&self, jti: &str) -> Result<bool, AppError> {
        self.load_sqlite_once().await?;
        if self.inner.remembers(jti) {
            return Ok(true);
        }
        if self.is_complete() {
            return Ok(false);
        }
        let revoked = match self.redis() {
            Some(side) => {
                let score: Option<f64> = side
                    .redis
                    .pool()
                    .zscore(&side.set_key, jti)
                    .await
                    .map_err(|e| internal(e, "checking a revoked token in Redis"))?;
                score.is_some()
            }
            None => db::tokens::is_jti_revoked(&self.inner.db, jti)
                .await
                .db_err("revoked token")?,
        };
        Ok(revoked)
    }

    /// Records a revocation in the store of record, then in every instance's memory.
    pub async fn revoke(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), AppError> {
        self.load_sqlite_once().await?;
        let Some(side) = self.redis() else {
            db::tokens::insert_revoked_jti(&self.inner.db, jti, expires_at)
                .await
                .db_err("revoked token")?;
            self.inner.remember(jti, expires_at);
            return Ok(());
        };
        let pool = side.redis.pool();
        let now_ms = Utc::now().timestamp_millis();
        // Scores as f64: fred takes an integer bound for a rank, not a score.
        let stale_before = (Utc::now() - PURGE_MARGIN).timestamp_millis() as f64;
        let redis_err = |e| internal(e, "recording a revoked token in Redis");
        let _: i64 = pool
            .zadd(
                &side.set_key,
                None,
                None,
                false,
                false,
                (expires_at.timestamp_millis() as f64, jti),
            )
            .await
            .map_err(redis_err)?;
        let _: i64 = pool
            .zremrangebyscore(&side.set_key, "-inf", stale_before)
            .await
            .map_err(redis_err)?;
        self.inner.remember(jti, expires_at);
        let announcement = format!("{} {jti}", expires_at.timestamp_millis());
        // A pool does not publish; any one of its clients does.
        let listeners: i64 = pool
            .next()
            .publish(side.channel.as_str(), announcement)
            .await
            .map_err(redis_err)?;
        side.await_acks(jti, listeners, now_ms).await;
        Ok(())
    }

    /// In embedded SQLite mode: loads the table once; afterwards this process sees every write.
    async fn load_sqlite_once(&self) -> Result<(), AppError> {
        if self.redis().is_some() || self.inner.db.kind() != DatabaseKind::Sqlite {
            return Ok(());
        }
        self.inner
            .loaded
            .get_or_try_init(|| async {
                let rows = db::tokens::revoked_since(&self.inner.db, Utc::now() - PURGE_MARGIN)
                    .await
                    .db_err("revoked token")?;
                for (jti, expires_at) in rows {
                    self.inner.remember(&jti, expires_at);
                }
                self.inner.complete.store(true, Ordering::Release);
                Ok::<(), AppError>(())
            })
            .await
            .map(|_| ())
    }
}

impl Inner {
    fn remembers(&self, jti: &str) -> bool {
        self.known
            .read()
            .map(|known| known.contains_key(jti))
            .unwrap_or(false)
    }

    fn remember(&self, jti: &str, expires_at: DateTime<Utc>) {
        let Ok(mut known) = self.known.write() else {
            // A panic while holding the lock: stop trusting the memory rather than guess.
            self.complete.store(false, Ordering::Release);
            return;
        };
        // Forget ids that can no longer be presented, every so many inserts.
        if self.inserts.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            let stale_before = Utc::now() - PURGE_MARGIN;
            known.retain(|_, exp| *exp >= stale_before);
        }
        known.insert(jti.to_string(), expires_at);
    }
}

impl RedisSide {
    /// Waits until `listeners` instances have counted `jti` as received (the revoker's own
    /// subscriber among them). An instance that does not answer in time is logged: it stays
    /// subscribed, so it will still apply the revocation, only late.
    async fn await_acks(&self, jti: &str, listeners: i64, started_ms: i64) {
        let key = format!("{}{jti}", self.ack_prefix);
        let deadline = tokio::time::Instant::now() + ACK_WAIT;
        loop {
            let acked: Option<i64> = self.redis.pool().get(&key).await.unwrap_or(None);
            if acked.unwrap_or(0) >= listeners {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(
                    listeners,
                    acked = acked.unwrap_or(0),
                    waited_ms = Utc::now().timestamp_millis() - started_ms,
                    "not every instance acknowledged a token revocation in time"
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// The subscriber: keeps `known` complete while its connection to Redis is up.
async fn follow(weak: std::sync::Weak<Inner>) {
    let Some(client) = weak.upgrade().and_then(|inner| inner.subscriber_client()) else {
        return;
    };
    let mut messages = client.message_rx();
    let mut errors = client.error_rx();
    let mut reconnects = client.reconnect_rx();
    let mut in_sync = false;
    loop {
        let Some(inner) = weak.upgrade() else { break };
        // The first connection, or a retry when it failed (later drops reconnect by themselves).
        if client.state() == ClientState::Disconnected {
            let _detached = client.init().await;
        }
        if !in_sync {
            in_sync = inner.resync(&client).await;
            if !in_sync {
                drop(inner);
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        }
        drop(inner);
        tokio::select! {
            message = messages.recv() => {
                let Some(inner) = weak.upgrade() else { break };
                match message {
                    Ok(message) => inner.on_announcement(message).await,
                    // Messages were dropped: the memory may miss some ids.
                    Err(_) => {
                        inner.complete.store(false, Ordering::Release);
                        in_sync = false;
                    }
                }
            }
            _ = errors.recv() => {
                if let Some(inner) = weak.upgrade() {
                    inner.complete.store(false, Ordering::Release);
                }
                in_sync = false;
            }
            _ = reconnects.recv() => in_sync = false,
            // Notices an owner that went away without a message.
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
    }
    let _ = client.quit().await;
}

impl Inner {
    /// A connection of its own for the subscription (a subscribed connection takes no other
    /// commands), which reconnects by itself.
    fn subscriber_client(&self) -> Option<Client> {
        let side = self.redis.as_ref()?;
        let template = side.redis.pool().next();
        let mut builder = Builder::from_config(template.client_config());
        builder
            .set_connection_config(template.connection_config().clone())
            .set_policy(ReconnectPolicy::new_constant(0, 500));
        match builder.build() {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::warn!(%error, "no subscriber for token revocations; asking Redis per request");
                None
            }
        }
    }

    /// Subscribes, then loads the set: a revocation is either in the load or announced after
    /// the subscription, so none falls between the two. True once the memory is complete.
    async fn resync(&self, client: &Client) -> bool {
        self.complete.store(false, Ordering::Release);
        let Some(side) = &self.redis else {
            return false;
        };
        if let Err(error) = client.subscribe(side.channel.as_str()).await {
            tracing::warn!(%error, "cannot subscribe to token revocations; asking Redis per request");
            return false;
        }
        let stale_before = (Utc::now() - PURGE_MARGIN).timestamp_millis() as f64;
        // Through the pool: a subscribed connection takes no other commands (RESP2).
        let loaded: Result<Vec<Value>, _> = side
            .redis
            .pool()
            .zrangebyscore(&side.set_key, stale_before, "+inf", true, None)
            .await;
        match loaded {
            Ok(values) => {
                for (jti, expires_at) in members_with_scores(values) {
                    self.remember(&jti, expires_at);
                }
                self.complete.store(true, Ordering::Release);
                true
            }
            Err(error) => {
                tracing::warn!(%error, "cannot load revoked tokens; asking Redis per request");
                false
            }
        }
    }

    /// Another instance (or this one) revoked a token: remember it, then say so.
    async fn on_announcement(&self, message: fred::types::Message) {
        let Some(side) = &self.redis else { return };
        if &*message.channel != side.channel.as_str() {
            return;
        }
        let Some(text) = message.value.as_string() else {
            return;
        };
        // "<expiry in ms> <id>", as `revoke` publishes it.
        let Some((expires_ms, jti)) = text.split_once(' ') else {
            return;
        };
        let expires_at = expires_ms
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.remember(jti, expires_at);
        let key = format!("{}{jti}", side.ack_prefix);
        let pool = side.redis.pool();
        let counted: Result<i64, _> = pool.incr(&key).await;
        if counted.is_ok() {
            let _: Result<bool, _> = pool.expire(&key, 60, None).await;
        }
    }
}

/// `ZRANGEBYSCORE … WITHSCORES` as (member, score-as-expiry) pairs: RESP3 answers a list of
/// pairs, RESP2 one flat list.
fn members_with_scores(values: Vec<Value>) -> Vec<(String, DateTime<Utc>)> {
    let flat: Vec<Value> = values
        .into_iter()
        .flat_map(|value| match value {
            Value::Array(pair) => pair,
            other => vec![other],
        })
        .collect();
    flat.chunks_exact(2)
        .filter_map(|pair| {
            let jti = pair[0].as_string()?;
            let expires_ms = pair[1].as_f64()?;
            let expires_at = DateTime::from_timestamp_millis(expires_ms as i64)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            Some((jti, expires_at))
        })
        .collect()
}
