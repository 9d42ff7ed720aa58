//! A whole-response cache for anonymous page views.
//!
//! Rendering a catalogue page costs far more than serving bytes, and nearly all of those views
//! are identical for every visitor who is not signed in. So an anonymous `GET` of a public page
//! is answered from memory when the same URL (and the same content encoding) was rendered less
//! than `PAGE_CACHE_SECONDS` ago. Requests that carry our session cookie always render: their
//! pages differ per person. Changes to the catalogue clear the cache ([`PageCache::clear`]), and
//! a page rendered from data read before such a change is not kept after it: the storing, the
//! bounds and that guard are the shared [`super::response_cache`]'s; the key and the rules of
//! what is kept are this file's.

use crate::metrics::layer::CacheOutcome;
use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};

use super::response_cache::ResponseCache;

/// The cookie that marks a signed-in (or signing-in) browser.
pub const SESSION_COOKIE: &str = "xc_session";

/// Cloned for every request by its layer.
#[derive(Clone)]
pub struct PageCache {
    entries: ResponseCache,
}

impl PageCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: ResponseCache::new(ttl, "page"),
        }
    }

    /// Forgets every page, including those being rendered from data read before the change.
    pub fn clear(&self) {
        self.entries.clear();
    }

    /// The cache underneath (tests hold its fills to reproduce a write during a render).
    pub fn responses(&self) -> &ResponseCache {
        &self.entries
    }
}

use app::bundles::is_public_page;

/// The request carries our session cookie (whatever its value): it may be signed in.
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .any(|v| {
            v.split(';').any(|pair| {
                pair.split_once('=')
                    .is_some_and(|(name, _)| name.trim() == SESSION_COOKIE)
            })
        })
}

/// One encoding per client, chosen the way the compression layer would choose it. The request is
/// rewritten to ask for exactly that, so the stored bytes match the key.
fn normalise_encoding(headers: &mut HeaderMap) -> &'static str {
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let has = |name: &str| {
        accepted.split(',').any(|part| {
            let mut it = part.split(';');
            let token = it.next().unwrap_or("").trim();
            let refused = it.any(|p| p.trim().replace(' ', "") == "q=0");
            token.eq_ignore_ascii_case(name) && !refused
        })
    };
    let chosen = if has("br") {
        "br"
    } else if has("gzip") {
        "gzip"
    } else {
        "identity"
    };
    headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(chosen));
    chosen
}

pub async fn layer(State(cache): State<PageCache>, mut request: Request, next: Next) -> Response {
    let cacheable = cache.entries.is_on()
        && matches!(*request.method(), Method::GET | Method::HEAD)
        && is_public_page(request.uri().path())
        && !has_session_cookie(request.headers());
    if !cacheable {
        return next.run(request).await;
    }
    let encoding = normalise_encoding(request.headers_mut());
    // One entry per language: the locale layer (outside this one) chose it already.
    let language = request
        .extensions()
        .get::<app::locale::RequestLocale>()
        .map_or("-", |l| l.0.as_str());
    let key = format!("{encoding} {language} {}", request.uri());
    if let Some(mut hit) = cache.entries.get(&key).await {
        hit.headers_mut()
            .insert("x-cache", HeaderValue::from_static("hit"));
        hit.extensions_mut().insert(CacheOutcome {
            cache: "page",
            hit: true,
        });
        return hit;
    }
    let fill = cache.entries.begin(key);
    let mut response = next.run(request).await;
    response.extensions_mut().insert(CacheOutcome {
        cache: "page",
        hit: false,
    });
    let storable = matches!(response.status(), StatusCode::OK | StatusCode::NOT_FOUND)
        && !response.headers().contains_key(header::SET_COOKIE)
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"));
    let Some(fill) = fill.filter(|_| storable) else {
        return response;
    };
    let mut response = fill.keep(response).await;
    response
        .headers_mut()
        .insert("x-cache", HeaderValue::from_static("miss"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; xc_session=abc"),
        );
        assert!(has_session_cookie(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1;xc_session =x"),
        );
        assert!(has_session_cookie(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xc_session_hint=1"),
        );
        assert!(!has_session_cookie(&h));
    }

    #[test]
    fn encodings_are_normalised() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br;q=0"),
        );
        assert_eq!(normalise_encoding(&mut h), "gzip");
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip"),
        );
        assert_eq!(normalise_encoding(&mut h), "br");
        let mut empty = HeaderMap::new();
        assert_eq!(normalise_encoding(&mut empty), "identity");
    }
}
