//! The OpenAPI 3.1 document, generated from the route table ([`super::registry`]) and the model
//! declarations, so every route the router serves is in it by construction.

pub mod schema;

use serde_json::{json, Map, Value};

use super::registry::ApiBuilder;

/// Problem responses every operation may reference, by status.
const PROBLEMS: &[(u16, &str)] = &[
    (
        400,
        "The request is malformed: a parameter or the JSON body cannot be used.",
    ),
    (
        401,
        "Credentials are missing or not valid (answered with `WWW-Authenticate: Bearer`).",
    ),
    (403, "Authenticated, but without the permission this needs."),
    (404, "No such record (or not visible to the caller)."),
    (406, "The `Accept` header admits no JSON."),
    (
        409,
        "Conflicts with existing data (a duplicate slug, a record still referenced).",
    ),
    (410, "The record was deleted."),
    (412, "`If-Match` names an ETag that is no longer current."),
    (413, "The body is larger than the API accepts."),
    (415, "The body is not `application/json`."),
    (
        422,
        "The body parses but fails validation; `errors` lists every field.",
    ),
    (429, "Too many requests; wait `Retry-After` seconds."),
    (500, "Something broke on our side; details are never shown."),
];

fn problem_responses() -> Map<String, Value> {
    let mut out = Map::new();
    for (status, description) in PROBLEMS {
        let schema = if *status == 422 {
            "ValidationProblem"
        } else {
            "Problem"
        };
        let mut headers = schema::rate_headers();
        match status {
            401 => {
                headers["WWW-Authenticate"] =
                    json!({"schema": {"type": "string", "const": "Bearer"}})
            }
            429 => {
                headers["Retry-After"] = json!({"description": "Seconds to wait.",
                    "schema": {"type": "integer", "minimum": 1}})
            }
            _ => {}
        }
        out.insert(
            format!("Problem{status}"),
            json!({
                "description": description,
                "headers": headers,
                "content": {"application/problem+json": {
                    "schema": {"$ref": format!("#/components/schemas/{schema}")}
                }}
            }),
        );
    }
    out
}

