//! Figures for the back-office dashboard: per-day series over the last days, and totals.

use chrono::{DateTime, Utc};

use super::Db;

/// What a daily series sums: rows, or a money column.
#[derive(Debug, Clone, Copy)]
pub enum Measure {
    Count,
    SumCents(&'static str),
}

/// `(YYYY-MM-DD, value)` for days since `since` that have any rows (UTC days). `table`,
/// `column` and `condition` are fixed strings from our code, never user input.
#[tracing::instrument(skip(db, since))]
pub async fn per_day(
    db: &Db,
    table: &'static str,
    column: &'static str,
    condition: &'static str,
    measure: Measure,
    since: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let value = match measure {
        Measure::Count => "COUNT(*)".to_string(),
        Measure::SumCents(col) => format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)"),
    };
    match db {
        Db::Postgres(pool) => {
            let sql = format!(
                "SELECT to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, {value} \
                 FROM {table} WHERE {column} >= $1 AND {condition} GROUP BY day ORDER BY day"
            );
            sqlx::query_as(&sql).bind(since).fetch_all(pool).await
        }
        Db::Sqlite(pool) => {
            // Timestamps are stored as RFC 3339 text in UTC: the day is the first 10 bytes.
            let sql = format!(
                "SELECT substr({column}, 1, 10) AS day, {value} \
                 FROM {table} WHERE {column} >= $1 AND {condition} GROUP BY day ORDER BY day"
            );
            sqlx::query_as(&sql).bind(since).fetch_all(pool).await
        }
    }
}

pub async fn count(
    db: &Db,
    table: &'static str,
    condition: &'static str,
) -> Result<i64, sqlx::Error> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {condition}");
    crate::on_pool!(db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await)
}
