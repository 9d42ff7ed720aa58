//! Course-update reminders end to end, through the real queue and a real SMTP server: a lesson
//! published in the back office reaches every follower once (notification and mail), followers
//! of two paths containing the course get one, three lessons in one debounce window make one
//! reminder listing three, a muted student gets nothing and mail switched off leaves only the
//! notification. Also the public path pages.

use app::domain::Principal;
use app::dto::FollowTarget;
use app::ports::FollowService;
use base64::Engine;
use serde_json::{json, Value};
use server::db::records;
use server::model_engine::sql::SqlValue;
use server::model_engine::Record;

use crate::backend_tests;
use crate::fake_smtp::{FakeSmtp, Mail};
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::jobs::{fast_jobs, user, wait_until};

backend_tests!(
    a_lesson_reaches_each_follower_once_even_through_two_paths,
    three_lessons_in_one_window_make_one_reminder_listing_three,
    a_muted_student_gets_nothing_and_mail_off_leaves_the_notification,
    path_pages_show_published_paths_and_their_public_courses,
);

pub(crate) fn rec(v: Value) -> Record {
    v.as_object().cloned().unwrap()
}

/// An app with a fake mail server, fast jobs and a 2 s debounce window.
pub(crate) async fn app_with_smtp(backend: Backend, smtp: &FakeSmtp, seed: bool) -> TestApp {
    let mut extra = fast_jobs();
    extra.push(("SMTP_URL", smtp.url.clone()));
    extra.push(("REMINDER_DEBOUNCE_SECONDS", "2".into()));
    spawn_app_with(
        backend,
        Options {
            seed_demo: seed,
            extra,
            ..Options::unthrottled()
        },
    )
    .await
}

/// A published course with one chapter (made while it was a draft, so nobody is reminded of
/// it): (course id, chapter id).
pub(crate) async fn published_course(app: &TestApp, root: &Principal, slug: &str) -> (i64, i64) {
    let m = &app.models;
    let d = m
        .create(
            root,
            "direction",
            rec(json!({"name": slug, "slug": format!("{slug}-d")})),
            None,
        )
        .await
        .unwrap();
    let c = m
        .create(
            root,
            "category",
            rec(json!({"name": slug, "slug": format!("{slug}-c"), "direction_id": d["id"]})),
            None,
        )
        .await
        .unwrap();
    let t = m
        .create(root, "teacher", rec(json!({"name": "Ada"})), None)
        .await
        .unwrap();
    let course = m
        .create(
            root,
            "course",
            rec(
                json!({"title": format!("Course {slug}"), "slug": slug, "level": "beginner",
                "price_cents": 0, "category_id": c["id"], "teacher_id": t["id"]}),
            ),
            None,
        )
        .await
        .unwrap();
    let course_id = course["id"].as_i64().unwrap();
    let chapter = m
        .create(
            root,
            "chapter",
            rec(json!({"course_id": course_id, "title": "Chapter one"})),
            None,
        )
        .await
        .unwrap();
    m.update(
        root,
        "course",
        course_id,
        rec(json!({"status": "published"})),
        true,
        None,
    )
    .await
    .unwrap();
    (course_id, chapter["id"].as_i64().unwrap())
}

pub(crate) async fn publish_lesson(app: &TestApp, root: &Principal, chapter: i64, title: &str) {
    app.models
        .create(
            root,
            "lesson",
            rec(json!({"chapter_id": chapter, "title": title, "kind": "video"})),
            None,
        )
        .await
        .unwrap();
}

/// A published path containing `courses`; returns its id.
pub(crate) async fn path_with(app: &TestApp, root: &Principal, slug: &str, courses: &[i64]) -> i64 {
    let path = app
        .models
        .create(
            root,
            "learning_path",
            rec(json!({"title": format!("Path {slug}"), "slug": slug, "published": true})),
            None,
        )
        .await
        .unwrap();
    let id = path["id"].as_i64().unwrap();
    for (n, course) in courses.iter().enumerate() {
        app.models
            .create(
                root,
                "learning_path_course",
                rec(json!({"path_id": id, "course_id": course, "position": n})),
                None,
            )
            .await
            .unwrap();
    }
    id
}

pub(crate) fn follows(app: &TestApp) -> server::follows::Follows {
    server::follows::Follows::new(app.db.clone())
}

pub(crate) async fn enroll(app: &TestApp, user_id: i64, course_id: i64) {
    records::execute(
        &app.db,
        "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)",
        &[SqlValue::Int(user_id), SqlValue::Int(course_id)],
    )
    .await
    .unwrap();
}