fn common_schemas() -> Map<String, Value> {
    let problem = json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "errors": {"$ref": "#/components/schemas/FieldErrors"}
        }
    });
    let mut validation = problem.clone();
    validation["required"] = json!(["type", "title", "status", "detail", "errors"]);
    let json = json!({
        "Problem": problem,
        "ValidationProblem": validation,
        "FieldErrors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
            }
        },
        "TokenRequest": {
            "type": "object", "additionalProperties": false,
            "required": ["username", "password"],
            "properties": {
                "username": {"type": "string", "description": "Username or e-mail."},
                "password": {"type": "string", "writeOnly": true}
            }
        },
        "RefreshRequest": {
            "type": "object", "additionalProperties": false,
            "required": ["refresh_token"],
            "properties": {"refresh_token": {"type": "string"}}
        },
        "RevokeRequest": {
            "type": "object", "additionalProperties": false,
            "properties": {"refresh_token": {"type": "string"}}
        },
        "PasswordResetRequest": {
            "type": "object", "additionalProperties": false,
            "required": ["email"],
            "properties": {"email": {"type": "string", "format": "email", "maxLength": 254}}
        },
        "ExportRequest": {
            "type": "object", "additionalProperties": false,
            "required": ["kind"],
            "properties": {
                "kind": {"type": "string", "enum": ["course_learners"]},
                "course_id": {"type": ["integer", "null"]}
            }
        },
        "Export": {
            "type": "object", "additionalProperties": false,
            "required": ["id", "kind", "course_id", "status", "progress", "rows", "error",
                "created_at", "finished_at", "download_url", "expires_at"],
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string"},
                "course_id": {"type": ["integer", "null"]},
                "status": {"type": "string", "enum": ["pending", "running", "done", "failed"]},
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                "rows": {"type": "integer", "minimum": 0},
                "error": {"type": ["string", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "finished_at": {"type": ["string", "null"], "format": "date-time"},
                "download_url": {"type": ["string", "null"], "description": "Site path of the CSV, until `expires_at`."},
                "expires_at": {"type": ["string", "null"], "format": "date-time"}
            }
        },
        "Accepted": {
            "type": "object",
            "required": ["detail"],
            "properties": {"detail": {"type": "string"}}
        },
        "TokenPair": {
            "type": "object",
            "required": ["access_token", "refresh_token", "token_type", "expires_in"],
            "properties": {
                "access_token": {"type": "string", "description": "RS256 JWT; verify with /.well-known/jwks.json."},
                "refresh_token": {"type": "string", "description": "Single use: each refresh returns the next."},
                "token_type": {"type": "string", "const": "Bearer"},
                "expires_in": {"type": "integer", "minimum": 1, "description": "Seconds."}
            }
        },
        "PublicProfile": {
            "type": "object",
            "required": ["username", "nickname", "avatar_url", "bio"],
            "additionalProperties": false,
            "properties": {
                "username": {"type": "string"},
                "nickname": {"type": "string"},
                "avatar_url": {"type": ["string", "null"], "format": "uri"},
                "bio": {"type": "string"}
            }
        },
        "Me": {
            "type": "object",
            "required": ["id", "username", "email", "nickname", "avatar_url", "is_staff", "is_superuser", "email_verified"],
            "properties": {
                "id": {"type": "integer", "format": "int64"},
                "username": {"type": "string"},
                "email": {"type": "string", "format": "email"},
                "nickname": {"type": "string"},
                "avatar_url": {"type": ["string", "null"], "format": "uri"},
                "is_staff": {"type": "boolean"},
                "is_superuser": {"type": "boolean"},
                "email_verified": {"type": "boolean"},
                "must_change_password": {"type": "boolean"}
            }
        },
        "Jwks": {
            "type": "object", "required": ["keys"],
            "properties": {"keys": {"type": "array", "items": {"type": "object"}}}
        },
        "OpenApi": {"type": "object", "description": "This document."}
    });
    match json {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The whole document.
pub fn document(api: &ApiBuilder) -> Value {
    let mut schemas = common_schemas();
    for (name, schema) in api.schemas() {
        schemas.insert(name.clone(), schema.clone());
    }
    let headers = json!({
        "X-RateLimit-Limit": {"description": "Requests allowed in the current window.",
            "schema": {"type": "integer"}},
        "X-RateLimit-Remaining": {"description": "Requests left in the current window.",
            "schema": {"type": "integer"}},
        "X-RateLimit-Reset": {"description": "Seconds until the window starts over.",
            "schema": {"type": "integer"}},
        "ETag": {"description": "Entity tag of the record; send it back in If-None-Match or If-Match.",
            "schema": {"type": "string"}},
    });
    let mut tags: Vec<String> = api.routes().map(|(_, _, op)| op.tag.clone()).collect();
    tags.dedup();
    let mut seen = std::collections::BTreeSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Xuecheng API",
            "version": "1.0.0",
            "description": "The JSON API of Xuecheng, in the Django REST Framework style. \
                Authenticate with `POST /api/v1/auth/token` and send `Authorization: Bearer <access_token>` \
                (a browser session works too). Errors are `application/problem+json` (RFC 9457). \
                Lists answer `{count, next, previous, results}` with absolute links. \
                Every response carries `X-RateLimit-*` headers; over the limit the answer is 429 with `Retry-After`. \
                Timestamps are RFC 3339 UTC; money is integer cents with a `currency` code."
        },
        "servers": [{"url": "/"}],
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        "paths": api.paths(),
        "components": {
            "schemas": schemas,
            "responses": problem_responses(),
            "headers": headers,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "An access token from POST /api/v1/auth/token."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": crate::http::page_cache::SESSION_COOKIE,
                    "description": "The web site's session, for same-origin browser calls."}
            }
        }
    })
}
