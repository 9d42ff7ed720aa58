//! Following: anonymous callers, drafts and unknown ids, parallel follows, repeats, and the
//! server function behind the button.

use reqwest::Method;
use serde_json::json;
use server::model_engine::sql::SqlValue;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};
use crate::reminders::rec;
use crate::rest_support::{assert_problem, call, send, token_for};

backend_tests!(
    follow_needs_a_caller_and_a_public_target,
    follows_are_idempotent_and_parallel_follows_leave_one_row,
);

async fn follow_needs_a_caller_and_a_public_target(b: Backend) {
    let app = spawn_app_with(b, Options::unthrottled()).await;
    let root = app.superuser().await.principal();
    let student = token_for(&app, "student", false, &[]).await;
    let course: i64 = server::db::records::scalar(
        &app.db,
        "SELECT MIN(id) FROM courses WHERE status = 'published'",
        &[],
    )
    .await
    .unwrap();
    let path: i64 = server::db::records::scalar(&app.db, "SELECT MIN(id) FROM learning_paths", &[])
        .await
        .unwrap();

    // Anonymous: 401, and nothing is written.
    for url in [
        format!("/api/v1/courses/{course}/follow"),
        format!("/api/v1/paths/{path}/follow"),
    ] {
        for method in [Method::POST, Method::DELETE] {
            let (status, body, headers) = send(call(&app, method, &url, None)).await;
            assert_problem(status, &body, &headers, 401);
        }
    }
    // A draft course, a deleted one, an unknown id and a malformed one are all 404.
    let draft = app
        .models
        .create(
            &root,
            "course",
            rec(
                json!({"title": "Draft", "slug": "a-draft", "level": "beginner",
                "price_cents": 0, "category_id": 1, "teacher_id": 1}),
            ),
            None,
        )
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let deleted: i64 = server::db::records::scalar(
        &app.db,
        "SELECT MAX(id) FROM courses WHERE status = 'published'",
        &[],
    )
    .await
    .unwrap();
    app.models
        .delete(&root, "course", deleted, None)
        .await
        .unwrap();
    for id in [
        draft.to_string(),
        deleted.to_string(),
        "999999".into(),
        "abc".into(),
        "-1".into(),
    ] {
        for method in [Method::POST, Method::DELETE] {
            let url = format!("/api/v1/courses/{id}/follow");
            let (status, body, headers) = send(call(&app, method, &url, Some(&student))).await;
            assert_problem(status, &body, &headers, 404);
        }
    }
    let hidden = app
        .models
        .create(
            &root,
            "learning_path",
            rec(json!({"title": "Hidden", "slug": "hidden-path", "published": false})),
            None,
        )
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let url = format!("/api/v1/paths/{hidden}/follow");
    let (status, body, headers) = send(call(&app, Method::POST, &url, Some(&student))).await;
    assert_problem(status, &body, &headers, 404);
    let rows: i64 = server::db::records::scalar(
        &app.db,
        "SELECT (SELECT COUNT(*) FROM course_follows) + (SELECT COUNT(*) FROM learning_path_followers)",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(rows, 0, "a refused follow wrote a row");

    // The button's server function: anonymous is 401 too.
    let response = app
        .client
        .post(app.url("/fn/follows/set"))
        .header("origin", &app.address)
        .form(&[
            ("target", "course"),
            ("id", &course.to_string()),
            ("follow", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn follows_are_idempotent_and_parallel_follows_leave_one_row(b: Backend) {
    let app = spawn_app_with(b, Options::unthrottled()).await;
    let student = app.student("student").await;
    let token = app.bearer(&student).await;
    let course: i64 = server::db::records::scalar(
        &app.db,
        "SELECT MIN(id) FROM courses WHERE status = 'published'",
        &[],
    )
    .await
    .unwrap();
    let path: i64 = server::db::records::scalar(&app.db, "SELECT MIN(id) FROM learning_paths", &[])
        .await
        .unwrap();
    for target in [
        format!("/api/v1/courses/{course}/follow"),
        format!("/api/v1/paths/{path}/follow"),
    ] {
        let requests = (0..4).map(|_| send(call(&app, Method::POST, &target, Some(&token))));
        for (status, body, _) in futures::future::join_all(requests).await {
            assert_eq!(status, 201, "{body}");
            assert_eq!(body["following"], true);
        }
        for _ in 0..2 {
            let (status, _, _) = send(call(&app, Method::DELETE, &target, Some(&token))).await;
            assert_eq!(status, 204);
        }
        let (status, body, headers) = send(call(&app, Method::POST, &target, Some(&token))).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(
            headers.get("location").and_then(|v| v.to_str().ok()),
            Some(target.as_str())
        );
    }
    let rows = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            server::db::records::scalar(&db, sql, &[SqlValue::Int(student.id)])
                .await
                .unwrap()
        }
    };
    assert_eq!(
        rows("SELECT COUNT(*) FROM course_follows WHERE user_id = $1").await,
        1
    );
    assert_eq!(
        rows("SELECT COUNT(*) FROM learning_path_followers WHERE user_id = $1").await,
        1
    );
}
