//! Course Q&A (`questions`, `answers`): asking and answering, and what the overdue schedule
//! reads (questions without a visible answer, by the teacher who owns the course).

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

/// Asks a question on `course_id` (and optionally one of its lessons); returns its id.
pub async fn ask(
    db: &Db,
    course_id: i64,
    lesson_id: Option<i64>,
    user_id: i64,
    title: &str,
    body_md: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "INSERT INTO questions (course_id, lesson_id, user_id, title, body_md, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id")
        .bind(course_id).bind(lesson_id).bind(user_id).bind(title).bind(body_md).bind(now)
        .fetch_one(pool).await)
}

/// Answers question `question_id`; returns the answer's id.
pub async fn answer(
    db: &Db,
    question_id: i64,
    user_id: i64,
    body_md: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "INSERT INTO answers (question_id, user_id, body_md, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id")
        .bind(question_id).bind(user_id).bind(body_md).bind(now).fetch_one(pool).await)
}

/// Hides (moderation) or shows an answer.
pub async fn set_answer_hidden(db: &Db, answer_id: i64, hidden: bool) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query("UPDATE answers SET hidden = $2 WHERE id = $1")
        .bind(answer_id).bind(hidden).execute(pool).await.map(|_| ()))
}

/// A question nobody has answered (visibly) yet, with the teacher it waits for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unanswered {
    pub teacher_user_id: i64,
    pub question_id: i64,
    pub title: String,
    pub course_title: String,
    pub course_slug: String,
    pub asked_at: DateTime<Utc>,
}

/// Visible questions asked at or before `asked_before` with no visible and no accepted answer,
/// on courses whose teacher has an account; by teacher, oldest first, at most `limit`.
pub async fn unanswered_before(
    db: &Db,
    asked_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Unanswered>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as::<_, Unanswered>(
        "SELECT t.user_id AS teacher_user_id, q.id AS question_id, q.title, \
                c.title AS course_title, c.slug AS course_slug, q.created_at AS asked_at \
         FROM questions q \
         JOIN courses c ON c.id = q.course_id \
         JOIN teachers t ON t.id = c.teacher_id \
         WHERE t.user_id IS NOT NULL AND c.deleted_at IS NULL \
           AND q.hidden = FALSE AND q.accepted_answer_id IS NULL AND q.created_at <= $1 \
           AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.question_id = q.id AND a.hidden = FALSE) \
         ORDER BY t.user_id, q.created_at, q.id LIMIT $2")
        .bind(asked_before).bind(limit).fetch_all(pool).await)
}
