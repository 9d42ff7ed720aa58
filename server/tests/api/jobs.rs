//! Background jobs through the real queue (apalis on SQLite / PostgreSQL): the reset mail,
//! redelivery of a job whose effect happened, a mail server in trouble, payloads that do not
//! parse. The process-level cases (two workers, SIGKILL) are in `jobs_processes.rs`.

use std::time::{Duration, Instant};

use server::db::email_tokens::Purpose;
use server::db::jobs::{errors_of, queued, QueuedJob};
use server::db::users::{self, NewUser};
use server::jobs::Job;

use crate::backend_tests;
use crate::fake_smtp::{FakeSmtp, Trouble};
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    a_reset_mail_goes_through_the_queue_exactly_once,
    a_redelivered_job_whose_effect_happened_does_nothing,
    a_refusing_mail_server_is_retried_with_backoff_and_the_job_shows_why,
    payloads_that_do_not_parse_fail_with_their_error_and_the_queue_goes_on,
);

/// Quick polling and short backoffs, so the tests wait for conditions, not for defaults.
pub(crate) fn fast_jobs() -> Vec<(&'static str, String)> {
    vec![
        ("JOB_POLL_MS", "50".into()),
        ("JOB_BACKOFF_MS", "100".into()),
        ("JOB_BACKOFF_MAX_SECONDS", "1".into()),
        ("MAIL_FROM", "Xuecheng <no-reply@xuecheng.test>".into()),
        // Schedules a test does not ask for stay out of its queue (a tick once a year).
        ("EXPIRY_CRON", "0 0 0 1 1 *".into()),
        ("OVERDUE_CRON", "0 0 0 1 1 *".into()),
        ("HOUSEKEEPING_CRON", "0 0 0 1 1 *".into()),
    ]
}

async fn app_with_smtp(backend: Backend, smtp: &FakeSmtp) -> TestApp {
    let mut extra = fast_jobs();
    extra.push(("SMTP_URL", smtp.url.clone()));
    spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            extra,
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn user(app: &TestApp, name: &str) -> i64 {
    let email = format!("{name}@example.com");
    users::insert(
        &app.db,
        &NewUser {
            username: name,
            email: &email,
            password_hash: None,
            is_staff: false,
            is_superuser: false,
        },
    )
    .await
    .unwrap()
}

/// Waits (up to 20 s) until `check` holds.
pub(crate) async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what}: not within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn jobs_in(app: &TestApp, queue: &str) -> Vec<QueuedJob> {
    queued(&app.db, queue).await.unwrap()
}

