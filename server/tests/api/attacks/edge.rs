//! The edge: oversized bodies, NUL bytes, security headers, the shipped deployment.

use reqwest::Method;
use serde_json::{json, Value};

use crate::accounts::post_form;
use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, Backend, Options, TestApp};
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    oversized_bodies_and_passwords_are_refused_before_work,
    nul_bytes_in_addresses_are_a_400,
    pages_carry_security_headers_and_a_nonce_policy,
    a_search_with_a_nul_in_the_body_is_no_500,
);

async fn oversized_bodies_and_passwords_are_refused_before_work(backend: Backend) {
    let app = spawn_app(backend).await;
    // Only the head is sent: the answer must come before any of the 3 GB is read.
    let head = announce_body(&app, "/fn/accounts/login", 3 << 30).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let head = announce_body(&app, "/fn/accounts/login", 1 << 20).await;
    assert!(
        !head.starts_with("HTTP/1.1 413"),
        "1 MB is allowed (and waited for): {head}"
    );
    // Under the body limit but over the password policy: refused without hashing.
    let long = "p".repeat(129);
    crate::accounts::register(&app, "longpw").await;
    let response = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "longpw"), ("password", long.as_str())],
    )
    .await;
    assert_eq!(response.status(), 422);
    let response = post_form(
        &app,
        "/fn/accounts/register",
        None,
        &[
            ("username", "longer"),
            ("email", "longer@example.com"),
            ("password", long.as_str()),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["Validation"][0]["field"], "password", "{body}");
}

/// Sends only a request head announcing a body of `length` bytes and returns the status line
/// the server answers within a second (or `"no answer"` while it waits for the body).
async fn announce_body(app: &TestApp, path: &str, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    match tokio::time::timeout(std::time::Duration::from_secs(1), stream.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        _ => "no answer".into(),
    }
}

async fn nul_bytes_in_addresses_are_a_400(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    for path in [
        "/api/v1/courses?search=%00",
        "/api/v1/courses?level=%00",
        "/api/v1/profiles/a%00b",
        "/api/v1/courses/1%00",
    ] {
        let (status, body, headers) = send(call(&app, Method::GET, path, None)).await;
        assert_problem(status, &body, &headers, 400);
        assert!(
            body["detail"].as_str().unwrap().contains("NUL"),
            "{path}: {body}"
        );
    }
    for path in ["/courses?q=%00", "/courses/rust%00"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
    }
    let response = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "ad\0min"), ("password", "whatever it is")],
    )
    .await;
    assert_eq!(
        response.status(),
        422,
        "a NUL in a login is a wrong login, not a 500"
    );
}

async fn pages_carry_security_headers_and_a_nonce_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/", "/courses", "/login", "/api/v1/courses"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
    }
    let first = app.get("/courses").await;
    let policy = first.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = first.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_string();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "the page hydrates through scripts");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries this response's nonce"
    );
    let second = app.get("/courses").await;
    let again = second.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert_ne!(again, policy, "a fresh nonce per rendered page");
}

async fn a_search_with_a_nul_in_the_body_is_no_500(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(app.url("/fn/catalog/courses"))
        .header("origin", app.address.clone())
        .json(&json!({"params": [["q", "ru\u{0}st"]]}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["notices"][0]["field"], "q", "{body}");
}

/// Behind the shipped nginx every request comes from the proxy: unless the compose file trusts
/// its own network, every user shares one login throttle and one API budget.
#[test]
fn the_shipped_deployment_trusts_its_own_proxy_network() {
    let compose = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docker-compose.yml"
    ))
    .expect("docker-compose.yml");
    let trusted = compose
        .lines()
        .find_map(|l| l.trim().strip_prefix("TRUSTED_PROXIES:"))
        .map(str::trim)
        .expect("TRUSTED_PROXIES is set for the app services");
    let subnet = compose
        .lines()
        .find_map(|l| l.trim().strip_prefix("- subnet:"))
        .map(str::trim)
        .expect("the compose network has a fixed subnet");
    let nets = server::http::client_ip::parse_list(trusted).expect("a valid TRUSTED_PROXIES");
    let subnet: ipnet::IpNet = subnet.parse().expect("a CIDR");
    assert!(
        nets.iter().any(|n| n.contains(&subnet)),
        "TRUSTED_PROXIES {trusted} does not cover the network {subnet} nginx sends from"
    );
}
