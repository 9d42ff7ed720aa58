//! The job dashboard in the back office (`/fn/admin/jobs…`, `/admin/jobs`): its counts are the
//! queue's, Retry puts a failed job back and it runs, Discard removes one, both audited, and
//! nothing of it opens without `job.manage`.

use serde_json::Value;
use server::db::jobs::queued;
use server::db::records;
use server::jobs::Job;
use server::model_engine::sql::SqlValue;

use crate::backend_tests;
use crate::exports::app;
use crate::helpers::{Backend, TestApp};
use crate::jobs::settled;

backend_tests!(
    dashboard_counts_match_the_queue,
    retry_moves_a_failed_job_back_and_it_runs,
    discard_removes_a_failed_job,
    without_job_manage_every_dashboard_route_is_refused,
);

/// A back-office server function as the page's form posts it: the status and the JSON answer.
pub(crate) async fn server_fn(
    app: &TestApp,
    cookie: Option<&str>,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(path))
        .header("origin", &app.address)
        .form(form);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub(crate) async fn operator(app: &TestApp, name: &str) -> String {
    let who = app.staff(name, &["job.manage"]).await;
    app.sign_in(&who).await
}

fn queue_of<'a>(board: &'a Value, queue: &str) -> &'a Value {
    board["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == queue)
        .unwrap_or_else(|| panic!("no queue {queue}: {board}"))
}

/// The audit log's entries about job `job`: their `changes`.
pub(crate) async fn audit_entries(app: &TestApp, job: &str) -> Vec<String> {
    let filter = server::db::audit::EntryFilter {
        object_type: Some("job".into()),
        object_id: Some(job.to_string()),
        ..Default::default()
    };
    let (_, rows) = server::db::audit::list(&app.db, &filter, 0, 100)
        .await
        .unwrap();
    rows.into_iter().map(|r| r.changes).collect()
}

