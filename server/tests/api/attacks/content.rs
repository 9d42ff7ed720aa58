//! Content and names: paid lessons, and what the back office's lists and selects reveal.

use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;

use super::{browser_sign_in, user_id};
use crate::accounts::post_form;
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};
use crate::rest_support::{call, send, token_for, PASSWORD};

backend_tests!(
    paid_lesson_content_is_only_for_enrolled_students,
    choice_lists_name_only_what_the_viewer_may_see,
    writers_without_view_get_no_gated_content_back,
);

async fn paid_lesson_content_is_only_for_enrolled_students(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let root = token_for(&app, "root", true, &[]).await;
    let editor = token_for(&app, "editor", false, &["lesson.view"]).await;
    let student = token_for(&app, "student", false, &[]).await;
    let outsider = token_for(&app, "outsider", false, &[]).await;
    // One paid and one free-preview lesson of a published course, with content to leak.
    let (_, page, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/lessons?free_preview=false&limit=1",
        None,
    ))
    .await;
    let paid = page["results"][0]["id"]
        .as_i64()
        .expect("a public paid lesson");
    let chapter = page["results"][0]["chapter_id"].as_i64().unwrap();
    let course = server::db::records::scalar(
        &app.db,
        "SELECT course_id FROM chapters WHERE id = $1",
        &[SqlValue::Int(chapter)],
    )
    .await
    .unwrap();
    let secret =
        json!({"content_md": "the paid answer key", "video_url": "https://cdn.example/paid.mp4"});
    let (status, _, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/lessons/{paid}"),
            Some(&root),
        )
        .json(&secret),
    )
    .await;
    assert_eq!(status, 200);
    let (status, preview_row, _) = send(
        call(&app, Method::POST, "/api/v1/lessons", Some(&root)).json(&json!({
            "chapter_id": chapter, "title": "Taster", "kind": "article",
            "free_preview": true, "content_md": "free for all"
        })),
    )
    .await;
    assert_eq!(status, 201, "{preview_row}");
    let preview = preview_row["id"].as_i64().unwrap();
    let student_id = user_id(&app, &root, "student").await;
    server::db::records::execute(
        &app.db,
        "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)",
        &[SqlValue::Int(student_id), SqlValue::Int(course)],
    )
    .await
    .unwrap();

    let read = |token: Option<String>, id: i64| {
        let app = &app;
        async move {
            let (status, one, _) = send(call(
                app,
                Method::GET,
                &format!("/api/v1/lessons/{id}"),
                token.as_deref(),
            ))
            .await;
            assert_eq!(status, 200, "{one}");
            let (_, list, _) = send(call(
                app,
                Method::GET,
                &format!("/api/v1/lessons?chapter_id={chapter}&limit=100"),
                token.as_deref(),
            ))
            .await;
            let listed = list["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["id"] == id)
                .cloned()
                .expect("listed");
            assert_eq!(
                listed["content_md"], one["content_md"],
                "list and item agree"
            );
            assert_eq!(listed["video_url"], one["video_url"]);
            one
        }
    };
    for (who, token) in [
        ("anonymous", None),
        ("signed in, not enrolled", Some(outsider.clone())),
    ] {
        let row = read(token.clone(), paid).await;
        assert_eq!(row["content_md"], Value::Null, "{who} reads paid text");
        assert_eq!(row["video_url"], Value::Null, "{who} reads the paid video");
        assert!(row["title"].is_string(), "{who} still sees the outline");
        let free = read(token, preview).await;
        assert_eq!(free["content_md"], "free for all", "{who}: free preview");
    }
    for (who, token) in [("enrolled", student), ("staff with lesson.view", editor)] {
        let row = read(Some(token), paid).await;
        assert_eq!(row["content_md"], "the paid answer key", "{who}");
        assert_eq!(row["video_url"], "https://cdn.example/paid.mp4", "{who}");
    }
}

async fn choice_lists_name_only_what_the_viewer_may_see(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let root = token_for(&app, "root", true, &[]).await;
    token_for(
        &app,
        "chaptereditor",
        false,
        &["chapter.view", "chapter.add", "chapter.change"],
    )
    .await;
    let (_, courses, _) = send(call(&app, Method::GET, "/api/v1/courses?limit=1", None)).await;
    let public = &courses["results"][0];
    let (status, draft, _) = send(
        call(&app, Method::POST, "/api/v1/courses", Some(&root)).json(&json!({
            "title": "Unannounced secret course", "slug": "unannounced-secret",
            "status": "draft", "level": "beginner", "price_cents": 100,
            "teacher_id": public["teacher_id"], "category_id": public["category_id"]
        })),
    )
    .await;
    assert!(status == 201, "{draft}");
    let (status, _, _) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/courses/{}/chapters", draft["id"]),
            Some(&root),
        )
        .json(&json!({"title": "Chapter of a draft"})),
    )
    .await;
    assert_eq!(status, 201);
    let cookie = browser_sign_in(&app, "chaptereditor", PASSWORD).await;
    let form = post_form(
        &app,
        "/fn/admin/form",
        Some(&cookie),
        &[("model", "chapter")],
    )
    .await;
    assert_eq!(form.status(), 200);
    let text = form.text().await.unwrap();
    assert!(
        text.contains("course_id"),
        "the form has its course select: {text}"
    );
    assert!(
        !text.contains("Unannounced secret course"),
        "a draft's title leaked"
    );
    let list = post_form(
        &app,
        "/fn/admin/list",
        Some(&cookie),
        &[
            ("model", "chapter"),
            ("query[page]", "1"),
            ("query[search]", "Chapter of a draft"),
        ],
    )
    .await;
    assert_eq!(list.status(), 200);
    let list = list.text().await.unwrap();
    assert!(
        list.contains("Chapter of a draft"),
        "the editor may list every chapter"
    );
    assert!(
        !list.contains("Unannounced secret course"),
        "but not name the draft course"
    );
    // Published courses are public and may be named.
    let public_title = public["title"].as_str().unwrap();
    assert!(text.contains(public_title), "public courses stay choosable");
}

async fn writers_without_view_get_no_gated_content_back(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let root = token_for(&app, "root", true, &[]).await;
    let writer = token_for(&app, "writer", false, &["lesson.change"]).await;
    let (_, page, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/lessons?free_preview=false&limit=1",
        None,
    ))
    .await;
    let paid = page["results"][0]["id"].as_i64().unwrap();
    let (status, _, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/lessons/{paid}"),
            Some(&root),
        )
        .json(&json!({"content_md": "the paid answer key"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, row, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/lessons/{paid}"),
            Some(&writer),
        )
        .json(&json!({"title": "Renamed by a writer"})),
    )
    .await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["title"], "Renamed by a writer");
    assert_eq!(
        row["content_md"],
        Value::Null,
        "the write answer is no way around the rule"
    );
}
