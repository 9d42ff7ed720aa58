//! Lessons as the learning pages read them: a course's outline and one lesson with its course.

use super::catalog::PUBLIC_COURSE;
use super::Db;
use crate::on_pool;

/// The course a lesson page belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseHead {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub price_cents: i64,
    /// Published and not deleted (the catalogue's rule, [`PUBLIC_COURSE`]).
    pub public: bool,
}

/// One row of a course's outline, in reading order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutlineRow {
    pub chapter_id: i64,
    pub chapter_title: String,
    pub lesson_id: i64,
    pub title: String,
    pub kind: String,
    pub duration_secs: i64,
    pub free_preview: bool,
}

/// One lesson with what the access rule and the page need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LessonRow {
    pub id: i64,
    pub course_id: i64,
    pub course_public: bool,
    pub title: String,
    pub kind: String,
    pub duration_secs: i64,
    pub free_preview: bool,
    pub content_md: String,
    pub video_url: Option<String>,
    pub practice_host_id: Option<i64>,
}

/// A course by slug (deleted ones are not found).
pub async fn course_by_slug(db: &Db, slug: &str) -> Result<Option<CourseHead>, sqlx::Error> {
    let sql = format!(
        "SELECT c.id, c.slug, c.title, c.price_cents, \
         CASE WHEN {PUBLIC_COURSE} THEN 1 ELSE 0 END = 1 AS public \
         FROM courses c WHERE c.slug = $1 AND c.deleted_at IS NULL"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await)
}

/// Every lesson of the course, chapter by chapter, in their positions.
pub async fn outline(db: &Db, course_id: i64) -> Result<Vec<OutlineRow>, sqlx::Error> {
    const SQL: &str = "SELECT ch.id AS chapter_id, ch.title AS chapter_title, l.id AS lesson_id, \
         l.title, l.kind, CAST(l.duration_secs AS BIGINT) AS duration_secs, l.free_preview \
         FROM chapters ch JOIN lessons l ON l.chapter_id = ch.id \
         WHERE ch.course_id = $1 ORDER BY ch.position, ch.id, l.position, l.id";
    on_pool!(db, pool => sqlx::query_as(SQL).bind(course_id).fetch_all(pool).await)
}

/// A lesson of a course that is not deleted.
pub async fn lesson(db: &Db, id: i64) -> Result<Option<LessonRow>, sqlx::Error> {
    let sql = format!(
        "SELECT l.id, ch.course_id, CASE WHEN {PUBLIC_COURSE} THEN 1 ELSE 0 END = 1 AS course_public, \
         l.title, l.kind, CAST(l.duration_secs AS BIGINT) AS duration_secs, l.free_preview, l.content_md, l.video_url, \
         l.practice_host_id \
         FROM lessons l JOIN chapters ch ON ch.id = l.chapter_id JOIN courses c ON c.id = ch.course_id \
         WHERE l.id = $1 AND c.deleted_at IS NULL"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Whether the user holds (an enrolment in force) a course with a lab lesson naming the host.
pub async fn practice_host_open(
    db: &Db,
    host_id: i64,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sqlx::Error> {
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM lessons l JOIN chapters ch ON ch.id = l.chapter_id \
         JOIN enrollments e ON e.course_id = ch.course_id \
         WHERE l.practice_host_id = $1 AND l.kind = 'lab' AND e.user_id = $2 \
         AND (e.expires_at IS NULL OR e.expires_at > $3)")
        .bind(host_id).bind(user_id).bind(now).fetch_one(pool).await)?;
    Ok(n > 0)
}
