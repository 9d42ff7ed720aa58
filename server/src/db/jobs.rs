//! What the job runtime keeps beside apalis' queue: the natural keys of effects that happened
//! (`job_effects`) and every failed attempt with its error (`job_errors`).

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

/// Whether the effect `(kind, key)` has happened already.
pub async fn effect_done(db: &Db, kind: &str, key: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i32> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT 1 FROM job_effects WHERE kind = $1 AND effect_key = $2")
        .bind(kind).bind(key).fetch_optional(pool).await)?;
    Ok(found.is_some())
}

/// Records the effect `(kind, key)`; `false` when it was recorded already (by a concurrent
/// delivery of the same job, which then must not act).
pub async fn record_effect(
    db: &Db,
    kind: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let inserted = on_pool!(db, pool => sqlx::query(
        "INSERT INTO job_effects (kind, effect_key, done_at) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, effect_key) DO NOTHING")
        .bind(kind).bind(key).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(inserted == 1)
}

/// One failed attempt of a job.
pub async fn record_error(
    db: &Db,
    task_id: &str,
    kind: &str,
    attempt: i64,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO job_errors (task_id, kind, attempt, error, failed_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(task_id).bind(kind).bind(attempt).bind(error).bind(now).execute(pool).await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobError {
    pub task_id: String,
    pub kind: String,
    pub attempt: i64,
    pub error: String,
}

/// The failed attempts of one job, oldest first.
pub async fn errors_of(db: &Db, task_id: &str) -> Result<Vec<JobError>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as::<_, JobError>(
        "SELECT task_id, kind, attempt, error FROM job_errors WHERE task_id = $1 ORDER BY id")
        .bind(task_id).fetch_all(pool).await)
}

/// Error rows older than `before` (a sweep keeps the table small).
pub async fn purge_errors(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query("DELETE FROM job_errors WHERE failed_at < $1")
        .bind(before).execute(pool).await.map(|r| r.rows_affected()))
}

/// One row of apalis' queue, as the dashboard and the tests read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedJob {
    pub id: String,
    pub queue: String,
    /// `Pending`, `Queued`, `Running`, `Done`, `Failed` or `Killed` (failed for good).
    pub status: String,
    pub attempts: i64,
    pub last_result: Option<String>,
    pub payload: Vec<u8>,
}

/// The jobs of one queue, oldest first.
pub async fn queued(db: &Db, queue: &str) -> Result<Vec<QueuedJob>, sqlx::Error> {
    const COLUMNS: &str = "id, job_type AS queue, status, CAST(attempts AS BIGINT) AS attempts, \
         CAST(last_result AS TEXT) AS last_result, job AS payload";
    match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM Jobs WHERE job_type = $1 ORDER BY run_at, id"
            ))
            .bind(queue)
            .fetch_all(pool)
            .await
        }
        Db::Postgres(pool) => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM apalis.jobs WHERE job_type = $1 ORDER BY run_at, id"
            ))
            .bind(queue)
            .fetch_all(pool)
            .await
        }
    }
}

/// How many effects of `kind` have happened.
pub async fn effects_of(db: &Db, kind: &str) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_effects WHERE kind = $1")
        .bind(kind).fetch_one(pool).await)
}
