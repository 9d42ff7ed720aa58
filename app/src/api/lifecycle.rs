//! Devices, profile, e-mail verification and password reset: thin calls into
//! [`crate::ports::AccountLifecycle`].

use leptos::prelude::*;

use crate::dto::{DeviceView, ProfileView};
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "accounts/devices")]
pub async fn devices() -> Result<Vec<DeviceView>, AppError> {
    let services = crate::ports::services()?;
    let parts = crate::ports::request_parts().await?;
    services.lifecycle.devices(&parts).await
}

#[server(prefix = "/fn", endpoint = "accounts/devices/sign-out")]
pub async fn sign_out_device(handle: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let parts = crate::ports::request_parts().await?;
    services.lifecycle.sign_out_device(&parts, &handle).await
}

/// `including_this` is a checkbox: present means this browser signs out too.
#[server(prefix = "/fn", endpoint = "accounts/devices/sign-out-all")]
pub async fn sign_out_everywhere(including_this: Option<String>) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let parts = crate::ports::request_parts().await?;
    let all = including_this.is_some();
    services.lifecycle.sign_out_everywhere(&parts, all).await?;
    if all {
        leptos_axum::redirect("/login");
    }
    Ok(())
}

#[server(prefix = "/fn", endpoint = "accounts/profile")]
pub async fn profile() -> Result<ProfileView, AppError> {
    let services = crate::ports::services()?;
    let parts = crate::ports::request_parts().await?;
    services.lifecycle.profile(&parts).await
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
    let parts = crate::ports::request_parts().await?;
    let input = ProfileInput {
        nickname,
        avatar_url,
        bio,
        email,
    };
    services.lifecycle.update_profile(&parts, input).await
}

#[server(prefix = "/fn", endpoint = "accounts/verify-email/send")]
pub async fn send_verification() -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let parts = crate::ports::request_parts().await?;
    services.lifecycle.send_verification(&parts).await
}

#[server(prefix = "/fn", endpoint = "accounts/verify-email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    services.lifecycle.verify_email(&token).await
}

#[server(prefix = "/fn", endpoint = "accounts/password/forgot")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let parts = crate::ports::request_parts().await?;
    services
        .lifecycle
        .request_password_reset(&parts, &email)
        .await
}

#[server(prefix = "/fn", endpoint = "accounts/password/reset")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    services.lifecycle.reset_password(&token, password).await
}
