//! `GET /api/v1/courses/{id}/reviews` (anybody; the usual paging, `rating=1..5`, newest first;
//! with the course's `average` and `total`) and `PUT /api/v1/courses/{id}/reviews/mine` (the
//! caller's one review: 201 when new, 200 when edited; 403 unless enrolled now; 404 for a
//! course that is not public).

use app::dto::{ReviewInput, ReviewView};
use app::error::{AppError, FieldError};
use app::ports::LearningService;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::actor::Actor;
use super::problem::{bad_params, ApiJson, Problem};
use super::{links, params};
use crate::learning::Learning;
use crate::state::AppState;

fn course_id(raw: &str) -> Result<i64, Problem> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem(AppError::NotFound("course".into())))
}

pub async fn list(
    State(state): State<AppState>,
    State(learning): State<Learning>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let id = course_id(&id)?;
    let pairs = params::pairs(uri.query());
    let mut errors = Vec::new();
    let paging = params::paging(&pairs, &mut errors);
    let mut rating = None;
    for (key, value) in &pairs {
        match key.as_str() {
            "limit" | "offset" | "page" | "per_page" => {}
            "rating" => match value.parse::<i64>() {
                Ok(n) if (1..=5).contains(&n) => rating = Some(n),
                _ => errors.push(FieldError::new("rating", "a whole number from 1 to 5")),
            },
            other => errors.push(FieldError::new(
                other,
                "unknown query parameter; this list takes rating and paging",
            )),
        }
    }
    if !errors.is_empty() {
        return Ok(bad_params(&errors));
    }
    let (limit, offset) = paging.limit_offset();
    let page = learning
        .reviews(
            id,
            rating,
            i64::try_from(limit).unwrap_or(100),
            i64::try_from(offset).unwrap_or(i64::MAX),
        )
        .await?;
    let base = links::base(&state.settings, &headers);
    let count = u64::try_from(page.matching).unwrap_or(0);
    let (next, previous) = links::page_links(&base, uri.path(), &pairs, paging, count);
    Ok(Json(json!({
        "count": count,
        "next": next,
        "previous": previous,
        "total": page.total,
        "average": page.average,
        "results": page.items,
    }))
    .into_response())
}

pub async fn put_mine(
    State(state): State<AppState>,
    State(learning): State<Learning>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> Result<Response, Problem> {
    let id = course_id(&id)?;
    let who = actor.principal(&state).await?;
    let (review, created): (ReviewView, bool) = learning.save_review(&who, id, input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(review)).into_response())
}

/// The two routes with their OpenAPI operations.
pub fn register(api: &mut super::registry::ApiBuilder) {
    use super::openapi::schema::{ok, paging_params, problem_ref, query_param, rate_headers};
    use super::registry::{Auth, Operation};
    use axum::http::Method;

    let time = json!({"type": "string", "format": "date-time"});
    api.schema(
        "Review",
        json!({"type": "object", "additionalProperties": false,
            "required": ["id", "course_id", "username", "rating", "body", "created_at", "updated_at"],
            "properties": {"id": {"type": "integer"}, "course_id": {"type": "integer"},
                "username": {"type": "string"},
                "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                "body": {"type": "string"}, "created_at": time.clone(), "updated_at": time}}),
    );
    api.schema(
        "ReviewInput",
        json!({"type": "object", "additionalProperties": false, "required": ["rating"],
            "properties": {"rating": {"type": "integer", "minimum": 1, "maximum": 5},
                "body": {"type": "string", "maxLength": 4000}}}),
    );
    let link = json!({"type": ["string", "null"], "format": "uri"});
    api.schema(
        "ReviewList",
        json!({"type": "object", "additionalProperties": false,
            "required": ["count", "next", "previous", "total", "average", "results"],
            "properties": {"count": {"type": "integer", "minimum": 0},
                "next": link.clone(), "previous": link,
                "total": {"type": "integer", "minimum": 0,
                    "description": "All reviews of the course, whatever the filter."},
                "average": {"type": ["number", "null"],
                    "description": "The average rating of all reviews; null without any."},
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/Review"}}}}),
    );
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let mut list_params = paging_params();
    list_params.push(query_param(
        "rating",
        "Only reviews of this rating (1-5).",
        json!({"type": "integer", "minimum": 1, "maximum": 5}),
    ));
    api.route(
        Method::GET,
        "/api/v1/courses/{id}/reviews",
        list,
        Operation::new(
            "list_course_reviews",
            "reviews",
            "A public course's reviews, newest first",
        )
        .auth(Auth::Optional)
        .params(list_params)
        .response(200, ok(r("ReviewList"), false)),
    );
    api.route(
        Method::PUT,
        "/api/v1/courses/{id}/reviews/mine",
        put_mine,
        Operation::new(
            "put_my_course_review",
            "reviews",
            "Write or edit the caller's review",
        )
        .auth(Auth::Required)
        .describe(
            "One review per student and course: 201 for the first, 200 when edited. \
                       Only students enrolled now may review (403).",
        )
        .body(r("ReviewInput"))
        .response(
            201,
            json!({"description": "Created", "headers": rate_headers(),
                    "content": {"application/json": {"schema": r("Review")}}}),
        )
        .response(200, ok(r("Review"), false))
        .response(403, problem_ref(403))
        .response(422, problem_ref(422)),
    );
}
