//! Where sessions live: Redis when `REDIS_URL` is set (shared by every instance, so a login on
//! one app server is valid on all of them), otherwise the database's `sessions` table (so a
//! restart of the embedded app logs nobody out).
//!
//! The database rows also record the session's user, which the "devices" page and "sign out
//! everywhere" need; Redis sessions are indexed per user in a Redis set for the same purpose.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fred::prelude::*;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};
use tower_sessions_redis_store::RedisStore;

use crate::db::Db;
use crate::on_pool;

/// The session key under which the signed-in user is stored.
pub const USER_KEY: &str = "user";

#[derive(Debug, Clone)]
pub enum Sessions {
    Redis(RedisStore<Pool>),
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

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn expiry(record: &Record) -> DateTime<Utc> {
    DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0).unwrap_or_else(Utc::now)
}

fn user_id(record: &Record) -> Option<i64> {
    record
        .data
        .get(USER_KEY)
        .and_then(|u| u.get("id"))
        .and_then(|id| id.as_i64())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely, but never overwrite.
        loop {
            let data = serde_json::to_vec(&record.data)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let inserted = on_pool!(&self.db, pool => sqlx::query(
                "INSERT INTO sessions (id, user_id, data, expires_at, created_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO NOTHING")
                .bind(record.id.to_string())
                .bind(user_id(record))
                .bind(data)
                .bind(expiry(record))
                .bind(Utc::now())
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

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_vec(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        on_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO sessions (id, user_id, data, expires_at, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, \
             expires_at = excluded.expires_at, last_seen_at = excluded.last_seen_at")
            .bind(record.id.to_string())
            .bind(user_id(record))
            .bind(data)
            .bind(expiry(record))
            .bind(Utc::now())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(Vec<u8>, DateTime<Utc>)> = on_pool!(&self.db, pool => sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id.to_string())
            .bind(Utc::now())
            .fetch_optional(pool)
            .await)
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        let data = serde_json::from_slice(&data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
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
