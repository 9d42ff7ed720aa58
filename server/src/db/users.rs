//! User rows.

use super::Db;
use crate::on_pool;

pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub is_staff: bool,
    pub is_superuser: bool,
}

#[tracing::instrument(skip_all, fields(username = user.username))]
pub async fn insert(db: &Db, user: &NewUser<'_>) -> Result<i64, sqlx::Error> {
    const SQL: &str = "INSERT INTO users (username, email, password_hash, is_staff, is_superuser, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
    let now = chrono::Utc::now();
    on_pool!(db, pool => sqlx::query_scalar(SQL)
        .bind(user.username)
        .bind(user.email)
        .bind(user.password_hash)
        .bind(user.is_staff)
        .bind(user.is_superuser)
        .bind(now)
        .fetch_one(pool)
        .await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub email_verified_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Set by an administrator: no permissions until the user chooses a new password.
    pub must_reset_password: bool,
    /// The language the user chose (`zh-CN`, `en`); none until they choose one.
    pub locale: Option<String>,
}

const USER_COLUMNS: &str =
    "id, username, email, password_hash, nickname, avatar_url, is_active, is_staff, \
     is_superuser, email_verified_at, must_reset_password, locale";

/// By username or e-mail, case-insensitively; deleted accounts are never found.
#[tracing::instrument(skip(db))]
pub async fn find_by_login(db: &Db, login: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE (lower(username) = lower($1) OR lower(email) = lower($1)) \
         AND deleted_at IS NULL"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(login.trim()).fetch_optional(pool).await)
}

#[tracing::instrument(skip(db))]
pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Keeps the user's language (a tag [`app::locale::parse`] accepted).
pub async fn set_locale(db: &Db, id: i64, locale: &str) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
        .bind(locale).bind(id).execute(pool).await.map(|r| r.rows_affected()))
}

pub async fn touch_last_login(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(chrono::Utc::now()).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_password(db: &Db, id: i64, hash: &str) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE users SET password_hash = $1, must_reset_password = $2, updated_at = $3 WHERE id = $4")
        .bind(hash).bind(false).bind(chrono::Utc::now()).bind(id)
        .execute(pool).await.map(|r| r.rows_affected()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileRow {
    pub email: String,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub email_verified_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn profile(db: &Db, id: i64) -> Result<Option<ProfileRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT email, nickname, avatar_url, bio, email_verified_at FROM users WHERE id = $1 AND deleted_at IS NULL")
        .bind(id).fetch_optional(pool).await)
}

/// Saves the profile; a changed e-mail address loses its verification.
pub async fn update_profile(
    db: &Db,
    id: i64,
    nickname: &str,
    avatar_url: Option<&str>,
    bio: &str,
    email: &str,
) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE users SET nickname = $1, avatar_url = $2, bio = $3, \
         email_verified_at = CASE WHEN lower(email) = lower($4) THEN email_verified_at ELSE NULL END, \
         email = $4, updated_at = $5 WHERE id = $6")
        .bind(nickname).bind(avatar_url).bind(bio).bind(email).bind(chrono::Utc::now()).bind(id)
        .execute(pool).await.map(|r| r.rows_affected()))
}

pub async fn set_email_verified(
    db: &Db,
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2")
        .bind(at).bind(id).execute(pool).await.map(|r| r.rows_affected()))
}

/// An active account's public profile, by username (case-insensitive).
pub async fn public_profile(
    db: &Db,
    username: &str,
) -> Result<Option<app::dto::PublicProfile>, sqlx::Error> {
    let row: Option<(String, String, Option<String>, String)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT username, nickname, avatar_url, bio FROM users \
         WHERE lower(username) = lower($1) AND is_active AND deleted_at IS NULL")
        .bind(username).fetch_optional(pool).await)?;
    Ok(row.map(
        |(username, nickname, avatar_url, bio)| app::dto::PublicProfile {
            username,
            nickname,
            avatar_url,
            bio,
        },
    ))
}
