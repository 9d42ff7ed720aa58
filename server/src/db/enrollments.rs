//! What a user holds now: enrolments that have not ended (written by a paid order, in
//! [`super::orders`]).

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnrollmentRow {
    pub course_id: i64,
    pub course_slug: String,
    pub course_title: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Whether the user holds the course now (an enrolment without an end, or ending later).
pub async fn owns(
    db: &Db,
    user_id: i64,
    course_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM enrollments WHERE user_id = $1 AND course_id = $2 \
         AND (expires_at IS NULL OR expires_at > $3)")
        .bind(user_id).bind(course_id).bind(now).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// The courses the user holds now, newest first.
pub async fn enrollments(
    db: &Db,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<EnrollmentRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT e.course_id, c.slug AS course_slug, c.title AS course_title, e.expires_at, e.created_at \
         FROM enrollments e JOIN courses c ON c.id = e.course_id \
         WHERE e.user_id = $1 AND (e.expires_at IS NULL OR e.expires_at > $2) AND c.deleted_at IS NULL \
         ORDER BY e.created_at DESC, e.id DESC")
        .bind(user_id).bind(now).fetch_all(pool).await)
}
