//! `/api/v1/users/…`.

use app::dto::{PublicProfile, UserView};
use app::error::AppError;
use axum::{
    extract::{Path, State},
    Json,
};

use super::actor::Actor;
use super::problem::Problem;
use crate::accounts::Accounts;
use crate::db::Db;

/// `GET /api/v1/users/me`: bearer token or browser session.
pub async fn me(State(accounts): State<Accounts>, actor: Actor) -> Result<Json<UserView>, Problem> {
    let user = accounts
        .user(actor.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Json(user))
}

/// `GET /api/v1/profiles/{username}`: the public face of an account (no e-mail, no flags); open
/// to anonymous callers.
pub async fn public_profile(
    State(db): State<Db>,
    Path(username): Path<String>,
) -> Result<Json<PublicProfile>, Problem> {
    let profile = crate::db::users::public_profile(&db, &username)
        .await
        .map_err(|e| crate::error::db_error(e, "user"))?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    Ok(Json(profile))
}