/// The course-update notifications of `user_id`: (title, body, link).
pub(crate) async fn notifications_of(app: &TestApp, user_id: i64) -> Vec<(String, String, String)> {
    server::on_pool!(&app.db, pool => sqlx::query_as(
        "SELECT title, body, link FROM notifications WHERE user_id = $1 AND kind = 'course.update' ORDER BY id")
        .bind(user_id).fetch_all(pool).await.unwrap())
}

pub(crate) async fn notification_count(app: &TestApp) -> i64 {
    records::scalar(
        &app.db,
        "SELECT COUNT(*) FROM notifications WHERE kind = 'course.update'",
        &[],
    )
    .await
    .unwrap()
}

/// Waits until `n` reminder jobs have run (their effects recorded) and no reminder job is left.
pub(crate) async fn wait_for_reminders(app: &TestApp, n: i64) {
    wait_until(&format!("{n} reminders ran"), || async {
        let ran = server::db::jobs::effects_of(&app.db, "reminder.send")
            .await
            .unwrap();
        assert!(ran <= n, "{ran} reminders ran, expected {n}");
        ran == n
    })
    .await;
    wait_until("no reminder job is left", || async {
        crate::jobs::jobs_in(app, "mail")
            .await
            .iter()
            .all(|j| j.status == "Done")
    })
    .await;
}

/// The decoded text of a mail's `text/plain` part, and whether it has an HTML part too.
pub(crate) fn text_of(mail: &Mail) -> (String, bool) {
    let data = mail.data.replace("\r\n", "\n");
    let html = data.contains("Content-Type: text/html");
    let at = data
        .find("Content-Type: text/plain")
        .expect("a text/plain part");
    let part = &data[at..];
    let body_start = part.find("\n\n").expect("part headers end") + 2;
    let headers = &part[..body_start];
    let body: String = part[body_start..]
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = if headers.contains("base64") {
        let raw: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap(),
        )
        .unwrap()
    } else {
        body.replace("=\n", "")
    };
    (text, html)
}

async fn a_lesson_reaches_each_follower_once_even_through_two_paths(b: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let app = app_with_smtp(b, &smtp, false).await;
    let root = app.superuser().await.principal();
    let (course, chapter) = published_course(&app, &root, "rust-101").await;
    let (other, _) = published_course(&app, &root, "go-101").await;
    let one = path_with(&app, &root, "systems", &[course, other]).await;
    let two = path_with(&app, &root, "backend", &[other, course]).await;
    let service = follows(&app);
    let direct = user(&app, "direct").await;
    service
        .follow(direct, FollowTarget::Course, course)
        .await
        .unwrap();
    let both_paths = user(&app, "twopaths").await;
    service
        .follow(both_paths, FollowTarget::Path, one)
        .await
        .unwrap();
    service
        .follow(both_paths, FollowTarget::Path, two)
        .await
        .unwrap();
    // Following the course and a path as well is still one person.
    let everything = user(&app, "everything").await;
    service
        .follow(everything, FollowTarget::Course, course)
        .await
        .unwrap();
    service
        .follow(everything, FollowTarget::Path, one)
        .await
        .unwrap();
    let student = user(&app, "student").await;
    enroll(&app, student, course).await;
    // Follows the other course only: hears nothing of this one.
    let bystander = user(&app, "bystander").await;
    service
        .follow(bystander, FollowTarget::Course, other)
        .await
        .unwrap();

    publish_lesson(&app, &root, chapter, "1.1 Ownership").await;

    let audience = [direct, both_paths, everything, student];
    wait_for_reminders(&app, 4).await;
    let mut mailed = Vec::new();
    for _ in audience {
        let mail = smtp.next().await;
        let (text, html) = text_of(&mail);
        assert!(html, "the reminder has an HTML part");
        assert!(text.contains("1.1 Ownership"), "{text}");
        assert!(text.contains("/courses/rust-101"), "{text}");
        mailed.extend(mail.to);
    }
    smtp.assert_nothing_else();
    mailed.sort();
    let mut expected: Vec<String> = ["direct", "everything", "student", "twopaths"]
        .iter()
        .map(|n| format!("<{n}@example.com>"))
        .collect();
    expected.sort();
    assert_eq!(mailed, expected);
    for who in audience {
        let got = notifications_of(&app, who).await;
        assert_eq!(got.len(), 1, "user {who}: {got:?}");
        assert_eq!(got[0].2, "/courses/rust-101");
        assert!(got[0].1.contains("1.1 Ownership"));
    }
    assert!(notifications_of(&app, bystander).await.is_empty());
    assert_eq!(notification_count(&app).await, 4);
}

