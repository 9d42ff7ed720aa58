//! `/api/v1/seckill-events`: the public events with their live stock, staff writing them
//! (`seckill.manage`), and buying: a token once the sale is open, the buy (202 with the queued
//! claim), and one's claims. Thin adapters over [`crate::seckill::Seckill`].
//!
//! A refused buy is a problem with a `code` member the page branches on: `409` `sold_out`,
//! `limit_reached` or `not_started`, `410` `ended`.

use app::error::AppError;
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};

use super::actor::{Actor, MaybeActor};
use super::problem::{ApiJson, Problem};
use crate::http::request_meta::Meta;
use crate::seckill::buy::{BuyError, Refusal};
use crate::seckill::events::EventInput;
use crate::seckill::EventView;
use crate::state::AppState;

#[derive(Serialize)]
pub struct EventList {
    count: usize,
    results: Vec<EventView>,
}

#[derive(Debug, Deserialize)]
struct BuyBody {
    token: Option<String>,
}

fn event_id(raw: &str) -> Result<i64, Problem> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem(AppError::NotFound("seckill event".into())))
}

fn with_location(mut response: Response, location: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A refusal as problem+json with its `code`.
pub fn refusal(r: Refusal) -> Response {
    let status = match r {
        Refusal::Ended => StatusCode::GONE,
        _ => StatusCode::CONFLICT,
    };
    // A problem document with a `code` member beside the standard ones: the page branches on it.
    let body = serde_json::json!({
        "type": format!("https://xuecheng.dev/problems/{}", r.code()),
        "title": app::error::title_for_status(status.as_u16(), app::locale::current()),
        "status": status.as_u16(),
        "detail": r.message(),
        "code": r.code(),
    });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn buy_error(e: BuyError) -> Response {
    match e {
        BuyError::Refused(r) => refusal(r),
        BuyError::App(e) => Problem(e).into_response(),
    }
}

pub async fn list(State(state): State<AppState>) -> Result<Json<EventList>, Problem> {
    let results = state.seckill.list().await?;
    Ok(Json(EventList {
        count: results.len(),
        results,
    }))
}

pub async fn detail(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Path(id): Path<String>,
) -> Result<Json<EventView>, Problem> {
    let id = event_id(&id)?;
    Ok(Json(
        state.seckill.detail(id, actor.map(|a| a.user_id)).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<EventInput>,
) -> Result<Response, Problem> {
    let who = actor.principal(&state).await?;
    let event = state.seckill.create(&who, body).await?;
    let location = format!("/api/v1/seckill-events/{}", event.id);
    Ok(with_location(
        (StatusCode::CREATED, Json(event)).into_response(),
        &location,
    ))
}

pub async fn change(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EventInput>,
) -> Result<Json<EventView>, Problem> {
    let id = event_id(&id)?;
    let who = actor.principal(&state).await?;
    Ok(Json(state.seckill.change(&who, id, body).await?))
}

pub async fn token(
    State(state): State<AppState>,
    actor: Actor,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Response {
    let id = match event_id(&id) {
        Ok(id) => id,
        Err(p) => return p.into_response(),
    };
    let ip = meta.ip();
    match state.seckill.token(actor.user_id, ip.as_deref(), id).await {
        Ok(token) => (StatusCode::CREATED, Json(token)).into_response(),
        Err(e) => buy_error(e),
    }
}

/// The body is read by hand: a missing or unreadable token is the same 403 as a wrong one.
pub async fn buy(
    State(state): State<AppState>,
    actor: Actor,
    Meta(meta): Meta,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = match event_id(&id) {
        Ok(id) => id,
        Err(p) => return p.into_response(),
    };
    let token = serde_json::from_slice::<BuyBody>(&body)
        .ok()
        .and_then(|b| b.token);
    let ip = meta.ip();
    match state
        .seckill
        .buy(actor.user_id, ip.as_deref(), id, token.as_deref())
        .await
    {
        Ok(claim) => with_location(
            (StatusCode::ACCEPTED, Json(claim)).into_response(),
            &format!("/api/v1/seckill-events/{id}/orders/mine"),
        ),
        Err(e) => buy_error(e),
    }
}

pub async fn mine(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = event_id(&id)?;
    Ok(Json(state.seckill.mine(actor.user_id, id).await?).into_response())
}

/// The routes with their OpenAPI operations.
pub fn register(api: &mut super::registry::ApiBuilder) {
    use super::openapi::schema::{created, ok, problem_ref, rate_headers};
    use super::registry::{Auth, Operation};
    use axum::http::Method;
    use serde_json::json;

    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let time = json!({"type": "string", "format": "date-time"});
    let cents = json!({"type": "integer", "format": "int64", "minimum": 1,
        "description": "Money in integer cents (分)."});
    let refused = |codes: &[&str]| {
        json!({"description": format!("Refused; `code` is one of: {}.", codes.join(", ")),
            "headers": rate_headers(),
            "content": {"application/problem+json": {"schema": r("SeckillProblem")}}})
    };
    api.schema(
        "SeckillProblem",
        json!({"type": "object", "required": ["type", "title", "status", "detail"],
            "properties": {"type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "code": {"type": "string",
                    "enum": ["sold_out", "limit_reached", "not_started", "ended"]},
                "errors": {"$ref": "#/components/schemas/FieldErrors"}}}),
    );
    api.schema(
        "SeckillEvent",
        json!({"type": "object", "additionalProperties": false,
            "required": ["id", "course_id", "price_policy_id", "title", "price_cents", "stock",
                "stock_left", "per_user_limit", "pay_window_minutes", "starts_at", "ends_at",
                "status", "phase", "server_time"],
            "properties": {"id": {"type": "integer"}, "course_id": {"type": "integer"},
                "price_policy_id": {"type": "integer"}, "title": {"type": "string"},
                "price_cents": cents, "stock": {"type": "integer", "minimum": 1},
                "stock_left": {"type": "integer", "minimum": 0,
                    "description": "Seats not yet taken, live."},
                "per_user_limit": {"type": "integer", "minimum": 1},
                "pay_window_minutes": {"type": "integer", "minimum": 1},
                "starts_at": time, "ends_at": time,
                "status": {"type": "string", "enum": ["draft", "published"]},
                "phase": {"type": "string", "enum": ["upcoming", "open", "ended"]},
                "server_time": {"type": "string", "format": "date-time",
                    "description": "The server's clock: count down by it."}}}),
    );
    let input = |required: &[&str]| {
        json!({"type": "object", "additionalProperties": false, "required": required,
            "properties": {"course_id": {"type": "integer", "minimum": 1},
                "price_policy_id": {"type": ["integer", "null"], "minimum": 1,
                    "description": "Default: the course's longest policy."},
                "title": {"type": "string", "minLength": 1, "maxLength": 120},
                "price_cents": {"type": "integer", "minimum": 1,
                    "maximum": crate::seckill::events::MAX_PRICE_CENTS},
                "stock": {"type": "integer", "minimum": 1,
                    "maximum": crate::seckill::events::MAX_STOCK,
                    "description": "Cannot change once the sale has started (409)."},
                "per_user_limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 100},
                "starts_at": time, "ends_at": time,
                "pay_window_minutes": {"type": ["integer", "null"], "minimum": 1, "maximum": 1440},
                "status": {"type": ["string", "null"], "enum": ["draft", "published", null],
                    "description": "Published at once unless `draft`."}}})
    };
    api.schema(
        "SeckillEventInput",
        input(&[
            "course_id",
            "title",
            "price_cents",
            "stock",
            "starts_at",
            "ends_at",
        ]),
    );
    api.schema("SeckillEventPatch", input(&[]));
    api.schema(
        "SeckillEventList",
        json!({"type": "object", "additionalProperties": false, "required": ["count", "results"],
            "properties": {"count": {"type": "integer", "minimum": 0},
                "results": {"type": "array", "items": r("SeckillEvent")}}}),
    );
    api.schema(
        "SeckillClaims",
        json!({"type": "object", "additionalProperties": false,
            "required": ["event_id", "count", "results", "server_time"],
            "properties": {"event_id": {"type": "integer"}, "count": {"type": "integer"},
                "server_time": time,
                "results": {"type": "array", "items": {"type": "object",
                    "additionalProperties": false,
                    "required": ["claim_id", "seat", "status", "order_no", "pay_by"],
                    "properties": {"claim_id": {"type": "string"}, "seat": {"type": "integer"},
                        "status": {"type": "string",
                            "enum": ["queued", "held", "paid", "returned"]},
                        "order_no": {"type": ["string", "null"]},
                        "pay_by": {"type": ["string", "null"], "format": "date-time"}}}}}}),
    );
    api.route(
        Method::GET,
        "/api/v1/seckill-events",
        list,
        Operation::new("list_seckill_events", "seckill", "Published flash sales")
            .auth(Auth::Public)
            .describe("Running, upcoming and ended less than a day ago; soonest first.")
            .response(200, ok(r("SeckillEventList"), false)),
    );
    api.route(
        Method::POST,
        "/api/v1/seckill-events",
        create,
        Operation::new("create_seckill_event", "seckill", "Create a flash sale")
            .auth(Auth::Required)
            .describe(
                "Needs `seckill.manage`. Published (its stock loaded into Redis) unless `draft`.",
            )
            .body(r("SeckillEventInput"))
            .response(201, created(r("SeckillEvent"))),
    );
    api.route(
        Method::GET,
        "/api/v1/seckill-events/{id}",
        detail,
        Operation::new(
            "get_seckill_event",
            "seckill",
            "One flash sale, with its live stock",
        )
        .auth(Auth::Optional)
        .describe("A draft is 404 except to `seckill.manage`.")
        .response(200, ok(r("SeckillEvent"), false)),
    );
    api.route(
        Method::PATCH,
        "/api/v1/seckill-events/{id}",
        change,
        Operation::new("update_seckill_event", "seckill", "Change a flash sale")
            .auth(Auth::Required)
            .describe(
                "Needs `seckill.manage`. Its stock, course and limit are 409 once it started.",
            )
            .body(r("SeckillEventPatch"))
            .response(200, ok(r("SeckillEvent"), false))
            .response(409, problem_ref(409)),
    );
    api.route(
        Method::POST,
        "/api/v1/seckill-events/{id}/tokens",
        token,
        Operation::new("create_seckill_token", "seckill", "A short-lived buy token")
            .auth(Auth::Required)
            .describe("Only while the sale is open: 409 `not_started` before, 410 `ended` after.")
            .response(
                201,
                json!({"description": "Created", "headers": rate_headers(),
                    "content": {"application/json": {"schema": {"type": "object",
                        "additionalProperties": false, "required": ["token", "expires_in"],
                        "properties": {"token": {"type": "string"},
                            "expires_in": {"type": "integer", "minimum": 1}}}}}}),
            )
            .response(409, refused(&["not_started"]))
            .response(410, refused(&["ended"])),
    );
    api.route(
        Method::POST,
        "/api/v1/seckill-events/{id}/orders",
        buy,
        Operation::new("create_seckill_order", "seckill", "Try to buy a seat")
            .auth(Auth::Required)
            .describe(
                "Carries the caller's token. 202: the claim is in line and becomes a pending \
                 order (see `Location`). A missing, expired or another user's token is 403.",
            )
            .body(json!({"type": "object", "required": ["token"],
                "properties": {"token": {"type": "string"}}}))
            .response(
                202,
                json!({"description": "Accepted: in line.", "headers": {
                        "Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"type": "object",
                        "additionalProperties": false, "required": ["claim_id", "status"],
                        "properties": {"claim_id": {"type": "string"},
                            "status": {"type": "string", "const": "queued"}}}}}}),
            )
            .response(409, refused(&["sold_out", "limit_reached", "not_started"]))
            .response(410, refused(&["ended"])),
    );
    api.route(
        Method::GET,
        "/api/v1/seckill-events/{id}/orders/mine",
        mine,
        Operation::new(
            "list_my_seckill_claims",
            "seckill",
            "The caller's claims and their orders",
        )
        .auth(Auth::Required)
        .response(200, ok(r("SeckillClaims"), false)),
    );
}
