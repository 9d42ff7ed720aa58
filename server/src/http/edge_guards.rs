//! Refusals at the edge, before any handler reads a request: bodies over the size limit, and
//! URLs carrying a NUL byte.
//!
//! Server functions (`/fn/…`) and pages read their bodies whole, so without a limit a
//! multi-gigabyte POST would be held in memory; the JSON API has its own limit
//! (`API_BODY_LIMIT_KB`) and its own problem documents, so `/api` passes through here. A NUL
//! (`%00`) in a path or query cannot be stored or compared by PostgreSQL's `text` (it answers an
//! error, which used to surface as a 500): refused once here, for every route, as a 400.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The largest request body outside `/api`, in bytes.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

pub async fn layer(
    State(BodyLimit(limit)): State<BodyLimit>,
    request: Request,
    next: Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    if has_nul(request.uri().path()) || request.uri().query().is_some_and(has_nul) {
        return refuse(
            is_api,
            StatusCode::BAD_REQUEST,
            "the address contains a NUL character (%00)",
        );
    }
    if is_api {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return refuse(
            false,
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        );
    }
    // A body without a length (chunked) is cut off at the limit while it is read.
    let (parts, body) = request.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// `%00` in any case, or a raw NUL (which `http` would not let through anyway).
fn has_nul(text: &str) -> bool {
    text.contains("%00") || text.contains('\0')
}

fn refuse(is_api: bool, status: StatusCode, detail: &str) -> Response {
    if is_api {
        let code = if status == StatusCode::BAD_REQUEST {
            "bad_request"
        } else {
            "payload_too_large"
        };
        let title = status.canonical_reason().unwrap_or("Error");
        return crate::rest::problem::problem_response(status, code, title, detail, None);
    }
    let mut response = (status, detail.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn finds_encoded_and_raw_nul() {
        assert!(has_nul("search=%00"));
        assert!(has_nul("/api/v1/courses/1%00"));
        assert!(has_nul("a\0b"));
        assert!(!has_nul("search=100%25"));
        assert!(!has_nul("/courses/rust-100"));
    }
}
