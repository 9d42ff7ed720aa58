//! Learning paths, follows and mail settings as clients see them.

use serde::{Deserialize, Serialize};

use super::CourseCard;

/// One published path in the `/paths` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Its public courses.
    pub course_count: i64,
}

/// A path's page: its public courses in the path's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathDetail {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub courses: Vec<CourseCard>,
}

/// What can be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FollowTarget {
    Course,
    Path,
}

/// The caller's follow of one course or path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowState {
    pub following: bool,
    /// An enrolled student follows the course without asking; unfollowing mutes it.
    pub enrolled: bool,
}

/// One kind of mail and whether the user gets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSetting {
    /// `course.update` (see [`crate::domain::mail::MailKind`]).
    pub kind: String,
    pub label: String,
    pub enabled: bool,
}

/// Why the caller may (or may not) see a lesson's content: the one access rule's answer
/// (`server/src/learning/access.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonAccess {
    /// Staff holding `lesson.view`.
    Staff,
    /// An enrolment in the course that has not ended.
    Enrolled,
    /// A free-preview lesson: anybody.
    Preview,
    /// Everyone else: the outline and "buy to continue".
    Locked,
}

impl LessonAccess {
    pub fn is_open(self) -> bool {
        !matches!(self, LessonAccess::Locked)
    }
}

/// A lesson's state in the outline, for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlineState {
    Done,
    InProgress,
    /// Open to the caller, not started.
    Open,
    Locked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutlineLesson {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub duration_secs: i64,
    pub free_preview: bool,
    pub state: OutlineState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutlineChapter {
    pub id: i64,
    pub title: String,
    pub lessons: Vec<OutlineLesson>,
}

/// The caller's progress in one lesson (`GET/PUT /api/v1/lessons/{id}/progress`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    pub lesson_id: i64,
    /// Where the next visit resumes (the latest save).
    pub position_secs: i64,
    /// The furthest point ever reached.
    pub furthest_secs: i64,
    pub watched_secs: i64,
    pub done: bool,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One save from a lesson page or an API client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressInput {
    /// Seconds into the video (0 for articles and labs).
    #[serde(default)]
    pub position_secs: i64,
    /// Seconds this client has watched of the lesson in all (never less than before).
    #[serde(default)]
    pub watched_secs: i64,
    /// The student marked the lesson done, a video reached 90% or an article its end.
    #[serde(default)]
    pub done: bool,
}

/// What the lesson shows, for a caller who may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LessonBody {
    /// Sanitised HTML (Markdown rendered, code highlighted on the server).
    Article { html: String },
    /// `src` is an HTTP source, or a signed short-lived URL under `/media/`.
    Video {
        src: Option<String>,
        notes_html: String,
    },
    /// `terminal_host_id` is the practice host when one is set (`None`: labs are not
    /// configured).
    Lab {
        html: String,
        terminal_host_id: Option<i64>,
    },
}

/// `/learn/{course_slug}/{lesson_id}`: the outline, the lesson, its neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonPage {
    pub course_id: i64,
    pub course_slug: String,
    pub course_title: String,
    pub price_cents: i64,
    pub lesson_id: i64,
    pub title: String,
    pub kind: String,
    pub duration_secs: i64,
    pub access: LessonAccess,
    /// `None` when the access is [`LessonAccess::Locked`].
    pub body: Option<LessonBody>,
    /// The signed-in caller's progress here, if any.
    pub progress: Option<LessonProgress>,
    pub signed_in: bool,
    pub outline: Vec<OutlineChapter>,
    pub prev: Option<i64>,
    pub next: Option<i64>,
    /// The course done by the caller, 0–100 (0 for anonymous visitors).
    pub course_percent: i64,
}

/// A course's progress for a student (`/account/courses`, `GET /api/v1/enrollments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseProgress {
    pub course_id: i64,
    pub lessons: i64,
    pub done: i64,
    /// `done * 100 / lessons`, rounded down; 0 for a course without lessons.
    pub percent: i64,
    /// The lesson to continue with: the last one saved (`None`: not started).
    pub resume_lesson_id: Option<i64>,
    pub last_activity: Option<chrono::DateTime<chrono::Utc>>,
}

/// One student's review of a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub id: i64,
    pub course_id: i64,
    pub username: String,
    /// 1–5.
    pub rating: i64,
    pub body: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A review as written (`PUT /api/v1/courses/{id}/reviews/mine`, the course page's form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub rating: i64,
    #[serde(default)]
    pub body: String,
}

/// A page of a course's reviews with the course's count and average.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewPage {
    /// Reviews matching the filter (all of them without one).
    pub matching: i64,
    /// All reviews of the course, and their average rating (`None` without reviews).
    pub total: i64,
    pub average: Option<f64>,
    pub items: Vec<ReviewView>,
}

/// The course page's learning line: reviews, and the caller's progress when enrolled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseLearning {
    pub reviews: i64,
    pub average: Option<f64>,
    pub progress: Option<CourseProgress>,
    /// The first lesson, where "start learning" goes.
    pub first_lesson_id: Option<i64>,
}
