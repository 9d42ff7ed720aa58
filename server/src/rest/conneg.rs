//! What every API response owes the client whatever produced it: 406 when `Accept` admits no
//! JSON, problem+json bodies for errors raised outside our handlers (axum's 405 with `Allow`,
//! 413 from the body limit, rejections of path and query extractors), and 404 problems for
//! unknown paths and versions.

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::BodyExt;

use super::problem::problem_response;

/// Media ranges that admit a JSON answer (ours are `application/json` and
/// `application/problem+json`).
fn admits_json(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        !refused
            && matches!(
                media.as_str(),
                "*/*" | "application/*" | "application/json" | "application/problem+json"
            )
    })
}

/// `Accept` is absent or admits a JSON answer.
pub fn accepts_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    accept.trim().is_empty() || admits_json(&accept)
}

/// 406 before any work when the client cannot take JSON (`/api/docs` is HTML, the
/// notification stream is `text/event-stream` and an export's download is CSV: all exempt).
pub async fn require_json_accept(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let exempt = path == "/api/docs"
        || path == super::notifications::stream::PATH
        || (path.starts_with("/api/v1/exports/") && path.ends_with("/download"));
    if !exempt && !accepts_json(request.headers()) {
        return problem_response(
            StatusCode::NOT_ACCEPTABLE,
            "not-acceptable",
            "Not Acceptable",
            "this API answers application/json (errors: application/problem+json)",
            None,
        );
    }
    next.run(request).await
}

/// Marks a response whose error body is a provider's own dialect, not ours: WeChat Pay wants
/// `{"code":"FAIL",…}` from a notify route, and [`problems_only`] leaves it as it is.
#[derive(Debug, Clone, Copy)]
pub struct ProviderDialect;

/// Turns any error response that is not problem+json yet into one, keeping its status and
/// headers (`Allow`, `Retry-After`…). 5xx details are never passed on.
pub async fn problems_only(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.extensions().get::<ProviderDialect>().is_some() {
        return response;
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text_body = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"text/plain"));
    // Rejection texts from axum are short and describe the client's request, never our state.
    let original = if status.is_client_error() && text_body {
        match body.collect().await {
            Ok(b) => String::from_utf8(b.to_bytes().to_vec())
                .ok()
                .filter(|s| s.len() <= 300),
            Err(_) => None,
        }
    } else {
        None
    };
    let detail = original.unwrap_or_else(|| default_detail(status).to_string());
    let problem = problem_response(
        status,
        code(status),
        app::error::title_for_status(status.as_u16(), app::locale::current()),
        &detail,
        None,
    );
    let (problem_parts, problem_body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    drop(problem_parts);
    Response::from_parts(parts, problem_body)
}

fn code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        406 => "not-acceptable",
        413 => "payload-too-large",
        415 => "unsupported-media-type",
        422 => "validation",
        429 => "rate-limited",
        s if s >= 500 => "internal",
        _ => "error",
    }
}

fn default_detail(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "no such API resource",
        405 => "this resource does not support that method; see the Allow header",
        413 => "the request body is larger than this API accepts",
        415 => "send the body as application/json",
        s if s >= 500 => "something went wrong on our side; please try again",
        _ => "the request could not be handled",
    }
}

/// Unknown paths under `/api` (including unknown versions such as `/api/v2/...`).
pub async fn unknown_route() -> Response {
    problem_response(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not Found",
        "no such API resource; the API lives under /api/v1 (see /api/v1/openapi.json)",
        None,
    )
}

/// A handler panicked inside the API: the same problem as any other 500.
pub fn panic_problem(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("an API handler panicked");
    let mut response = problem_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal Server Error",
        default_detail(StatusCode::INTERNAL_SERVER_ERROR),
        None,
    );
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// An empty body with the given status (304 answers).
pub fn empty(status: StatusCode) -> Response {
    (status, Body::empty()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{routing::get, Router};
    use tower::ServiceExt;

    async fn body_of(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn errors_become_problems_and_500s_hide_their_cause() {
        let app = Router::new()
            .route(
                "/boom",
                get(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "driver said: password=hunter2",
                    )
                }),
            )
            .route(
                "/panic",
                get(|| async {
                    if true {
                        panic!("secret state");
                    }
                    ""
                }),
            )
            .route(
                "/teapot",
                get(|| async { (StatusCode::BAD_REQUEST, "bad q") }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_problem,
            ))
            .layer(axum::middleware::from_fn(problems_only));
        for path in ["/boom", "/panic"] {
            let request = Request::builder().uri(path).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), 500);
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "application/problem+json"
            );
            let text = body_of(response).await;
            assert!(
                !text.contains("hunter2") && !text.contains("secret"),
                "{text}"
            );
            assert!(text.contains("something went wrong"));
        }
        let request = Request::builder()
            .uri("/teapot")
            .body(Body::empty())
            .unwrap();
        let text = body_of(app.oneshot(request).await.unwrap()).await;
        assert!(text.contains("\"detail\":\"bad q\""), "{text}");
    }

    #[test]
    fn accept_ranges() {
        for ok in [
            "*/*",
            "application/json",
            "text/html, application/*;q=0.5",
            "application/problem+json",
        ] {
            assert!(admits_json(ok), "{ok}");
        }
        for no in [
            "text/html",
            "application/xml",
            "application/json;q=0",
            "image/*",
        ] {
            assert!(!admits_json(no), "{no}");
        }
    }
}
