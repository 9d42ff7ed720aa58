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
