//! The lesson page's calls: its data, and progress saves. Thin calls into the learning service,
//! which the REST API (`/api/v1/lessons/{id}/progress`) shares; the service applies the access
//! rule and the per-user rate limit.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::dto::{LessonPage, LessonProgress};
use crate::error::AppError;

/// The lesson page for whoever asks (anonymous visitors see the outline and "buy to continue").
#[server(prefix = "/fn", endpoint = "learn/lesson", input = Json)]
pub async fn get_lesson_page(course_slug: String, lesson_id: i64) -> Result<LessonPage, AppError> {
    let services = crate::ports::services()?;
    let who = services.authz.principal(&crate::ports::session()?).await?;
    services
        .learning
        .lesson_page(who.as_ref(), &course_slug, lesson_id)
        .await
}

/// One save of the caller's progress (a form post, so `navigator.sendBeacon` can send it when
/// the page is left).
#[server(prefix = "/fn", endpoint = "learn/progress")]
pub async fn save_progress(
    lesson_id: i64,
    position_secs: i64,
    watched_secs: i64,
    done: bool,
) -> Result<LessonProgress, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services
        .learning
        .save_progress(
            &who,
            lesson_id,
            crate::dto::ProgressInput {
                position_secs,
                watched_secs,
                done,
            },
        )
        .await
}

/// The course page's reviews line and, for an enrolled student, the course percentage.
#[server(prefix = "/fn", endpoint = "learn/course", input = Json)]
pub async fn get_course_learning(course_id: i64) -> Result<crate::dto::CourseLearning, AppError> {
    let services = crate::ports::services()?;
    let who = services.authz.principal(&crate::ports::session()?).await?;
    services
        .learning
        .course_learning(who.as_ref(), course_id)
        .await
}