/// Queues `n` payloads that do not parse and waits (up to 20 s) until the worker ended them
/// dead; their ids.
pub(crate) async fn dead_jobs(app: &TestApp, n: usize) -> Vec<String> {
    for i in 0..n {
        app.jobs
            .enqueue_raw("default", format!("not a job {i}").into_bytes(), None)
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    loop {
        let dead = server::db::job_board::failed(&app.db, None, 100)
            .await
            .unwrap();
        if dead.len() >= n {
            return dead.into_iter().map(|j| j.id).collect();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{n} dead jobs within 20 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn dashboard_counts_match_the_queue(backend: Backend) {
    let app = app(backend).await;
    for tick in [1, 2, 3] {
        app.jobs
            .enqueue(&Job::Housekeeping { tick }, &tick.to_string())
            .await
            .unwrap();
    }
    let dead = dead_jobs(&app, 2).await;
    let jobs = settled(&app, "default", 5).await;
    let cookie = operator(&app, "ops").await;
    let (status, board) = server_fn(&app, Some(&cookie), "/fn/admin/jobs", &[]).await;
    assert_eq!(status, 200, "{board}");

    let count = |status: &str| jobs.iter().filter(|j| j.status == status).count() as i64;
    let default = queue_of(&board, "default");
    assert_eq!(default["done"], count("Done"), "{board}");
    assert_eq!(default["done"], 3, "{board}");
    assert_eq!(default["dead"], count("Killed"), "{board}");
    assert_eq!(default["dead"], 2, "{board}");
    assert_eq!(default["pending"], 0, "{board}");
    let mail = queue_of(&board, "mail");
    let in_mail = queued(&app.db, "mail").await.unwrap().len() as i64;
    let mail_total: i64 = ["pending", "running", "done", "failed", "dead"]
        .iter()
        .map(|s| mail[*s].as_i64().unwrap())
        .sum();
    assert_eq!(mail_total, in_mail, "{board}");
    assert!(board["done_last_hour"].as_i64().unwrap() >= 3, "{board}");
    assert_eq!(
        board["throughput_svg"]
            .as_str()
            .unwrap()
            .matches("<rect")
            .count(),
        60
    );
    // Both queues' workers of this instance, heartbeat fresh.
    let workers = board["workers"].as_array().unwrap();
    for queue in ["mail", "default"] {
        assert!(
            workers
                .iter()
                .any(|w| w["queue"] == queue && w["alive"] == true),
            "a live {queue} worker: {board}"
        );
    }
    // The failed list: both dead jobs, with their error and payload.
    let failed = board["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2, "{board}");
    for id in &dead {
        let job = failed.iter().find(|j| j["id"] == id.as_str()).unwrap();
        assert_eq!(job["state"], "dead");
        assert_eq!(job["attempts"], 1);
        assert!(job["payload"].as_str().unwrap().starts_with("not a job"));
        assert!(
            job["errors"][0]
                .as_str()
                .unwrap()
                .contains("does not parse"),
            "{job}"
        );
    }
}

async fn retry_moves_a_failed_job_back_and_it_runs(backend: Backend) {
    let app = app(backend).await;
    // An export job for an export not recorded yet: it fails for good.
    let export_id = 900_001;
    app.jobs
        .enqueue(&Job::Export { export_id }, &export_id.to_string())
        .await
        .unwrap();
    let jobs = settled(&app, "default", 1).await;
    let job = jobs[0].clone();
    assert_eq!(job.status, "Killed", "{job:?}");

    // The export appears; Retry makes the same job run again, and this time it succeeds.
    let course = crate::exports::a_course(&app).await;
    let ops = app.staff("exporter", &["enrollment.view"]).await;
    records::execute(
        &app.db,
        "INSERT INTO exports (id, kind, course_id, requested_by, status, progress, created_at) \
         VALUES ($1, 'course_learners', $2, $3, 'pending', 0, $4)",
        &[
            SqlValue::Int(export_id),
            SqlValue::Int(course),
            SqlValue::Int(ops.id),
            SqlValue::Time(chrono::Utc::now()),
        ],
    )
    .await
    .unwrap();
    let cookie = operator(&app, "ops").await;
    let (status, body) = server_fn(
        &app,
        Some(&cookie),
        "/fn/admin/jobs/retry",
        &[("id", &job.id)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let row = queued(&app.db, "default").await.unwrap();
    assert_eq!(row.len(), 1, "the same job, not a copy: {row:?}");
    assert_eq!(row[0].id, job.id);
    assert_ne!(row[0].status, "Killed", "back in the queue: {row:?}");
    let jobs = settled(&app, "default", 1).await;
    assert_eq!(jobs[0].status, "Done", "{jobs:?}");
    let export = server::db::exports::find(&app.db, export_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(export.status, "done", "{export:?}");
    // Audited once, from dead to pending; a second retry finds nothing to retry.
    let entries = audit_entries(&app, &job.id).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].contains("dead") && entries[0].contains("pending"));
    let (status, body) = server_fn(
        &app,
        Some(&cookie),
        "/fn/admin/jobs/retry",
        &[("id", &job.id)],
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

async fn discard_removes_a_failed_job(backend: Backend) {
    let app = app(backend).await;
    let dead = dead_jobs(&app, 2).await;
    let cookie = operator(&app, "ops").await;
    let (status, body) = server_fn(
        &app,
        Some(&cookie),
        "/fn/admin/jobs/discard",
        &[("id", &dead[0])],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let left: Vec<String> = queued(&app.db, "default")
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(left, vec![dead[1].clone()]);
    let (_, board) = server_fn(&app, Some(&cookie), "/fn/admin/jobs", &[]).await;
    assert_eq!(queue_of(&board, "default")["dead"], 1, "{board}");
    let entries = audit_entries(&app, &dead[0]).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].contains("discarded"));
    // Only failed jobs: a done one cannot be discarded.
    app.jobs
        .enqueue(&Job::Housekeeping { tick: 7 }, "7")
        .await
        .unwrap();
    let done = settled(&app, "default", 2).await;
    let done = done.iter().find(|j| j.status == "Done").unwrap();
    let (status, body) = server_fn(
        &app,
        Some(&cookie),
        "/fn/admin/jobs/discard",
        &[("id", &done.id)],
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

async fn without_job_manage_every_dashboard_route_is_refused(backend: Backend) {
    let app = app(backend).await;
    let dead = dead_jobs(&app, 1).await;
    let everything_else: Vec<String> = server::db::rbac::all_permissions(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.codename)
        .filter(|c| c != "job.manage")
        .collect();
    let refs: Vec<&str> = everything_else.iter().map(String::as_str).collect();
    let staff = app.staff("almost", &refs).await;
    let cookie = app.sign_in(&staff).await;
    let student = app.student("student").await;
    let student_cookie = app.sign_in(&student).await;
    let calls: [(&str, Vec<(&str, &str)>); 3] = [
        ("/fn/admin/jobs", vec![]),
        ("/fn/admin/jobs/retry", vec![("id", dead[0].as_str())]),
        ("/fn/admin/jobs/discard", vec![("id", dead[0].as_str())]),
    ];
    for (path, form) in &calls {
        let (status, body) = server_fn(&app, Some(&cookie), path, form).await;
        assert_eq!(status, 403, "{path}: {body}");
        let (status, body) = server_fn(&app, Some(&student_cookie), path, form).await;
        assert_eq!(status, 403, "{path} as a student: {body}");
        let (status, body) = server_fn(&app, None, path, form).await;
        assert_eq!(status, 401, "{path} anonymously: {body}");
    }
    let response = app
        .client
        .get(app.url("/admin/jobs"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Nothing moved.
    let jobs = queued(&app.db, "default").await.unwrap();
    assert!(
        jobs.iter().any(|j| j.id == dead[0] && j.status == "Killed"),
        "{jobs:?}"
    );
    assert!(audit_entries(&app, &dead[0]).await.is_empty());
}
