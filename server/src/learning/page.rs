//! The lesson page's data: the course outline with the caller's states, the lesson's body when
//! the access rule lets the caller in, its neighbours and the course percentage.

use app::domain::Principal;
use app::dto::{LessonBody, LessonPage, OutlineChapter, OutlineLesson, OutlineState};
use app::error::AppError;
use chrono::Utc;

use super::{access, highlight, percent, progress_view, Learning};
use crate::error::ResultExt;

pub async fn build(
    svc: &Learning,
    who: Option<&Principal>,
    course_slug: &str,
    lesson_id: i64,
) -> Result<LessonPage, AppError> {
    let db = &svc.db;
    let staff = access::is_staff(who);
    let course = crate::db::lessons::course_by_slug(db, course_slug)
        .await
        .db_err("course")?
        .filter(|c| c.public || staff)
        .ok_or_else(|| AppError::NotFound("course".into()))?;
    let rows = crate::db::lessons::outline(db, course.id)
        .await
        .db_err("lessons")?;
    let Some(here) = rows.iter().position(|r| r.lesson_id == lesson_id) else {
        return Err(AppError::NotFound("lesson".into()));
    };
    let enrolled = access::enrolled(db, who, course.id, Utc::now()).await?;
    let progress = match who {
        Some(p) => crate::db::progress::in_course(db, p.user_id, course.id)
            .await
            .db_err("progress")?,
        None => Vec::new(),
    };
    let mut outline: Vec<OutlineChapter> = Vec::new();
    for row in &rows {
        let open = access::decide(staff, enrolled, row.free_preview).is_open();
        let saved = progress.iter().find(|p| p.lesson_id == row.lesson_id);
        let state = match saved {
            _ if !open => OutlineState::Locked,
            Some(p) if p.completed_at.is_some() => OutlineState::Done,
            Some(_) => OutlineState::InProgress,
            None => OutlineState::Open,
        };
        let lesson = OutlineLesson {
            id: row.lesson_id,
            title: row.title.clone(),
            kind: row.kind.clone(),
            duration_secs: row.duration_secs,
            free_preview: row.free_preview,
            state,
        };
        match outline.last_mut() {
            Some(ch) if ch.id == row.chapter_id => ch.lessons.push(lesson),
            _ => outline.push(OutlineChapter {
                id: row.chapter_id,
                title: row.chapter_title.clone(),
                lessons: vec![lesson],
            }),
        }
    }
    let lesson = crate::db::lessons::lesson(db, lesson_id)
        .await
        .db_err("lesson")?
        .ok_or_else(|| AppError::NotFound("lesson".into()))?;
    let access = access::decide(staff, enrolled, lesson.free_preview);
    let body = access.is_open().then(|| match lesson.kind.as_str() {
        "video" => LessonBody::Video {
            src: lesson
                .video_url
                .as_deref()
                .and_then(|u| svc.media.playable(u)),
            notes_html: highlight::render_article(&lesson.content_md),
        },
        "lab" => LessonBody::Lab {
            html: highlight::render_article(&lesson.content_md),
            terminal_host_id: lesson.practice_host_id,
        },
        _ => LessonBody::Article {
            html: highlight::render_article(&lesson.content_md),
        },
    });
    let done = progress.iter().filter(|p| p.completed_at.is_some()).count();
    let done = i64::try_from(done).unwrap_or(i64::MAX);
    let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let mine = progress.iter().find(|p| p.lesson_id == lesson_id).cloned();
    Ok(LessonPage {
        course_id: course.id,
        course_slug: course.slug,
        course_title: course.title,
        price_cents: course.price_cents,
        lesson_id,
        title: lesson.title,
        kind: lesson.kind,
        duration_secs: lesson.duration_secs,
        access,
        body,
        progress: who.map(|_| progress_view(lesson_id, mine)),
        signed_in: who.is_some(),
        outline,
        prev: here
            .checked_sub(1)
            .and_then(|i| rows.get(i))
            .map(|r| r.lesson_id),
        next: rows.get(here + 1).map(|r| r.lesson_id),
        course_percent: percent(done, total),
    })
}
