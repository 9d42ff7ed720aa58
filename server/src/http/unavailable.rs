//! The answer while a dependency is away: 503 with `Retry-After`, and a body that says the site
//! is briefly unavailable (a page for browsers, problem+json for the API, the serialized
//! [`AppError`] for server functions).
//!
//! Two layers:
//! - [`sessions`], inside the session layer: a request that carries a session id loads its
//!   session before anything else. When the store cannot answer (Redis or the database away;
//!   its commands time out) the request ends there with 503. Fail closed: the request is never
//!   served as if signed out, the cookie is kept, so the same cookie is signed in again once the
//!   store is back. Requests without a session (anonymous pages) never touch the store.
//! - [`retry_after`], outside everything that can answer 503 (handlers, server functions, the
//!   API's problems): adds `Retry-After` to any 503 that lacks it, and turns the session
//!   layer's bare 500 for a session it could not save (a sign-in or registration while the
//!   store is away) into the same 503.

use app::error::{AppError, UNAVAILABLE_RETRY_AFTER_SECS};
use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use crate::auth::session_store::USER_KEY;

/// Paths that never need the session: static files and the health checks.
fn sessionless(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico" || path == "/healthz" || path == "/readyz"
}

pub async fn sessions(request: Request, next: Next) -> Response {
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return next.run(request).await;
    };
    if session.id().is_none() || sessionless(request.uri().path()) {
        return next.run(request).await;
    }
    // Loads the record; handlers and the activity layer then read it from memory.
    match session.get_value(USER_KEY).await {
        Ok(_) => next.run(request).await,
        Err(error) => {
            tracing::debug!(%error, "session store unavailable: answering 503");
            answer(request.uri().path())
        }
    }
}

pub async fn retry_after(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    // The session layer answers a failed save (the store is away) with a bare 500, no body and
    // no content type; every other 500 of ours has a body. Say what happened instead.
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        return answer(&path);
    }
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS),
        );
    }
    response
}

/// The 503 for a request to `path`, in the form its caller reads.
pub fn answer(path: &str) -> Response {
    let mut response = if path.starts_with("/api/") {
        crate::rest::problem::Problem(AppError::Unavailable).into_response()
    } else if path.starts_with("/fn/") {
        // The server-function client decodes an error status's body as the app's error.
        let body = serde_json::to_vec(&AppError::Unavailable).unwrap_or_default();
        let mut response = Response::new(Body::from(body));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    } else {
        let mut response = Response::new(Body::from(PAGE));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    };
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A page of its own (the app's shell may need what is away); it reloads itself.
const PAGE: &str = r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>稍候 Briefly unavailable · 学城 Xuecheng</title>
</head>
<body>
<main role="alert">
<h1>稍候片刻 Briefly unavailable</h1>
<p>网站暂时无法提供服务，请几秒后重试。您仍处于登录状态。</p>
<p>The site is briefly unavailable; please try again in a few seconds. You are still signed in.</p>
</main>
</body>
</html>
"#;
