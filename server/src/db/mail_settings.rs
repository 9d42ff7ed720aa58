//! Per-user e-mail settings (`mail_settings`): a row per (user, kind) the user changed; a kind
//! without one has its default ([`app::domain::mail::MailKind::default_on`]).

use app::domain::mail::MailKind;
use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

/// Whether the user gets mail of `kind`.
pub async fn enabled(db: &Db, user_id: i64, kind: MailKind) -> Result<bool, sqlx::Error> {
    let stored: Option<bool> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT enabled FROM mail_settings WHERE user_id = $1 AND kind = $2")
        .bind(user_id).bind(kind.name()).fetch_optional(pool).await)?;
    Ok(stored.unwrap_or(kind.default_on()))
}

/// The user's stored choices, as (kind name, enabled).
pub async fn stored(db: &Db, user_id: i64) -> Result<Vec<(String, bool)>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT kind, enabled FROM mail_settings WHERE user_id = $1 ORDER BY kind")
        .bind(user_id).fetch_all(pool).await)
}

pub async fn set(
    db: &Db,
    user_id: i64,
    kind: MailKind,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO mail_settings (user_id, kind, enabled, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, kind) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at")
        .bind(user_id).bind(kind.name()).bind(enabled).bind(now).execute(pool).await.map(|_| ()))?;
    Ok(())
}
