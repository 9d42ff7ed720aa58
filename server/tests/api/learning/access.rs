//! One access rule on the lesson page and the API, for each kind of visitor.

use chrono::Duration;
use reqwest::Method;
use serde_json::Value;

use super::{course, enrol, page, PAID_TEXT, PREVIEW_TEXT};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};
use crate::rest_support::{call, send};

backend_tests!(each_visitor_sees_what_the_rule_allows_on_page_and_api);

async fn each_visitor_sees_what_the_rule_allows_on_page_and_api(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let c = course(&app, "access-matrix").await;
    let outsider = app.student("outsider").await;
    let student = app.student("student").await;
    let lapsed = app.student("lapsed").await;
    let staff = app.staff("editor", &["lesson.view"]).await;
    enrol(&app, &student, &c, Some(Duration::days(30))).await;
    enrol(&app, &lapsed, &c, Some(Duration::seconds(-60))).await;

    // (who, cookie, token, may see paid content)
    let mut visitors: Vec<(&str, Option<String>, Option<String>, bool)> =
        vec![("anonymous", None, None, false)];
    for (name, who, open) in [
        ("signed in", &outsider, false),
        ("enrolled", &student, true),
        ("expired enrolment", &lapsed, false),
        ("staff with lesson.view", &staff, true),
    ] {
        visitors.push((
            name,
            Some(app.sign_in(who).await),
            Some(app.bearer(who).await),
            open,
        ));
    }
    for (who, cookie, token, open) in &visitors {
        // The page.
        let (status, html) = page(
            &app,
            cookie.as_deref(),
            &format!("/learn/{}/{}", c.slug, c.article),
        )
        .await;
        assert_eq!(status, 200, "{who}");
        assert!(
            html.contains("Paid article"),
            "{who}: the title and outline show"
        );
        assert!(
            html.contains("Taster"),
            "{who}: the outline lists every lesson"
        );
        assert_eq!(
            html.contains(PAID_TEXT),
            *open,
            "{who}: paid text on the page"
        );
        assert_eq!(
            html.contains("Buy to continue"),
            !open,
            "{who}: buy to continue"
        );
        if *open {
            assert!(
                html.contains("<span class=\"tok-kw\">fn</span>"),
                "{who}: code highlighted"
            );
        }
        let (status, html) = page(
            &app,
            cookie.as_deref(),
            &format!("/learn/{}/{}", c.slug, c.preview),
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(PREVIEW_TEXT),
            "{who}: the free preview is open"
        );
        let (_, html) = page(
            &app,
            cookie.as_deref(),
            &format!("/learn/{}/{}", c.slug, c.video),
        )
        .await;
        assert_eq!(
            html.contains("/media/clips/intro.webm?exp="),
            *open,
            "{who}: signed video URL"
        );
        assert!(
            !html.contains("clips/intro.webm\""),
            "{who}: the raw media path never shows"
        );
        let (_, html) = page(
            &app,
            cookie.as_deref(),
            &format!("/learn/{}/{}", c.slug, c.lab),
        )
        .await;
        assert_eq!(
            html.contains("Labs are not configured"),
            *open,
            "{who}: lab without host"
        );

        // The API: the same rule.
        let (status, lesson, _) = send(call(
            &app,
            Method::GET,
            &format!("/api/v1/lessons/{}", c.article),
            token.as_deref(),
        ))
        .await;
        assert_eq!(status, 200, "{who}: {lesson}");
        assert_eq!(lesson["title"], "Paid article");
        if *open {
            assert!(
                lesson["content_md"].as_str().unwrap().contains(PAID_TEXT),
                "{who}"
            );
        } else {
            assert_eq!(lesson["content_md"], Value::Null, "{who}: API content");
        }
        let (status, preview, _) = send(call(
            &app,
            Method::GET,
            &format!("/api/v1/lessons/{}", c.preview),
            token.as_deref(),
        ))
        .await;
        assert_eq!(status, 200);
        assert_eq!(preview["content_md"], PREVIEW_TEXT, "{who}: API preview");
        let (status, progress, _) = send(call(
            &app,
            Method::GET,
            &format!("/api/v1/lessons/{}/progress", c.article),
            token.as_deref(),
        ))
        .await;
        let want = match (token.is_some(), *open) {
            (false, _) => 401,
            (true, false) => 403,
            (true, true) => 200,
        };
        assert_eq!(status, want, "{who}: progress {progress}");
    }

    // A lesson of another course under this course's slug, and an unknown one, are 404.
    let (status, _) = page(&app, None, &format!("/learn/{}/999999", c.slug)).await;
    assert_eq!(status, 404);
    let (status, _) = page(&app, None, "/learn/no-such-course/1").await;
    assert_eq!(status, 404);
}