/// Waits (up to 20 s) until `queue` holds `count` jobs, every one ended (done or failed for
/// good), and returns them.
pub(crate) async fn settled(app: &TestApp, queue: &str, count: usize) -> Vec<QueuedJob> {
    let started = Instant::now();
    loop {
        let jobs = jobs_in(app, queue).await;
        let ended = |j: &QueuedJob| matches!(j.status.as_str(), "Done" | "Killed" | "Failed");
        if jobs.len() == count && jobs.iter().all(ended) {
            return jobs;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{count} finished jobs on '{queue}' within 20 s; have {jobs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_reset_mail_goes_through_the_queue_exactly_once(backend: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let app = app_with_smtp(backend, &smtp).await;
    user(&app, "wren").await;
    let answer = app
        .post_json(
            "/api/v1/auth/password-reset",
            &serde_json::json!({"email": "wren@example.com"}),
        )
        .await;
    assert_eq!(answer.status(), 202);
    let mail = smtp.next_to("wren@example.com").await;
    assert_eq!(mail.link_path(), "/password/reset");
    let jobs = settled(&app, "mail", 1).await;
    assert_eq!(jobs[0].status, "Done", "{:?}", jobs[0]);
    let payload: serde_json::Value = serde_json::from_slice(&jobs[0].payload).unwrap();
    assert_eq!(payload["kind"], "mail.link");
    assert_eq!(payload["args"]["purpose"], "reset_password");
    assert!(
        payload["args"].get("email").is_none(),
        "jobs carry ids, not addresses: {payload}"
    );
    assert_eq!(
        server::db::jobs::effects_of(&app.db, "mail.link")
            .await
            .unwrap(),
        1
    );
    smtp.assert_nothing_else();
}

async fn a_redelivered_job_whose_effect_happened_does_nothing(backend: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let app = app_with_smtp(backend, &smtp).await;
    let id = user(&app, "yara").await;
    let job = Job::LinkMail {
        user_id: id,
        purpose: Purpose::VerifyEmail,
        locale: None,
    };
    app.jobs.enqueue(&job, "intent-1").await.unwrap();
    smtp.next_to("yara@example.com").await;
    settled(&app, "mail", 1).await;
    // The same enqueue again is refused by the queue (its natural key is taken)…
    app.jobs.enqueue(&job, "intent-1").await.unwrap();
    // …and the same payload delivered again (as after a worker died before acknowledging)
    // runs, finds its effect done, and sends nothing.
    let again = serde_json::to_vec(&job.envelope("intent-1")).unwrap();
    app.jobs.enqueue_raw("mail", again, None).await.unwrap();
    let jobs = settled(&app, "mail", 2).await;
    assert!(jobs.iter().all(|j| j.status == "Done"), "{jobs:?}");
    // A new intent for the same user is a new mail: the probe that the worker still sends.
    app.jobs.enqueue(&job, "intent-2").await.unwrap();
    smtp.next_to("yara@example.com").await;
    settled(&app, "mail", 3).await;
    smtp.assert_nothing_else();
    assert_eq!(
        server::db::jobs::effects_of(&app.db, "mail.link")
            .await
            .unwrap(),
        2
    );
}

async fn a_refusing_mail_server_is_retried_with_backoff_and_the_job_shows_why(backend: Backend) {
    let mut smtp = FakeSmtp::start_with(Trouble {
        refuse_first: 2,
        stall_next: 0,
    })
    .await;
    let app = app_with_smtp(backend, &smtp).await;
    let id = user(&app, "zane").await;
    let started = Instant::now();
    app.jobs
        .enqueue(
            &Job::LinkMail {
                user_id: id,
                purpose: Purpose::ResetPassword,
                locale: None,
            },
            "once",
        )
        .await
        .unwrap();
    let mail = smtp.next_to("zane@example.com").await;
    let took = started.elapsed();
    assert_eq!(mail.link_path(), "/password/reset");
    let jobs = settled(&app, "mail", 1).await;
    assert_eq!(jobs[0].status, "Done");
    assert_eq!(
        jobs[0].attempts, 3,
        "two refusals, then the delivery: {:?}",
        jobs[0]
    );
    let errors = errors_of(&app.db, &jobs[0].id).await.unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (n, error) in errors.iter().enumerate() {
        assert_eq!(error.kind, "mail.link");
        assert_eq!(error.attempt, n as i64 + 1);
        assert!(error.error.contains("SMTP"), "the job shows why: {error:?}");
    }
    // Backoff: at least the first pause (100 ms) and the second (~200 ms, with jitter) passed.
    assert!(took >= Duration::from_millis(150), "{took:?}");
    assert_eq!(smtp.sessions(), 3);
    smtp.assert_nothing_else();
}

async fn payloads_that_do_not_parse_fail_with_their_error_and_the_queue_goes_on(backend: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let app = app_with_smtp(backend, &smtp).await;
    let id = user(&app, "abel").await;
    app.jobs
        .enqueue_raw("mail", b"\x00 not json at all".to_vec(), None)
        .await
        .unwrap();
    let unknown = serde_json::json!({"kind": "mail.fax", "key": "k", "args": {}});
    app.jobs
        .enqueue_raw("mail", serde_json::to_vec(&unknown).unwrap(), None)
        .await
        .unwrap();
    let stale = serde_json::json!({
        "kind": "mail.link", "key": "k", "args": {"user": id, "purpose": "reset_password"}
    });
    app.jobs
        .enqueue_raw("mail", serde_json::to_vec(&stale).unwrap(), None)
        .await
        .unwrap();
    let jobs = settled(&app, "mail", 3).await;
    let expected = [
        "does not parse as a job",
        "unknown job kind 'mail.fax'",
        "`user_id` is missing",
    ];
    for expected in expected {
        let job = jobs
            .iter()
            .find(|j| {
                j.last_result
                    .as_deref()
                    .is_some_and(|r| r.contains(expected))
            })
            .unwrap_or_else(|| panic!("a failed job saying '{expected}': {jobs:?}"));
        assert_eq!(
            job.status, "Killed",
            "failed for good, not retried: {job:?}"
        );
        assert_eq!(job.attempts, 1, "{job:?}");
        let errors = errors_of(&app.db, &job.id).await.unwrap();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].error.contains(expected));
    }
    // No crash loop: the next good job runs.
    app.jobs
        .enqueue(
            &Job::LinkMail {
                user_id: id,
                purpose: Purpose::VerifyEmail,
                locale: None,
            },
            "after",
        )
        .await
        .unwrap();
    smtp.next_to("abel@example.com").await;
}
