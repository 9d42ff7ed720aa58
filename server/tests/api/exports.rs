//! Exports answered 202 (`/api/v1/exports`): the job builds the CSV of a course's learners,
//! the status reaches 100%, the link downloads exactly those learners (formula cells defused),
//! and nobody else's caller, an old link or a wrong token gets the file.

use chrono::{TimeZone, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use server::db::records;
use server::model_engine::sql::SqlValue;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::jobs::fast_jobs;
use crate::rest_support::{call, send};

backend_tests!(
    an_export_reaches_100_percent_and_downloads_the_right_csv,
    foreign_expired_and_wrong_token_downloads_are_refused,
    bad_export_requests_say_what_is_wrong,
);

pub(crate) async fn app(backend: Backend) -> TestApp {
    let mut options = Options::unthrottled();
    options.extra.extend(fast_jobs());
    spawn_app_with(backend, options).await
}

/// A course of the demo catalogue.
pub(crate) async fn a_course(app: &TestApp) -> i64 {
    records::scalar(&app.db, "SELECT MIN(id) FROM courses", &[])
        .await
        .unwrap()
}

/// Enrols a new account `username` in `course` at `at`.
pub(crate) async fn enrol(app: &TestApp, course: i64, username: &str, at: chrono::DateTime<Utc>) {
    let email = format!(
        "{}@learners.test",
        username.trim_start_matches(['=', '-', '+', '@'])
    );
    let user = server::db::users::insert(
        &app.db,
        &server::db::users::NewUser {
            username,
            email: &email,
            password_hash: None,
            is_staff: false,
            is_superuser: false,
        },
    )
    .await
    .unwrap();
    records::execute(
        &app.db,
        "INSERT INTO enrollments (user_id, course_id, created_at) VALUES ($1, $2, $3)",
        &[
            SqlValue::Int(user),
            SqlValue::Int(course),
            SqlValue::Time(at),
        ],
    )
    .await
    .unwrap();
}

/// `POST /api/v1/exports` for `course`: the status, body and `Location`.
pub(crate) async fn start(app: &TestApp, token: &str, course: i64) -> (u16, Value, Option<String>) {
    let (status, body, headers) = send(
        call(app, Method::POST, "/api/v1/exports", Some(token))
            .json(&json!({"kind": "course_learners", "course_id": course})),
    )
    .await;
    let location = headers
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    (status, body, location)
}

/// Polls the export (up to 20 s) until it is done; its last view.
pub(crate) async fn finished(app: &TestApp, token: &str, location: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let (status, body, _) = send(call(app, Method::GET, location, Some(token))).await;
        assert_eq!(status, 200, "{body}");
        assert_ne!(body["status"], "failed", "{body}");
        if body["status"] == "done" {
            return body;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the export is not done within 20 s: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub(crate) async fn download(app: &TestApp, token: &str, url: &str) -> (u16, String, String) {
    let response = call(app, Method::GET, url, Some(token))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|c| c.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, response.text().await.unwrap())
}

async fn an_export_reaches_100_percent_and_downloads_the_right_csv(backend: Backend) {
    let app = app(backend).await;
    let course = a_course(&app).await;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 2, 8, 30, 0).unwrap();
    enrol(&app, course, "li_lei", t0).await;
    enrol(&app, course, "-mallory", t0 + chrono::Duration::minutes(1)).await;
    enrol(&app, course, "=cmd", t0 + chrono::Duration::minutes(2)).await;
    // Someone in another course is not in this file.
    let other = records::scalar(&app.db, "SELECT MAX(id) FROM courses", &[])
        .await
        .unwrap();
    assert_ne!(other, course);
    enrol(&app, other, "elsewhere", t0).await;

    let ops = app.staff("ops", &["enrollment.view"]).await;
    let token = app.bearer(&ops).await;
    let (status, body, location) = start(&app, &token, course).await;
    assert_eq!(status, 202, "{body}");
    let location = location.expect("a Location header");
    assert_eq!(location, format!("/api/v1/exports/{}", body["id"]));
    // The in-process worker may finish a small export before this answer is written: the
    // answer only has to be a progress, 0 to 100; the file is checked below.
    let progress = body["progress"].as_i64().unwrap();
    assert!((0..=100).contains(&progress), "{body}");

    let done = finished(&app, &token, &location).await;
    assert_eq!(done["progress"], 100, "{done}");
    assert_eq!(done["rows"], 3, "{done}");
    let expires: chrono::DateTime<Utc> = done["expires_at"].as_str().unwrap().parse().unwrap();
    let finished_at: chrono::DateTime<Utc> = done["finished_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires - finished_at, chrono::Duration::hours(24));
    let url = done["download_url"].as_str().expect("a download link");

    let (status, content_type, csv) = download(&app, &token, url).await;
    assert_eq!(status, 200, "{csv}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert_eq!(
        csv,
        "username,email,enrolled_at\r\n\
         li_lei,li_lei@learners.test,2026-11-02T08:30:00Z\r\n\
         '-mallory,mallory@learners.test,2026-11-02T08:31:00Z\r\n\
         '=cmd,cmd@learners.test,2026-11-02T08:32:00Z\r\n"
    );
}

async fn foreign_expired_and_wrong_token_downloads_are_refused(backend: Backend) {
    let app = app(backend).await;
    let course = a_course(&app).await;
    enrol(&app, course, "han_meimei", Utc::now()).await;
    let owner = app.staff("owner", &["enrollment.view"]).await;
    let other = app.staff("other", &["enrollment.view"]).await;
    let operator = app.staff("operator", &["export.manage"]).await;
    let (owner_t, other_t, operator_t) = (
        app.bearer(&owner).await,
        app.bearer(&other).await,
        app.bearer(&operator).await,
    );
    let (status, body, location) = start(&app, &owner_t, course).await;
    assert_eq!(status, 202, "{body}");
    let location = location.unwrap();
    let done = finished(&app, &owner_t, &location).await;
    let url = done["download_url"].as_str().unwrap().to_string();

    // Another staff member: the export does not exist for them, nor its file.
    let (status, body, _) = send(call(&app, Method::GET, &location, Some(&other_t))).await;
    assert_eq!(status, 404, "{body}");
    let (status, _, csv) = download(&app, &other_t, &url).await;
    assert_eq!(status, 404, "{csv}");
    assert!(!csv.contains("han_meimei"));
    // An operator holding export.manage sees and downloads it.
    let (status, body, _) = send(call(&app, Method::GET, &location, Some(&operator_t))).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, csv) = download(&app, &operator_t, &url).await;
    assert_eq!(status, 200, "{csv}");
    assert!(csv.contains("han_meimei"));
    // Anonymous: 401; the owner with a wrong or no token: 404.
    let response = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let id = done["id"].as_i64().unwrap();
    for bad in [
        format!("/api/v1/exports/{id}/download?token=00"),
        format!("/api/v1/exports/{id}/download"),
    ] {
        let (status, _, csv) = download(&app, &owner_t, &bad).await;
        assert_eq!(status, 404, "{bad}: {csv}");
    }

    // A day later the link is refused (410) and no longer offered.
    records::execute(
        &app.db,
        "UPDATE exports SET expires_at = $1 WHERE id = $2",
        &[
            SqlValue::Time(Utc::now() - chrono::Duration::seconds(1)),
            SqlValue::Int(id),
        ],
    )
    .await
    .unwrap();
    let (status, _, body) = download(&app, &owner_t, &url).await;
    assert_eq!(status, 410, "{body}");
    let (status, body, _) = send(call(&app, Method::GET, &location, Some(&owner_t))).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["download_url"].is_null(), "{body}");
}

