//! What a terminal needs of a host (its address, sealed credentials and trusted key), the
//! grants that let a user reach it, and the host key as first seen or as refused.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HostTarget {
    pub id: i64,
    pub name: String,
    pub hostname: String,
    pub port: i32,
    pub username: String,
    pub auth_kind: String,
    pub purpose: String,
    pub password_enc: Option<String>,
    pub private_key_enc: Option<String>,
    pub passphrase_enc: Option<String>,
    pub host_key_fingerprint: Option<String>,
}

pub async fn target(db: &Db, id: i64) -> Result<Option<HostTarget>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as::<_, HostTarget>(
        "SELECT id, name, hostname, port, username, auth_kind, purpose, password_enc, \
         private_key_enc, passphrase_enc, host_key_fingerprint FROM hosts WHERE id = $1")
        .bind(id).fetch_optional(pool).await)
}

/// Whether a grant in force at `now` names the user or one of the user's roles.
pub async fn granted(
    db: &Db,
    host_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM host_grants g WHERE g.host_id = $1 \
         AND (g.user_id = $2 OR g.role_id IN (SELECT role_id FROM user_roles WHERE user_id = $2)) \
         AND (g.starts_at IS NULL OR g.starts_at <= $3) AND (g.ends_at IS NULL OR g.ends_at > $3)")
        .bind(host_id).bind(user_id).bind(now).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// Trust on first use: records `fingerprint` unless a key is already trusted (one statement,
/// so two first connections cannot both decide). Returns the key trusted afterwards.
pub async fn trust_first(
    db: &Db,
    host_id: i64,
    fingerprint: &str,
) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE hosts SET host_key_fingerprint = $2 WHERE id = $1 AND host_key_fingerprint IS NULL")
        .bind(host_id).bind(fingerprint).execute(pool).await.map(|_| ()))?;
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT host_key_fingerprint FROM hosts WHERE id = $1")
        .bind(host_id).fetch_optional(pool).await)
    .map(Option::flatten)
}

/// Remembers a refused key, so staff see it beside the trusted one in the back office.
pub async fn record_offered(db: &Db, host_id: i64, fingerprint: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE hosts SET offered_host_key_fingerprint = $2 WHERE id = $1")
        .bind(host_id).bind(fingerprint).execute(pool).await.map(|_| ()))
}
