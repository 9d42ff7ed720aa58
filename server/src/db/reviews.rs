//! `course_reviews`: one per (course, student), written by one upsert (the unique key makes
//! "once" hold under any race).

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub course_id: i64,
    pub username: String,
    pub rating: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT r.id, r.course_id, u.username, r.rating, r.body, r.created_at, \
     r.updated_at FROM course_reviews r JOIN users u ON u.id = r.user_id";

/// Writes the user's review of the course; true when it is new.
pub async fn upsert(
    db: &Db,
    course_id: i64,
    user_id: i64,
    rating: i64,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(ReviewRow, bool), sqlx::Error> {
    let existed: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM course_reviews WHERE course_id = $1 AND user_id = $2")
        .bind(course_id).bind(user_id).fetch_one(pool).await)?;
    let id: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "INSERT INTO course_reviews (course_id, user_id, rating, body, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (course_id, user_id) DO UPDATE SET \
         rating = excluded.rating, body = excluded.body, updated_at = excluded.updated_at \
         RETURNING id")
        .bind(course_id).bind(user_id).bind(rating).bind(body).bind(now).fetch_one(pool).await)?;
    let sql = format!("{SELECT} WHERE r.id = $1");
    let row = on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_one(pool).await)?;
    Ok((row, existed == 0))
}

/// A page of the course's reviews, newest first, optionally of one rating.
pub async fn page(
    db: &Db,
    course_id: i64,
    rating: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ReviewRow>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE r.course_id = $1 AND ($2 IS NULL OR r.rating = $2) \
         ORDER BY r.updated_at DESC, r.id DESC LIMIT $3 OFFSET $4"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(course_id).bind(rating).bind(limit).bind(offset)
        .fetch_all(pool).await)
}

/// How many reviews (of that rating) and the average rating of all of them.
pub async fn summary(
    db: &Db,
    course_id: i64,
    rating: Option<i64>,
) -> Result<(i64, i64, Option<f64>), sqlx::Error> {
    let (matching, total, sum): (i64, i64, i64) = on_pool!(db, pool => sqlx::query_as(
        "SELECT COUNT(CASE WHEN $2 IS NULL OR rating = $2 THEN 1 END), COUNT(*), \
         CAST(COALESCE(SUM(rating), 0) AS BIGINT) FROM course_reviews WHERE course_id = $1")
        .bind(course_id).bind(rating).fetch_one(pool).await)?;
    #[expect(
        clippy::cast_precision_loss,
        reason = "review counts are far below 2^52"
    )]
    let average = (total > 0).then(|| sum as f64 / total as f64);
    Ok((matching, total, average))
}
