//! Learning: lesson pages, the access rule, progress.
//!
//! - [`access`]: the one rule of who sees a lesson's content (the page, the API, saves).
//! - [`Learning`] (this file and [`page`]): the service the lesson page's server functions and
//!   the REST handlers (`rest::lessons`) share.
//! - [`highlight`]: article Markdown with code highlighted on the server.
//! - [`media`]: signed, short-lived media URLs and the `/media/` route (range requests).
//! - [`reviews`]: course reviews (1-5, once per enrolled student, editable).
//! - [`settings`]: `MEDIA_*`, `PROGRESS_THROTTLE`.

pub mod access;
pub mod highlight;
pub mod media;
mod page;
pub mod reviews;
pub mod settings;

use app::domain::Principal;
use app::dto::{
    CourseLearning, CourseProgress, LessonPage, LessonProgress, ProgressInput, ReviewInput,
    ReviewPage, ReviewView,
};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use app::ports::LearningService;
use async_trait::async_trait;
use chrono::Utc;

use crate::db::progress::{ProgressRow, Save};
use crate::db::Db;
use crate::error::ResultExt;
use crate::rest::throttle::ApiThrottle;
use settings::LearningSettings;

/// The longest position or watch time a save may carry (two days of video).
const MAX_SECS: i64 = 2 * 86_400;

#[derive(Clone)]
pub struct Learning {
    db: Db,
    media: media::Media,
    throttle: ApiThrottle,
    settings: LearningSettings,
}

impl Learning {
    pub fn new(
        db: Db,
        media: media::Media,
        throttle: ApiThrottle,
        settings: LearningSettings,
    ) -> Self {
        Self {
            db,
            media,
            throttle,
            settings,
        }
    }

    pub fn media(&self) -> &media::Media {
        &self.media
    }

    /// The lesson and the caller's access to it; 404 for a lesson of a course that is not
    /// public, unless the caller is staff.
    async fn lesson_for(
        &self,
        who: Option<&Principal>,
        lesson_id: i64,
    ) -> Result<(crate::db::lessons::LessonRow, app::dto::LessonAccess), AppError> {
        let staff = access::is_staff(who);
        let lesson = crate::db::lessons::lesson(&self.db, lesson_id)
            .await
            .db_err("lesson")?
            .filter(|l| l.course_public || staff)
            .ok_or_else(|| AppError::NotFound("lesson".into()))?;
        let enrolled = access::enrolled(&self.db, who, lesson.course_id, Utc::now()).await?;
        let access = access::decide(staff, enrolled, lesson.free_preview);
        Ok((lesson, access))
    }
}

pub(crate) fn progress_view(lesson_id: i64, row: Option<ProgressRow>) -> LessonProgress {
    match row {
        Some(r) => LessonProgress {
            lesson_id: r.lesson_id,
            position_secs: r.position_secs,
            furthest_secs: r.furthest_secs,
            watched_secs: r.watched_secs,
            done: r.completed_at.is_some(),
            completed_at: r.completed_at,
            updated_at: Some(r.updated_at),
        },
        None => LessonProgress {
            lesson_id,
            position_secs: 0,
            furthest_secs: 0,
            watched_secs: 0,
            done: false,
            completed_at: None,
            updated_at: None,
        },
    }
}

