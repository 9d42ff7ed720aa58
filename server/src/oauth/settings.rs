//! `OAUTH_*` settings: a provider is enabled by its client id and secret; every endpoint URL can
//! be overridden (tests point them at a local fake provider).

use app::domain::oauth::Provider;
use url::Url;

use crate::config::{ConfigError, Secret};

/// The endpoints and credentials of one configured provider.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub provider: Provider,
    pub client_id: String,
    pub client_secret: Secret<String>,
    pub auth_url: Url,
    pub token_url: Url,
    pub userinfo_url: Url,
    /// QQ only: the `/oauth2.0/me` endpoint that turns a token into an openid.
    pub openid_url: Option<Url>,
    /// WeChat only: the Official Account app used inside the WeChat browser.
    pub mp: Option<WechatMp>,
}

/// WeChat's in-app-browser flow: its own appid (an Official Account), its own authorize page.
#[derive(Debug, Clone)]
pub struct WechatMp {
    pub client_id: String,
    pub client_secret: Secret<String>,
    pub auth_url: Url,
}

#[derive(Debug, Clone, Default)]
pub struct OAuthSettings {
    pub providers: Vec<ProviderSettings>,
}

impl OAuthSettings {
    pub fn get(&self, provider: Provider) -> Option<&ProviderSettings> {
        self.providers.iter().find(|p| p.provider == provider)
    }
}

struct Defaults {
    auth: &'static str,
    token: &'static str,
    userinfo: &'static str,
}

fn defaults(provider: Provider) -> Defaults {
    match provider {
        Provider::Qq => Defaults {
            auth: "https://graph.qq.com/oauth2.0/authorize",
            token: "https://graph.qq.com/oauth2.0/token",
            userinfo: "https://graph.qq.com/user/get_user_info",
        },
        Provider::Wechat => Defaults {
            auth: "https://open.weixin.qq.com/connect/qrconnect",
            token: "https://api.weixin.qq.com/sns/oauth2/access_token",
            userinfo: "https://api.weixin.qq.com/sns/userinfo",
        },
        Provider::Weibo => Defaults {
            auth: "https://api.weibo.com/oauth2/authorize",
            token: "https://api.weibo.com/oauth2/access_token",
            userinfo: "https://api.weibo.com/2/users/show.json",
        },
        Provider::Github => Defaults {
            auth: "https://github.com/login/oauth/authorize",
            token: "https://github.com/login/oauth/access_token",
            userinfo: "https://api.github.com/user",
        },
    }
}

fn name(provider: Provider, suffix: &str) -> String {
    format!("OAUTH_{}_{suffix}", provider.as_str().to_ascii_uppercase())
}

/// [`ConfigError`] names its variable with a `&'static str`; a bad value stops start-up, so
/// leaking the one name of the failure costs nothing.
fn bad(name: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var: Box::leak(name.to_string().into_boxed_str()),
        message: message.into(),
    }
}

fn url_var(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<Url, ConfigError> {
    let raw = var(name).unwrap_or_else(|| default.to_string());
    let url = Url::parse(&raw).map_err(|e| bad(name, format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(name, "must be an http:// or https:// URL"));
    }
    Ok(url)
}

/// Reads every provider; one with neither id nor secret is simply off, one with only one of
/// them is a mistake worth stopping for.
pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<OAuthSettings, ConfigError> {
    let mut providers = Vec::new();
    for provider in Provider::ALL {
        let id_var = name(provider, "CLIENT_ID");
        let secret_var = name(provider, "CLIENT_SECRET");
        let (client_id, client_secret) = match (var(&id_var), var(&secret_var)) {
            (None, None) => continue,
            (Some(id), Some(secret)) => (id, Secret::new(secret)),
            (None, Some(_)) => {
                return Err(bad(
                    &id_var,
                    format!("is required when {secret_var} is set"),
                ))
            }
            (Some(_), None) => {
                return Err(bad(
                    &secret_var,
                    format!("is required when {id_var} is set"),
                ))
            }
        };
        let d = defaults(provider);
        let openid_url = match provider {
            Provider::Qq => Some(url_var(
                var,
                &name(provider, "OPENID_URL"),
                "https://graph.qq.com/oauth2.0/me",
            )?),
            _ => None,
        };
        let mp = match provider {
            Provider::Wechat => Some(WechatMp {
                client_id: var("OAUTH_WECHAT_MP_CLIENT_ID").unwrap_or_else(|| client_id.clone()),
                client_secret: var("OAUTH_WECHAT_MP_CLIENT_SECRET")
                    .map(Secret::new)
                    .unwrap_or_else(|| client_secret.clone()),
                auth_url: url_var(
                    var,
                    "OAUTH_WECHAT_MP_AUTH_URL",
                    "https://open.weixin.qq.com/connect/oauth2/authorize",
                )?,
            }),
            _ => None,
        };
        providers.push(ProviderSettings {
            provider,
            client_id,
            client_secret,
            auth_url: url_var(var, &name(provider, "AUTH_URL"), d.auth)?,
            token_url: url_var(var, &name(provider, "TOKEN_URL"), d.token)?,
            userinfo_url: url_var(var, &name(provider, "USERINFO_URL"), d.userinfo)?,
            openid_url,
            mp,
        });
    }
    Ok(OAuthSettings { providers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<OAuthSettings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_lookup(&|name: &str| map.get(name).cloned())
    }

    #[test]
    fn a_provider_is_on_with_id_and_secret_and_defaults_to_real_endpoints() {
        let s = read(&[
            ("OAUTH_QQ_CLIENT_ID", "101"),
            ("OAUTH_QQ_CLIENT_SECRET", "k"),
        ])
        .unwrap();
        let qq = s.get(Provider::Qq).unwrap();
        assert_eq!(qq.token_url.as_str(), "https://graph.qq.com/oauth2.0/token");
        assert_eq!(
            qq.openid_url.as_ref().unwrap().as_str(),
            "https://graph.qq.com/oauth2.0/me"
        );
        assert!(s.get(Provider::Github).is_none());
        assert!(!format!("{qq:?}").contains("\"k\""));
    }

    #[test]
    fn half_a_credential_or_a_bad_url_names_the_variable() {
        let err = read(&[("OAUTH_GITHUB_CLIENT_ID", "x")]).unwrap_err();
        assert_eq!(err.var, "OAUTH_GITHUB_CLIENT_SECRET");
        let err = read(&[
            ("OAUTH_WEIBO_CLIENT_ID", "x"),
            ("OAUTH_WEIBO_CLIENT_SECRET", "y"),
            ("OAUTH_WEIBO_TOKEN_URL", "ftp://nope"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "OAUTH_WEIBO_TOKEN_URL");
    }
}
