//! Devices, profile, e-mail verification and password reset: thin calls into
//! [`crate::ports::AccountLifecycle`].

use leptos::prelude::*;

use crate::dto::{DeviceView, ProfileView};
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "accounts/devices")]
pub async fn devices() -> Result<Vec<DeviceView>, AppError> {
    let services = crate::ports::services()?;
    services.lifecycle.devices(&crate::ports::session()?).await
}

#[server(prefix = "/fn", endpoint = "accounts/devices/sign-out")]
pub async fn sign_out_device(handle: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.lifecycle.sign_out_device(&user, &handle).await
}

/// `including_this` is a checkbox: present means this browser signs out too.
#[server(prefix = "/fn", endpoint = "accounts/devices/sign-out-all")]
pub async fn sign_out_everywhere(including_this: Option<String>) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let all = including_this.is_some();
    services
        .lifecycle
        .sign_out_everywhere(&crate::ports::session()?, all)
        .await?;
    if all {
        leptos_axum::redirect("/login");
    }
    Ok(())
}

#[server(prefix = "/fn", endpoint = "accounts/profile")]
pub async fn profile() -> Result<ProfileView, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.lifecycle.profile(&user).await
}

#[server(prefix = "/fn", endpoint = "accounts/profile/update")]
pub async fn update_profile(
    nickname: String,
    avatar_url: String,
    bio: String,
    email: String,
) -> Result<ProfileView, AppError> {
    use crate::dto::ProfileInput;
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    let input = ProfileInput {
        nickname,
        avatar_url,
        bio,
        email,
    };
    services.lifecycle.update_profile(&user, input).await
}

#[server(prefix = "/fn", endpoint = "accounts/verify-email/send")]
pub async fn send_verification() -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.lifecycle.send_verification(&user).await
}

#[server(prefix = "/fn", endpoint = "accounts/verify-email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    services.lifecycle.verify_email(&token).await
}

#[server(prefix = "/fn", endpoint = "accounts/password/forgot")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    services
        .lifecycle
        .request_password_reset(&crate::ports::request_meta(), &email)
        .await
}

#[server(prefix = "/fn", endpoint = "accounts/password/reset")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    services.lifecycle.reset_password(&token, password).await
}
