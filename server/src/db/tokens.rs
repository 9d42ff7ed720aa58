//! Refresh-token rows and the list of revoked access-token ids (`jti`).
//!
//! Only SHA-256 hashes of refresh tokens reach the database; the policy (rotation, reuse
//! detection) lives in `auth::tokens`. Timestamps are bound as `DateTime<Utc>`: SQLite stores them
//! as RFC 3339 text with a `+00:00` offset, which sorts like time, so `<` works on both backends.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Db;
use crate::on_pool;

pub struct NewRefreshToken<'a> {
    pub user_id: i64,
    /// One family per login; every rotation stays in it.
    pub family_id: &'a str,
    pub token_hash: &'a str,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct RefreshTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub family_id: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// How many tokens of the same family are revoked: a family is only ever revoked whole, so
    /// any count above zero means this token is dead even if a racing rotation escaped the update.
    pub revoked_in_family: i64,
}

const INSERT: &str =
    "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, created_at) \
     VALUES ($1, $2, $3, $4, $5)";

/// Conditional, so that of two concurrent uses of one token exactly one wins.
const MARK_USED: &str =
    "UPDATE refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL";

#[tracing::instrument(skip_all, fields(user_id = token.user_id))]
pub async fn insert(db: &Db, token: &NewRefreshToken<'_>) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(INSERT)
        .bind(token.user_id)
        .bind(token.family_id)
        .bind(token.token_hash)
        .bind(token.expires_at)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))
}

#[tracing::instrument(skip_all)]
pub async fn find_by_hash(
    db: &Db,
    token_hash: &str,
) -> Result<Option<RefreshTokenRow>, sqlx::Error> {
    const SQL: &str = "SELECT t.id, t.user_id, t.family_id, t.expires_at, t.used_at, t.revoked_at, \
         (SELECT COUNT(*) FROM refresh_tokens f WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL) \
         AS revoked_in_family \
         FROM refresh_tokens t WHERE t.token_hash = $1";
    on_pool!(db, pool => sqlx::query_as(SQL).bind(token_hash).fetch_optional(pool).await)
}

/// Marks a live token used; `false` when it was already used or revoked.
#[tracing::instrument(skip(db))]
pub async fn mark_used(db: &Db, id: i64, at: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    on_pool!(db, pool => sqlx::query(MARK_USED)
        .bind(at)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Spends token `id` and stores its successor in one transaction; `false` (and nothing stored)
/// when `id` was already used or revoked.
#[tracing::instrument(skip(db, next))]
pub async fn rotate(
    db: &Db,
    id: i64,
    at: DateTime<Utc>,
    next: &NewRefreshToken<'_>,
) -> Result<bool, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let spent = sqlx::query(MARK_USED)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if spent {
            sqlx::query(INSERT)
                .bind(next.user_id)
                .bind(next.family_id)
                .bind(next.token_hash)
                .bind(next.expires_at)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        // Dropping an uncommitted transaction rolls it back.
        Ok(spent)
    })
}

/// Revokes every token of a family; returns how many were still unrevoked.
#[tracing::instrument(skip(db))]
pub async fn revoke_family(
    db: &Db,
    family_id: &str,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    const SQL: &str =
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(at)
        .bind(family_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}

/// Revokes every refresh token of a user ("sign out everywhere", password change).
#[tracing::instrument(skip(db))]
pub async fn revoke_user(db: &Db, user_id: i64, at: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    const SQL: &str =
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(at)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}

/// Records an access-token id as revoked until `expires_at`; revoking again keeps the later
/// expiry.
#[tracing::instrument(skip(db))]
pub async fn insert_revoked_jti(
    db: &Db,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) \
         ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE excluded.expires_at > revoked_tokens.expires_at";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(jti)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// The revoked ones among `ids` (at most two are asked for), with their expiry.
#[tracing::instrument(skip(db))]
pub async fn revoked_expiries(
    db: &Db,
    ids: &[&str],
) -> Result<Vec<(String, DateTime<Utc>)>, sqlx::Error> {
    const SQL: &str = "SELECT jti, expires_at FROM revoked_tokens WHERE jti IN ($1, $2)";
    let first = ids.first().copied().unwrap_or_default();
    let second = ids.get(1).copied().unwrap_or(first);
    on_pool!(db, pool => sqlx::query_as(SQL).bind(first).bind(second).fetch_all(pool).await)
}

/// Every revoked id still worth refusing (expiring at or after `since`), with its expiry.
#[tracing::instrument(skip(db))]
pub async fn revoked_since(
    db: &Db,
    since: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>, sqlx::Error> {
    const SQL: &str = "SELECT jti, expires_at FROM revoked_tokens WHERE expires_at >= $1";
    on_pool!(db, pool => sqlx::query_as(SQL).bind(since).fetch_all(pool).await)
}

/// Deletes refresh tokens and revoked ids whose expiry has passed; returns the rows removed.
/// Expired refresh tokens are refused anyway, and an expired access token no longer verifies,
/// so neither row guards anything any more.
#[tracing::instrument(skip(db))]
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    // A family in use keeps its spent rows: presenting one of them again is how reuse (a
    // stolen token) is detected, which revokes the family.
    const REFRESH: &str = "DELETE FROM refresh_tokens WHERE expires_at < $1 AND family_id NOT IN \
         (SELECT family_id FROM refresh_tokens WHERE expires_at >= $1)";
    const REVOKED: &str = "DELETE FROM revoked_tokens WHERE expires_at < $1";
    on_pool!(db, pool => {
        let refresh = sqlx::query(REFRESH).bind(now).execute(pool).await?.rows_affected();
        let revoked = sqlx::query(REVOKED).bind(now).execute(pool).await?.rows_affected();
        Ok(refresh + revoked)
    })
}
