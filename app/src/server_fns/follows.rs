//! Learning paths, follow buttons and mail settings: thin calls into the path and follow
//! services. Follows and settings act for the signed-in user (401 for nobody).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::dto::{FollowState, FollowTarget, MailSetting, PathDetail, PathSummary};
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "paths/list", input = Json)]
pub async fn list_paths() -> Result<Vec<PathSummary>, AppError> {
    crate::ports::services()?.paths.list_paths().await
}

#[server(prefix = "/fn", endpoint = "paths/one", input = Json)]
pub async fn get_path(slug: String) -> Result<PathDetail, AppError> {
    crate::ports::services()?.paths.path_by_slug(&slug).await
}

/// `target` as the forms send it: `course` or `path`.
pub fn parse_target(raw: &str) -> Result<FollowTarget, AppError> {
    match raw {
        "course" => Ok(FollowTarget::Course),
        "path" => Ok(FollowTarget::Path),
        _ => Err(AppError::BadRequest(
            crate::i18n::td_string!(crate::locale::current(), account.follow_target_invalid).into(),
        )),
    }
}

/// The caller's follow of a course or path; `None` for an anonymous visitor.
#[server(prefix = "/fn", endpoint = "follows/state", input = Json)]
pub async fn get_follow_state(target: String, id: i64) -> Result<Option<FollowState>, AppError> {
    let services = crate::ports::services()?;
    let target = parse_target(&target)?;
    match services
        .accounts
        .current_user(&crate::ports::session()?)
        .await?
    {
        Some(user) => services.follows.state(user.id, target, id).await.map(Some),
        None => Ok(None),
    }
}

/// Follows (`follow = true`) or stops following; answers the new state.
#[server(prefix = "/fn", endpoint = "follows/set")]
pub async fn set_follow(target: String, id: i64, follow: bool) -> Result<FollowState, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    let target = parse_target(&target)?;
    if follow {
        services.follows.follow(user.id, target, id).await?;
    } else {
        services.follows.unfollow(user.id, target, id).await?;
    }
    services.follows.state(user.id, target, id).await
}

#[server(prefix = "/fn", endpoint = "account/mail-settings", input = Json)]
pub async fn mail_settings() -> Result<Vec<MailSetting>, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.follows.mail_settings(user.id).await
}

/// One kind on or off (`enabled` is a checkbox: present means on).
#[server(prefix = "/fn", endpoint = "account/mail-setting")]
pub async fn set_mail_setting(
    kind: String,
    enabled: Option<String>,
) -> Result<Vec<MailSetting>, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services
        .follows
        .set_mail_setting(user.id, &kind, enabled.is_some())
        .await
}
