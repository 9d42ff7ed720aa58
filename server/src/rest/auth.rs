//! Tokens for API clients: password grant, refresh (rotating), revoke, and the public keys.

use app::error::AppError;
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde::Deserialize;

use super::actor::Actor;
use super::problem::{ApiJson, Problem};
use crate::accounts::{Accounts, Lifecycle};
use crate::auth::tokens::{TokenPair, TokenService};
use crate::http::request_meta::Meta;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/v1/auth/token`: the same password check as the sign-in page (throttled, argon2id).
pub async fn token(
    State(accounts): State<Accounts>,
    State(tokens): State<TokenService>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<TokenPair>, Problem> {
    // The same client address as the sign-in page (TRUSTED_PROXIES decides about proxies).
    let user = match accounts
        .check_credentials(&body.username, body.password, meta.ip().as_deref())
        .await
    {
        Ok(user) => user,
        // For API clients a wrong password is a failed authentication, not a form to correct.
        Err(AppError::Validation(_)) => return Err(Problem(AppError::Unauthenticated)),
        Err(other) => return Err(Problem(other)),
    };
    Ok(Json(tokens.issue_pair(&user).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /api/v1/auth/refresh`: single use; the answer carries the next refresh token.
pub async fn refresh(
    State(tokens): State<TokenService>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<TokenPair>, Problem> {
    Ok(Json(tokens.refresh(&body.refresh_token).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    pub refresh_token: Option<String>,
}

/// `POST /api/v1/auth/revoke`: ends the refresh token's family and, when the call is made with a
/// bearer token, that access token too. 204 either way (RFC 7009: unknown tokens are no error).
pub async fn revoke(
    State(tokens): State<TokenService>,
    actor: Result<Actor, Problem>,
    ApiJson(body): ApiJson<RevokeRequest>,
) -> Result<impl IntoResponse, Problem> {
    let access = actor
        .as_ref()
        .ok()
        .and_then(|a| a.token.as_ref())
        .map(|(jti, exp)| (jti.as_str(), *exp));
    tokens.revoke(body.refresh_token.as_deref(), access).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /.well-known/jwks.json`: the public keys, so other services verify without calling us.
pub async fn jwks(State(tokens): State<TokenService>) -> impl IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "public, max-age=300")],
        Json(tokens.keys().jwks().clone()),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /api/v1/auth/password-reset`: queues the reset mail (202). The answer is the same
/// whether or not an account has the address, as on the "forgot password" page; the same
/// per-address and per-IP limits apply (429).
pub async fn password_reset(
    State(lifecycle): State<Lifecycle>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> Result<impl IntoResponse, Problem> {
    use app::ports::AccountLifecycle as _;
    // The same service call as the "forgot password" server function, with the same metadata.
    lifecycle.request_password_reset(&meta, &body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({
            "detail": "if an account has this address, a reset link is on its way"
        })),
    ))
}
