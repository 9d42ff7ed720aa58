//! The JSON API under `/api/v1` (DRF style), its OpenAPI 3.1 document and docs page, and
//! `/.well-known/jwks.json`.
//!
//! Handlers are thin adapters over the same services the pages use (the model engine for the
//! resources). Routes are registered with their OpenAPI operation in one call
//! ([`registry::ApiBuilder`]), so the document lists every route by construction.
//!
//! Layers on every API response, outermost first: CORS (`API_CORS_ORIGINS`), problem+json for
//! any error ([`conneg::problems_only`]), throttling with `X-RateLimit-*` ([`throttle`]), 406
//! when `Accept` admits no JSON, a panic guard, and the body limit (413). Unknown paths and
//! versions under `/api` are 404 problems. Anonymous list answers are kept in [`cache`], which
//! runs in front of all of these (and of the site's session, CSRF and compression layers).

pub mod actor;
pub mod auth;
pub mod cache;
pub mod conneg;
pub mod docs;
pub mod etag;
pub mod exports;
pub mod follows;
pub mod lessons;
pub mod links;
pub mod notifications;
pub mod openapi;
pub mod orders;
pub mod params;
pub mod payments;
pub mod problem;
pub mod registry;
pub mod resources;
pub mod reviews;
pub mod seckill;
pub mod settings;
pub mod terminals;
pub mod throttle;
pub mod users;

use std::sync::{Arc, OnceLock};

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method},
    response::{Html, IntoResponse, Response},
    routing::any,
    Router,
};
use bytes::Bytes;
use serde_json::json;
use tower_http::{catch_panic::CatchPanicLayer, cors::CorsLayer};

use crate::state::AppState;
use openapi::schema::{ok, problem_ref};
use registry::{ApiBuilder, Auth, Operation};

/// The document, rendered once at start-up.
struct Published {
    json: Bytes,
    html: String,
}

