//! WeChat. Two flows share the token and profile calls: the website QR login (`qrconnect`,
//! scope `snsapi_login`, the Open Platform app) and, inside the WeChat browser, the Official
//! Account flow (`oauth2/authorize`, scope `snsapi_userinfo`, its own appid). The authorize
//! parameters must come in WeChat's documented order and end with `#wechat_redirect`, so that
//! URL is built by hand. Every reply is checked for `errcode` (errors come with HTTP 200).

use oauth2::CsrfToken;
use serde_json::{Map, Value};
use url::Url;

use super::authorize::Authorize;
use super::client::{error_code, parse_loose, send, text, ExchangeError, ProviderIdentity};
use super::settings::ProviderSettings;

/// 40163 "code been used", 40029 "invalid code" (expired or foreign).
const CODE_ERRORS: [&str; 2] = ["40163", "40029"];

/// Whether this browser is WeChat's own, where the QR page cannot be scanned.
pub fn is_wechat_browser(user_agent: &str) -> bool {
    user_agent.contains("MicroMessenger")
}

/// The appid and secret of the flow in use.
fn credentials(settings: &ProviderSettings, mp: bool) -> (&str, &str) {
    match (&settings.mp, mp) {
        (Some(mp), true) => (mp.client_id.as_str(), mp.client_secret.expose().as_str()),
        _ => (
            settings.client_id.as_str(),
            settings.client_secret.expose().as_str(),
        ),
    }
}

pub fn authorize(settings: &ProviderSettings, redirect_uri: &Url, mp: bool) -> Authorize {
    let state = CsrfToken::new_random().secret().clone();
    let (appid, _) = credentials(settings, mp);
    let (base, scope) = match (&settings.mp, mp) {
        (Some(m), true) => (m.auth_url.clone(), "snsapi_userinfo"),
        _ => (settings.auth_url.clone(), "snsapi_login"),
    };
    let mut url = base;
    url.query_pairs_mut()
        .append_pair("appid", appid)
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", &state);
    url.set_fragment(Some("wechat_redirect"));
    Authorize {
        url,
        state,
        pkce_verifier: None,
    }
}

fn reply(body: &str, what: &str) -> Result<Map<String, Value>, ExchangeError> {
    let map = parse_loose(body).ok_or_else(|| ExchangeError::unreadable(what))?;
    match error_code(&map, &["errcode"]) {
        Some(code) => {
            tracing::warn!(provider_error = %code, what, "WeChat reported an error");
            Err(if CODE_ERRORS.contains(&code.as_str()) {
                ExchangeError::CodeUsed { code }
            } else {
                ExchangeError::Rejected { code }
            })
        }
        None => Ok(map),
    }
}

#[tracing::instrument(name = "oauth.wechat.exchange", skip_all, fields(mp))]
pub async fn exchange(
    http: &reqwest::Client,
    settings: &ProviderSettings,
    code: &str,
    mp: bool,
) -> Result<ProviderIdentity, ExchangeError> {
    let (appid, secret) = credentials(settings, mp);
    let body = send(
        http.get(settings.token_url.clone()).query(&[
            ("appid", appid),
            ("secret", secret),
            ("code", code),
            ("grant_type", "authorization_code"),
        ]),
        "token",
    )
    .await?;
    let token_reply = reply(&body, "token")?;
    let token =
        text(&token_reply, "access_token").ok_or_else(|| ExchangeError::unreadable("token"))?;
    let openid = text(&token_reply, "openid").ok_or_else(|| ExchangeError::unreadable("token"))?;

    let body = send(
        http.get(settings.userinfo_url.clone()).query(&[
            ("access_token", token.as_str()),
            ("openid", openid.as_str()),
            ("lang", "zh_CN"),
        ]),
        "profile",
    )
    .await?;
    let profile = reply(&body, "profile")?;
    Ok(ProviderIdentity {
        // The token reply carries the unionid when the app is bound to an Open Platform account;
        // the profile carries it too.
        unionid: text(&profile, "unionid").or_else(|| text(&token_reply, "unionid")),
        openid,
        display_name: text(&profile, "nickname").unwrap_or_default(),
        avatar_url: text(&profile, "headimgurl"),
    })
}
