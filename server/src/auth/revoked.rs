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
//! - Redis: a revocation is one script (add the id to the set, bump a sequence number, publish
//!   "sequence expiry id"). Every instance subscribes before it reads the sequence and loads the
//!   set, so nothing revoked after the load is missed; it acknowledges each announcement once the
//!   id is in its memory, and the revoker waits for as many acknowledgements as the publish
//!   reached, so a token refused on one instance is refused on all of them by the time the
//!   revocation is answered. Each instance also reads the sequence every second: a number it
//!   never heard announced (a lost message, a connection that died without a word) makes it
//!   reload, and acknowledge, within a second. While it is not in step (subscription down, Redis
//!   unreachable) and in Redis Cluster, where a publish cannot count other nodes' subscribers,
//!   checks go to Redis.
//!
//! Embedded SQLite assumes one serving process per database file (the default; a separate
//! `xuecheng worker` process revokes nothing). Run several web instances on PostgreSQL, with
//! Redis, to share logins and revocations.
//!
//! An id found in memory is revoked for certain (ids are never un-revoked), so the memory is
//! consulted first in every mode.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc, PoisonError, RwLock,
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
    error::ResultExt,
};

/// How long a revoker waits for the other instances to acknowledge; a live instance answers in
/// about a millisecond.
const ACK_WAIT: Duration = Duration::from_secs(1);
/// How often an instance compares its memory's sequence number with Redis's.
const STEP_CHECK: Duration = Duration::from_secs(1);

/// Adds the id, forgets ids past their margin, bumps the sequence and announces the id, in one
/// step: an instance that reads the sequence afterwards finds the id in the set.
/// KEYS: set, sequence. ARGV: expiry ms, id, forget-before ms, channel.
const REVOKE: &str = r#"
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local seq = redis.call('INCR', KEYS[2])
local listeners = redis.call('PUBLISH', ARGV[4], seq .. ' ' .. ARGV[1] .. ' ' .. ARGV[2])
return {seq, listeners}
"#;
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
    /// Redis: the last revocation sequence number the memory is known to include.
    in_step_with: AtomicU64,
}

struct RedisSide {
    redis: crate::redis::Redis,
    /// The sorted set of revoked ids.
    set_key: String,
    /// The revocation counter; shares the set's hash slot (the `{…}` tag) for the script.
    seq_key: String,
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
            set_key: format!("{prefix}{{revoked-jti}}"),
            seq_key: format!("{prefix}{{revoked-jti}}:seq"),
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
                in_step_with: AtomicU64::new(0),
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
        Ok(self.expiry_of(&[jti]).await?[0].is_some())
    }

    /// For each id, until when it is revoked (`None`: not revoked), in one look-up of the
    /// store at most. An id can be revoked again with a later expiry (a user's "issued before"
    /// mark, see `TokenService`); the latest one counts.
    pub async fn expiry_of<const N: usize>(
        &self,
        ids: &[&str; N],
    ) -> Result<[Option<DateTime<Utc>>; N], AppError> {
        self.load_sqlite_once().await?;
        let mut found = ids.map(|id| self.inner.expiry_in_memory(id));
        if self.is_complete() {
            return Ok(found);
        }
        let stored: Vec<Option<DateTime<Utc>>> = match self.redis() {
            Some(side) => {
                let pool = side.redis.pool();
                let failed = |e| crate::redis::app_error(e, "checking a revoked token in Redis");
                let mut scores: Vec<Option<f64>> = pool
                    .zmscore(&side.set_key, ids.to_vec())
                    .await
                    .map_err(failed)?;
                // fred flattens a one-element reply; ask one by one rather than guess.
                if scores.len() != N {
                    scores.clear();
                    for id in ids {
                        scores.push(pool.zscore(&side.set_key, *id).await.map_err(failed)?);
                    }
                }
                scores
                    .into_iter()
                    .map(|s| s.and_then(|ms| DateTime::from_timestamp_millis(ms as i64)))
                    .collect()
            }
            None => {
                let rows = db::tokens::revoked_expiries(&self.inner.db, ids)
                    .await
                    .db_err("revoked token")?;
                ids.iter()
                    .map(|id| rows.iter().find(|(j, _)| j == id).map(|(_, e)| *e))
                    .collect()
            }
        };
        for (slot, from_store) in found.iter_mut().zip(stored) {
            *slot = (*slot).max(from_store);
        }
        Ok(found)
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
        let started = tokio::time::Instant::now();
        // Scores as f64 strings: fred reads an integer range bound as a rank, not a score.
        let stale_before = (Utc::now() - PURGE_MARGIN).timestamp_millis();
        let done: Vec<i64> = side
            .redis
            .pool()
            .eval(
                REVOKE,
                vec![side.set_key.clone(), side.seq_key.clone()],
                vec![
                    expires_at.timestamp_millis().to_string(),
                    jti.to_string(),
                    stale_before.to_string(),
                    side.channel.clone(),
                ],
            )
            .await
            .map_err(|e| crate::redis::app_error(e, "recording a revoked token in Redis"))?;
        self.inner.remember(jti, expires_at);
        if let [seq, listeners] = done[..] {
            side.await_acks(seq, listeners, started).await;
        }
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
    fn expiry_in_memory(&self, jti: &str) -> Option<DateTime<Utc>> {
        // A panic elsewhere while writing cannot leave a half-inserted id: use the map as is.
        self.known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(jti)
            .copied()
    }

    fn remember(&self, jti: &str, expires_at: DateTime<Utc>) {
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        // Forget ids that can no longer be presented, every so many inserts.
        if self.inserts.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            let stale_before = Utc::now() - PURGE_MARGIN;
            known.retain(|_, exp| *exp >= stale_before);
        }
        let slot = known.entry(jti.to_string()).or_insert(expires_at);
        *slot = (*slot).max(expires_at);
    }
}

