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
    /// In the current request's (or page's) language.
    pub fn label(self) -> &'static str {
        use crate::i18n::td_string;
        let loc = crate::locale::current();
        match self {
            Provider::Qq => "QQ",
            Provider::Wechat => td_string!(loc, account.provider_wechat),
            Provider::Weibo => td_string!(loc, account.provider_weibo),
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
        use crate::i18n::td_string;
        let loc = crate::locale::current();
        let name = provider
            .map(Provider::label)
            .unwrap_or(td_string!(loc, account.the_provider));
        match self {
            OAuthFailure::Denied => td_string!(loc, account.oauth_denied, name = name).to_string(),
            OAuthFailure::BadState => td_string!(loc, account.oauth_bad_state).into(),
            OAuthFailure::CodeUsed => {
                td_string!(loc, account.oauth_code_used, name = name).to_string()
            }
            OAuthFailure::ProviderError => {
                td_string!(loc, account.oauth_provider_error, name = name).to_string()
            }
            OAuthFailure::Unavailable => {
                td_string!(loc, account.oauth_unavailable, name = name).to_string()
            }
            OAuthFailure::BoundElsewhere => {
                td_string!(loc, account.oauth_bound_elsewhere, name = name).to_string()
            }
            OAuthFailure::AccountDisabled => td_string!(loc, account.oauth_disabled).into(),
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
