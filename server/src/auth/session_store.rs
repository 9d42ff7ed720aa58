//! Where sessions live: Redis when `REDIS_URL` is set (shared by every instance, so a login on
//! one app server is valid on all of them), otherwise the database's `sessions` table (so a
//! restart of the embedded app logs nobody out).
//!
//! Both stores also keep a per-user index for the devices page, "sign out everywhere" and
//! privilege-change rotation ([`super::registry`]): the database rows carry the user, address,
//! browser and last-seen time in columns; Redis keeps a hash per user ([`super::redis_sessions`]).
//! The index is written here, whenever a record is written, so no request path can forget it.
//!
//! A session marked for rotation (see [`ROTATE_KEY`]) comes out of `load` with that key set; the
//! key is never stored back.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};

use super::device::{Device, DEVICE_KEY};
use super::redis_sessions::RedisSessions;
use crate::db::Db;
use crate::on_pool;

/// The session key under which the signed-in user is stored.
pub const USER_KEY: &str = "user";

/// Present (`true`) in a loaded record when the user's privileges changed since the session was
/// last used: the activity layer then gives the session a new id. Never persisted.
pub const ROTATE_KEY: &str = "_rotate";

#[derive(Debug, Clone)]
pub enum Sessions {
    Redis(RedisSessions),
    Database(DbSessionStore),
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Sessions::Redis(store) => store.create(record).await,
            Sessions::Database(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Sessions::Redis(store) => store.save(record).await,
            Sessions::Database(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Sessions::Redis(store) => store.load(id).await,
            Sessions::Database(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Sessions::Redis(store) => store.delete(id).await,
            Sessions::Database(store) => store.delete(id).await,
        }
    }
}

pub(crate) fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

pub(crate) fn expiry(record: &Record) -> DateTime<Utc> {
    DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0).unwrap_or_else(Utc::now)
}

pub(crate) fn user_id(record: &Record) -> Option<i64> {
    record
        .data
        .get(USER_KEY)
        .and_then(|u| u.get("id"))
        .and_then(|id| id.as_i64())
}

pub(crate) fn device(record: &Record) -> Option<Device> {
    record
        .data
        .get(DEVICE_KEY)
        .and_then(|d| serde_json::from_value(d.clone()).ok())
}

/// The record as it is stored: without the transient rotation mark.
pub(crate) fn storable(record: &Record) -> std::borrow::Cow<'_, Record> {
    if record.data.contains_key(ROTATE_KEY) {
        let mut copy = record.clone();
        copy.data.remove(ROTATE_KEY);
        std::borrow::Cow::Owned(copy)
    } else {
        std::borrow::Cow::Borrowed(record)
    }
}

/// Sessions in the database's `sessions` table (embedded mode).
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Deletes sessions past their expiry (loading already ignores them); returns how many.
    /// Redis expires its keys by itself, so only this store needs the sweep.
    pub async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        const SQL: &str = "DELETE FROM sessions WHERE expires_at <= $1";
        on_pool!(&self.db, pool => sqlx::query(SQL).bind(now).execute(pool).await.map(|r| r.rows_affected()))
    }
}

/// The columns a record fills besides its data.
struct Columns {
    user_id: Option<i64>,
    data: Vec<u8>,
    expires_at: DateTime<Utc>,
    ip: Option<String>,
    user_agent: Option<String>,
    seen: DateTime<Utc>,
}

fn columns(record: &Record) -> session_store::Result<Columns> {
    let record = storable(record);
    let device = device(&record);
    Ok(Columns {
        user_id: user_id(&record),
        data: serde_json::to_vec(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?,
        expires_at: expiry(&record),
        seen: device.as_ref().map(|d| d.seen).unwrap_or_else(Utc::now),
        ip: device.as_ref().and_then(|d| d.ip.clone()),
        user_agent: device.map(|d| d.ua),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely, but never overwrite.
        loop {
            let c = columns(record)?;
            let inserted = on_pool!(&self.db, pool => sqlx::query(
                "INSERT INTO sessions (id, user_id, data, expires_at, created_at, last_seen_at, ip, user_agent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING")
                .bind(record.id.to_string())
                .bind(c.user_id)
                .bind(c.data)
                .bind(c.expires_at)
                .bind(Utc::now())
                .bind(c.seen)
                .bind(c.ip)
                .bind(c.user_agent)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()))
            .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates only: a session deleted meanwhile (signed out elsewhere, rotated by a parallel
    /// request) must stay deleted, not be revived by a slow request saving its old copy.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let c = columns(record)?;
        on_pool!(&self.db, pool => sqlx::query(
            "UPDATE sessions SET user_id = $2, data = $3, expires_at = $4, last_seen_at = $5, \
             ip = $6, user_agent = $7 WHERE id = $1")
            .bind(record.id.to_string())
            .bind(c.user_id)
            .bind(c.data)
            .bind(c.expires_at)
            .bind(c.seen)
            .bind(c.ip)
            .bind(c.user_agent)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(Vec<u8>, DateTime<Utc>, bool)> = on_pool!(&self.db, pool => sqlx::query_as(
            "SELECT data, expires_at, rotate_pending FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id.to_string())
            .bind(Utc::now())
            .fetch_optional(pool)
            .await)
        .map_err(backend)?;
        let Some((data, expires_at, rotate)) = row else {
            return Ok(None);
        };
        let mut data: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_slice(&data)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if rotate {
            data.insert(ROTATE_KEY.to_string(), serde_json::Value::Bool(true));
        }
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        on_pool!(&self.db, pool => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string()).execute(pool).await.map(|r| r.rows_affected()))
            .map_err(backend)?;
        Ok(())
    }
}