async fn bad_export_requests_say_what_is_wrong(backend: Backend) {
    let app = app(backend).await;
    let course = a_course(&app).await;
    let ops = app.staff("ops", &["enrollment.view"]).await;
    let token = app.bearer(&ops).await;
    let cases = [
        (json!({"kind": "orders", "course_id": course}), "kind"),
        (json!({"kind": "course_learners"}), "course_id"),
        (
            json!({"kind": "course_learners", "course_id": 999_999}),
            "course_id",
        ),
    ];
    for (request, field) in cases {
        let (status, body, _) =
            send(call(&app, Method::POST, "/api/v1/exports", Some(&token)).json(&request)).await;
        assert_eq!(status, 422, "{request}: {body}");
        assert!(body.to_string().contains(field), "{request}: {body}");
    }
    // Without enrollment.view (staff), as a student, anonymously: refused, nothing recorded.
    let editor = app.staff("editor", &["course.view"]).await;
    let student = app.student("student").await;
    for who in [&editor, &student] {
        let token = app.bearer(who).await;
        let (status, body, _) = start(&app, &token, course).await;
        assert_eq!(status, 403, "{}: {body}", who.username);
    }
    let (status, body, _) = send(
        call(&app, Method::POST, "/api/v1/exports", None)
            .json(&json!({"kind": "course_learners", "course_id": course})),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, body, _) = send(call(&app, Method::GET, "/api/v1/exports/1", Some(&token))).await;
    assert_eq!(status, 404, "{body}");
    let recorded = records::scalar(&app.db, "SELECT COUNT(*) FROM exports", &[])
        .await
        .unwrap();
    assert_eq!(recorded, 0);
}
