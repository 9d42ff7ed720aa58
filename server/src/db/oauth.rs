//! Third-party identities bound to accounts (`oauth_identities`), keyed by (provider, subject).

use chrono::{DateTime, Utc};

use super::users::NewUser;
use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRow {
    pub id: i64,
    pub user_id: i64,
    pub provider: String,
    pub subject: String,
    pub openid: Option<String>,
    pub unionid: Option<String>,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An identity to store.
pub struct NewIdentity<'a> {
    pub provider: &'a str,
    pub subject: &'a str,
    pub openid: &'a str,
    pub unionid: Option<&'a str>,
    pub display_name: &'a str,
    pub avatar_url: Option<&'a str>,
}

const COLUMNS: &str =
    "id, user_id, provider, subject, openid, unionid, display_name, avatar_url, created_at";

const INSERT: &str = "INSERT INTO oauth_identities \
    (user_id, provider, subject, openid, unionid, display_name, avatar_url, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The identity under its key; failing that, one stored earlier under the same openid (before
/// the provider granted us unionids), so such accounts keep working.
#[tracing::instrument(skip(db))]
pub async fn find(
    db: &Db,
    provider: &str,
    subject: &str,
    openid: &str,
) -> Result<Option<IdentityRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM oauth_identities WHERE provider = $1 AND (subject = $2 OR openid = $3) \
         ORDER BY CASE WHEN subject = $2 THEN 0 ELSE 1 END LIMIT 1"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(provider).bind(subject).bind(openid)
        .fetch_optional(pool).await)
}

#[tracing::instrument(skip_all, fields(provider = identity.provider, user_id))]
pub async fn insert(db: &Db, user_id: i64, identity: &NewIdentity<'_>) -> Result<i64, sqlx::Error> {
    let sql = format!("{INSERT} RETURNING id");
    on_pool!(db, pool => sqlx::query_scalar(&sql)
        .bind(user_id)
        .bind(identity.provider)
        .bind(identity.subject)
        .bind(identity.openid)
        .bind(identity.unionid)
        .bind(identity.display_name)
        .bind(identity.avatar_url)
        .bind(Utc::now())
        .fetch_one(pool)
        .await)
}

/// A new password-less account and its first identity, both or neither: an account without
/// any way to sign in must never exist.
#[tracing::instrument(skip_all, fields(provider = identity.provider))]
pub async fn create_user_with_identity(
    db: &Db,
    user: &NewUser<'_>,
    identity: &NewIdentity<'_>,
) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, email, password_hash, is_staff, is_superuser, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id")
            .bind(user.username)
            .bind(user.email)
            .bind(user.password_hash)
            .bind(user.is_staff)
            .bind(user.is_superuser)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(INSERT)
            .bind(id)
            .bind(identity.provider)
            .bind(identity.subject)
            .bind(identity.openid)
            .bind(identity.unionid)
            .bind(identity.display_name)
            .bind(identity.avatar_url)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// Refreshes what the provider says now, and moves an openid-keyed row to its unionid.
pub async fn refresh(
    db: &Db,
    id: i64,
    subject: &str,
    unionid: Option<&str>,
    display_name: &str,
    avatar_url: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE oauth_identities SET subject = $1, unionid = COALESCE($2, unionid), display_name = $3, \
         avatar_url = $4 WHERE id = $5")
        .bind(subject).bind(unionid).bind(display_name).bind(avatar_url).bind(id)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn list_for_user(db: &Db, user_id: i64) -> Result<Vec<IdentityRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM oauth_identities WHERE user_id = $1 ORDER BY id");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Unbind {
    /// Gone; `provider` names what it was.
    Removed {
        provider: String,
    },
    NotFound,
    /// No password and no other identity: removing it would lock the account out.
    LastLoginMethod,
}

/// Removes one identity of the user unless it is the last way to sign in. The user row is
/// updated first so concurrent unbinds of the same account queue behind one another (a row lock
/// on PostgreSQL, the write lock on SQLite) and cannot both pass the check.
#[tracing::instrument(skip(db))]
pub async fn unbind(db: &Db, user_id: i64, id: i64) -> Result<Unbind, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let has_password: Option<bool> = sqlx::query_scalar(
            "UPDATE users SET updated_at = $1 WHERE id = $2 RETURNING password_hash IS NOT NULL")
            .bind(Utc::now())
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let provider: Option<String> = sqlx::query_scalar(
            "SELECT provider FROM oauth_identities WHERE id = $1 AND user_id = $2")
            .bind(id).bind(user_id).fetch_optional(&mut *tx).await?;
        let (Some(_), Some(provider)) = (has_password, provider) else {
            return Ok(Unbind::NotFound);
        };
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM oauth_identities WHERE user_id = $1")
            .bind(user_id).fetch_one(&mut *tx).await?;
        if has_password != Some(true) && total <= 1 {
            return Ok(Unbind::LastLoginMethod);
        }
        sqlx::query("DELETE FROM oauth_identities WHERE id = $1")
            .bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Unbind::Removed { provider })
    })
}

/// Removes every identity bound to the account; returns their providers.
pub async fn unbind_all(db: &Db, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "DELETE FROM oauth_identities WHERE user_id = $1 RETURNING provider";
    on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await)
}
