//! Who is calling the API: a bearer access token or a browser session give the same [`Actor`].
//!
//! The caller is resolved once per request (the throttle layer does it first and leaves the
//! answer in the request's extensions); [`Actor`] insists on a caller (401 otherwise),
//! [`MaybeActor`] lets anonymous callers through but still refuses bad credentials.

use app::domain::Principal;
use app::error::AppError;
use axum::{extract::FromRequestParts, http::request::Parts};

use super::problem::Problem;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    /// The access token's id and expiry, when the caller came with a bearer token.
    pub token: Option<(String, chrono::DateTime<chrono::Utc>)>,
}

/// The caller as already resolved for this request (valid credentials or none).
#[derive(Debug, Clone)]
pub struct Resolved(pub Option<Actor>);

impl Actor {
    /// `Ok(None)` for an anonymous caller; 401 for credentials that do not check out.
    pub async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<Actor>, Problem> {
        if let Some(Resolved(actor)) = parts.extensions.get::<Resolved>() {
            return Ok(actor.clone());
        }
        if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
            let raw = value
                .to_str()
                .map_err(|_| Problem(AppError::Unauthenticated))?;
            let claims = state.tokens.authenticate(raw).await?;
            return Ok(Some(Actor {
                user_id: claims.user_id,
                token: Some((claims.jti.clone(), claims.expires_at())),
            }));
        }
        let Some(session) = parts.extensions.get::<tower_sessions::Session>() else {
            return Ok(None);
        };
        // The same session check as the pages: lifetime, active account.
        let user = state.accounts.session_user(session).await?;
        Ok(user.map(|user| Actor {
            user_id: user.id,
            token: None,
        }))
    }

    /// The caller's permissions; 401 when the account was deactivated since.
    pub async fn principal(&self, state: &AppState) -> Result<Principal, AppError> {
        state
            .authz
            .principal_by_id(self.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Actor::resolve(parts, state)
            .await?
            .ok_or(Problem(AppError::Unauthenticated))
    }
}

/// An optional caller: `None` when no credentials were sent.
#[derive(Debug, Clone)]
pub struct MaybeActor(pub Option<Actor>);

impl MaybeActor {
    pub async fn principal(&self, state: &AppState) -> Result<Option<Principal>, AppError> {
        match &self.0 {
            Some(actor) => actor.principal(state).await.map(Some),
            None => Ok(None),
        }
    }
}

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeActor(Actor::resolve(parts, state).await?))
    }
}
