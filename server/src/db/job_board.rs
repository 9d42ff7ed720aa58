//! The job dashboard's reads and its two actions, on apalis' own tables (SQLite `Jobs` /
//! `Workers`, PostgreSQL `apalis.jobs` / `apalis.workers`), through the application's pool:
//! the queue lives in the same database. The table names and the time columns (Unix seconds
//! on SQLite, `timestamptz` on PostgreSQL) differ, so most texts come in two versions.
//!
//! apalis' statuses: `Pending` (waiting), `Queued` (fetched by a worker), `Running`, `Done`,
//! `Failed` (ended with an error once its retries were used up) and `Killed` (refused for
//! good: a payload that does not parse, a permanent error).

use super::Db;

/// Jobs per `(queue, status)`.
pub async fn counts(db: &Db) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    const SQL: &str = "SELECT job_type, status, COUNT(*) FROM {jobs} GROUP BY job_type, status";
    match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(&SQL.replace("{jobs}", "Jobs"))
                .fetch_all(pool)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_as(&SQL.replace("{jobs}", "apalis.jobs"))
                .fetch_all(pool)
                .await
        }
    }
}

/// Jobs done per minute since `since` (Unix seconds): `(minute as Unix seconds / 60, count)`.
pub async fn done_per_minute(db: &Db, since: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(
                "SELECT done_at / 60 AS minute, COUNT(*) FROM Jobs \
                 WHERE status = 'Done' AND done_at >= $1 GROUP BY minute",
            )
            .bind(since)
            .fetch_all(pool)
            .await
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                "SELECT CAST(floor(EXTRACT(EPOCH FROM done_at) / 60) AS BIGINT) AS minute, \
                 COUNT(*) FROM apalis.jobs \
                 WHERE status = 'Done' AND done_at >= to_timestamp($1) GROUP BY 1",
            )
            .bind(since as f64)
            .fetch_all(pool)
            .await
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkerRow {
    pub id: String,
    pub queue: String,
    /// Unix seconds.
    pub last_seen: i64,
    pub started_at: Option<i64>,
}

/// Workers whose last heartbeat is after `since` (Unix seconds), latest first.
pub async fn workers(db: &Db, since: i64) -> Result<Vec<WorkerRow>, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(
                "SELECT id, worker_type AS queue, last_seen, started_at FROM Workers \
                 WHERE last_seen >= $1 ORDER BY last_seen DESC, id LIMIT 100",
            )
            .bind(since)
            .fetch_all(pool)
            .await
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                "SELECT id, worker_type AS queue, \
                 CAST(EXTRACT(EPOCH FROM last_seen) AS BIGINT) AS last_seen, \
                 CAST(EXTRACT(EPOCH FROM started_at) AS BIGINT) AS started_at \
                 FROM apalis.workers WHERE last_seen >= to_timestamp($1) \
                 ORDER BY last_seen DESC, id LIMIT 100",
            )
            .bind(since as f64)
            .fetch_all(pool)
            .await
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedRow {
    pub id: String,
    pub queue: String,
    pub status: String,
    pub attempts: i64,
    pub last_result: Option<String>,
    pub payload: Vec<u8>,
    /// Unix seconds.
    pub done_at: Option<i64>,
}

/// Jobs that ended `Failed` or `Killed`, newest first; `id` picks one.
pub async fn failed(db: &Db, id: Option<&str>, limit: i64) -> Result<Vec<FailedRow>, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(
                "SELECT id, job_type AS queue, status, CAST(attempts AS BIGINT) AS attempts, \
                 CAST(last_result AS TEXT) AS last_result, job AS payload, done_at FROM Jobs \
                 WHERE status IN ('Failed', 'Killed') AND ($1 IS NULL OR id = $1) \
                 ORDER BY done_at DESC, id DESC LIMIT $2",
            )
            .bind(id)
            .bind(limit)
            .fetch_all(pool)
            .await
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                "SELECT id, job_type AS queue, status, CAST(attempts AS BIGINT) AS attempts, \
                 CAST(last_result AS TEXT) AS last_result, job AS payload, \
                 CAST(EXTRACT(EPOCH FROM done_at) AS BIGINT) AS done_at FROM apalis.jobs \
                 WHERE status IN ('Failed', 'Killed') AND ($1::text IS NULL OR id = $1) \
                 ORDER BY done_at DESC NULLS LAST, id DESC LIMIT $2",
            )
            .bind(id)
            .bind(limit)
            .fetch_all(pool)
            .await
        }
    }
}

/// The recorded errors of these jobs, newest first: `(task_id, error)`.
pub async fn errors_of(db: &Db, ids: &[String]) -> Result<Vec<(String, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // At most a page of ids; placeholders keep every id a bound value.
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT task_id, error FROM job_errors WHERE task_id IN ({}) ORDER BY id DESC",
        marks.join(", ")
    );
    crate::on_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql);
        for id in ids {
            query = query.bind(id);
        }
        query.fetch_all(pool).await
    })
}

/// Puts a failed or dead job back to `Pending`, its attempts reset, due now; `false` when it
/// is not (or no longer) failed.
pub async fn retry(db: &Db, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let n = match db {
        Db::Sqlite(pool) => sqlx::query(
            "UPDATE Jobs SET status = 'Pending', attempts = 0, lock_by = NULL, \
                 lock_at = NULL, done_at = NULL, last_result = NULL, run_at = $2 \
                 WHERE id = $1 AND status IN ('Failed', 'Killed')",
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected(),
        Db::Postgres(pool) => {
            // apalis takes jobs with `run_at < now()`: one second back is due at once.
            sqlx::query(
                "UPDATE apalis.jobs SET status = 'Pending', attempts = 0, lock_by = NULL, \
                 lock_at = NULL, done_at = NULL, last_result = NULL, \
                 run_at = to_timestamp($2) - interval '1 second' \
                 WHERE id = $1 AND status IN ('Failed', 'Killed')",
            )
            .bind(id)
            .bind(now as f64)
            .execute(pool)
            .await?
            .rows_affected()
        }
    };
    Ok(n == 1)
}

/// Deletes a failed or dead job; `false` when it is not (or no longer) failed.
pub async fn discard(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let n = match db {
        Db::Sqlite(pool) => {
            sqlx::query("DELETE FROM Jobs WHERE id = $1 AND status IN ('Failed', 'Killed')")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        }
        Db::Postgres(pool) => {
            sqlx::query("DELETE FROM apalis.jobs WHERE id = $1 AND status IN ('Failed', 'Killed')")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        }
    };
    Ok(n == 1)
}
