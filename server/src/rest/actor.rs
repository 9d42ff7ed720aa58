//! Who is calling the API: a bearer access token or a browser session give the same [`Actor`].

use app::error::AppError;
use axum::{extract::FromRequestParts, http::request::Parts};

use super::problem::Problem;
use crate::auth::{actor::SessionUser, session_store::USER_KEY};
use crate::startup::AppState;

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    /// The access token's id and expiry, when the caller came with a bearer token.
    pub token: Option<(String, chrono::DateTime<chrono::Utc>)>,
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
            let raw = value
                .to_str()
                .map_err(|_| Problem(AppError::Unauthenticated))?;
            let claims = state.tokens.authenticate(raw).await?;
            return Ok(Actor {
                user_id: claims.user_id,
                token: Some((claims.jti.clone(), claims.expires_at())),
            });
        }
        let session = parts
            .extensions
            .get::<tower_sessions::Session>()
            .ok_or(Problem(AppError::Unauthenticated))?;
        let stored: Option<SessionUser> = session
            .get(USER_KEY)
            .await
            .map_err(|_| Problem(AppError::Unauthenticated))?;
        match stored {
            Some(user) => Ok(Actor {
                user_id: user.id,
                token: None,
            }),
            None => Err(Problem(AppError::Unauthenticated)),
        }
    }
}
