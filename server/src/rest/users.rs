//! `/api/v1/users/…`.

use app::dto::UserView;
use app::error::AppError;
use axum::{extract::State, Json};

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
