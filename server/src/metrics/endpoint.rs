//! `GET /metrics`. Two ways to expose it, never open on the public port:
//! - `METRICS_ADDR` (e.g. `10.0.0.5:9100`): a listener of its own that serves only this route,
//!   for a scraper on the private network;
//! - `METRICS_TOKEN`: the route on the public port, answered only to
//!   `Authorization: Bearer <token>` (compared in constant time; anything else is a 401 that
//!   says nothing about the metrics).
//!
//! With neither, `/metrics` on the public port is an ordinary unknown page. With both, the
//! separate listener asks for the token too.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// The encoder writes the OpenMetrics text format, which Prometheus scrapes natively.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

fn authorized(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = state.settings.metrics_token.as_ref() else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    bool::from(given.as_bytes().ct_eq(token.expose().as_bytes()))
}

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        let mut response =
            (StatusCode::UNAUTHORIZED, "a bearer token is required\n").into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return response;
    }
    state.metrics.sample(&state).await;
    let mut response = state.metrics.render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The route on the public port: only when a token guards it and no address of its own is set.
pub fn public_routes(state: &AppState) -> Router<AppState> {
    let on_public = state.settings.metrics_token.is_some() && state.settings.metrics_addr.is_none();
    if on_public {
        Router::new().route("/metrics", get(metrics))
    } else {
        Router::new()
    }
}

/// The router of the metrics listener (`METRICS_ADDR`).
pub fn private_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}
