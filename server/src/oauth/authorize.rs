//! The authorize redirect: a fresh `state` (and PKCE pair) per attempt, built with the `oauth2`
//! crate for the dialects that follow RFC 6749's parameter names.

use oauth2::{
    basic::BasicClient, AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
};
use url::Url;

use super::settings::ProviderSettings;

/// Where to send the browser, and what to remember in the session until it comes back.
pub struct Authorize {
    pub url: Url,
    pub state: String,
    /// The PKCE verifier, for providers that take a `code_challenge`.
    pub pkce_verifier: Option<String>,
}

pub fn standard(
    settings: &ProviderSettings,
    redirect_uri: &Url,
    scopes: &[&str],
    pkce: bool,
) -> Authorize {
    let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(settings.auth_url.clone()))
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
    let mut request = client.authorize_url(CsrfToken::new_random);
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_string()));
    }
    let mut pkce_verifier = None;
    if pkce {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        request = request.set_pkce_challenge(challenge);
        pkce_verifier = Some(verifier.secret().clone());
    }
    let (url, state) = request.url();
    Authorize {
        url,
        state: state.secret().clone(),
        pkce_verifier,
    }
}
