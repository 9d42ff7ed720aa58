//! Weibo: the token is a form POST whose JSON reply carries the `uid`; errors are JSON with
//! `error` and a numeric `error_code` (21325 for a used or expired code).

use url::Url;

use super::authorize::{self, Authorize};
use super::client::{error_code, parse_loose, send, text, ExchangeError, ProviderIdentity};
use super::settings::ProviderSettings;

/// invalid_grant: the code was used, expired or issued to someone else.
const CODE_ERRORS: [&str; 1] = ["21325"];

pub fn authorize(settings: &ProviderSettings, redirect_uri: &Url) -> Authorize {
    authorize::standard(settings, redirect_uri, &[], false)
}

fn check(
    map: &serde_json::Map<String, serde_json::Value>,
    what: &str,
) -> Result<(), ExchangeError> {
    match error_code(map, &["error_code", "error"]) {
        Some(code) => {
            tracing::warn!(provider_error = %code, what, "Weibo reported an error");
            Err(
                if CODE_ERRORS.contains(&code.as_str()) || code == "invalid_grant" {
                    ExchangeError::CodeUsed { code }
                } else {
                    ExchangeError::Rejected { code }
                },
            )
        }
        None => Ok(()),
    }
}

#[tracing::instrument(name = "oauth.weibo.exchange", skip_all)]
pub async fn exchange(
    http: &reqwest::Client,
    settings: &ProviderSettings,
    redirect_uri: &Url,
    code: &str,
) -> Result<ProviderIdentity, ExchangeError> {
    let body = send(
        http.post(settings.token_url.clone()).form(&[
            ("client_id", settings.client_id.as_str()),
            ("client_secret", settings.client_secret.expose().as_str()),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri.as_str()),
        ]),
        "token",
    )
    .await?;
    let token_reply = parse_loose(&body).ok_or_else(|| ExchangeError::unreadable("token"))?;
    check(&token_reply, "token")?;
    let token =
        text(&token_reply, "access_token").ok_or_else(|| ExchangeError::unreadable("token"))?;
    let uid = text(&token_reply, "uid").ok_or_else(|| ExchangeError::unreadable("token"))?;

    let body = send(
        http.get(settings.userinfo_url.clone())
            .query(&[("access_token", token.as_str()), ("uid", uid.as_str())]),
        "profile",
    )
    .await?;
    let profile = parse_loose(&body).ok_or_else(|| ExchangeError::unreadable("profile"))?;
    check(&profile, "profile")?;
    Ok(ProviderIdentity {
        openid: uid,
        unionid: None,
        display_name: text(&profile, "screen_name").unwrap_or_default(),
        avatar_url: text(&profile, "avatar_large").or_else(|| text(&profile, "profile_image_url")),
    })
}
