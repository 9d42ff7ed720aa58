//! The API's conventions over HTTP: every error status as problem+json, throttling (also across
//! two instances), and CORS.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, spawn_pair_with, Backend, Options, TestApp};
use crate::rest_support::{assert_problem, call, send, token_for};

backend_tests!(
    every_error_status_is_a_problem,
    bodies_over_the_limit_are_413,
    throttle_counts_per_caller_and_answers_429,
    throttle_counts_forwarded_clients_apart,
    throttle_is_shared_by_two_instances,
    cors_preflight_and_cross_origin_bearer_calls,
);

async fn every_error_status_is_a_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let nobody = token_for(&app, "nobody", false, &[]).await;

    let (s, b, h) = send(call(&app, Method::POST, "/api/v1/courses", None).json(&json!({}))).await;
    assert_problem(s, &b, &h, 401);
    assert_eq!(h["www-authenticate"], "Bearer");
    let (s, b, h) = send(call(
        &app,
        Method::GET,
        "/api/v1/courses",
        Some("not-a-jwt"),
    ))
    .await;
    assert_problem(s, &b, &h, 401);
    let (s, b, h) = send(call(&app, Method::GET, "/api/v1/users", None)).await;
    assert_problem(s, &b, &h, 401);
    let (s, b, h) =
        send(call(&app, Method::POST, "/api/v1/courses", Some(&nobody)).json(&json!({}))).await;
    assert_problem(s, &b, &h, 403);

    for path in [
        "/api/v1/nope",
        "/api/v2/courses",
        "/api",
        "/api/v1/courses/99999999",
        "/api/v1/courses/1/chapters/1/extra",
    ] {
        let (s, b, h) = send(call(&app, Method::GET, path, None)).await;
        assert_problem(s, &b, &h, 404);
    }
    let (s, b, h) = send(call(&app, Method::GET, "/api/v1/courses/abc", None)).await;
    assert_problem(s, &b, &h, 400);
    assert_eq!(b["errors"][0]["field"], "id");

    let (s, b, h) = send(call(&app, Method::DELETE, "/api/v1/courses", Some(&nobody))).await;
    assert_problem(s, &b, &h, 405);
    let allow = h["allow"].to_str().unwrap().to_string();
    assert!(
        allow.contains("GET") && allow.contains("POST") && !allow.contains("DELETE"),
        "{allow}"
    );
    let (s, b, h) = send(call(
        &app,
        Method::POST,
        "/api/v1/permissions",
        Some(&nobody),
    ))
    .await;
    assert_problem(s, &b, &h, 405);

    let (s, b, h) =
        send(call(&app, Method::GET, "/api/v1/courses", None).header("Accept", "text/html")).await;
    assert_problem(s, &b, &h, 406);
    let (s, _, _) = send(
        call(&app, Method::GET, "/api/v1/courses", None).header("Accept", "text/html, */*;q=0.1"),
    )
    .await;
    assert_eq!(s, 200);

    let admin = token_for(&app, "root", true, &[]).await;
    let (s, b, h) = send(
        call(&app, Method::POST, "/api/v1/directions", Some(&admin))
            .header("Content-Type", "text/plain")
            .body(r#"{"name":"x","slug":"x"}"#),
    )
    .await;
    assert_problem(s, &b, &h, 415);
    let (s, b, h) = send(
        call(&app, Method::POST, "/api/v1/directions", Some(&admin))
            .header("Content-Type", "application/json")
            .body("{\"name\": "),
    )
    .await;
    assert_problem(s, &b, &h, 400);
    let (s, b, h) =
        send(call(&app, Method::POST, "/api/v1/directions", Some(&admin)).json(&json!([1, 2])))
            .await;
    assert_problem(s, &b, &h, 422);
    let (s, b, h) = send(
        call(&app, Method::POST, "/api/v1/directions", Some(&admin))
            .json(&json!({"name": "", "slug": "-", "position": -1})),
    )
    .await;
    assert_problem(s, &b, &h, 422);
    assert_eq!(b["errors"].as_array().unwrap().len(), 3, "{b}");
    let (s, _, h) = send(
        call(&app, Method::POST, "/api/v1/directions", Some(&admin))
            .json(&json!({"name": "Systems", "slug": "systems-x"})),
    )
    .await;
    assert_eq!(s, 201);
    assert!(h.contains_key("location"));
}

async fn bodies_over_the_limit_are_413(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            extra: vec![("API_BODY_LIMIT_KB", "4".into())],
            ..Default::default()
        },
    )
    .await;
    let admin = token_for(&app, "root", true, &[]).await;
    let big = json!({"name": "x".repeat(5000), "slug": "big"});
    let (s, b, h) =
        send(call(&app, Method::POST, "/api/v1/directions", Some(&admin)).json(&big)).await;
    assert_problem(s, &b, &h, 413);
}

