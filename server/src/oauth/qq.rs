//! QQ Connect. Three calls after the redirect: the token (urlencoded by default, JSON with
//! `fmt=json` — unverified on this endpoint, so both are read), `/me` for the openid (JSONP by
//! default, JSON with `fmt=json`; `unionid=1` asks for the unionid), and the profile (`ret` 0
//! means success, HTTP 200 either way). Errors arrive as JSONP or JSON `{"error": …}`.

use serde_json::{Map, Value};
use url::Url;

use super::authorize::{self, Authorize};
use super::client::{error_code, parse_loose, send, text, ExchangeError, ProviderIdentity};
use super::settings::ProviderSettings;

/// "code to access token error" (a wrong or expired code) and "code is reused error".
const CODE_ERRORS: [&str; 2] = ["100019", "100020"];
/// The app lacks the unionid permission: ask again for the openid alone.
const NO_UNIONID_PERMISSION: &str = "100048";

pub fn authorize(settings: &ProviderSettings, redirect_uri: &Url) -> Authorize {
    authorize::standard(settings, redirect_uri, &["get_user_info"], false)
}

fn reply(body: &str, what: &str) -> Result<Map<String, Value>, ExchangeError> {
    let map = parse_loose(body).ok_or_else(|| ExchangeError::unreadable(what))?;
    match error_code(&map, &["error", "code"]) {
        Some(code) => {
            tracing::warn!(provider_error = %code, what, "QQ reported an error");
            Err(if CODE_ERRORS.contains(&code.as_str()) {
                ExchangeError::CodeUsed { code }
            } else {
                ExchangeError::Rejected { code }
            })
        }
        None => Ok(map),
    }
}

#[tracing::instrument(name = "oauth.qq.exchange", skip_all)]
pub async fn exchange(
    http: &reqwest::Client,
    settings: &ProviderSettings,
    redirect_uri: &Url,
    code: &str,
) -> Result<ProviderIdentity, ExchangeError> {
    let body = send(
        http.get(settings.token_url.clone()).query(&[
            ("grant_type", "authorization_code"),
            ("client_id", settings.client_id.as_str()),
            ("client_secret", settings.client_secret.expose().as_str()),
            ("code", code),
            ("redirect_uri", redirect_uri.as_str()),
            ("fmt", "json"),
        ]),
        "token",
    )
    .await?;
    let token = text(&reply(&body, "token")?, "access_token")
        .ok_or_else(|| ExchangeError::unreadable("token"))?;

    let me_url = settings
        .openid_url
        .clone()
        .ok_or_else(|| ExchangeError::unreadable("configuration"))?;
    let me = |unionid: bool| {
        let mut query = vec![("access_token", token.as_str()), ("fmt", "json")];
        if unionid {
            query.push(("unionid", "1"));
        }
        http.get(me_url.clone()).query(&query)
    };
    let me_reply = match reply(&send(me(true), "openid").await?, "openid") {
        Err(ExchangeError::Rejected { code }) if code == NO_UNIONID_PERMISSION => {
            reply(&send(me(false), "openid").await?, "openid")?
        }
        other => other?,
    };
    let openid = text(&me_reply, "openid").ok_or_else(|| ExchangeError::unreadable("openid"))?;

    let body = send(
        http.get(settings.userinfo_url.clone()).query(&[
            ("access_token", token.as_str()),
            ("oauth_consumer_key", settings.client_id.as_str()),
            ("openid", openid.as_str()),
        ]),
        "profile",
    )
    .await?;
    let profile = parse_loose(&body).ok_or_else(|| ExchangeError::unreadable("profile"))?;
    if let Some(code) = error_code(&profile, &["ret"]) {
        tracing::warn!(provider_error = %code, "QQ refused the profile call");
        return Err(ExchangeError::Rejected { code });
    }
    Ok(ProviderIdentity {
        unionid: text(&me_reply, "unionid"),
        openid,
        display_name: text(&profile, "nickname").unwrap_or_default(),
        avatar_url: text(&profile, "figureurl_qq_2").or_else(|| text(&profile, "figureurl_qq_1")),
    })
}
