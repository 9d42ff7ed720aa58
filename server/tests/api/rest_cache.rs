//! The anonymous list cache in front of the API (`rest::cache`): a cached answer is the full
//! path's answer header for header, credentials never see it, throttling still counts it, and
//! writes through the API or the back office clear it.

use reqwest::{header::HeaderMap, Method};
use serde_json::json;
use server::model_engine::sql::SqlValue;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::rest_conformance::conforms;
use crate::rest_support::{assert_problem, call, content_type, send, token_for, PASSWORD};

backend_tests!(
    cached_lists_are_the_full_path_answer,
    credentials_skip_the_cache_and_writes_clear_it,
    cached_answers_count_against_the_throttle,
);

const PARTNER: &str = "https://partner.example";

/// Headers that differ between any two answers whatever their source.
const PER_REQUEST: [&str; 4] = [
    "date",
    "x-request-id",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

/// An instance that caches anonymous pages and lists for a minute.
pub async fn cached_app(backend: Backend, extra: Vec<(&'static str, String)>) -> TestApp {
    spawn_app_with(
        backend,
        Options {
            page_cache_seconds: 60,
            extra,
            ..Default::default()
        },
    )
    .await
}

/// Status, headers and raw body bytes (compressed ones stay compressed).
async fn raw(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, Vec<u8>) {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let url = response.url().clone();
    let body = response.bytes().await.unwrap().to_vec();
    // Compressed bodies are compared as bytes only; the others are checked like every answer.
    if !headers.contains_key("content-encoding") {
        let text = String::from_utf8_lossy(&body);
        conforms("GET", &url, status, &content_type(&headers), &text);
    }
    (status, headers, body)
}

/// Every header but `skip`, as sorted `(name, value)` pairs.
fn comparable(headers: &HeaderMap, skip: &[&str]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !skip.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

fn remaining(headers: &HeaderMap) -> u64 {
    headers["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn cached_lists_are_the_full_path_answer(backend: Backend) {
    let cors = ("API_CORS_ORIGINS", PARTNER.to_string());
    let cached = cached_app(backend, vec![cors.clone()]).await;
    // The same database behind an instance without the cache: the full path every time.
    let full = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            database_url: Some(cached.database_url.clone()),
            extra: vec![cors],
            ..Default::default()
        },
    )
    .await;
    let course = send(call(&cached, Method::GET, "/api/v1/courses?limit=1", None))
        .await
        .1["results"][0]["id"]
        .as_i64()
        .unwrap();
    let chapters = format!("/api/v1/courses/{course}/chapters?sortby=position");
    // Links are absolute, built from `Host`: both instances are asked under the same name.
    let variants: [&[(&str, &str)]; 5] = [
        &[("host", "api.example")],
        &[("host", "api.example"), ("accept-encoding", "gzip")],
        &[
            ("host", "api.example"),
            ("accept-encoding", "br, gzip"),
            ("origin", PARTNER),
        ],
        &[
            ("host", "api.example"),
            ("accept", "application/json"),
            ("origin", "https://evil.example"),
        ],
        &[("host", "mirror.example")],
    ];
    let list = "/api/v1/courses?per_page=20";
    let mut seen = Vec::new();
    for path in [list, chapters.as_str()] {
        for headers in variants {
            let (s0, h0, b0) = raw(&full, path, headers).await;
            let (s1, h1, b1) = raw(&cached, path, headers).await;
            let (s2, h2, b2) = raw(&cached, path, headers).await;
            let case = format!("{path} {headers:?}");
            assert_eq!((s0, s1, s2), (200, 200, 200), "{case}");
            // First answer (stored on the way out) and the cached one: the same bytes.
            assert!(b1 == b2, "{case}: the bodies differ");
            assert_eq!(
                comparable(&h1, &PER_REQUEST),
                comparable(&h2, &PER_REQUEST),
                "{case}"
            );
            assert!(h2.contains_key("x-request-id"), "{case}");
            assert_eq!(
                remaining(&h2) + 1,
                remaining(&h1),
                "{case}: a hit is counted"
            );
            // The instance without the cache: the same bytes; it streams compressed bodies,
            // so only the framing headers may differ.
            assert!(b0 == b2, "{case}: the bodies differ");
            let framing = [&PER_REQUEST[..], &["content-length", "transfer-encoding"]].concat();
            assert_eq!(
                comparable(&h0, &framing),
                comparable(&h2, &framing),
                "{case}"
            );
            seen.push((path, headers, b2));
        }
    }
    // The variants were told apart: encoding, CORS and links follow the request.
    let gzip = raw(
        &cached,
        list,
        &[("host", "api.example"), ("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(gzip.1["content-encoding"], "gzip");
    let partner = raw(
        &cached,
        list,
        &[("host", "api.example"), ("origin", PARTNER)],
    )
    .await;
    assert_eq!(partner.1["access-control-allow-origin"], PARTNER);
    let mirror = raw(&cached, list, &[("host", "mirror.example")]).await;
    assert!(String::from_utf8_lossy(&mirror.2).contains("\"http://mirror.example/api/v1/courses?"));

    // Those answers came from memory: a row changed behind the model engine's back (no
    // invalidation) shows on the full path only, until the entries expire.
    server::db::records::execute(
        &cached.db,
        "UPDATE courses SET title = $1",
        &[SqlValue::Text("Changed behind the cache".into())],
    )
    .await
    .unwrap();
    for (path, headers, body) in &seen {
        let again = raw(&cached, path, headers).await.2;
        assert!(&again == body, "{path} {headers:?}: not from the cache");
    }
    let fresh = raw(&full, list, &[]).await.2;
    assert!(String::from_utf8_lossy(&fresh).contains("Changed behind the cache"));

    // 406 still comes first for a client that takes no JSON, with or without a stored answer.
    let (s, b, h) =
        send(call(&cached, Method::GET, list, None).header("Accept", "text/html")).await;
    assert_problem(s, &b, &h, 406);
}

/// Signs in through the login server function; the session cookie.
async fn session_cookie(app: &TestApp, username: &str) -> String {
    app.sign_in_with(username, PASSWORD).await
}

async fn count(app: &TestApp, path: &str, token: Option<&str>, cookie: Option<&str>) -> u64 {
    let mut request = call(app, Method::GET, path, token);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let (status, body, _) = send(request).await;
    assert_eq!(status, 200, "{body}");
    body["count"].as_u64().unwrap()
}

async fn credentials_skip_the_cache_and_writes_clear_it(backend: Backend) {
    let app = cached_app(backend, Vec::new()).await;
    let admin = token_for(&app, "root", true, &[]).await;
    let cookie = session_cookie(&app, "root").await;
    let teacher = send(call(&app, Method::GET, "/api/v1/teachers?limit=1", None))
        .await
        .1["results"][0]["id"]
        .clone();
    let category = send(call(&app, Method::GET, "/api/v1/categories?limit=1", None))
        .await
        .1["results"][0]["id"]
        .clone();
    let (status, created, _) = send(
        call(&app, Method::POST, "/api/v1/courses", Some(&admin)).json(&json!({
            "title": "Cache Probe", "slug": "cache-probe", "level": "beginner",
            "price_cents": 100, "teacher_id": teacher, "category_id": category
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();

    // A draft: anonymous callers do not see it, and that answer is now stored…
    let path = "/api/v1/courses?search=Cache%20Probe";
    assert_eq!(count(&app, path, None, None).await, 0);
    assert_eq!(count(&app, path, None, None).await, 0);
    // …but a token or a session cookie takes the full path and sees it.
    assert_eq!(count(&app, path, Some(&admin), None).await, 1);
    assert_eq!(count(&app, path, None, Some(&cookie)).await, 1);

    // Publishing it through the API clears the stored answers at once.
    let (status, body, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/courses/{id}"),
            Some(&admin),
        )
        .json(&json!({"status": "published"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(count(&app, path, None, None).await, 1);
    assert_eq!(count(&app, path, None, None).await, 1);

    // So does a delete in the back office.
    let response = app
        .client
        .post(app.url("/fn/admin/delete"))
        .header("origin", &app.address)
        .header("cookie", &cookie)
        .form(&[("model", "courses".to_string()), ("id", id.to_string())])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(count(&app, path, None, None).await, 0);
}

async fn cached_answers_count_against_the_throttle(backend: Backend) {
    let app = cached_app(backend, vec![("API_THROTTLE_ANON", "4/min".into())]).await;
    let path = "/api/v1/directions";
    for left in ["3", "2"] {
        let (s, _, h) = send(call(&app, Method::GET, path, None)).await;
        assert_eq!(s, 200);
        assert_eq!(h["x-ratelimit-limit"], "4");
        assert_eq!(h["x-ratelimit-remaining"], left);
    }
    let (s, b, h) = send(call(&app, Method::GET, path, None).header("Accept", "text/html")).await;
    assert_problem(s, &b, &h, 406);
    assert_eq!(h["x-ratelimit-remaining"], "1");
    let (s, _, h) = send(call(&app, Method::GET, path, None)).await;
    assert_eq!(
        (s, h["x-ratelimit-remaining"].to_str().unwrap()),
        (200, "0")
    );
    let (s, b, h) = send(call(&app, Method::GET, path, None)).await;
    assert_problem(s, &b, &h, 429);
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(h["x-ratelimit-remaining"], "0");
    // A signed-in caller has a budget of their own, cache or not.
    let token = token_for(&app, "ada", false, &[]).await;
    let (s, _, _) = send(call(&app, Method::GET, path, Some(&token))).await;
    assert_eq!(s, 200);
}
