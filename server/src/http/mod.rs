//! HTTP plumbing shared by all routes: health checks, the response cache and the page cache on
//! it, the client address and the request metadata the services take, request ids, security
//! headers and the refusals at the edge.

pub mod client_ip;
pub mod csrf;
pub mod edge_guards;
pub mod health;
pub mod locale;
pub mod page_cache;
pub mod request_meta;
pub mod response_cache;
pub mod security_headers;
pub mod server_fn_status;
pub mod sign_in_redirect;
pub mod unavailable;
pub mod unionpay_page;

use axum::{
    body::Body,
    http::{header, StatusCode},
    response::Response,
};

/// A handler panicked: log it (the panic hook already printed where) and answer a plain 500
/// that reveals nothing.
pub fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let mut response = Response::new(Body::from(
        r#"{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"something went wrong on our side; please try again"}"#,
    ));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    response
}
