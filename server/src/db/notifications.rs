//! In-app notifications (`notifications`): one row per message to one user, written by jobs
//! (course-update reminders, expiry notices) and read by the notification centre.
//!
//! Every read and write here names the owner (`user_id = $1`): a row of another user is
//! never listed, counted or marked, whatever id the caller sends.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

/// A notification to write. `dedupe_key` is the job's natural key for it: a retried or
/// redelivered job that writes the same key again writes nothing.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: i64,
    /// What it is about, e.g. `course.update`, `membership.expiring`.
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub dedupe_key: String,
}

/// A stored notification, as the centre shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Writes `n` unless a notification with its `dedupe_key` exists; returns the new row's id, or
/// `None` when it existed already.
pub async fn insert(
    db: &Db,
    n: &NewNotification,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "INSERT INTO notifications (user_id, kind, title, body, link, dedupe_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id")
        .bind(n.user_id).bind(&n.kind).bind(&n.title).bind(&n.body).bind(&n.link)
        .bind(&n.dedupe_key).bind(now).fetch_optional(pool).await)
}

/// How many of `user_id`'s notifications are unread. Apart from [`count`] because every page's
/// bell asks it: the plain predicate plans onto `notifications_user (user_id, read_at)`.
pub async fn unread_count(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id).fetch_one(pool).await)
}

/// How many notifications `user_id` has (only the unread ones with `unread_only`).
pub async fn count(db: &Db, user_id: i64, unread_only: bool) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND ($2 = FALSE OR read_at IS NULL)")
        .bind(user_id).bind(unread_only).fetch_one(pool).await)
}

/// A page of `user_id`'s notifications, newest first.
pub async fn list(
    db: &Db,
    user_id: i64,
    unread_only: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, kind, title, body, link, read_at, created_at FROM notifications \
         WHERE user_id = $1 AND ($2 = FALSE OR read_at IS NULL) \
         ORDER BY id DESC LIMIT $3 OFFSET $4")
        .bind(user_id).bind(unread_only).bind(limit).bind(offset).fetch_all(pool).await)
}

/// Marks `ids` (distinct, not empty) read, all or none: `false`, and nothing changed, when one
/// of them is not a notification of `user_id`. A notification read before keeps its first
/// `read_at`.
pub async fn mark_read(
    db: &Db,
    user_id: i64,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    // `$3, $4, …`: one placeholder per id (at most the centre's limit, a hundred).
    let placeholders = (0..ids.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE notifications SET read_at = COALESCE(read_at, $2) \
         WHERE user_id = $1 AND id IN ({placeholders})"
    );
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut query = sqlx::query(&sql).bind(user_id).bind(now);
        for id in ids {
            query = query.bind(*id);
        }
        let marked = query.execute(&mut *tx).await?.rows_affected();
        if marked == ids.len() as u64 {
            tx.commit().await?;
            Ok(true)
        } else {
            tx.rollback().await?;
            Ok(false)
        }
    })
}

/// Marks every unread notification of `user_id` read; returns how many there were.
pub async fn mark_all_read(db: &Db, user_id: i64, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id).bind(now).execute(pool).await.map(|r| r.rows_affected()))
}
