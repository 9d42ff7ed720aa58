//! Health, readiness, request ids, compression, graceful shutdown, configuration errors.

use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, Backend, Options};

backend_tests!(
    health_and_readiness,
    readiness_checks_redis_when_configured,
    request_ids_are_kept_or_made,
    pages_are_compressed,
    shutdown_finishes_cleanly
);

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["redis"], "not configured");
}

async fn readiness_checks_redis_when_configured(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            redis: true,
            ..Default::default()
        },
    )
    .await;
    let body: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(body["redis"], "ok");
    assert_eq!(body["status"], "ready");
}

async fn request_ids_are_kept_or_made(backend: Backend) {
    let app = spawn_app(backend).await;
    let made = app.get("/healthz").await;
    let id = made
        .headers()
        .get("x-request-id")
        .expect("an id is made")
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let kept = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
}

async fn pages_are_compressed(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.url("/courses"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

async fn shutdown_finishes_cleanly(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = app.url("/healthz");
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await.expect("the server stops without error");
    assert!(
        reqwest::get(url).await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn a_bad_redis_url_stops_start_up_naming_the_variable() {
    let (url, _dir) = crate::helpers::fresh_database(Backend::Sqlite).await;
    let vars = std::collections::HashMap::from([
        ("DATABASE_URL", url.as_str()),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("REDIS_URL", "redis://127.0.0.1:1"),
    ]);
    let settings = server::config::Settings::from_map(&vars).unwrap();
    let err = server::startup::Application::build(settings)
        .await
        .err()
        .expect("start-up fails");
    assert!(format!("{err:#}").contains("REDIS_URL"), "{err:#}");
}
