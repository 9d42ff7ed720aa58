//! The back office sends an anonymous visitor to sign in and back: `303 See Other` to
//! `/login?next=/admin/…` before any page renders, instead of a "please sign in" box with a 401
//! in the browser's console. Signed-in users without the permission still get the page's 403:
//! signing in again would not help them.

use axum::{
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use crate::auth::session_store::USER_KEY;

fn needs_sign_in(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

pub async fn layer(request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        || !needs_sign_in(request.uri().path())
    {
        return next.run(request).await;
    }
    let anonymous = match request.extensions().get::<Session>() {
        // A store that cannot be read is not proof of being signed out: the page answers 503.
        Some(session) => matches!(session.get_value(USER_KEY).await, Ok(None)),
        None => false,
    };
    if !anonymous {
        return next.run(request).await;
    }
    let back_to = request
        .uri()
        .path_and_query()
        .map_or("/admin", |p| p.as_str());
    let target: String = url::form_urlencoded::byte_serialize(back_to.as_bytes()).collect();
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/login?next={target}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
