//! Learning: copied and forged media links, saves a visitor may not make, bad progress input,
//! script in lesson Markdown.

use chrono::Duration;
use reqwest::Method;
use serde_json::json;
use server::model_engine::sql::SqlValue;

use crate::accounts::post_form;
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TempDir};
use crate::learning::{course, enrol, page, put_progress};
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    media_links_are_signed_short_lived_and_confined_to_the_root,
    saves_need_access_and_valid_input,
    lesson_markdown_cannot_run_script,
);

/// The signed media URL of the lesson page's `<video>`, as the browser would request it.
fn media_url(html: &str) -> String {
    let start = html
        .find("/media/clips/intro.webm?exp=")
        .expect("a signed media URL");
    let rest = &html[start..];
    let end = rest.find('"').unwrap();
    rest[..end].replace("&amp;", "&")
}

async fn media_links_are_signed_short_lived_and_confined_to_the_root(backend: Backend) {
    let media = TempDir::new();
    std::fs::create_dir_all(media.0.join("clips")).unwrap();
    let clip: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    std::fs::write(media.0.join("clips/intro.webm"), &clip).unwrap();
    std::fs::write(media.0.join("clips/other.webm"), b"other").unwrap();
    let mut options = Options::unthrottled();
    options
        .extra
        .push(("MEDIA_ROOT", media.0.display().to_string()));
    let app = spawn_app_with(backend, options).await;
    let c = course(&app, "media").await;
    let student = app.student("student").await;
    enrol(&app, &student, &c, Some(Duration::days(1))).await;
    let cookie = app.sign_in(&student).await;
    let (_, html) = page(
        &app,
        Some(&cookie),
        &format!("/learn/{}/{}", c.slug, c.video),
    )
    .await;
    let url = media_url(&html);

    // The link plays, with range requests, for anyone holding it until it expires.
    let response = app
        .client
        .get(app.url(&url))
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(response.headers()["content-range"], "bytes 10-19/4096");
    assert_eq!(response.bytes().await.unwrap().as_ref(), &clip[10..20]);
    let whole = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");

    let (path, query) = url.split_once('?').unwrap();
    let exp: i64 = query.split('&').next().unwrap()["exp=".len()..]
        .parse()
        .unwrap();
    let sig = query.split("sig=").nth(1).unwrap();
    let forged = [
        path.to_string(),
        format!("{path}?exp={exp}"),
        format!("{path}?exp={}&sig={sig}", exp + 3_600),
        format!("{path}?exp={exp}&sig={}", "0".repeat(64)),
        format!("{path}?exp={exp}&sig=nothex"),
        format!("/media/clips/other.webm?exp={exp}&sig={sig}"),
    ];
    for forged in forged {
        let response = app.client.get(app.url(&forged)).send().await.unwrap();
        assert_eq!(response.status(), 403, "{forged}");
    }
    // An expired link (signed by this server, an hour ago) is refused too.
    let old = Utc::now().timestamp() - 3_600;
    let response = app
        .client
        .get(app.url(&format!("{path}?exp={old}&sig={sig}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A visitor who may not see the lesson gets no link at all.
    let (_, html) = page(&app, None, &format!("/learn/{}/{}", c.slug, c.video)).await;
    assert!(
        !html.contains("/media/clips"),
        "no media link for anonymous visitors"
    );
}

use chrono::Utc;

async fn saves_need_access_and_valid_input(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let c = course(&app, "saves").await;
    let student = app.student("student").await;
    let outsider = app.student("outsider").await;
    enrol(&app, &student, &c, None).await;
    let (token, other) = (app.bearer(&student).await, app.bearer(&outsider).await);

    // Not enrolled: the paid lesson is 403, the preview may be saved.
    let (status, body) = put_progress(&app, &other, c.article, json!({"done": true})).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = put_progress(&app, &other, c.preview, json!({"done": true})).await;
    assert_eq!(status, 200);
    // Anonymous: 401; a draft course's lesson: 404 like one that does not exist.
    let (status, _, _) = send(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/lessons/{}/progress", c.article),
            None,
        )
        .json(&json!({})),
    )
    .await;
    assert_eq!(status, 401);
    server::db::records::execute(
        &app.db,
        "UPDATE courses SET status = 'draft' WHERE id = $1",
        &[SqlValue::Int(c.id)],
    )
    .await
    .unwrap();
    let (status, _) = put_progress(&app, &token, c.article, json!({"done": true})).await;
    assert_eq!(status, 404, "a course taken down takes its lessons with it");
    let (status, _) = put_progress(&app, &token, 99_999_999, json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = put_progress(&app, &token, -1, json!({})).await;
    assert_eq!(status, 404);
    server::db::records::execute(
        &app.db,
        "UPDATE courses SET status = 'published' WHERE id = $1",
        &[SqlValue::Int(c.id)],
    )
    .await
    .unwrap();

    // Bad input: every field error at once; unknown fields refused; nothing written.
    let (status, body, headers) = send(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/lessons/{}/progress", c.video),
            Some(&token),
        )
        .json(&json!({"position_secs": -5, "watched_secs": 10_000_000})),
    )
    .await;
    assert_problem(status, &body, &headers, 422);
    let text = body.to_string();
    assert!(
        text.contains("position_secs") && text.contains("watched_secs"),
        "{text}"
    );
    let (status, _) =
        put_progress(&app, &token, c.video, json!({"completed_at": "2000-01-01"})).await;
    assert_eq!(status, 422);
    let (status, p) = put_progress(&app, &token, c.video, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(p["furthest_secs"], 0, "the refused saves wrote nothing");

    // The page's server function: no session, no save.
    let response = post_form(
        &app,
        "/fn/learn/progress",
        None,
        &[
            ("lesson_id", &c.video.to_string()),
            ("position_secs", "5"),
            ("watched_secs", "5"),
            ("done", "true"),
        ],
    )
    .await;
    assert_eq!(response.status(), 401);
    let cookie = app.sign_in(&student).await;
    let response = post_form(
        &app,
        "/fn/learn/progress",
        Some(&cookie),
        &[
            ("lesson_id", &c.video.to_string()),
            ("position_secs", "42"),
            ("watched_secs", "42"),
            ("done", "false"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let (_, p) = put_progress(&app, &token, c.video, json!({"position_secs": 42})).await;
    assert_eq!(
        p["furthest_secs"], 42,
        "the page's save and the API's are one"
    );
}

async fn lesson_markdown_cannot_run_script(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let c = course(&app, "hostile").await;
    server::db::records::execute(
        &app.db,
        "UPDATE lessons SET content_md = $1 WHERE id = $2",
        &[
            SqlValue::Text(
                "<script>alert('xss')</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n```html\n</code></pre><script>alert(2)</script>\n```\n".into(),
            ),
            SqlValue::Int(c.preview),
        ],
    )
    .await
    .unwrap();
    let (status, html) = page(&app, None, &format!("/learn/{}/{}", c.slug, c.preview)).await;
    assert_eq!(status, 200);
    assert!(!html.contains("alert('xss')"), "inline script removed");
    assert!(
        !html.contains("onerror"),
        "event handler attributes removed"
    );
    assert!(!html.contains("javascript:alert"), "script links removed");
    assert!(!html.contains("<script>alert(2)"), "code blocks stay text");
    assert!(
        html.contains("&lt;script&gt;alert(2)"),
        "the code is shown escaped"
    );
}
