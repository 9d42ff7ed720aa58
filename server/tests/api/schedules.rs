//! The scheduled jobs through the real queue: expiry notices (memberships and time-limited
//! enrolments, three days ahead and on the day, once per end) and the daily digest of
//! questions left unanswered, to the teacher who owns the course.

use chrono::{DateTime, TimeDelta, Utc};
use server::db::notifications;
use server::db::questions;
use server::jobs::Job;
use server::on_pool;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::jobs::{fast_jobs, settled, user};

backend_tests!(
    memberships_and_enrolments_are_told_before_and_when_they_end_once_per_end,
    teachers_get_one_digest_a_day_of_questions_nobody_answered,
);

#[derive(Debug, sqlx::FromRow)]
struct Row {
    user_id: i64,
    kind: String,
    title: String,
    link: Option<String>,
}

async fn notes(app: &TestApp) -> Vec<Row> {
    on_pool!(&app.db, pool => sqlx::query_as::<_, Row>(
        "SELECT user_id, kind, title, link FROM notifications ORDER BY user_id, kind, id")
        .fetch_all(pool).await)
    .unwrap()
}

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        Options {
            seed_demo: true,
            extra: fast_jobs(),
            ..Default::default()
        },
    )
    .await
}

/// Runs `job` through the queue as tick `n` of its schedule and waits until the `default`
/// queue has run `total` jobs.
async fn run(app: &TestApp, job: Job, n: i64, total: usize) {
    app.jobs.enqueue(&job, &n.to_string()).await.unwrap();
    let jobs = settled(app, "default", total).await;
    assert!(jobs.iter().all(|j| j.status == "Done"), "{jobs:#?}");
}

async fn membership(app: &TestApp, user_id: i64, plan: &str, ends: DateTime<Utc>) -> i64 {
    on_pool!(&app.db, pool => sqlx::query_scalar(
        "INSERT INTO memberships (user_id, plan, status, starts_at, expires_at) \
         VALUES ($1, $2, 'active', $3, $4) RETURNING id")
        .bind(user_id).bind(plan).bind(ends - TimeDelta::days(30)).bind(ends)
        .fetch_one(pool).await)
    .unwrap()
}

async fn first_course(app: &TestApp) -> (i64, String) {
    on_pool!(&app.db, pool => sqlx::query_as::<_, (i64, String)>(
        "SELECT id, slug FROM courses WHERE status = 'published' ORDER BY id LIMIT 1")
        .fetch_one(pool).await)
    .unwrap()
}

async fn memberships_and_enrolments_are_told_before_and_when_they_end_once_per_end(
    backend: Backend,
) {
    let app = app(backend).await;
    let now = Utc::now();
    let (ann, bo, cy) = (
        user(&app, "ann").await,
        user(&app, "bo").await,
        user(&app, "cy").await,
    );
    let soon = membership(&app, ann, "pro", now + TimeDelta::days(2)).await;
    let ended = membership(&app, bo, "pro", now - TimeDelta::hours(1)).await;
    // Far off: nothing yet.
    membership(&app, cy, "pro", now + TimeDelta::days(20)).await;
    let (course, slug) = first_course(&app).await;
    on_pool!(&app.db, pool => sqlx::query(
        "INSERT INTO enrollments (user_id, course_id, expires_at) VALUES ($1, $2, $3), ($4, $2, NULL)")
        .bind(cy).bind(course).bind(now + TimeDelta::hours(5)).bind(bo)
        .execute(pool).await.map(|_| ()))
    .unwrap();

    run(&app, Job::ExpiryScan { tick: 1 }, 1, 1).await;
    let got = notes(&app).await;
    let kinds: Vec<(i64, &str)> = got.iter().map(|n| (n.user_id, n.kind.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (ann, "membership.ending"),
            (bo, "membership.ended"),
            (cy, "enrollment.ending"),
        ],
        "{got:#?}"
    );
    let cy_note = got.iter().find(|n| n.user_id == cy).unwrap();
    assert_eq!(
        cy_note.link.as_deref(),
        Some(format!("/courses/{slug}").as_str())
    );
    let status = |id: i64| {
        let db = app.db.clone();
        async move {
            on_pool!(&db, pool => sqlx::query_scalar::<_, String>(
                "SELECT status FROM memberships WHERE id = $1").bind(id).fetch_one(pool).await)
            .unwrap()
        }
    };
    assert_eq!(status(ended).await, "expired");
    assert_eq!(status(soon).await, "active");

    // A second tick (another instance, an hour later) tells nobody again.
    run(&app, Job::ExpiryScan { tick: 2 }, 2, 2).await;
    assert_eq!(notes(&app).await.len(), 3);

    // Ann renews before the end: her new end is told in its turn; Cy's access then ends.
    on_pool!(&app.db, pool => sqlx::query(
        "UPDATE memberships SET expires_at = $2 WHERE id = $1")
        .bind(soon).bind(now + TimeDelta::days(1)).execute(pool).await.map(|_| ()))
    .unwrap();
    on_pool!(&app.db, pool => sqlx::query(
        "UPDATE enrollments SET expires_at = $2 WHERE user_id = $1")
        .bind(cy).bind(now - TimeDelta::minutes(1)).execute(pool).await.map(|_| ()))
    .unwrap();
    run(&app, Job::ExpiryScan { tick: 3 }, 3, 3).await;
    let kinds: Vec<(i64, String)> = notes(&app)
        .await
        .into_iter()
        .map(|n| (n.user_id, n.kind))
        .collect();
    let count = |user: i64, kind: &str| {
        kinds
            .iter()
            .filter(|(u, k)| *u == user && k == kind)
            .count()
    };
    assert_eq!(count(ann, "membership.ending"), 2, "{kinds:?}");
    assert_eq!(count(bo, "membership.ended"), 1, "{kinds:?}");
    assert_eq!(count(cy, "enrollment.ending"), 1, "{kinds:?}");
    assert_eq!(count(cy, "enrollment.ended"), 1, "{kinds:?}");
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    assert_eq!(notifications::unread_count(&app.db, ann).await.unwrap(), 2);
}