impl RedisSide {
    fn ack_key(&self, seq: u64) -> String {
        format!("{}{seq}", self.ack_prefix)
    }

    /// Waits until `listeners` instances have acknowledged revocation `seq` (the revoker's own
    /// subscriber among them). One that does not answer in time is logged; its once-a-second
    /// check still brings it into step.
    async fn await_acks(&self, seq: i64, listeners: i64, started: tokio::time::Instant) {
        let key = self.ack_key(u64::try_from(seq).unwrap_or(0));
        let mut pause = Duration::from_millis(1);
        loop {
            let acked: Option<i64> = self.redis.pool().get(&key).await.unwrap_or(None);
            if acked.unwrap_or(0) >= listeners {
                return;
            }
            if started.elapsed() >= ACK_WAIT {
                tracing::warn!(
                    listeners,
                    acked = acked.unwrap_or(0),
                    "not every instance acknowledged a token revocation in time"
                );
                return;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// The sequence number of the last revocation, from Redis.
    async fn current_seq(&self) -> Result<u64, fred::error::Error> {
        let seq: Option<u64> = self.redis.pool().get(&self.seq_key).await?;
        Ok(seq.unwrap_or(0))
    }

    /// Says that this instance's memory holds revocations `from..=to`.
    async fn acknowledge(&self, from: u64, to: u64) {
        let pool = self.redis.pool();
        for seq in from..=to {
            let key = self.ack_key(seq);
            let counted: Result<i64, _> = pool.incr(&key).await;
            if counted.is_ok() {
                let _: Result<bool, _> = pool.expire(&key, 60, None).await;
            }
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
    // Connect once; afterwards the reconnect policy takes over (calling `init` again would
    // replace fred's own reconnection).
    loop {
        if weak.strong_count() == 0 {
            return;
        }
        if client.init().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut in_step = false;
    let mut checks = tokio::time::interval(STEP_CHECK);
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let Some(inner) = weak.upgrade() else { break };
        if !in_step {
            in_step = inner.resync(&client).await;
        }
        drop(inner);
        tokio::select! {
            message = messages.recv() => {
                let Some(inner) = weak.upgrade() else { break };
                match message {
                    Ok(message) => in_step = inner.on_announcement(message).await,
                    // Messages were dropped: the memory may miss some ids.
                    Err(_) => in_step = inner.fall_out_of_step(),
                }
            }
            _ = errors.recv() => {
                if let Some(inner) = weak.upgrade() {
                    in_step = inner.fall_out_of_step();
                }
            }
            _ = reconnects.recv() => {
                if let Some(inner) = weak.upgrade() {
                    in_step = inner.fall_out_of_step();
                }
            }
            _ = checks.tick() => {
                let Some(inner) = weak.upgrade() else { break };
                if in_step {
                    in_step = inner.still_in_step().await;
                }
            }
        }
    }
    let _ = client.quit().await;
}

impl Inner {
    /// A connection of its own for the subscription (a subscribed connection takes no other
    /// commands), which reconnects by itself with the pool's backoff and whose commands time
    /// out like the pool's.
    fn subscriber_client(&self) -> Option<Client> {
        let side = self.redis.as_ref()?;
        let template = side.redis.pool().next();
        let mut builder = Builder::from_config(template.client_config());
        builder
            .set_connection_config(template.connection_config().clone())
            .set_performance_config(template.perf_config())
            .set_policy(crate::redis::reconnect_policy());
        match builder.build() {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::warn!(%error, "no subscriber for token revocations; asking Redis per request");
                None
            }
        }
    }

    /// Stops trusting the memory until the next resync; returns the new in-step state (false).
    fn fall_out_of_step(&self) -> bool {
        self.complete.store(false, Ordering::Release);
        false
    }

    /// Subscribes, reads the sequence, then loads the set: a revocation numbered up to what was
    /// read is in the load (the script adds before it counts), a later one is announced to the
    /// subscription. True once the memory is complete; revocations this instance had missed are
    /// acknowledged then.
    async fn resync(&self, client: &Client) -> bool {
        self.complete.store(false, Ordering::Release);
        let Some(side) = &self.redis else {
            return false;
        };
        if let Err(error) = client.subscribe(side.channel.as_str()).await {
            resync_failed(
                &error,
                "cannot subscribe to token revocations; asking Redis per request",
            );
            return false;
        }
        let seq = match side.current_seq().await {
            Ok(seq) => seq,
            Err(error) => {
                resync_failed(
                    &error,
                    "cannot read the revocation sequence; asking Redis per request",
                );
                return false;
            }
        };
        let stale_before = (Utc::now() - PURGE_MARGIN).timestamp_millis() as f64;
        // Through the pool: a subscribed connection takes no other commands (RESP2).
        let loaded: Result<Vec<Value>, _> = side
            .redis
            .pool()
            .zrangebyscore(&side.set_key, stale_before, "+inf", true, None)
            .await;
        let values = match loaded {
            Ok(values) => values,
            Err(error) => {
                resync_failed(
                    &error,
                    "cannot load revoked tokens; asking Redis per request",
                );
                return false;
            }
        };
        for (jti, expires_at) in members_with_scores(values) {
            self.remember(&jti, expires_at);
        }
        let before = self.in_step_with.swap(seq, Ordering::AcqRel);
        self.complete.store(true, Ordering::Release);
        // A revoker may be waiting for these: they are in memory now.
        if seq > before && before > 0 {
            side.acknowledge(before + 1, seq).await;
        }
        true
    }

    /// The once-a-second check: false (and out of step) when Redis counted a revocation this
    /// instance never heard of, or cannot be asked.
    async fn still_in_step(&self) -> bool {
        let Some(side) = &self.redis else {
            return false;
        };
        match side.current_seq().await {
            Ok(seq) if seq <= self.in_step_with.load(Ordering::Acquire) => true,
            Ok(_) => {
                tracing::warn!("a token revocation was not announced here; reloading");
                self.fall_out_of_step()
            }
            Err(_) => self.fall_out_of_step(),
        }
    }

    /// An announcement: remember the id, acknowledge it, and say whether the memory is still in
    /// step (a gap in the numbers means one was missed).
    async fn on_announcement(&self, message: fred::types::Message) -> bool {
        let Some(side) = &self.redis else {
            return false;
        };
        if &*message.channel != side.channel.as_str() {
            return self.complete.load(Ordering::Acquire);
        }
        // "<sequence> <expiry in ms> <id>", as the revoke script publishes it.
        let text = message.value.as_string().unwrap_or_default();
        let mut parts = text.splitn(3, ' ');
        let (Some(seq), Some(expires_ms), Some(jti)) = (parts.next(), parts.next(), parts.next())
        else {
            return self.complete.load(Ordering::Acquire);
        };
        let Ok(seq) = seq.parse::<u64>() else {
            return self.complete.load(Ordering::Acquire);
        };
        let expires_at = expires_ms
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.remember(jti, expires_at);
        side.acknowledge(seq, seq).await;
        let previous = self.in_step_with.fetch_max(seq, Ordering::AcqRel);
        if seq > previous + 1 {
            tracing::warn!("a token revocation announcement was missed; reloading");
            return self.fall_out_of_step();
        }
        self.complete.load(Ordering::Acquire)
    }
}

/// A failed resync: while Redis is away that is expected (the outage is logged once by the
/// pool's connection watcher, and the next reconnection retries), otherwise worth a warning.
fn resync_failed(error: &fred::error::Error, what: &str) {
    if crate::redis::is_unavailable(error) {
        tracing::debug!(%error, "{what}");
    } else {
        tracing::warn!(%error, "{what}");
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
