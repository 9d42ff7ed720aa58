//! `lesson_progress`: one row per (student, lesson), written by one upsert per save.
//!
//! Two tabs saving at once never lose an update: the upsert is one statement, "done" is kept
//! once set (`COALESCE`), the furthest point and the seconds watched only grow (`CASE`), and
//! the resume position is the latest save's.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgressRow {
    pub lesson_id: i64,
    pub position_secs: i64,
    pub furthest_secs: i64,
    pub watched_secs: i64,
    pub completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// One save.
#[derive(Debug, Clone, Copy)]
pub struct Save {
    pub position_secs: i64,
    pub watched_secs: i64,
    /// Set when this save completes the lesson (kept if it was done already).
    pub completed_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

const COLUMNS: &str =
    "lesson_id, position_secs, furthest_secs, watched_secs, completed_at, updated_at";

pub async fn upsert(
    db: &Db,
    user_id: i64,
    lesson_id: i64,
    save: Save,
) -> Result<ProgressRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO lesson_progress \
         (user_id, lesson_id, position_secs, furthest_secs, watched_secs, completed_at, updated_at) \
         VALUES ($1, $2, $3, $3, $4, $5, $6) \
         ON CONFLICT (user_id, lesson_id) DO UPDATE SET \
         position_secs = excluded.position_secs, \
         furthest_secs = CASE WHEN excluded.furthest_secs > lesson_progress.furthest_secs \
             THEN excluded.furthest_secs ELSE lesson_progress.furthest_secs END, \
         watched_secs = CASE WHEN excluded.watched_secs > lesson_progress.watched_secs \
             THEN excluded.watched_secs ELSE lesson_progress.watched_secs END, \
         completed_at = COALESCE(lesson_progress.completed_at, excluded.completed_at), \
         updated_at = excluded.updated_at \
         RETURNING {COLUMNS}"
    );
    on_pool!(db, pool => sqlx::query_as(&sql)
        .bind(user_id).bind(lesson_id).bind(save.position_secs).bind(save.watched_secs)
        .bind(save.completed_at).bind(save.now).fetch_one(pool).await)
}

pub async fn one(
    db: &Db,
    user_id: i64,
    lesson_id: i64,
) -> Result<Option<ProgressRow>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM lesson_progress WHERE user_id = $1 AND lesson_id = $2");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(user_id).bind(lesson_id).fetch_optional(pool).await)
}

/// The user's rows in one course.
pub async fn in_course(
    db: &Db,
    user_id: i64,
    course_id: i64,
) -> Result<Vec<ProgressRow>, sqlx::Error> {
    const SQL: &str =
        "SELECT p.lesson_id, p.position_secs, p.furthest_secs, p.watched_secs, p.completed_at, \
         p.updated_at FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id \
         JOIN chapters ch ON ch.id = l.chapter_id WHERE p.user_id = $1 AND ch.course_id = $2";
    on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).bind(course_id).fetch_all(pool).await)
}

/// Lessons and lessons done per course, for the courses the user is enrolled in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseCount {
    pub course_id: i64,
    pub lessons: i64,
    pub done: i64,
}

pub async fn counts(db: &Db, user_id: i64) -> Result<Vec<CourseCount>, sqlx::Error> {
    const SQL: &str = "SELECT ch.course_id, COUNT(l.id) AS lessons, COUNT(p.completed_at) AS done \
         FROM lessons l JOIN chapters ch ON ch.id = l.chapter_id \
         LEFT JOIN lesson_progress p ON p.lesson_id = l.id AND p.user_id = $1 \
         WHERE ch.course_id IN (SELECT course_id FROM enrollments WHERE user_id = $1) \
         GROUP BY ch.course_id";
    on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await)
}

/// The user's latest save per course, newest first (where to continue).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LastSave {
    pub course_id: i64,
    pub lesson_id: i64,
    pub updated_at: DateTime<Utc>,
}

pub async fn latest(db: &Db, user_id: i64) -> Result<Vec<LastSave>, sqlx::Error> {
    const SQL: &str = "SELECT ch.course_id, p.lesson_id, p.updated_at FROM lesson_progress p \
         JOIN lessons l ON l.id = p.lesson_id JOIN chapters ch ON ch.id = l.chapter_id \
         WHERE p.user_id = $1 ORDER BY p.updated_at DESC, p.lesson_id DESC";
    on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await)
}