async fn teachers_get_one_digest_a_day_of_questions_nobody_answered(backend: Backend) {
    let app = app(backend).await;
    let now = Utc::now();
    let (teacher, student, other) = (
        user(&app, "tia").await,
        user(&app, "stu").await,
        user(&app, "oli").await,
    );
    let (course, slug) = first_course(&app).await;
    on_pool!(&app.db, pool => sqlx::query(
        "UPDATE teachers SET user_id = $1 WHERE id = (SELECT teacher_id FROM courses WHERE id = $2)")
        .bind(teacher).bind(course).execute(pool).await.map(|_| ()))
    .unwrap();
    let ask = |title: &'static str, age_hours: i64| {
        let db = app.db.clone();
        async move {
            questions::ask(
                &db,
                course,
                None,
                student,
                title,
                "",
                now - TimeDelta::hours(age_hours),
            )
            .await
            .unwrap()
        }
    };
    ask("Why does the borrow checker complain?", 50).await;
    ask("Fresh question", 2).await;
    let answered = ask("Answered one", 60).await;
    questions::answer(&app.db, answered, other, "Because.", now)
        .await
        .unwrap();
    let hidden_answer = ask("Only a hidden answer", 72).await;
    let hidden = questions::answer(&app.db, hidden_answer, other, "spam", now)
        .await
        .unwrap();
    questions::set_answer_hidden(&app.db, hidden, true)
        .await
        .unwrap();

    run(&app, Job::OverdueDigest { tick: 1, hours: 48 }, 1, 1).await;
    let got = notes(&app).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    let digest = &got[0];
    assert_eq!(
        (digest.user_id, digest.kind.as_str()),
        (teacher, "questions.overdue")
    );
    assert!(digest.title.starts_with("2 questions"), "{}", digest.title);
    assert_eq!(
        digest.link.as_deref(),
        Some(format!("/courses/{slug}").as_str())
    );
    let body: String = on_pool!(&app.db, pool => sqlx::query_scalar(
        "SELECT body FROM notifications WHERE user_id = $1").bind(teacher).fetch_one(pool).await)
    .unwrap();
    assert!(
        body.contains("Only a hidden answer") && body.contains("borrow checker"),
        "{body}"
    );
    assert!(
        !body.contains("Fresh question") && !body.contains("Answered one"),
        "{body}"
    );

    // The same day's next tick (a second instance, a retry) sends nothing more.
    run(&app, Job::OverdueDigest { tick: 2, hours: 48 }, 2, 2).await;
    assert_eq!(notes(&app).await.len(), 1);
}
