//! `POST` / `DELETE /api/v1/courses/{id}/follow` and `/api/v1/paths/{id}/follow`: the caller
//! follows (201) or stops following (204) a public course or a published path. Both are
//! idempotent; an unknown, unpublished or malformed id is 404; anonymous callers get 401.

use app::dto::{FollowState, FollowTarget};
use app::error::AppError;
use app::ports::FollowService;
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use super::actor::Actor;
use super::problem::Problem;
use crate::follows::Follows;

fn parse(raw: &str, target: FollowTarget) -> Result<i64, Problem> {
    let what = match target {
        FollowTarget::Course => "course",
        FollowTarget::Path => "learning path",
    };
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem(AppError::NotFound(what.into())))
}

async fn follow(
    follows: Follows,
    actor: Actor,
    target: FollowTarget,
    raw: String,
    location: String,
) -> Result<Response, Problem> {
    let id = parse(&raw, target)?;
    follows.follow(actor.user_id, target, id).await?;
    let state = follows.state(actor.user_id, target, id).await?;
    let mut response = (StatusCode::CREATED, Json::<FollowState>(state)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn unfollow(
    follows: Follows,
    actor: Actor,
    target: FollowTarget,
    raw: String,
) -> Result<StatusCode, Problem> {
    let id = parse(&raw, target)?;
    follows.unfollow(actor.user_id, target, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn follow_course(
    State(follows): State<Follows>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let location = format!("/api/v1/courses/{id}/follow");
    follow(follows, actor, FollowTarget::Course, id, location).await
}

pub async fn unfollow_course(
    State(follows): State<Follows>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    unfollow(follows, actor, FollowTarget::Course, id).await
}

pub async fn follow_path(
    State(follows): State<Follows>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let location = format!("/api/v1/paths/{id}/follow");
    follow(follows, actor, FollowTarget::Path, id, location).await
}

pub async fn unfollow_path(
    State(follows): State<Follows>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    unfollow(follows, actor, FollowTarget::Path, id).await
}

/// The four routes with their OpenAPI operations.
pub fn register(api: &mut super::registry::ApiBuilder) {
    use super::openapi::schema::{created, rate_headers};
    use super::registry::{Auth, Operation};
    use axum::http::Method;
    use serde_json::{json, Value};

    let state = json!({"type": "object", "required": ["following", "enrolled"], "properties": {
        "following": {"type": "boolean"},
        "enrolled": {"type": "boolean",
            "description": "Enrolled students follow their courses unless they mute them."}
    }});
    let on = |one: &str, what: &str, state: &Value| {
        Operation::new(format!("follow_{one}"), "follows", format!("Follow {what}"))
            .auth(Auth::Required)
            .describe(
                "New lessons are then reminded. Idempotent: following twice is following once.",
            )
            .response(201, created(state.clone()))
    };
    let off = |one: &str, what: &str| {
        Operation::new(
            format!("unfollow_{one}"),
            "follows",
            format!("Stop following {what}"),
        )
        .auth(Auth::Required)
        .describe("Idempotent. For a course the caller is enrolled in, this mutes its reminders.")
        .response(
            204,
            json!({"description": "Not following.", "headers": rate_headers()}),
        )
    };
    let (course, path) = ("a public course", "a published learning path");
    api.route(
        Method::POST,
        "/api/v1/courses/{id}/follow",
        follow_course,
        on("course", course, &state),
    );
    api.route(
        Method::DELETE,
        "/api/v1/courses/{id}/follow",
        unfollow_course,
        off("course", course),
    );
    api.route(
        Method::POST,
        "/api/v1/paths/{id}/follow",
        follow_path,
        on("path", path, &state),
    );
    api.route(
        Method::DELETE,
        "/api/v1/paths/{id}/follow",
        unfollow_path,
        off("path", path),
    );
}
