//! Terminal sessions as rows (who, where, when, how much, how it ended) and the command audit.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

pub async fn insert(
    db: &Db,
    public_id: &str,
    host_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "INSERT INTO ssh_sessions (public_id, host_id, user_id, started_at) \
         VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(public_id).bind(host_id).bind(user_id).bind(now).fetch_one(pool).await)
}

/// The user's open terminals over all instances; rows older than `since` do not count (a
/// process that died cannot keep its rows open for good: no session outlives its maximum).
pub async fn open_count(db: &Db, user_id: i64, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM ssh_sessions WHERE user_id = $1 AND ended_at IS NULL \
         AND started_at > $2")
        .bind(user_id).bind(since).fetch_one(pool).await)
}

pub struct Ended<'a> {
    pub at: DateTime<Utc>,
    pub bytes_in: i64,
    pub bytes_out: i64,
    pub exit_code: Option<i64>,
    pub reason: &'a str,
    pub recording_path: Option<&'a str>,
}

pub async fn end(db: &Db, id: i64, e: &Ended<'_>) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE ssh_sessions SET ended_at = $2, bytes_in = $3, bytes_out = $4, exit_code = $5, \
         exit_reason = $6, recording_path = $7 WHERE id = $1 AND ended_at IS NULL")
        .bind(id).bind(e.at).bind(e.bytes_in).bind(e.bytes_out).bind(e.exit_code)
        .bind(e.reason).bind(e.recording_path).execute(pool).await.map(|_| ()))
}

/// One entered line of a terminal, for the command audit.
pub struct CommandLine {
    pub session_id: i64,
    pub host_id: i64,
    pub user_id: i64,
    pub line: String,
    pub at: DateTime<Utc>,
}

/// Writes `lines` in one statement (the audit writer batches what queued up meanwhile).
pub async fn insert_commands(db: &Db, lines: &[CommandLine]) -> Result<(), sqlx::Error> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "INSERT INTO ssh_commands (session_id, host_id, user_id, line, entered_at) VALUES ",
    );
    for i in 0..lines.len() {
        let n = i * 5;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${})",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5
        ));
    }
    on_pool!(db, pool => {
        let mut query = sqlx::query(&sql);
        for l in lines {
            query = query.bind(l.session_id).bind(l.host_id).bind(l.user_id).bind(&l.line).bind(l.at);
        }
        query.execute(pool).await.map(|_| ())
    })
}
