//! The sessions of a user, across every instance: what the devices page lists, what "sign out"
//! on another device and "sign out everywhere" end, and what a privilege change rotates.
//!
//! Sessions are named to the outside by a *handle*, a hash of the session id: the id is the
//! bearer credential itself and never leaves the server, while the handle lets a page (or the
//! back office) point at one session without being able to use it.

use std::str::FromStr;

use app::error::AppError;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tower_sessions::{session::Id, SessionStore};

use super::device::browser_name;
use super::session_store::Sessions;
use crate::error::{internal, ResultExt};
use crate::on_pool;

/// One session as people see it (the admin's `SessionView` has exactly these fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// Opaque; never the session id.
    pub handle: String,
    pub browser: String,
    pub ip: String,
    /// RFC 3339, UTC.
    pub last_seen: String,
}

/// A session of a user, as the registry reads it.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    ip: Option<String>,
    ua: String,
    seen: DateTime<Utc>,
    expires: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    ip: Option<String>,
    user_agent: Option<String>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SessionRegistry {
    sessions: Sessions,
}

/// The handle of a session id (see the module doc).
pub fn handle_of(id: &str) -> String {
    let digest = Sha256::digest(format!("xc-session-handle:{id}").as_bytes());
    hex::encode(&digest[..16])
}

impl SessionRegistry {
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }

    async fn entries(&self, user_id: i64) -> Result<Vec<Entry>, AppError> {
        let mut entries = match &self.sessions {
            Sessions::Database(store) => {
                let rows: Vec<SessionRow> = on_pool!(store.db(), pool => sqlx::query_as(
                        "SELECT id, ip, user_agent, last_seen_at, expires_at FROM sessions \
                         WHERE user_id = $1 AND expires_at > $2")
                        .bind(user_id)
                        .bind(Utc::now())
                        .fetch_all(pool)
                        .await)
                .db_err("session")?;
                rows.into_iter()
                    .map(|r| Entry {
                        id: r.id,
                        ip: r.ip,
                        ua: r.user_agent.unwrap_or_default(),
                        seen: r.last_seen_at,
                        expires: r.expires_at,
                    })
                    .collect::<Vec<_>>()
            }
            Sessions::Redis(store) => store
                .index_of(user_id)
                .await
                .map_err(|e| internal(e, "reading the session index"))?
                .into_iter()
                .map(|(id, e)| Entry {
                    id,
                    ip: e.ip,
                    ua: e.ua,
                    seen: e.seen,
                    expires: e.expires,
                })
                .collect(),
        };
        entries.sort_by_key(|e| std::cmp::Reverse(e.seen));
        Ok(entries)
    }

    /// The user's live sessions, most recently used first.
    pub async fn sessions_of(&self, user_id: i64) -> Result<Vec<SessionView>, AppError> {
        Ok(self
            .entries(user_id)
            .await?
            .into_iter()
            .map(|e| SessionView {
                handle: handle_of(&e.id),
                browser: browser_name(&e.ua),
                ip: e.ip.unwrap_or_else(|| "unknown".into()),
                last_seen: e.seen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
            .collect())
    }

    /// Ends one session of the user by its handle, or every one with `None`. Deleting the record
    /// in the shared store ends it on every instance at once. An unknown handle (or one of
    /// another user's sessions) is `NotFound`.
    pub async fn end(&self, user_id: i64, handle: Option<&str>) -> Result<(), AppError> {
        let entries = self.entries(user_id).await?;
        let chosen: Vec<&Entry> = match handle {
            None => entries.iter().collect(),
            Some(h) => {
                let found: Vec<&Entry> = entries.iter().filter(|e| handle_of(&e.id) == h).collect();
                if found.is_empty() {
                    return Err(AppError::NotFound("session".into()));
                }
                found
            }
        };
        for entry in chosen {
            self.delete(&entry.id).await?;
        }
        tracing::info!(user_id, all = handle.is_none(), "sessions ended");
        Ok(())
    }

    /// Ends every session of the user except `keep` (a session id).
    pub async fn end_others(&self, user_id: i64, keep: &str) -> Result<(), AppError> {
        for entry in self.entries(user_id).await? {
            if entry.id != keep {
                self.delete(&entry.id).await?;
            }
        }
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<(), AppError> {
        let Ok(id) = Id::from_str(id) else {
            return Ok(()); // not a session id we issued: nothing to end
        };
        self.sessions
            .delete(&id)
            .await
            .map_err(|e| internal(e, "ending a session"))
    }

    /// Called when the user's roles, permissions, staff or superuser flags (or e-mail) change:
    /// every session of the user gets a new id on its next request, on whichever instance it
    /// arrives. Failures are logged: the caller (the model engine's listener) cannot act on them.
    pub async fn on_privilege_change(&self, user_id: i64) {
        if let Err(error) = self.try_on_privilege_change(user_id).await {
            tracing::error!(user_id, %error, "could not mark sessions for rotation");
        }
    }

    pub async fn try_on_privilege_change(&self, user_id: i64) -> Result<(), AppError> {
        match &self.sessions {
            Sessions::Database(store) => {
                on_pool!(store.db(), pool => sqlx::query(
                    "UPDATE sessions SET rotate_pending = $1 WHERE user_id = $2")
                    .bind(true)
                    .bind(user_id)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected()))
                .db_err("session")?;
            }
            Sessions::Redis(store) => {
                for entry in self.entries(user_id).await? {
                    store
                        .mark_for_rotation(&entry.id, entry.expires)
                        .await
                        .map_err(|e| internal(e, "marking a session for rotation"))?;
                }
            }
        }
        tracing::info!(user_id, "sessions marked for id rotation");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_stable_opaque_and_distinct() {
        let a = handle_of("abc");
        assert_eq!(a, handle_of("abc"));
        assert_ne!(a, handle_of("abd"));
        assert!(!a.contains("abc"));
        assert_eq!(a.len(), 32);
    }
}
