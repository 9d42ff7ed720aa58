//! One-time links sent by mail (password reset, e-mail verification): only the SHA-256 of each
//! token is stored, so a leaked table opens no account.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ResetPassword,
    VerifyEmail,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::ResetPassword => "reset_password",
            Purpose::VerifyEmail => "verify_email",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Purpose::ResetPassword, Purpose::VerifyEmail]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }
}

#[tracing::instrument(skip(db, token_hash))]
pub async fn insert(
    db: &Db,
    user_id: i64,
    purpose: Purpose,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(user_id).bind(purpose.as_str()).bind(token_hash).bind(expires_at).bind(Utc::now())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks the token used and returns its user, in one statement: of two concurrent uses exactly
/// one wins. Unknown, expired, used or other-purpose tokens give `None`.
#[tracing::instrument(skip(db, token_hash))]
pub async fn consume(
    db: &Db,
    purpose: Purpose,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
         AND used_at IS NULL AND expires_at > $1 RETURNING user_id")
        .bind(now).bind(token_hash).bind(purpose.as_str())
        .fetch_optional(pool).await)
}

/// Retires the user's unused tokens of one purpose (a newer link, or the password was reset).
pub async fn retire(
    db: &Db,
    user_id: i64,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(now).bind(user_id).bind(purpose.as_str())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The user a usable token belongs to, without spending it.
pub async fn holder(
    db: &Db,
    purpose: Purpose,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT user_id FROM email_tokens WHERE token_hash = $1 AND purpose = $2 \
         AND used_at IS NULL AND expires_at > $3")
        .bind(token_hash).bind(purpose.as_str()).bind(now)
        .fetch_optional(pool).await)
}

/// Deletes links that can no longer be used: spent, or past their expiry. Returns how many.
pub async fn purge_dead(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    const SQL: &str = "DELETE FROM email_tokens WHERE used_at IS NOT NULL OR expires_at <= $1";
    on_pool!(db, pool => sqlx::query(SQL).bind(now).execute(pool).await.map(|r| r.rows_affected()))
}
