//! Course-update reminders: content published in a course (`course_updates`), the debounce
//! window open per course (`course_update_windows`), and each window's reminder with its
//! fan-out progress (`course_reminders`). Windows are named by their end, in Unix seconds.

use chrono::{DateTime, Utc};

use super::catalog::PUBLIC_COURSE;
use super::Db;
use crate::on_pool;

/// What kind of content a course gained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Lesson,
    Chapter,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Lesson => "lesson",
            ItemKind::Chapter => "chapter",
        }
    }
}

/// The public course a new lesson (`ItemKind::Lesson`, by its chapter) or chapter belongs to;
/// `None` when that course is not public (a draft gains content silently).
pub async fn public_course_of(
    db: &Db,
    kind: ItemKind,
    item_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = match kind {
        ItemKind::Lesson => format!(
            "SELECT c.id FROM lessons l JOIN chapters ch ON ch.id = l.chapter_id \
             JOIN courses c ON c.id = ch.course_id WHERE l.id = $1 AND {PUBLIC_COURSE}"
        ),
        ItemKind::Chapter => format!(
            "SELECT c.id FROM chapters ch JOIN courses c ON c.id = ch.course_id \
             WHERE ch.id = $1 AND {PUBLIC_COURSE}"
        ),
    };
    on_pool!(db, pool => sqlx::query_scalar(&sql).bind(item_id).fetch_optional(pool).await)
}

/// Records new content and returns the end of the window it joins: the course's open window,
/// or a new one ending at least `debounce_secs` from now (windows end on a whole second) when
/// none is open (or the open one has ended and only waits for its fan-out).
pub async fn record_update(
    db: &Db,
    course_id: i64,
    kind: ItemKind,
    item_id: i64,
    now: DateTime<Utc>,
    debounce_secs: i64,
) -> Result<i64, sqlx::Error> {
    let opens = now.timestamp() + debounce_secs.max(1) + 1;
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO course_updates (course_id, item_kind, item_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(course_id).bind(kind.as_str()).bind(item_id).bind(now)
            .execute(&mut *tx).await?;
        let window: i64 = sqlx::query_scalar(
            "INSERT INTO course_update_windows (course_id, open_until) VALUES ($1, $2) \
             ON CONFLICT (course_id) DO UPDATE SET open_until = CASE \
               WHEN course_update_windows.open_until IS NULL OR course_update_windows.open_until < $3 \
               THEN excluded.open_until ELSE course_update_windows.open_until END \
             RETURNING open_until")
            .bind(course_id).bind(opens).bind(now.timestamp())
            .fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(window)
    })
}

/// The fan-out's progress on a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Reminders are queued for every audience member with an id up to this.
    pub fanned_to: i64,
    pub done: bool,
}

/// Starts the reminder of window `window_end` once: it claims every update of the course not
/// yet in a reminder and closes the window. A second call (a fan-out delivered again) claims
/// nothing and returns the progress so far.
pub async fn claim(
    db: &Db,
    course_id: i64,
    window_end: i64,
    now: DateTime<Utc>,
) -> Result<Progress, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO course_reminders (course_id, window_end, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (course_id, window_end) DO NOTHING")
            .bind(course_id).bind(window_end).bind(now)
            .execute(&mut *tx).await?.rows_affected();
        if inserted == 1 {
            sqlx::query(
                "UPDATE course_updates SET window_end = $2 WHERE course_id = $1 AND window_end IS NULL")
                .bind(course_id).bind(window_end).execute(&mut *tx).await?;
            sqlx::query(
                "UPDATE course_update_windows SET open_until = NULL WHERE course_id = $1 AND open_until = $2")
                .bind(course_id).bind(window_end).execute(&mut *tx).await?;
        }
        let (fanned_to, done): (i64, bool) = sqlx::query_as(
            "SELECT fanned_to, done FROM course_reminders WHERE course_id = $1 AND window_end = $2")
            .bind(course_id).bind(window_end).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(Progress { fanned_to, done })
    })
}

/// Records that reminders up to user `fanned_to` are queued (and, with `done`, all of them).
pub async fn advance(
    db: &Db,
    course_id: i64,
    window_end: i64,
    fanned_to: i64,
    done: bool,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE course_reminders SET fanned_to = $3, done = $4 WHERE course_id = $1 AND window_end = $2")
        .bind(course_id).bind(window_end).bind(fanned_to).bind(done).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// One thing a reminder lists.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Item {
    pub kind: String,
    pub title: String,
}

/// What window `window_end` of the course lists, in publishing order (deleted content is left
/// out).
pub async fn items(db: &Db, course_id: i64, window_end: i64) -> Result<Vec<Item>, sqlx::Error> {
    const SQL: &str = "SELECT u.item_kind AS kind, COALESCE(l.title, ch.title) AS title \
         FROM course_updates u \
         LEFT JOIN lessons l ON u.item_kind = 'lesson' AND l.id = u.item_id \
         LEFT JOIN chapters ch ON u.item_kind = 'chapter' AND ch.id = u.item_id \
         WHERE u.course_id = $1 AND u.window_end = $2 AND COALESCE(l.title, ch.title) IS NOT NULL \
         ORDER BY u.id";
    on_pool!(db, pool => sqlx::query_as(SQL).bind(course_id).bind(window_end).fetch_all(pool).await)
}

/// Whether window `window_end` of the course lists anything.
pub async fn has_items(db: &Db, course_id: i64, window_end: i64) -> Result<bool, sqlx::Error> {
    Ok(!items(db, course_id, window_end).await?.is_empty())
}

/// Title and slug of a public course (a reminder for a course withdrawn since is not sent).
pub async fn public_course(
    db: &Db,
    course_id: i64,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let sql = format!("SELECT c.title, c.slug FROM courses c WHERE c.id = $1 AND {PUBLIC_COURSE}");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(course_id).fetch_optional(pool).await)
}
