//! Exports and the job dashboard under attack: guessing other people's export ids, reusing
//! someone else's download link, racing two Retry clicks on one failed job.

use reqwest::Method;

use crate::backend_tests;
use crate::exports::{a_course, app, download, enrol, finished, start};
use crate::helpers::{spawn_app_with, Backend, Options};
use crate::job_dashboard::{audit_entries, operator, server_fn};
use crate::rest_support::{call, send};

backend_tests!(
    another_users_export_is_indistinguishable_from_none_and_its_link_is_useless,
    two_parallel_retries_of_one_failed_job_retry_it_once,
);

async fn another_users_export_is_indistinguishable_from_none_and_its_link_is_useless(
    backend: Backend,
) {
    let app = app(backend).await;
    let course = a_course(&app).await;
    enrol(&app, course, "secret_learner", chrono::Utc::now()).await;
    let victim = app.staff("victim", &["enrollment.view"]).await;
    // The attacker holds every permission an editor could be given except export.manage.
    let attacker = app
        .staff(
            "attacker",
            &["enrollment.view", "course.view", "job.manage"],
        )
        .await;
    let (victim_t, attacker_t) = (app.bearer(&victim).await, app.bearer(&attacker).await);
    let (status, body, location) = start(&app, &victim_t, course).await;
    assert_eq!(status, 202, "{body}");
    let location = location.unwrap();
    let done = finished(&app, &victim_t, &location).await;
    let link = done["download_url"].as_str().unwrap().to_string();
    let id = done["id"].as_i64().unwrap();

    // The victim's id and an id nobody has answer alike: no oracle for enumeration.
    let (status, mine, _) = send(call(&app, Method::GET, &location, Some(&attacker_t))).await;
    let (status_none, none, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/exports/{}", id + 1000),
        Some(&attacker_t),
    ))
    .await;
    assert_eq!((status, status_none), (404, 404), "{mine} / {none}");
    assert_eq!(mine["title"], none["title"]);
    assert_eq!(mine["detail"], none["detail"]);
    // The leaked link, token and all, is refused to the attacker, by API token or session.
    let (status, _, csv) = download(&app, &attacker_t, &link).await;
    assert_eq!(status, 404);
    assert!(!csv.contains("secret_learner"));
    let cookie = app.sign_in(&attacker).await;
    let response = app
        .client
        .get(app.url(&link))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(!response.text().await.unwrap().contains("secret_learner"));
}

async fn two_parallel_retries_of_one_failed_job_retry_it_once(backend: Backend) {
    // No worker: the retried job stays pending, so it cannot fail again between the two.
    let mut options = Options::unthrottled();
    options.extra.extend(crate::jobs::fast_jobs());
    options.extra.push(("WORKER", "off".into()));
    let app = spawn_app_with(backend, options).await;
    app.jobs
        .enqueue_raw("default", b"not a job".to_vec(), None)
        .await
        .unwrap();
    let table = match app.db {
        server::db::Db::Sqlite(_) => "Jobs",
        server::db::Db::Postgres(_) => "apalis.jobs",
    };
    server::db::records::execute(
        &app.db,
        &format!("UPDATE {table} SET status = 'Killed', attempts = 1"),
        &[],
    )
    .await
    .unwrap();
    let dead: Vec<String> = server::db::job_board::failed(&app.db, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(dead.len(), 1);
    let (a, b) = (operator(&app, "ops_a").await, operator(&app, "ops_b").await);
    let form = [("id", dead[0].as_str())];
    let (first, second) = tokio::join!(
        server_fn(&app, Some(&a), "/fn/admin/jobs/retry", &form),
        server_fn(&app, Some(&b), "/fn/admin/jobs/retry", &form),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 404], "{first:?} {second:?}");
    assert_eq!(audit_entries(&app, &dead[0]).await.len(), 1);
    let jobs = server::db::jobs::queued(&app.db, "default").await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "Pending", "{jobs:?}");
}
