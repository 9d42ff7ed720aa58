//! Third-party sign-in as the UI and the server both name it: the providers, and the failures a
//! callback can end in (carried to the login page as a short code, never as free text, so a
//! crafted link cannot put words on our page).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Qq,
    Wechat,
    Weibo,
    Github,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Qq,
        Provider::Wechat,
        Provider::Weibo,
        Provider::Github,
    ];

    /// The name in URLs, configuration and the `oauth_identities.provider` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Qq => "qq",
            Provider::Wechat => "wechat",
            Provider::Weibo => "weibo",
            Provider::Github => "github",
        }
    }

    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// What a person reads on a button.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Qq => "QQ",
            Provider::Wechat => "微信 WeChat",
            Provider::Weibo => "微博 Weibo",
            Provider::Github => "GitHub",
        }
    }
}

/// Why a third-party sign-in did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OAuthFailure {
    /// The person refused consent at the provider.
    Denied,
    /// Missing, unknown, replayed or expired `state`: the flow was not started here, or too long ago.
    BadState,
    /// The provider says the authorization code was already used or has expired.
    CodeUsed,
    /// The provider answered with an error of its own.
    ProviderError,
    /// The provider could not be reached, or answered something unreadable.
    Unavailable,
    /// The identity belongs to another account already.
    BoundElsewhere,
    /// The identity's account is deactivated.
    AccountDisabled,
}

impl OAuthFailure {
    pub fn code(self) -> &'static str {
        match self {
            OAuthFailure::Denied => "denied",
            OAuthFailure::BadState => "state",
            OAuthFailure::CodeUsed => "code_used",
            OAuthFailure::ProviderError => "provider",
            OAuthFailure::Unavailable => "unavailable",
            OAuthFailure::BoundElsewhere => "bound_elsewhere",
            OAuthFailure::AccountDisabled => "disabled",
        }
    }

    pub fn parse(code: &str) -> Option<OAuthFailure> {
        [
            OAuthFailure::Denied,
            OAuthFailure::BadState,
            OAuthFailure::CodeUsed,
            OAuthFailure::ProviderError,
            OAuthFailure::Unavailable,
            OAuthFailure::BoundElsewhere,
            OAuthFailure::AccountDisabled,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }

    /// The message shown on the page, naming the provider when it is known.
    pub fn message(self, provider: Option<Provider>) -> String {
        let name = provider.map(Provider::label).unwrap_or("the provider");
        match self {
            OAuthFailure::Denied => format!("您取消了授权。You did not allow the sign-in at {name}."),
            OAuthFailure::BadState => {
                "登录链接已失效，请重试。This sign-in link has expired or was already used; please start again."
                    .into()
            }
            OAuthFailure::CodeUsed => format!(
                "授权码已被使用，请重新登录。The authorization from {name} was already used; please sign in again."
            ),
            OAuthFailure::ProviderError => {
                format!("{name} 返回了错误，请稍后重试。{name} reported an error; please try again later.")
            }
            OAuthFailure::Unavailable => format!(
                "暂时无法连接 {name}，请稍后重试。{name} could not be reached; please try again later."
            ),
            OAuthFailure::BoundElsewhere => format!(
                "该 {name} 账号已绑定其他学城账号。This {name} account is already linked to another Xuecheng account."
            ),
            OAuthFailure::AccountDisabled => {
                "该账号已停用。The account linked to this sign-in is disabled.".into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
        assert_eq!(Provider::parse("facebook"), None);
        assert_eq!(
            OAuthFailure::parse("code_used"),
            Some(OAuthFailure::CodeUsed)
        );
        assert_eq!(OAuthFailure::parse("<script>"), None);
    }

    #[test]
    fn messages_name_the_provider() {
        assert!(OAuthFailure::Denied
            .message(Some(Provider::Github))
            .contains("GitHub"));
    }
}
