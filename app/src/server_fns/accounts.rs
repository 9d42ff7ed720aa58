//! Sign-up, sign-in, sign-out and "who am I". Each is a thin call into the account service.

use leptos::prelude::*;

use crate::dto::UserView;
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "accounts/register")]
pub async fn register(username: String, email: String, password: String) -> Result<(), AppError> {
    use crate::dto::RegisterInput;
    let services = crate::ports::services()?;
    services
        .accounts
        .register(
            &crate::ports::session()?,
            RegisterInput {
                username,
                email,
                password,
            },
        )
        .await?;
    leptos_axum::redirect("/account");
    Ok(())
}

/// `username` may also be an e-mail address. `remember` is a checkbox: present means yes.
#[server(prefix = "/fn", endpoint = "accounts/login")]
pub async fn login(
    username: String,
    password: String,
    remember: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::dto::LoginInput;
    let services = crate::ports::services()?;
    let input = LoginInput {
        login: username,
        password,
        remember: remember.is_some(),
    };
    let meta = crate::ports::request_meta();
    services
        .accounts
        .login(&crate::ports::session()?, &meta, input)
        .await?;
    leptos_axum::redirect(crate::domain::account::local_destination(next.as_deref()));
    Ok(())
}

#[server(prefix = "/fn", endpoint = "accounts/logout")]
pub async fn logout() -> Result<(), AppError> {
    let services = crate::ports::services()?;
    services.accounts.logout(&crate::ports::session()?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "accounts/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let meta = crate::ports::request_meta();
    services
        .accounts
        .change_password(
            &crate::ports::session()?,
            &meta,
            current_password,
            new_password,
        )
        .await
}

#[server(prefix = "/fn", endpoint = "accounts/me")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    let services = crate::ports::services()?;
    services
        .accounts
        .current_user(&crate::ports::session()?)
        .await
}
