//! `GET` / `PUT /api/v1/lessons/{id}/progress`: the caller's progress in a lesson, read and
//! saved through the learning service the lesson page uses (one upsert per save, rate limited
//! per user: 429 with `Retry-After`). A lesson the caller may not see is 403, one that does not
//! exist (or whose course is not public) 404, anonymous callers 401. The lesson itself,
//! `GET /api/v1/lessons/{id}`, is the model resource, whose content obeys the same access rule
//! (`learning::access`).

use app::dto::{LessonProgress, ProgressInput};
use app::error::AppError;
use app::ports::LearningService;
use axum::extract::{Path, State};
use axum::Json;

use super::actor::Actor;
use super::problem::{ApiJson, Problem};
use crate::learning::Learning;
use crate::state::AppState;

fn lesson_id(raw: &str) -> Result<i64, Problem> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem(AppError::NotFound("lesson".into())))
}

pub async fn get_progress(
    State(state): State<AppState>,
    State(learning): State<Learning>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<LessonProgress>, Problem> {
    let id = lesson_id(&id)?;
    let who = actor.principal(&state).await?;
    Ok(Json(learning.progress(&who, id).await?))
}

pub async fn put_progress(
    State(state): State<AppState>,
    State(learning): State<Learning>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ProgressInput>,
) -> Result<Json<LessonProgress>, Problem> {
    let id = lesson_id(&id)?;
    let who = actor.principal(&state).await?;
    Ok(Json(learning.save_progress(&who, id, input).await?))
}

/// The two routes with their OpenAPI operations.
pub fn register(api: &mut super::registry::ApiBuilder) {
    use super::openapi::schema::{ok, problem_ref};
    use super::registry::{Auth, Operation};
    use axum::http::Method;
    use serde_json::json;

    let time = json!({"type": ["string", "null"], "format": "date-time"});
    api.schema(
        "LessonProgress",
        json!({"type": "object", "additionalProperties": false,
            "required": ["lesson_id", "position_secs", "furthest_secs", "watched_secs", "done",
                "completed_at", "updated_at"],
            "properties": {
                "lesson_id": {"type": "integer"},
                "position_secs": {"type": "integer", "minimum": 0,
                    "description": "Where the next visit resumes: the latest save's position."},
                "furthest_secs": {"type": "integer", "minimum": 0,
                    "description": "The furthest position ever saved."},
                "watched_secs": {"type": "integer", "minimum": 0},
                "done": {"type": "boolean", "description": "Once done, always done."},
                "completed_at": time.clone(),
                "updated_at": time}}),
    );
    api.schema(
        "ProgressInput",
        json!({"type": "object", "additionalProperties": false, "properties": {
            "position_secs": {"type": "integer", "minimum": 0, "maximum": 172_800},
            "watched_secs": {"type": "integer", "minimum": 0, "maximum": 172_800},
            "done": {"type": "boolean",
                "description": "Marks the lesson done (videos are also done at 90% of their length)."}}}),
    );
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    api.route(
        Method::GET,
        "/api/v1/lessons/{id}/progress",
        get_progress,
        Operation::new(
            "get_lesson_progress",
            "lessons",
            "The caller's progress in a lesson",
        )
        .auth(Auth::Required)
        .describe("Zeros for a lesson not started. 403 for a lesson the caller may not see.")
        .response(200, ok(r("LessonProgress"), false))
        .response(403, problem_ref(403)),
    );
    api.route(
        Method::PUT,
        "/api/v1/lessons/{id}/progress",
        put_progress,
        Operation::new(
            "put_lesson_progress",
            "lessons",
            "Save the caller's progress in a lesson",
        )
        .auth(Auth::Required)
        .describe(
            "One upsert: the resume position is this save's, the furthest position and \
                 the seconds watched never go back, and a lesson once done stays done, so two \
                 tabs saving at once lose nothing. Rate limited per user (`PROGRESS_THROTTLE`).",
        )
        .body(r("ProgressInput"))
        .response(200, ok(r("LessonProgress"), false))
        .response(403, problem_ref(403))
        .response(422, problem_ref(422))
        .response(429, problem_ref(429)),
    );
}
