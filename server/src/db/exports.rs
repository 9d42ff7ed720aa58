//! Exports (`exports` table): who asked for which file, how far its job is, and the finished
//! CSV with its download token; plus the page reads the job builds the CSV from.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub kind: String,
    pub course_id: Option<i64>,
    pub requested_by: i64,
    pub status: String,
    pub progress: i64,
    pub row_count: i64,
    pub error: Option<String>,
    pub download_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kind, course_id, requested_by, status, progress, row_count, error, \
     download_token, expires_at, created_at, finished_at";

pub async fn insert(
    db: &Db,
    kind: &str,
    course_id: Option<i64>,
    requested_by: i64,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "INSERT INTO exports (kind, course_id, requested_by, status, progress, created_at) \
         VALUES ($1, $2, $3, 'pending', 0, $4) RETURNING id")
        .bind(kind).bind(course_id).bind(requested_by).bind(now).fetch_one(pool).await)
}

pub async fn find(db: &Db, id: i64) -> Result<Option<ExportRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE id = $1");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// The job started over (a first attempt, a retry, a redelivery): nothing of a previous
/// attempt's file is kept.
pub async fn start(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE exports SET status = 'running', progress = 0, row_count = 0, error = NULL, \
         content = NULL, download_token = NULL, expires_at = NULL, finished_at = NULL \
         WHERE id = $1 AND status <> 'done'")
        .bind(id).execute(pool).await.map(|_| ()))
}

pub async fn set_progress(db: &Db, id: i64, progress: i64, rows: i64) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE exports SET progress = $2, row_count = $3 WHERE id = $1 AND status = 'running'")
        .bind(id).bind(progress).bind(rows).execute(pool).await.map(|_| ()))
}

/// Stores the finished file and its download token; `false` when the export was not running
/// (done already by another delivery).
pub async fn finish(
    db: &Db,
    id: i64,
    content: &str,
    rows: i64,
    download_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n = on_pool!(db, pool => sqlx::query(
        "UPDATE exports SET status = 'done', progress = 100, row_count = $2, content = $3, \
         download_token = $4, finished_at = $5, expires_at = $6 WHERE id = $1 AND status = 'running'")
        .bind(id).bind(rows).bind(content).bind(download_token).bind(now).bind(expires_at)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn fail(db: &Db, id: i64, error: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE exports SET status = 'failed', error = $2, finished_at = $3 \
         WHERE id = $1 AND status <> 'done'")
        .bind(id).bind(error).bind(now).execute(pool).await.map(|_| ()))
}

/// The file and its download token, once done.
pub async fn content(db: &Db, id: i64) -> Result<Option<(String, String)>, sqlx::Error> {
    let row: Option<(Option<String>, Option<String>)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT content, download_token FROM exports WHERE id = $1 AND status = 'done'")
        .bind(id).fetch_optional(pool).await)?;
    Ok(row.and_then(|(c, t)| Some((c?, t?))))
}

/// One learner of a course, as the CSV lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LearnerRow {
    pub enrollment_id: i64,
    pub username: String,
    pub email: String,
    pub enrolled_at: DateTime<Utc>,
}

pub async fn count_learners(db: &Db, course_id: i64) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id \
         WHERE e.course_id = $1 AND u.deleted_at IS NULL")
        .bind(course_id).fetch_one(pool).await)
}

/// The next page of a course's learners after enrolment `after`, in enrolment order.
pub async fn learners_page(
    db: &Db,
    course_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<LearnerRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT e.id AS enrollment_id, u.username, u.email, e.created_at AS enrolled_at \
         FROM enrollments e JOIN users u ON u.id = e.user_id \
         WHERE e.course_id = $1 AND e.id > $2 AND u.deleted_at IS NULL \
         ORDER BY e.id LIMIT $3")
        .bind(course_id).bind(after).bind(limit).fetch_all(pool).await)
}

/// Whether the course exists (deleted ones included: staff may export a retired course).
pub async fn course_exists(db: &Db, course_id: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT id FROM courses WHERE id = $1")
        .bind(course_id).fetch_optional(pool).await)?;
    Ok(found.is_some())
}
