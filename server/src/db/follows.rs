//! Who follows what: course follows (with the mute of an enrolled student), path followers, and
//! the audience of a course's reminder.

use chrono::{DateTime, Utc};

use super::catalog::PUBLIC_COURSE;
use super::Db;
use crate::on_pool;

/// Whether course `id` is in the public catalogue (published, not deleted).
pub async fn public_course_exists(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT COUNT(*) FROM courses c WHERE c.id = $1 AND {PUBLIC_COURSE}");
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(&sql).bind(id).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// Whether path `id` exists and is published.
pub async fn published_path_exists(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM learning_paths WHERE id = $1 AND published = TRUE")
        .bind(id).fetch_one(pool).await)?;
    Ok(n > 0)
}

pub async fn is_enrolled(db: &Db, user_id: i64, course_id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM enrollments WHERE user_id = $1 AND course_id = $2")
        .bind(user_id).bind(course_id).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// Sets the user's row for the course: following (`muted = false`) or muted. One statement, so
/// two parallel follows leave one row.
pub async fn set_course_follow(
    db: &Db,
    user_id: i64,
    course_id: i64,
    muted: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO course_follows (course_id, user_id, muted, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (course_id, user_id) DO UPDATE SET muted = excluded.muted")
        .bind(course_id).bind(user_id).bind(muted).bind(now).execute(pool).await.map(|_| ()))?;
    Ok(())
}

pub async fn delete_course_follow(
    db: &Db,
    user_id: i64,
    course_id: i64,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "DELETE FROM course_follows WHERE course_id = $1 AND user_id = $2")
        .bind(course_id).bind(user_id).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// The user's row for the course: `Some(muted)`, or `None` without one.
pub async fn course_follow(
    db: &Db,
    user_id: i64,
    course_id: i64,
) -> Result<Option<bool>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT muted FROM course_follows WHERE course_id = $1 AND user_id = $2")
        .bind(course_id).bind(user_id).fetch_optional(pool).await)
}

pub async fn follow_path(
    db: &Db,
    user_id: i64,
    path_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO learning_path_followers (path_id, user_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (path_id, user_id) DO NOTHING")
        .bind(path_id).bind(user_id).bind(now).execute(pool).await.map(|_| ()))?;
    Ok(())
}

pub async fn unfollow_path(db: &Db, user_id: i64, path_id: i64) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "DELETE FROM learning_path_followers WHERE path_id = $1 AND user_id = $2")
        .bind(path_id).bind(user_id).execute(pool).await.map(|_| ()))?;
    Ok(())
}

pub async fn follows_path(db: &Db, user_id: i64, path_id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM learning_path_followers WHERE path_id = $1 AND user_id = $2")
        .bind(path_id).bind(user_id).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// The next page of a course's reminder audience: active users with an id above `after`, in id
/// order, each once. The audience is the course's followers, its enrolled students, and the
/// followers of every published path containing it, minus whoever muted the course.
pub async fn audience_page(
    db: &Db,
    course_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    // UNION (not UNION ALL) is what makes a follower of two paths one recipient.
    const SQL: &str = "SELECT a.user_id FROM ( \
           SELECT f.user_id FROM course_follows f WHERE f.course_id = $1 AND f.muted = FALSE \
           UNION SELECT e.user_id FROM enrollments e WHERE e.course_id = $1 \
           UNION SELECT pf.user_id FROM learning_path_followers pf \
             JOIN learning_path_courses pc ON pc.path_id = pf.path_id \
             JOIN learning_paths p ON p.id = pf.path_id \
             WHERE pc.course_id = $1 AND p.published = TRUE \
         ) a JOIN users u ON u.id = a.user_id \
         WHERE a.user_id > $2 AND u.is_active = TRUE AND u.deleted_at IS NULL \
           AND NOT EXISTS (SELECT 1 FROM course_follows m \
             WHERE m.course_id = $1 AND m.user_id = a.user_id AND m.muted = TRUE) \
         ORDER BY a.user_id LIMIT $3";
    on_pool!(db, pool => sqlx::query_scalar(SQL)
        .bind(course_id).bind(after).bind(limit).fetch_all(pool).await)
}
