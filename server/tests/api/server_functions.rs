//! Server functions as a client calls them: JSON in, JSON out, errors with the right status.

use serde_json::json;

use crate::backend_tests;
use crate::helpers::{spawn_app, Backend};

backend_tests!(
    list_courses_parses_on_the_server,
    get_course_answers_404_for_unknown,
    malformed_bodies_are_400
);

async fn list_courses_parses_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post_json(
            "/fn/catalog/courses",
            &json!({ "params": [["per_page", "5"], ["sort", "bogus"]] }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let page: serde_json::Value = response.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["total"], 60);
    assert_eq!(page["notices"][0]["field"], "sort");
}

async fn get_course_answers_404_for_unknown(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post_json("/fn/catalog/course", &json!({ "slug": "no-such-course" }))
        .await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "NotFound": "course" }));
}

async fn malformed_bodies_are_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(app.url("/fn/catalog/courses"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let wrong_shape = app
        .post_json("/fn/catalog/course", &json!({ "slug": 42 }))
        .await;
    assert_eq!(wrong_shape.status(), 400);
}
