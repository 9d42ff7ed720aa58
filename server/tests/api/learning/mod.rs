//! Learning: the access rule on the lesson page and the API, progress, course percentage.

mod access;
mod progress;
mod reviews;

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::Value;
use server::db::records::{execute, scalar};
use server::model_engine::sql::SqlValue;

use crate::helpers::TestApp;
use crate::personas::Persona;
use crate::rest_support::{call, send};

/// A published paid course of its own: a video (100 s, under the media root), a paid article
/// with code, a free-preview article and a lab lesson, in that order.
pub struct Course {
    pub id: i64,
    pub slug: String,
    pub video: i64,
    pub article: i64,
    pub preview: i64,
    pub lab: i64,
}

pub const PAID_TEXT: &str = "paid-answer-key";
pub const PREVIEW_TEXT: &str = "free-for-everyone";

pub async fn course(app: &TestApp, slug: &str) -> Course {
    let db = &app.db;
    let teacher = scalar(db, "SELECT MIN(id) FROM teachers", &[])
        .await
        .unwrap();
    let category = scalar(db, "SELECT MIN(id) FROM categories", &[])
        .await
        .unwrap();
    let id = scalar(
        db,
        "INSERT INTO courses (slug, title, level, price_cents, status, teacher_id, category_id, \
         published_at) VALUES ($1, $2, 'beginner', 9900, 'published', $3, $4, $5) RETURNING id",
        &[
            SqlValue::Text(slug.into()),
            SqlValue::Text(format!("Course {slug}")),
            SqlValue::Int(teacher),
            SqlValue::Int(category),
            SqlValue::Time(Utc::now()),
        ],
    )
    .await
    .unwrap();
    let chapter = scalar(
        db,
        "INSERT INTO chapters (course_id, title, position) VALUES ($1, 'One', 1) RETURNING id",
        &[SqlValue::Int(id)],
    )
    .await
    .unwrap();
    let lesson = |title: &'static str,
                  kind: &'static str,
                  pos: i64,
                  free: bool,
                  md: String,
                  url: Option<&'static str>| {
        async move {
            scalar(
                db,
                "INSERT INTO lessons (chapter_id, title, kind, duration_secs, free_preview, position, \
                 content_md, video_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    SqlValue::Int(chapter),
                    SqlValue::Text(title.into()),
                    SqlValue::Text(kind.into()),
                    SqlValue::Int(if kind == "video" { 100 } else { 0 }),
                    SqlValue::Bool(free),
                    SqlValue::Int(pos),
                    SqlValue::Text(md),
                    url.map_or(SqlValue::Null, |u| SqlValue::Text(u.into())),
                ],
            )
            .await
            .unwrap()
        }
    };
    let video = lesson(
        "Intro video",
        "video",
        1,
        false,
        format!("notes {PAID_TEXT}"),
        Some("clips/intro.webm"),
    )
    .await;
    let article = lesson(
        "Paid article",
        "article",
        2,
        false,
        format!("# Read me\n\n{PAID_TEXT}\n\n```rust\nfn main() {{}}\n```\n"),
        None,
    )
    .await;
    let preview = lesson("Taster", "article", 3, true, PREVIEW_TEXT.into(), None).await;
    let lab = lesson("Lab", "lab", 4, false, format!("lab {PAID_TEXT}"), None).await;
    Course {
        id,
        slug: slug.into(),
        video,
        article,
        preview,
        lab,
    }
}

/// Enrols `who`, ending at `ends_in` from now (`None`: for good).
pub async fn enrol(app: &TestApp, who: &Persona, course: &Course, ends_in: Option<Duration>) {
    let mut values = vec![SqlValue::Int(who.id), SqlValue::Int(course.id)];
    let sql = match ends_in {
        Some(d) => {
            values.push(SqlValue::Time(Utc::now() + d));
            "INSERT INTO enrollments (user_id, course_id, expires_at) VALUES ($1, $2, $3)"
        }
        None => "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)",
    };
    execute(&app.db, sql, &values).await.unwrap();
}

/// The lesson page's HTML as a browser with `cookie` gets it.
pub async fn page(app: &TestApp, cookie: Option<&str>, path: &str) -> (u16, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// `PUT /api/v1/lessons/{id}/progress`.
pub async fn put_progress(app: &TestApp, token: &str, lesson: i64, body: Value) -> (u16, Value) {
    let (status, value, _) = send(
        call(
            app,
            Method::PUT,
            &format!("/api/v1/lessons/{lesson}/progress"),
            Some(token),
        )
        .json(&body),
    )
    .await;
    (status, value)
}
