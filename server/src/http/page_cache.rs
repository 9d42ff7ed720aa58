//! A whole-response cache for anonymous page views.
//!
//! Rendering a catalogue page costs far more than serving bytes, and nearly all of those views
//! are identical for every visitor who is not signed in. So an anonymous `GET` of a public page
//! is answered from memory when the same URL (and the same content encoding) was rendered less
//! than `PAGE_CACHE_SECONDS` ago. Requests that carry our session cookie always render: their
//! pages differ per person. Changes to the catalogue clear the cache ([`PageCache::clear`]).

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};
use bytes::Bytes;
use http_body_util::BodyExt;
use moka::future::Cache;

/// The cookie that marks a signed-in (or signing-in) browser.
pub const SESSION_COOKIE: &str = "xc_session";
/// Pages larger than this are served but not kept.
const MAX_CACHED_BYTES: usize = 1024 * 1024;

/// Cloned for every request by its layer: one `Arc` (a moka handle is several).
#[derive(Clone)]
pub struct PageCache {
    entries: Option<Arc<Cache<String, CachedPage>>>,
}

#[derive(Clone)]
struct CachedPage {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl PageCache {
    pub fn new(ttl: Duration) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            Arc::new(
                Cache::builder()
                    .max_capacity(5_000)
                    .time_to_live(ttl)
                    .build(),
            )
        });
        Self { entries }
    }

    pub fn clear(&self) {
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }
}

fn is_public_page(path: &str) -> bool {
    path == "/" || path == "/courses" || path.starts_with("/courses/")
}

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
    let Some(entries) = cache.entries.clone() else {
        return next.run(request).await;
    };
    let cacheable = matches!(*request.method(), Method::GET | Method::HEAD)
        && is_public_page(request.uri().path())
        && !has_session_cookie(request.headers());
    if !cacheable {
        return next.run(request).await;
    }
    let encoding = normalise_encoding(request.headers_mut());
    let key = format!("{encoding} {}", request.uri());
    if let Some(hit) = entries.get(&key).await {
        let mut response = Response::new(Body::from(hit.body));
        *response.status_mut() = hit.status;
        *response.headers_mut() = hit.headers;
        response
            .headers_mut()
            .insert("x-cache", HeaderValue::from_static("hit"));
        return response;
    }

    let response = next.run(request).await;
    let storable = matches!(response.status(), StatusCode::OK | StatusCode::NOT_FOUND)
        && !response.headers().contains_key(header::SET_COOKIE)
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"));
    if !storable {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            tracing::warn!(error = %err, "page body failed while buffering for the cache");
            return Response::from_parts(parts, Body::empty());
        }
    };
    if body.len() <= MAX_CACHED_BYTES {
        let page = CachedPage {
            status: parts.status,
            headers: parts.headers.clone(),
            body: body.clone(),
        };
        entries.insert(key, page).await;
    }
    let mut response = Response::from_parts(parts, Body::from(body));
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
