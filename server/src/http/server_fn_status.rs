//! Gives server-function errors their real HTTP status.
//!
//! The server-function framework answers every error with 500, including the ones it raises
//! itself before our code runs (an unreadable body, a missing argument). Its error responses are
//! marked with a `serverfnerror` header and carry a serialized [`AppError`], so this one layer
//! reads the kind back and sets the status it maps to: 400 for a malformed call, 404, 422…

use app::error::AppError;
use axum::{body::Body, extract::Request, http::StatusCode, middleware::Next, response::Response};
use http_body_util::BodyExt;

/// Error bodies are small; anything larger is left alone.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn layer(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key("serverfnerror")
        || response.status() != StatusCode::INTERNAL_SERVER_ERROR
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match http_body_util::Limited::new(body, MAX_ERROR_BODY)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}