async fn throttled(backend: Backend, anon: &str, user: &str) -> TestApp {
    spawn_app_with(
        backend,
        Options {
            extra: vec![
                ("API_THROTTLE_ANON", anon.into()),
                ("API_THROTTLE_USER", user.into()),
            ],
            ..Default::default()
        },
    )
    .await
}

async fn throttle_counts_per_caller_and_answers_429(backend: Backend) {
    let app = throttled(backend, "3/min", "5/min").await;
    for remaining in ["2", "1", "0"] {
        let (s, _, h) = send(call(&app, Method::GET, "/api/v1/directions", None)).await;
        assert_eq!(s, 200);
        assert_eq!(h["x-ratelimit-limit"], "3");
        assert_eq!(h["x-ratelimit-remaining"], remaining);
        let reset: u64 = h["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&reset));
    }
    let (s, b, h) = send(call(&app, Method::GET, "/api/v1/directions", None)).await;
    assert_problem(s, &b, &h, 429);
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(h["x-ratelimit-remaining"], "0");
    // Errors count and carry the headers too; unknown routes as well.
    let (s, _, h) = send(call(&app, Method::GET, "/api/v2/x", None)).await;
    assert_eq!(s, 429);
    assert_eq!(h["x-ratelimit-limit"], "3");

    // A signed-in caller has a bucket of their own (the token was issued in the auth scope).
    let token = token_for(&app, "ada", false, &[]).await;
    let (s, _, h) = send(call(&app, Method::GET, "/api/v1/users/me", Some(&token))).await;
    assert_eq!(s, 200);
    assert_eq!(
        (
            h["x-ratelimit-limit"].to_str().unwrap(),
            h["x-ratelimit-remaining"].to_str().unwrap()
        ),
        ("5", "4")
    );
}

/// Behind a trusted proxy every request comes from the proxy's address: the budget is the
/// forwarded client's.
async fn throttle_counts_forwarded_clients_apart(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            extra: vec![
                ("API_THROTTLE_ANON", "2/min".into()),
                ("TRUSTED_PROXIES", "127.0.0.1".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    let from = |client: &str| {
        call(&app, Method::GET, "/api/v1/directions", None).header("X-Forwarded-For", client)
    };
    for _ in 0..2 {
        assert_eq!(send(from("203.0.113.1")).await.0, 200);
    }
    let (s, b, h) = send(from("203.0.113.1")).await;
    assert_problem(s, &b, &h, 429);
    let (s, _, h) = send(from("203.0.113.2")).await;
    assert_eq!(
        (s, h["x-ratelimit-remaining"].to_str().unwrap()),
        (200, "1")
    );
}

async fn throttle_is_shared_by_two_instances(backend: Backend) {
    let (one, two, _) = spawn_pair_with(backend, vec![("API_THROTTLE_ANON", "4/min".into())]).await;
    for app in [&one, &two, &one, &two] {
        let (s, _, _) = send(call(app, Method::GET, "/api/v1/teachers", None)).await;
        assert_eq!(s, 200);
    }
    for app in [&one, &two] {
        let (s, b, h) = send(call(app, Method::GET, "/api/v1/teachers", None)).await;
        assert_problem(s, &b, &h, 429);
        assert!(h.contains_key("retry-after"));
    }
}

async fn cors_preflight_and_cross_origin_bearer_calls(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            extra: vec![("API_CORS_ORIGINS", "https://partner.example".into())],
            ..Default::default()
        },
    )
    .await;
    let (status, _, h) = send(
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/directions"))
            .header("Origin", "https://partner.example")
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
    )
    .await;
    assert!((200..300).contains(&status), "{status}");
    assert_eq!(h["access-control-allow-origin"], "https://partner.example");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert!(h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase()
        .contains("authorization"));

    let (_, _, stranger) = send(
        app.client
            .get(app.url("/api/v1/directions"))
            .header("Origin", "https://evil.example"),
    )
    .await;
    assert!(!stranger.contains_key("access-control-allow-origin"));

    // A partner's browser posts with its bearer token: CORS allows it and CSRF has nothing to stop.
    let admin = token_for(&app, "root", true, &[]).await;
    let (status, body, headers) = send(
        app.client
            .post(app.url("/api/v1/directions"))
            .header("Origin", "https://partner.example")
            .bearer_auth(&admin)
            .json(&json!({"name": "Partners", "slug": "partners"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://partner.example"
    );
    assert!(headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("location"));
}
