//! In-app notifications (`notifications`): one row per message to one user, written by jobs
//! (course-update reminders, expiry notices) and read by the notification centre.

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

/// How many of `user_id`'s notifications are unread.
pub async fn unread_count(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id).fetch_one(pool).await)
}
