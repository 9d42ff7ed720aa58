//! What the adapters hand the services about a request beside its caller
//! ([`app::domain::RequestMeta`]: client address, browser), built here and nowhere else, so a
//! REST handler and a server function calling the same service give it the same facts.
//!
//! REST handlers take it with the [`Meta`] extractor; server functions find it (and the browser
//! session) in their Leptos context, put there by [`provide_to_leptos`] for every page render and
//! server-function call.

use app::domain::RequestMeta;
use axum::{extract::FromRequestParts, http::request::Parts};
use tower_sessions::Session;

use super::client_ip::client_ip;

/// The request's metadata: the client address as [`client_ip`] decided it (`TRUSTED_PROXIES`),
/// and the `User-Agent` header.
pub fn of(extensions: &http::Extensions, headers: &http::HeaderMap) -> RequestMeta {
    RequestMeta {
        client_ip: client_ip(extensions),
        user_agent: headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

/// Extractor: the [`RequestMeta`] of the request a REST handler serves.
#[derive(Debug, Clone)]
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(of(&parts.extensions, &parts.headers)))
    }
}

/// For the Leptos context of a page render or server-function call (leptos_axum provides the
/// request's parts before it runs this): the [`RequestMeta`] and the browser [`Session`] that
/// `app::ports::request_meta` and `app::ports::session` hand to server functions.
pub fn provide_to_leptos() {
    let found = leptos::prelude::with_context::<Parts, _>(|parts| {
        (
            of(&parts.extensions, &parts.headers),
            parts.extensions.get::<Session>().cloned(),
        )
    });
    if let Some((meta, session)) = found {
        leptos::prelude::provide_context(meta);
        if let Some(session) = session {
            leptos::prelude::provide_context(session);
        }
    }
}
