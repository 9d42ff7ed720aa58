//! `/api/v1/users/…`.

use app::dto::{PublicProfile, UserView};
use app::error::AppError;
use axum::{
    extract::{Path, State},
    Json,
};

use super::actor::Actor;
use super::problem::Problem;
use crate::startup::AppState;

/// `GET /api/v1/users/me`: bearer token or browser session.
pub async fn me(State(state): State<AppState>, actor: Actor) -> Result<Json<UserView>, Problem> {
    let user = state
        .accounts
        .user(actor.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Json(user))
}

/// `GET /api/v1/profiles/{username}`: the public face of an account (no e-mail, no flags); open
/// to anonymous callers.
pub async fn public_profile(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Json<PublicProfile>, Problem> {
    let profile = crate::db::users::public_profile(&state.db, &username)
        .await
        .map_err(|e| crate::error::db_error(e, "user"))?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    Ok(Json(profile))
}
