//! Progress: two tabs, done rules, the course percentage, the per-user rate limit.

use serde_json::json;

use super::{course, enrol, put_progress};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};

backend_tests!(
    two_tabs_never_lose_an_update,
    course_percentage_counts_done_lessons_of_every_kind,
    saves_are_rate_limited_per_user,
);

async fn two_tabs_never_lose_an_update(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let c = course(&app, "two-tabs").await;
    let student = app.student("student").await;
    enrol(&app, &student, &c, None).await;
    let token = app.bearer(&student).await;

    // Tab A watched to 95 s (done: 90% of 100 s); tab B, opened earlier, saves 20 s later.
    let (status, a) = put_progress(
        &app,
        &token,
        c.video,
        json!({"position_secs": 95, "watched_secs": 95}),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["done"], true, "90% of the video is done");
    let (status, b) = put_progress(
        &app,
        &token,
        c.video,
        json!({"position_secs": 20, "watched_secs": 20}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["position_secs"], 20, "resume: the latest save");
    assert_eq!(b["furthest_secs"], 95, "the furthest point stays");
    assert_eq!(b["watched_secs"], 95, "seconds watched never go back");
    assert_eq!(b["done"], true, "done stays done");
    assert_eq!(
        b["completed_at"], a["completed_at"],
        "done once, at its first time"
    );

    // Many saves at once from two tabs: one row, nothing lost.
    let mut saves = Vec::new();
    for i in 0..20 {
        let (app, token) = (&app, token.clone());
        saves.push(async move {
            put_progress(
                app,
                &token,
                c.article,
                json!({"position_secs": i, "done": i == 7}),
            )
            .await
        });
    }
    for (status, body) in futures::future::join_all(saves).await {
        assert_eq!(status, 200, "{body}");
    }
    let rows = server::db::records::scalar(
        &app.db,
        "SELECT COUNT(*) FROM lesson_progress WHERE user_id = $1 AND lesson_id = $2",
        &[
            server::model_engine::sql::SqlValue::Int(student.id),
            server::model_engine::sql::SqlValue::Int(c.article),
        ],
    )
    .await
    .unwrap();
    assert_eq!(rows, 1);
    let (_, after) = put_progress(&app, &token, c.article, json!({})).await;
    assert_eq!(after["done"], true, "the save marking it done was not lost");
    assert_eq!(after["furthest_secs"], 19);
}

async fn course_percentage_counts_done_lessons_of_every_kind(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let c = course(&app, "percent").await;
    let student = app.student("student").await;
    enrol(&app, &student, &c, None).await;
    let token = app.bearer(&student).await;
    // A video half watched (not done), an article marked done, the preview scrolled to its end.
    put_progress(&app, &token, c.video, json!({"position_secs": 50})).await;
    put_progress(&app, &token, c.article, json!({"done": true})).await;
    let (status, _) = put_progress(&app, &token, c.preview, json!({"done": true})).await;
    assert_eq!(status, 200);
    let cookie = app.sign_in(&student).await;
    let (_, html) = super::page(&app, Some(&cookie), &format!("/learn/{}/{}", c.slug, c.lab)).await;
    assert!(html.contains("data-percent=\"50\""), "2 of 4 lessons: 50%");
    assert!(
        html.contains("data-state=\"in-progress\""),
        "the video is in progress"
    );
    assert_eq!(html.matches("data-state=\"done\"").count(), 2);
    // The lab marked done too: 75%.
    put_progress(&app, &token, c.lab, json!({"done": true})).await;
    let (_, html) = super::page(&app, Some(&cookie), &format!("/learn/{}/{}", c.slug, c.lab)).await;
    assert!(html.contains("data-percent=\"75\""));
}

async fn saves_are_rate_limited_per_user(backend: Backend) {
    let mut options = Options::unthrottled();
    options.extra.push(("PROGRESS_THROTTLE", "5/min".into()));
    let app = spawn_app_with(backend, options).await;
    let c = course(&app, "throttled").await;
    let (ann, bob) = (app.student("ann").await, app.student("bob").await);
    enrol(&app, &ann, &c, None).await;
    enrol(&app, &bob, &c, None).await;
    let (ann, bob) = (app.bearer(&ann).await, app.bearer(&bob).await);
    for _ in 0..5 {
        let (status, _) = put_progress(&app, &ann, c.video, json!({"position_secs": 1})).await;
        assert_eq!(status, 200);
    }
    let (status, body) = put_progress(&app, &ann, c.video, json!({"position_secs": 2})).await;
    assert_eq!(status, 429, "{body}");
    let (status, _) = put_progress(&app, &bob, c.video, json!({"position_secs": 2})).await;
    assert_eq!(status, 200, "another user has a budget of his own");
}
