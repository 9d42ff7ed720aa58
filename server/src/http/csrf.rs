//! Cross-site request forgery defence for everything that changes state.
//!
//! Two layers: session cookies are `SameSite=Lax` (browsers do not attach them to cross-site
//! POSTs), and this check refuses any state-changing request whose `Origin` (or, failing that,
//! `Referer`) names another site. A request that carries our session cookie must name its
//! origin at all; cookie-less clients (API tools using bearer tokens) have nothing to forge.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::Response,
};

use super::page_cache::SESSION_COOKIE;

#[derive(Clone)]
pub struct AllowedOrigins(pub std::sync::Arc<Vec<String>>);

fn origin_of(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return Some(origin.trim_end_matches('/').to_ascii_lowercase());
    }
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok())?;
    let url = url::Url::parse(referer).ok()?;
    Some(url.origin().ascii_serialization().to_ascii_lowercase())
}

fn same_host(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !host.is_empty()
        && (origin == format!("http://{}", host.to_ascii_lowercase())
            || origin == format!("https://{}", host.to_ascii_lowercase()))
}

/// For websocket upgrades (a GET the layer lets through): the request must carry an `Origin`
/// (browsers always send one on websockets) naming `public_origin` or the request's own host.
/// Without this a page on another site could open a terminal with the visitor's cookie.
pub fn websocket_origin_ok(headers: &HeaderMap, public_origin: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    origin == public_origin || same_host(&origin, headers)
}

/// Pages a payment provider's own site posts the buyer back to (UnionPay's `frontUrl`): the
/// POST comes from the provider's origin by design, and the page changes nothing (it sends the
/// buyer on to a page that asks the provider), so there is nothing to forge.
fn provider_return(path: &str) -> bool {
    path.starts_with("/pay/unionpay/return/")
}

pub async fn layer(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || provider_return(request.uri().path())
    {
        return next.run(request).await;
    }
    let headers = request.headers();
    let has_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(';')
                .any(|p| p.trim_start().starts_with(&format!("{SESSION_COOKIE}=")))
        });
    // A bearer token without our cookie is an API client's own credential: a forged request
    // cannot carry it, so browsers on other origins (CORS, `API_CORS_ORIGINS`) may send it.
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    if bearer && !has_cookie {
        return next.run(request).await;
    }
    let verdict = match origin_of(headers) {
        Some(origin) => allowed.0.contains(&origin) || same_host(&origin, headers),
        None => !has_cookie,
    };
    if verdict {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "refused a cross-site state-changing request");
    let mut response = Response::new(Body::from(
        r#"{"type":"about:blank","title":"Forbidden","status":403,"detail":"cross-site request refused (CSRF protection)"}"#,
    ));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_the_provider_return_pages_are_exempt() {
        assert!(provider_return("/pay/unionpay/return/X1"));
        assert!(!provider_return("/pay/unionpay/X1"));
        assert!(!provider_return("/fn/accounts/login"));
        assert!(!provider_return("/api/v1/orders"));
    }

    #[test]
    fn origin_falls_back_to_referer() {
        let mut h = HeaderMap::new();
        h.insert(
            header::REFERER,
            HeaderValue::from_static("https://Evil.example/path?x=1"),
        );
        assert_eq!(origin_of(&h).as_deref(), Some("https://evil.example"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:3000"),
        );
        assert_eq!(origin_of(&h).as_deref(), Some("http://127.0.0.1:3000"));
    }

    #[test]
    fn same_host_accepts_the_request_host_only() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert!(same_host("http://127.0.0.1:3000", &h));
        assert!(!same_host("http://127.0.0.1:3001", &h));
    }
}
