//! The audit log: who did what to which object, and which fields changed from what to what.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

pub struct NewEntry<'a> {
    pub actor_id: Option<i64>,
    /// `create`, `change`, `delete`, `login` or `custom`.
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub object_repr: String,
    /// JSON `{"field": {"from": …, "to": …}}`.
    pub changes: String,
    pub ip: Option<&'a str>,
}

#[tracing::instrument(skip_all, fields(action = entry.action, object = entry.object_type))]
pub async fn insert(db: &Db, entry: &NewEntry<'_>) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "INSERT INTO audit_log (actor_id, action, object_type, object_id, object_repr, \
         changes, ip, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(entry.actor_id)
        .bind(entry.action)
        .bind(entry.object_type)
        .bind(&entry.object_id)
        .bind(&entry.object_repr)
        .bind(&entry.changes)
        .bind(entry.ip)
        .bind(Utc::now())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub object_repr: String,
    pub changes: String,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
}

/// Newest first, with the total matching count.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &Db,
    filter: &EntryFilter,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<EntryRow>), sqlx::Error> {
    // NULL parameters switch a condition off, so one text serves every combination.
    const WHERE: &str = "($1 IS NULL OR a.actor_id = $1) AND ($2 IS NULL OR a.action = $2) \
         AND ($3 IS NULL OR a.object_type = $3) AND ($4 IS NULL OR a.object_id = $4)";
    let count_sql = format!("SELECT COUNT(*) FROM audit_log a WHERE {WHERE}");
    let rows_sql = format!(
        "SELECT a.id, a.actor_id, u.username AS actor, a.action, a.object_type, a.object_id, \
         a.object_repr, a.changes, a.ip, a.created_at FROM audit_log a \
         LEFT JOIN users u ON u.id = a.actor_id WHERE {WHERE} \
         ORDER BY a.created_at DESC, a.id DESC LIMIT $5 OFFSET $6"
    );
    on_pool!(db, pool => {
        let count: i64 = sqlx::query_scalar(&count_sql)
            .bind(filter.actor_id).bind(filter.action.as_deref())
            .bind(filter.object_type.as_deref()).bind(filter.object_id.as_deref())
            .fetch_one(pool).await?;
        let rows = sqlx::query_as(&rows_sql)
            .bind(filter.actor_id).bind(filter.action.as_deref())
            .bind(filter.object_type.as_deref()).bind(filter.object_id.as_deref())
            .bind(limit).bind(offset)
            .fetch_all(pool).await?;
        Ok((count, rows))
    })
}
