//! Learning paths, follows and per-user mail settings (course-update reminders).
//!
//! Callers are resolved by the adapter: anybody may read paths; follows and settings act for
//! the signed-in user, named by id.

use async_trait::async_trait;

use crate::domain::Principal;
use crate::dto::{
    CourseLearning, CourseProgress, FollowState, FollowTarget, LessonPage, LessonProgress,
    MailSetting, PathDetail, PathSummary, ProgressInput, ReviewInput, ReviewPage, ReviewView,
};
use crate::error::AppError;

/// The public learning paths (published ones, with their public courses).
#[async_trait]
pub trait PathService: Send + Sync {
    async fn list_paths(&self) -> Result<Vec<PathSummary>, AppError>;
    async fn path_by_slug(&self, slug: &str) -> Result<PathDetail, AppError>;
}

/// Following courses and paths, and the user's mail settings.
#[async_trait]
pub trait FollowService: Send + Sync {
    /// Follows a public course or a published path (404 otherwise); following twice is
    /// following once.
    async fn follow(&self, user_id: i64, target: FollowTarget, id: i64) -> Result<(), AppError>;
    /// Stops following (an enrolled student's course is muted); idempotent, 404 like `follow`.
    async fn unfollow(&self, user_id: i64, target: FollowTarget, id: i64) -> Result<(), AppError>;
    async fn state(
        &self,
        user_id: i64,
        target: FollowTarget,
        id: i64,
    ) -> Result<FollowState, AppError>;
    /// Every mail kind with the user's choice (or its default).
    async fn mail_settings(&self, user_id: i64) -> Result<Vec<MailSetting>, AppError>;
    /// Switches one kind on or off; an unknown kind is a 422 on `kind`.
    async fn set_mail_setting(
        &self,
        user_id: i64,
        kind: &str,
        enabled: bool,
    ) -> Result<Vec<MailSetting>, AppError>;
}

/// Lessons and progress: one access rule decides what a caller sees (`None`: anonymous).
#[async_trait]
pub trait LearningService: Send + Sync {
    /// The lesson page of a public course (staff with `lesson.view`: any course); 404 for a
    /// lesson that is not the course's.
    async fn lesson_page(
        &self,
        who: Option<&Principal>,
        course_slug: &str,
        lesson_id: i64,
    ) -> Result<LessonPage, AppError>;
    /// The caller's progress in a lesson they may see (403 for a locked one).
    async fn progress(&self, who: &Principal, lesson_id: i64) -> Result<LessonProgress, AppError>;
    /// One save: one upsert, rate limited per user; "done" and the furthest point never go back,
    /// the resume position is the latest save's.
    async fn save_progress(
        &self,
        who: &Principal,
        lesson_id: i64,
        input: ProgressInput,
    ) -> Result<LessonProgress, AppError>;
    /// The caller's progress in each of the courses named.
    async fn course_progress(
        &self,
        user_id: i64,
        course_ids: &[i64],
    ) -> Result<Vec<CourseProgress>, AppError>;
    /// A page of a public course's reviews (404 for a course that is not public), newest first,
    /// optionally of one rating.
    async fn reviews(
        &self,
        course_id: i64,
        rating: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<ReviewPage, AppError>;
    /// Writes the caller's one review of the course (403 unless enrolled now); true when new.
    async fn save_review(
        &self,
        who: &Principal,
        course_id: i64,
        input: ReviewInput,
    ) -> Result<(ReviewView, bool), AppError>;
    /// A public course's review count and average, the caller's progress when enrolled now,
    /// and its first lesson.
    async fn course_learning(
        &self,
        who: Option<&Principal>,
        course_id: i64,
    ) -> Result<CourseLearning, AppError>;
}
