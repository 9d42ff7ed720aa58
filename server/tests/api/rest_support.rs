//! Personas for the REST tests: users with chosen permissions and their bearer tokens.

use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use crate::helpers::TestApp;
use crate::rest_conformance::conforms;

pub use crate::personas::PASSWORD;

/// A user holding exactly `permissions` (or everything, for a superuser); returns an access token.
pub async fn token_for(
    app: &TestApp,
    username: &str,
    superuser: bool,
    permissions: &[&str],
) -> String {
    let who = app.persona(username, superuser, permissions).await;
    app.bearer(&who).await
}

/// A request with the app's own origin (the CSRF check wants it) and an optional token.
pub fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
    let request = app
        .client
        .request(method, app.url(path))
        .header("Origin", &app.address);
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

/// Sends and returns the status and the JSON body (`Null` when empty or not JSON), after checking
/// the answer against the OpenAPI document ([`conforms`]).
pub async fn send(request: RequestBuilder) -> (u16, Value, reqwest::header::HeaderMap) {
    let (client, request) = request.build_split();
    let request = request.unwrap();
    let (method, url) = (request.method().to_string(), request.url().clone());
    let response = client.execute(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    conforms(&method, &url, status, &content_type(&headers), &text);
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

pub fn content_type(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Asserts an RFC 9457 problem with this status.
pub fn assert_problem(status: u16, body: &Value, headers: &reqwest::header::HeaderMap, want: u16) {
    assert_eq!(status, want, "{body}");
    assert_eq!(content_type(headers), "application/problem+json", "{body}");
    assert_eq!(body["status"], want);
    assert!(body["type"].as_str().unwrap().starts_with("https://"));
    assert!(body["title"].is_string() && body["detail"].is_string());
}