async fn three_lessons_in_one_window_make_one_reminder_listing_three(b: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let app = app_with_smtp(b, &smtp, false).await;
    let root = app.superuser().await.principal();
    let (course, chapter) = published_course(&app, &root, "rust-201").await;
    let fan = user(&app, "fan").await;
    follows(&app)
        .follow(fan, FollowTarget::Course, course)
        .await
        .unwrap();

    for title in ["2.1 Traits", "2.2 Generics", "2.3 Lifetimes"] {
        publish_lesson(&app, &root, chapter, title).await;
    }

    wait_for_reminders(&app, 1).await;
    let mail = smtp.next_to("fan@example.com").await;
    let (text, _) = text_of(&mail);
    for title in ["2.1 Traits", "2.2 Generics", "2.3 Lifetimes"] {
        assert!(text.contains(title), "{title} missing from {text}");
    }
    smtp.assert_nothing_else();
    let got = notifications_of(&app, fan).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].0.contains('3'),
        "the title counts three: {}",
        got[0].0
    );
    // One fan-out for the window, not three.
    assert_eq!(
        server::db::jobs::effects_of(&app.db, "reminder.fan_out")
            .await
            .unwrap(),
        1
    );
}

async fn a_muted_student_gets_nothing_and_mail_off_leaves_the_notification(b: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let app = app_with_smtp(b, &smtp, false).await;
    let root = app.superuser().await.principal();
    let (course, chapter) = published_course(&app, &root, "rust-301").await;
    let path = path_with(&app, &root, "muted-path", &[course]).await;
    let service = follows(&app);
    // Enrolled, then muted the course: not even a path it follows brings it back.
    let muted = user(&app, "muted").await;
    enroll(&app, muted, course).await;
    service
        .follow(muted, FollowTarget::Path, path)
        .await
        .unwrap();
    service
        .unfollow(muted, FollowTarget::Course, course)
        .await
        .unwrap();
    let state = service
        .state(muted, FollowTarget::Course, course)
        .await
        .unwrap();
    assert!(state.enrolled && !state.following);
    let quiet = user(&app, "quiet").await;
    service
        .follow(quiet, FollowTarget::Course, course)
        .await
        .unwrap();
    let settings = service
        .set_mail_setting(quiet, "course.update", false)
        .await
        .unwrap();
    assert_eq!(settings.len(), 1);
    assert!(!settings[0].enabled);
    let loud = user(&app, "loud").await;
    enroll(&app, loud, course).await;
    assert!(
        service.mail_settings(loud).await.unwrap()[0].enabled,
        "on by default"
    );

    publish_lesson(&app, &root, chapter, "3.1 Unsafe").await;

    wait_for_reminders(&app, 2).await;
    smtp.next_to("loud@example.com").await;
    smtp.assert_nothing_else();
    assert!(notifications_of(&app, muted).await.is_empty());
    assert_eq!(notifications_of(&app, quiet).await.len(), 1);
    assert_eq!(notifications_of(&app, loud).await.len(), 1);
}

async fn path_pages_show_published_paths_and_their_public_courses(b: Backend) {
    let smtp = FakeSmtp::start().await;
    let app = app_with_smtp(b, &smtp, true).await;
    let root = app.superuser().await.principal();
    // The demo paths are there.
    let list = app.get("/paths").await;
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains("Python 工程师"), "{html}");
    let (public, _) = published_course(&app, &root, "path-public").await;
    let draft = app
        .models
        .create(
            &root,
            "course",
            rec(
                json!({"title": "Secret draft", "slug": "secret-draft", "level": "beginner",
                "price_cents": 0, "category_id": 1, "teacher_id": 1}),
            ),
            None,
        )
        .await
        .unwrap();
    // Listed twice (the back office does not stop that): shown once.
    path_with(
        &app,
        &root,
        "mixed",
        &[draft["id"].as_i64().unwrap(), public, public],
    )
    .await;
    let detail = server::db::paths::by_slug(&app.db, "mixed")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.courses.len(), 1, "{:?}", detail.courses);
    let page = app.get("/paths/mixed").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Course path-public"), "{html}");
    assert!(
        !html.contains("Secret draft"),
        "a draft course shows on a path page"
    );
    app.models
        .create(
            &root,
            "learning_path",
            rec(json!({"title": "Hidden path", "slug": "hidden", "published": false})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(app.get("/paths/hidden").await.status(), 404);
    assert!(!app
        .get("/paths")
        .await
        .text()
        .await
        .unwrap()
        .contains("Hidden path"));
}