fn check_input(input: &ProgressInput) -> Result<(), AppError> {
    let mut errors = Vec::new();
    for (field, value) in [
        ("position_secs", input.position_secs),
        ("watched_secs", input.watched_secs),
    ] {
        if !(0..=MAX_SECS).contains(&value) {
            errors.push(FieldError::new(
                field,
                td_string!(
                    app::locale::current(),
                    errors.lesson_secs_range,
                    max = MAX_SECS
                )
                .to_string(),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

#[async_trait]
impl LearningService for Learning {
    async fn lesson_page(
        &self,
        who: Option<&Principal>,
        course_slug: &str,
        lesson_id: i64,
    ) -> Result<LessonPage, AppError> {
        page::build(self, who, course_slug, lesson_id).await
    }

    async fn progress(&self, who: &Principal, lesson_id: i64) -> Result<LessonProgress, AppError> {
        let (_, access) = self.lesson_for(Some(who), lesson_id).await?;
        if !access.is_open() {
            return Err(AppError::Forbidden);
        }
        let row = crate::db::progress::one(&self.db, who.user_id, lesson_id)
            .await
            .db_err("progress")?;
        Ok(progress_view(lesson_id, row))
    }

    async fn save_progress(
        &self,
        who: &Principal,
        lesson_id: i64,
        input: ProgressInput,
    ) -> Result<LessonProgress, AppError> {
        check_input(&input)?;
        if let Some(rate) = self.settings.progress_rate {
            let decision = self
                .throttle
                .hit("progress", &who.user_id.to_string(), rate)
                .await;
            if decision.unavailable {
                return Err(AppError::Unavailable);
            }
            if !decision.allowed {
                return Err(AppError::RateLimited {
                    retry_after_secs: decision.reset_secs,
                });
            }
        }
        let (lesson, access) = self.lesson_for(Some(who), lesson_id).await?;
        if !access.is_open() {
            return Err(AppError::Forbidden);
        }
        let now = Utc::now();
        // A video is done at 90% of its length (when the lesson knows it); the page also says
        // so from the media's own duration.
        let watched_enough = lesson.kind == "video"
            && lesson.duration_secs > 0
            && input.position_secs * 10 >= lesson.duration_secs * 9;
        let save = Save {
            position_secs: input.position_secs,
            watched_secs: input.watched_secs,
            completed_at: (input.done || watched_enough).then_some(now),
            now,
        };
        let row = crate::db::progress::upsert(&self.db, who.user_id, lesson_id, save)
            .await
            .db_err("progress")?;
        Ok(progress_view(lesson_id, Some(row)))
    }

    async fn course_progress(
        &self,
        user_id: i64,
        course_ids: &[i64],
    ) -> Result<Vec<CourseProgress>, AppError> {
        course_progress(&self.db, user_id, course_ids).await
    }

    async fn reviews(
        &self,
        course_id: i64,
        rating: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<ReviewPage, AppError> {
        reviews::page(&self.db, course_id, rating, limit, offset).await
    }

    async fn course_learning(
        &self,
        who: Option<&Principal>,
        course_id: i64,
    ) -> Result<CourseLearning, AppError> {
        let page = reviews::page(&self.db, course_id, None, 0, 0).await?;
        let progress = match who {
            Some(p) if access::enrolled(&self.db, who, course_id, Utc::now()).await? => {
                course_progress(&self.db, p.user_id, &[course_id])
                    .await?
                    .into_iter()
                    .next()
            }
            _ => None,
        };
        let first_lesson_id = crate::db::lessons::outline(&self.db, course_id)
            .await
            .db_err("lessons")?
            .first()
            .map(|r| r.lesson_id);
        Ok(CourseLearning {
            reviews: page.total,
            average: page.average,
            progress,
            first_lesson_id,
        })
    }

    async fn save_review(
        &self,
        who: &Principal,
        course_id: i64,
        input: ReviewInput,
    ) -> Result<(ReviewView, bool), AppError> {
        reviews::save(&self.db, who, course_id, input).await
    }
}

/// The user's progress in each course named, in that order (the orders service's "my courses"
/// and `GET /api/v1/enrollments` read it too).
pub async fn course_progress(
    db: &Db,
    user_id: i64,
    course_ids: &[i64],
) -> Result<Vec<CourseProgress>, AppError> {
    let counts = crate::db::progress::counts(db, user_id)
        .await
        .db_err("progress")?;
    let latest = crate::db::progress::latest(db, user_id)
        .await
        .db_err("progress")?;
    Ok(course_ids
        .iter()
        .map(|&course_id| {
            let count = counts.iter().find(|c| c.course_id == course_id);
            let (lessons, done) = count.map_or((0, 0), |c| (c.lessons, c.done));
            let last = latest.iter().find(|l| l.course_id == course_id);
            CourseProgress {
                course_id,
                lessons,
                done,
                percent: percent(done, lessons),
                resume_lesson_id: last.map(|l| l.lesson_id),
                last_activity: last.map(|l| l.updated_at),
            }
        })
        .collect())
}

/// `done` of `lessons` as a whole percentage, rounded down.
pub fn percent(done: i64, lessons: i64) -> i64 {
    if lessons <= 0 {
        0
    } else {
        (done.clamp(0, lessons) * 100) / lessons
    }
}

/// `practice_access` of WebSSH: a student enrolled now in a course with a lab lesson naming the
/// host.
pub async fn practice_access(db: &Db, host_id: i64, user_id: i64) -> Result<bool, AppError> {
    crate::db::lessons::practice_host_open(db, host_id, user_id, Utc::now())
        .await
        .db_err("practice host")
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_round_down() {
        assert_eq!(super::percent(0, 0), 0);
        assert_eq!(super::percent(1, 3), 33);
        assert_eq!(super::percent(2, 3), 66);
        assert_eq!(super::percent(3, 3), 100);
        assert_eq!(super::percent(5, 3), 100);
    }
}
