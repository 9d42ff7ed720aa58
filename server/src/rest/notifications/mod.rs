//! `/api/v1/notifications`: the caller's own notifications (list, mark read) and their live
//! stream ([`stream`]). Thin adapters over [`crate::notifications::Centre`], the service the
//! `/notifications` page and the header's bell use too.

pub mod stream;

use app::dto::{NotificationQuery, NotificationView, ReadTarget};
use app::error::{AppError, FieldError};
use app::ports::NotificationService;
use axum::{
    extract::State,
    http::{HeaderMap, Method, Uri},
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::actor::Actor;
use super::openapi::schema::{ok, paging_params, problem_ref, query};
use super::problem::{bad_params, ApiJson, Problem};
use super::registry::{ApiBuilder, Auth, Operation};
use super::{links, params};
use crate::state::AppState;

pub const LIST_PATH: &str = "/api/v1/notifications";
pub const READ_PATH: &str = "/api/v1/notifications/read";

/// `{count, next, previous, results}` as every list answers.
#[derive(Serialize)]
struct Envelope {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<NotificationView>,
}

/// `?unread=true|false`: absent means every notification.
fn unread_only(pairs: &[(String, String)], errors: &mut Vec<FieldError>) -> bool {
    let mut values = pairs.iter().filter(|(k, _)| k == "unread");
    let value = values.next().map(|(_, v)| v.trim().to_ascii_lowercase());
    if values.next().is_some() {
        errors.push(FieldError::new("unread", "give this parameter once"));
    }
    match value.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => {
            errors.push(FieldError::new("unread", "must be true or false"));
            false
        }
    }
}

/// `GET /api/v1/notifications`: the caller's notifications, newest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    uri: Uri,
    headers: HeaderMap,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let pairs = params::pairs(uri.query());
    let mut errors = Vec::new();
    let paging = params::paging(&pairs, &mut errors);
    let unread = unread_only(&pairs, &mut errors);
    for (key, _) in &pairs {
        if !matches!(
            key.as_str(),
            "unread" | "limit" | "offset" | "page" | "per_page"
        ) {
            errors.push(FieldError::new(
                key.as_str(),
                "unknown query parameter; this list takes unread and paging",
            ));
        }
    }
    if !errors.is_empty() {
        return Ok(bad_params(&errors));
    }
    let (limit, offset) = paging.limit_offset();
    let page = state
        .notifications
        .list(
            actor.user_id,
            NotificationQuery {
                unread_only: unread,
                limit: u32::try_from(limit).unwrap_or(u32::MAX),
                offset,
            },
        )
        .await?;
    let base = links::base(&state.settings, &headers);
    let (next, previous) = links::page_links(&base, uri.path(), &pairs, paging, page.total);
    let mut results = page.items;
    for item in &mut results {
        if let Some(link) = &mut item.link {
            links::absolute(&base, link);
        }
    }
    Ok(Json(Envelope {
        count: page.total,
        next,
        previous,
        results,
    })
    .into_response())
}

/// `{"ids": [..]}` or `{"all": true}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    #[serde(default)]
    ids: Option<Vec<i64>>,
    #[serde(default)]
    all: Option<bool>,
}

/// The answer of "mark read".
#[derive(Serialize)]
pub struct Unread {
    pub unread_count: u64,
}

/// `POST /api/v1/notifications/read`: marks some (all one's own, else 404 and nothing marked)
/// or all read; answers the unread count after it.
pub async fn read(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<ReadRequest>,
) -> Result<Json<Unread>, Problem> {
    let target = match (body.ids, body.all) {
        (Some(ids), None | Some(false)) => ReadTarget::Ids(ids),
        (None, Some(true)) => ReadTarget::All,
        _ => {
            return Err(Problem(AppError::Validation(vec![FieldError::new(
                "body",
                "send either ids (a list) or \"all\": true",
            )])))
        }
    };
    let unread_count = state.notifications.mark_read(actor.user_id, target).await?;
    Ok(Json(Unread { unread_count }))
}

fn schema_ref(name: &str) -> serde_json::Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

pub fn register(api: &mut ApiBuilder) {
    api.schema(
        "Notification",
        json!({
            "type": "object",
            "required": ["id", "kind", "title", "body", "link", "read_at", "created_at"],
            "additionalProperties": false,
            "properties": {
                "id": {"type": "integer", "format": "int64"},
                "kind": {"type": "string", "description": "What it is about, e.g. `course.update`."},
                "title": {"type": "string"},
                "body": {"type": "string"},
                "link": {"type": ["string", "null"], "format": "uri", "description": "Absolute URL of what it is about."},
                "read_at": {"type": ["string", "null"], "format": "date-time"},
                "created_at": {"type": "string", "format": "date-time"}
            }
        }),
    );
    api.schema(
        "NotificationList",
        super::openapi::schema::list_schema("Notification"),
    );
    api.schema(
        "ReadRequest",
        json!({
            "type": "object",
            "additionalProperties": false,
            "description": "Either `ids` (at most 100, every one the caller's own) or `all: true`.",
            "properties": {
                "ids": {"type": "array", "minItems": 1, "maxItems": crate::notifications::centre::MAX_IDS,
                    "items": {"type": "integer", "format": "int64", "minimum": 1}},
                "all": {"type": "boolean", "const": true}
            }
        }),
    );
    api.schema(
        "UnreadCount",
        json!({
            "type": "object",
            "required": ["unread_count"],
            "properties": {"unread_count": {"type": "integer", "minimum": 0}}
        }),
    );
    let mut list_params = paging_params();
    list_params.push(query(
        "unread",
        "Only the unread notifications (`true`), or all (`false`, the default).",
        json!({"type": "boolean", "default": false}),
    ));
    api.route(
        Method::GET,
        LIST_PATH,
        list,
        Operation::new("list_notifications", "notifications", "The caller's notifications, newest first")
            .auth(Auth::Required)
            .describe("Paging: `limit`/`offset` or `page`/`per_page` (not both). Only the caller's own notifications are ever listed.")
            .params(list_params)
            .response(200, ok(schema_ref("NotificationList"), false)),
    );
    api.route(
        Method::POST,
        READ_PATH,
        read,
        Operation::new("mark_notifications_read", "notifications", "Mark some or all of the caller's notifications read")
            .auth(Auth::Required)
            .describe("An id that is not one of the caller's notifications is 404, and then nothing is marked. Answers the unread count after it.")
            .body(schema_ref("ReadRequest"))
            .response(200, ok(schema_ref("UnreadCount"), false))
            .response(404, problem_ref(404)),
    );
    stream::register(api);
}
