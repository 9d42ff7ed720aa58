//! Running the model engine's dynamic queries on either pool.

use super::Db;
use crate::model_engine::sql::{decode_pg, decode_sqlite, Columns, Decoded, SqlValue};
use crate::{bind_values, on_pool};

#[tracing::instrument(skip_all)]
pub async fn fetch(
    db: &Db,
    columns: &Columns,
    sql: &str,
    values: &[SqlValue],
) -> Result<Vec<Decoded>, sqlx::Error> {
    match db {
        Db::Postgres(pool) => bind_values!(sqlx::query(sql), values)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| decode_pg(row, columns))
            .collect(),
        Db::Sqlite(pool) => bind_values!(sqlx::query(sql), values)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| decode_sqlite(row, columns))
            .collect(),
    }
}

#[tracing::instrument(skip_all)]
pub async fn scalar(db: &Db, sql: &str, values: &[SqlValue]) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => bind_values!(sqlx::query_scalar::<_, i64>(sql), values).fetch_one(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn execute(db: &Db, sql: &str, values: &[SqlValue]) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => bind_values!(sqlx::query(sql), values)
        .execute(pool).await.map(|r| r.rows_affected()))
}

/// `(id, label)` pairs, for showing foreign keys by name.
#[tracing::instrument(skip_all)]
pub async fn labels(
    db: &Db,
    sql: &str,
    values: &[SqlValue],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    on_pool!(db, pool => bind_values!(sqlx::query_as::<_, (i64, String)>(sql), values)
        .fetch_all(pool).await)
}
