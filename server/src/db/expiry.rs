//! What the expiry schedule reads and changes: memberships and time-limited enrolments that
//! end soon or have ended.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

/// What ends: a membership (its plan) or an enrolment (its course).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Membership,
    Enrollment,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Membership => "membership",
            Subject::Enrollment => "enrollment",
        }
    }
}

/// One membership or enrolment with its end.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ending {
    pub id: i64,
    pub user_id: i64,
    /// The plan's name, or the course's title.
    pub what: String,
    /// The course's slug (enrolments), for the notification's link.
    pub slug: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Up to `limit` of `subject` ending in `(from, to]`, after id `after` (pages of a scan), by id.
/// Memberships count only while active; an enrolment until its end.
pub async fn ending_between(
    db: &Db,
    subject: Subject,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: i64,
    limit: i64,
) -> Result<Vec<Ending>, sqlx::Error> {
    let sql = match subject {
        Subject::Membership => {
            "SELECT id, user_id, plan AS what, NULL AS slug, expires_at FROM memberships \
             WHERE status = 'active' AND expires_at > $1 AND expires_at <= $2 AND id > $3 \
             ORDER BY id LIMIT $4"
        }
        Subject::Enrollment => {
            "SELECT e.id, e.user_id, c.title AS what, c.slug AS slug, e.expires_at \
             FROM enrollments e JOIN courses c ON c.id = e.course_id \
             WHERE e.expires_at IS NOT NULL AND e.expires_at > $1 AND e.expires_at <= $2 \
             AND e.id > $3 ORDER BY e.id LIMIT $4"
        }
    };
    on_pool!(db, pool => sqlx::query_as::<_, Ending>(sql)
        .bind(from).bind(to).bind(after).bind(limit).fetch_all(pool).await)
}

/// Marks active memberships that ended at or before `now` expired; returns how many.
pub async fn expire_memberships(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE memberships SET status = 'expired' WHERE status = 'active' AND expires_at <= $1")
        .bind(now).execute(pool).await.map(|r| r.rows_affected()))
}