fn schema_ref(name: &str) -> serde_json::Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Every route of the API with its operation.
fn build(published: Arc<OnceLock<Published>>) -> ApiBuilder {
    let mut api = ApiBuilder::new();
    api.route(
        Method::POST,
        "/api/v1/auth/token",
        auth::token,
        Operation::new(
            "create_token",
            "auth",
            "Access and refresh token for a username and password",
        )
        .auth(Auth::Public)
        .describe(
            "Throttled in the `auth` scope (per IP) and per account; a wrong password is 401.",
        )
        .body(schema_ref("TokenRequest"))
        .response(200, ok(schema_ref("TokenPair"), false))
        .response(401, problem_ref(401)),
    );
    api.route(
        Method::POST,
        "/api/v1/auth/refresh",
        auth::refresh,
        Operation::new(
            "refresh_token",
            "auth",
            "Trade a refresh token for a new pair (single use)",
        )
        .auth(Auth::Public)
        .body(schema_ref("RefreshRequest"))
        .response(200, ok(schema_ref("TokenPair"), false))
        .response(401, problem_ref(401)),
    );
    api.route(
        Method::POST,
        "/api/v1/auth/revoke",
        auth::revoke,
        Operation::new(
            "revoke_token",
            "auth",
            "End a refresh token's family and the calling access token",
        )
        .body(schema_ref("RevokeRequest"))
        .response(
            204,
            json!({"description": "Revoked (also for unknown tokens, RFC 7009).",
                "headers": openapi::schema::rate_headers()}),
        ),
    );
    api.route(
        Method::POST,
        "/api/v1/auth/password-reset",
        auth::password_reset,
        Operation::new(
            "request_password_reset",
            "auth",
            "Mail a password-reset link (queued: 202)",
        )
        .auth(Auth::Public)
        .describe(
            "The same answer whether or not an account has the address; limited per address \
             and per IP like the \"forgot password\" page (429 with Retry-After).",
        )
        .body(schema_ref("PasswordResetRequest"))
        .response(202, ok(schema_ref("Accepted"), false))
        .response(422, problem_ref(422))
        .response(429, problem_ref(429)),
    );
    api.route(
        Method::GET,
        "/.well-known/jwks.json",
        auth::jwks,
        Operation::new(
            "get_jwks",
            "auth",
            "The public keys that verify access tokens",
        )
        .auth(Auth::Public)
        .response(200, ok(schema_ref("Jwks"), false)),
    );
    api.route(
        Method::GET,
        "/api/v1/users/me",
        users::me,
        Operation::new("get_me", "users", "The calling user")
            .auth(Auth::Required)
            .response(200, ok(schema_ref("Me"), false)),
    );
    api.route(
        Method::GET,
        "/api/v1/profiles/{username}",
        users::public_profile,
        Operation::new("get_profile", "users", "An account's public profile")
            .auth(Auth::Public)
            .describe("Username, nickname, avatar and bio; never the e-mail or any flag.")
            .response(200, ok(schema_ref("PublicProfile"), false)),
    );
    exports_routes(&mut api);
    let doc = published.clone();
    api.route(
        Method::GET,
        "/api/v1/openapi.json",
        move || {
            let doc = doc.clone();
            async move { serve_document(&doc, false) }
        },
        Operation::new("get_openapi", "meta", "This OpenAPI 3.1 document")
            .auth(Auth::Public)
            .response(200, ok(schema_ref("OpenApi"), false)),
    );
    api.route(
        Method::GET,
        "/api/docs",
        move || {
            let doc = published.clone();
            async move { serve_document(&doc, true) }
        },
        Operation::new("get_docs", "meta", "This document as a readable page")
            .auth(Auth::Public)
            .response(200, json!({"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}})),
    );
    notifications::register(&mut api);
    resources::register(&mut api);
    follows::register(&mut api);
    terminals::register(&mut api);
    orders::register(&mut api);
    payments::register(&mut api);
    seckill::register(&mut api);
    lessons::register(&mut api);
    reviews::register(&mut api);
    api
}

/// `/api/v1/exports`: a long task answered 202 (see [`exports`]).
fn exports_routes(api: &mut ApiBuilder) {
    api.route(
        Method::POST,
        "/api/v1/exports",
        exports::create,
        Operation::new("create_export", "exports", "Start an export (queued: 202)")
            .auth(Auth::Required)
            .describe(
                "Kind `course_learners` (needs `enrollment.view` in the back office): the \
                 course's enrolled learners as CSV. Answers 202 with `Location` of the export; \
                 poll it until `status` is `done`.",
            )
            .body(schema_ref("ExportRequest"))
            .response(
                202,
                json!({"description": "Queued", "headers": {
                    "Location": {"description": "The export's path.", "schema": {"type": "string"}}
                }, "content": {"application/json": {"schema": schema_ref("Export")}}}),
            ),
    );
    api.route(
        Method::GET,
        "/api/v1/exports/{id}",
        exports::show,
        Operation::new("get_export", "exports", "An export's status and progress")
            .auth(Auth::Required)
            .describe("Seen by its requester and by holders of `export.manage`; 404 for others.")
            .response(200, ok(schema_ref("Export"), false)),
    );
    api.route(
        Method::GET,
        "/api/v1/exports/{id}/download",
        exports::download,
        Operation::new("download_export", "exports", "A finished export's CSV")
            .auth(Auth::Required)
            .describe(
                "The `download_url` of a done export: the caller must also be allowed to see \
                 it. 410 once the link expired (a day after the export finished).",
            )
            .params([openapi::schema::query_param(
                "token",
                "The link's token.",
                json!({"type": "string"}),
            )])
            .response(
                200,
                json!({"description": "CSV (username, email, enrolled_at in UTC)",
                    "content": {"text/csv": {"schema": {"type": "string"}}}}),
            )
            .response(410, problem_ref(410)),
    );
}

fn serve_document(doc: &OnceLock<Published>, html: bool) -> Response {
    match (doc.get(), html) {
        (Some(p), false) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            p.json.clone(),
        )
            .into_response(),
        (Some(p), true) => Html(p.html.clone()).into_response(),
        (None, _) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `(METHOD, path)` of every route the API serves, as registered.
pub fn registered_routes() -> Vec<(String, String)> {
    let api = build(Arc::default());
    api.routes()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect()
}

/// The document as served.
pub fn document() -> serde_json::Value {
    openapi::document(&build(Arc::default()))
}

pub fn routes(state: &AppState) -> Router<AppState> {
    let settings = &state.settings;
    let published = Arc::new(OnceLock::new());
    let api = build(published.clone());
    let doc = openapi::document(&api);
    let _ = published.set(Published {
        json: Bytes::from(serde_json::to_vec(&doc).unwrap_or_default()),
        html: docs::render(&doc),
    });
    let router = api
        .into_router()
        .route("/api", any(conneg::unknown_route))
        .route("/api/{*rest}", any(conneg::unknown_route))
        .layer(DefaultBodyLimit::max(settings.api.body_limit))
        .layer(CatchPanicLayer::custom(conneg::panic_problem))
        .layer(axum::middleware::from_fn(conneg::require_json_accept))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            throttle::layer,
        ))
        .layer(axum::middleware::from_fn(conneg::problems_only));
    match cors(&settings.api.cors_origins) {
        Some(layer) => router.layer(layer),
        None => router,
    }
}

/// Browsers on the allowed origins may call the API with bearer tokens (no cookies: those stay
/// same-site, under the CSRF check).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let exposed = [
        "etag",
        "location",
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-request-id",
    ]
    .map(HeaderName::from_static);
    Some(
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
            ])
            .expose_headers(exposed)
            .max_age(std::time::Duration::from_secs(600)),
    )
}
