//! The JSON API under `/api/v1` (DRF-style), and `/.well-known/jwks.json`.
//!
//! Handlers are thin adapters over the same services the pages use. Errors are RFC 9457
//! `application/problem+json` ([`problem`]).

pub mod actor;
pub mod auth;
pub mod problem;
pub mod users;

use axum::{
    routing::{get, post},
    Router,
};

use crate::startup::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/jwks.json", get(auth::jwks))
        .route("/api/v1/auth/token", post(auth::token))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route("/api/v1/auth/revoke", post(auth::revoke))
        .route("/api/v1/users/me", get(users::me))
        .route("/api/v1/users/{username}", get(users::public_profile))
}
