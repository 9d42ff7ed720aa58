//! Sessions in Redis (shared by every instance), with the per-user index the Redis store lacks.
//!
//! The records themselves are written by `tower-sessions-redis-store`, one key per session named
//! by the bare session id. Beside them we keep, under our key prefix:
//! - `user-sessions:{user_id}`: a hash of session id → [`IndexEntry`] JSON, written whenever a
//!   signed-in record is written and pruned of ended sessions when read (a session that simply
//!   expires leaves its entry behind until the next read);
//! - `session-rotate:{session_id}`: present when the session must get a new id on its next
//!   request (a privilege change), expiring with the session.
//!
//! Every command names one key, so this works on Redis Cluster too.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fred::prelude::*;
use fred::types::Expiration;
use serde::{Deserialize, Serialize};
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};
use tower_sessions_redis_store::RedisStore;

use super::session_store::{backend, device, expiry, storable, user_id, ROTATE_KEY};

#[derive(Debug, Clone)]
pub struct RedisSessions {
    store: RedisStore<Pool>,
    pool: Pool,
    prefix: String,
    /// How long a user's index outlives its last write: the longest a session can live.
    index_ttl_secs: i64,
}

/// One session in a user's index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexEntry {
    pub ip: Option<String>,
    pub ua: String,
    pub created: DateTime<Utc>,
    pub seen: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

impl RedisSessions {
    pub fn new(pool: Pool, prefix: &str, max_session_life: std::time::Duration) -> Self {
        Self {
            store: RedisStore::new(pool.clone()),
            pool,
            prefix: prefix.to_string(),
            index_ttl_secs: i64::try_from(max_session_life.as_secs())
                .unwrap_or(i64::MAX / 2)
                .saturating_add(86_400),
        }
    }

    fn index_key(&self, user_id: i64) -> String {
        format!("{}user-sessions:{user_id}", self.prefix)
    }

    fn rotate_key(&self, id: &str) -> String {
        format!("{}session-rotate:{id}", self.prefix)
    }

    async fn index_put(&self, record: &Record) -> session_store::Result<()> {
        let Some(uid) = user_id(record) else {
            return Ok(());
        };
        let now = Utc::now();
        let device = device(record);
        let entry = IndexEntry {
            ip: device.as_ref().and_then(|d| d.ip.clone()),
            ua: device.as_ref().map(|d| d.ua.clone()).unwrap_or_default(),
            created: device.as_ref().map(|d| d.created).unwrap_or(now),
            seen: device.map(|d| d.seen).unwrap_or(now),
            expires: expiry(record),
        };
        let json = serde_json::to_string(&entry)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let key = self.index_key(uid);
        let _: () = self
            .pool
            .hset(&key, (record.id.to_string(), json))
            .await
            .map_err(backend)?;
        let _: () = self
            .pool
            .expire(&key, self.index_ttl_secs, None)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// The live sessions of a user (id → entry); entries of ended or expired sessions are
    /// removed on the way.
    pub async fn index_of(
        &self,
        user_id: i64,
    ) -> Result<Vec<(String, IndexEntry)>, fred::error::Error> {
        let key = self.index_key(user_id);
        let all: HashMap<String, String> = self.pool.hgetall(&key).await?;
        let now = Utc::now();
        let checks = all.into_iter().map(|(id, json)| async move {
            let entry = serde_json::from_str::<IndexEntry>(&json).ok();
            let live = match &entry {
                Some(e) if e.expires > now => self.pool.exists::<i64, _>(id.as_str()).await? == 1,
                _ => false,
            };
            Ok::<_, fred::error::Error>((id, entry.filter(|_| live)))
        });
        let mut live = Vec::new();
        let mut dead = Vec::new();
        for result in futures::future::join_all(checks).await {
            match result? {
                (id, Some(entry)) => live.push((id, entry)),
                (id, None) => dead.push(id),
            }
        }
        if !dead.is_empty() {
            let _: i64 = self.pool.hdel(&key, dead).await?;
        }
        Ok(live)
    }

    /// Marks a session so its next request gets a new id (see the module doc).
    pub async fn mark_for_rotation(
        &self,
        id: &str,
        until: DateTime<Utc>,
    ) -> Result<(), fred::error::Error> {
        self.pool
            .set(
                self.rotate_key(id),
                "1",
                Some(Expiration::EXAT(
                    until.timestamp().max(Utc::now().timestamp() + 1),
                )),
                None,
                false,
            )
            .await
    }
}

#[async_trait]
impl SessionStore for RedisSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // The record is new: it carries no rotation mark worth keeping.
        record.data.remove(ROTATE_KEY);
        self.store.create(record).await?;
        self.index_put(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let record = storable(record);
        self.store.save(&record).await?;
        self.index_put(&record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let key = id.to_string();
        // Both reads at once: the pool multiplexes them, so the mark costs no extra round trip.
        let (record, marked) = tokio::join!(
            self.store.load(id),
            self.pool.exists::<i64, _>(self.rotate_key(&key))
        );
        let Some(mut record) = record? else {
            return Ok(None);
        };
        if marked.map_err(backend)? == 1 {
            record
                .data
                .insert(ROTATE_KEY.to_string(), serde_json::Value::Bool(true));
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let key = id.to_string();
        let user = self
            .store
            .load(id)
            .await
            .ok()
            .flatten()
            .as_ref()
            .and_then(user_id);
        self.store.delete(id).await?;
        let _: i64 = self
            .pool
            .del(self.rotate_key(&key))
            .await
            .map_err(backend)?;
        if let Some(uid) = user {
            let _: i64 = self
                .pool
                .hdel(self.index_key(uid), key)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
}
