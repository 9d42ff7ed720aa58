//! Third-party sign-in around the redirect flow: the provider buttons, the "finish sign-up"
//! page and the account's connected identities. Thin calls into the OAuth service.

use leptos::prelude::*;

use crate::dto::{Connections, PendingIdentity, ProviderInfo};
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "oauth/providers")]
pub async fn oauth_providers() -> Result<Vec<ProviderInfo>, AppError> {
    Ok(crate::ports::services()?.oauth.providers())
}

#[server(prefix = "/fn", endpoint = "oauth/pending")]
pub async fn oauth_pending() -> Result<Option<PendingIdentity>, AppError> {
    let services = crate::ports::services()?;
    services.oauth.pending(&crate::ports::session()?).await
}

#[server(prefix = "/fn", endpoint = "oauth/register")]
pub async fn oauth_register(username: String, email: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let next = services
        .oauth
        .finish_register(&crate::ports::session()?, username, email)
        .await?;
    leptos_axum::redirect(&next);
    Ok(())
}

/// `login` is a username or an e-mail address, as on the sign-in form.
#[server(prefix = "/fn", endpoint = "oauth/bind")]
pub async fn oauth_bind(login: String, password: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let meta = crate::ports::request_meta();
    let next = services
        .oauth
        .finish_bind(&crate::ports::session()?, &meta, login, password)
        .await?;
    leptos_axum::redirect(&next);
    Ok(())
}

#[server(prefix = "/fn", endpoint = "oauth/connections")]
pub async fn oauth_connections() -> Result<Connections, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.oauth.connections(&user).await
}

#[server(prefix = "/fn", endpoint = "oauth/unbind")]
pub async fn oauth_unbind(id: i64) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services
        .oauth
        .unbind(&user, &crate::ports::request_meta(), id)
        .await
}
