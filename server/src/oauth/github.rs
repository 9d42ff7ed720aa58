//! GitHub: standard OAuth2 with PKCE (S256). The token endpoint answers form-encoded unless
//! asked for JSON, and reports errors (a used code is `bad_verification_code`) with HTTP 200.

use serde_json::Value;
use url::Url;

use super::authorize::{self, Authorize};
use super::client::{error_code, parse_loose, send, text, ExchangeError, ProviderIdentity};
use super::settings::ProviderSettings;

pub fn authorize(settings: &ProviderSettings, redirect_uri: &Url) -> Authorize {
    authorize::standard(settings, redirect_uri, &["read:user"], true)
}

#[tracing::instrument(name = "oauth.github.exchange", skip_all)]
pub async fn exchange(
    http: &reqwest::Client,
    settings: &ProviderSettings,
    redirect_uri: &Url,
    code: &str,
    pkce_verifier: Option<&str>,
) -> Result<ProviderIdentity, ExchangeError> {
    let mut form = vec![
        ("client_id", settings.client_id.as_str()),
        ("client_secret", settings.client_secret.expose().as_str()),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
    ];
    if let Some(verifier) = pkce_verifier {
        form.push(("code_verifier", verifier));
    }
    let body = send(
        http.post(settings.token_url.clone())
            .header("accept", "application/json")
            .form(&form),
        "token",
    )
    .await?;
    let reply = parse_loose(&body).ok_or_else(|| ExchangeError::unreadable("token"))?;
    if let Some(code) = error_code(&reply, &["error"]) {
        tracing::warn!(provider_error = %code, "GitHub refused the code");
        return Err(match code.as_str() {
            "bad_verification_code" => ExchangeError::CodeUsed { code },
            _ => ExchangeError::Rejected { code },
        });
    }
    let token = text(&reply, "access_token").ok_or_else(|| ExchangeError::unreadable("token"))?;

    let body = send(
        http.get(settings.userinfo_url.clone())
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json"),
        "user",
    )
    .await?;
    let user = parse_loose(&body).ok_or_else(|| ExchangeError::unreadable("user"))?;
    let Some(id) = text(&user, "id") else {
        let code = text(&user, "message").unwrap_or_else(|| "no id".into());
        tracing::warn!(provider_error = %code, "GitHub refused the user call");
        return Err(ExchangeError::Rejected { code });
    };
    let login = text(&user, "login").unwrap_or_default();
    Ok(ProviderIdentity {
        openid: id,
        unionid: None,
        display_name: match user.get("name") {
            Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
            _ => login,
        },
        avatar_url: text(&user, "avatar_url"),
    })
}
