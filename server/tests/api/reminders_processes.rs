//! A reminder fan-out in a real `xuecheng worker` process, killed with SIGKILL midway: a second
//! worker takes the fan-out over after the lease, goes on from where the first stopped, and
//! every follower gets exactly one notification and one mail.

use app::dto::FollowTarget;
use app::ports::FollowService;
use server::model_engine::sql::SqlValue;

use crate::backend_tests;
use crate::fake_smtp::FakeSmtp;
use crate::helpers::{fresh_database, Backend, TempDir};
use crate::jobs::{fast_jobs, user, wait_until};
use crate::jobs_processes::{observer, terminate, worker};
use crate::reminders::{follows, notifications_of, publish_lesson, published_course, text_of};

backend_tests!(a_fan_out_killed_midway_still_reminds_every_follower_once);

const FOLLOWERS: usize = 200;

async fn a_fan_out_killed_midway_still_reminds_every_follower_once(backend: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let (url, _dir) = fresh_database(backend).await;
    let mut env = fast_jobs();
    env.push(("SMTP_URL", smtp.url.clone()));
    env.push(("JOB_HEARTBEAT_SECONDS", "1".into()));
    env.push(("REMINDER_DEBOUNCE_SECONDS", "1".into()));
    // One recipient per step: the fan-out takes long enough to be killed in the middle.
    env.push(("REMINDER_FANOUT_PAGE", "1".into()));
    let app = observer(&url, env.clone()).await;
    let root = app.superuser().await.principal();
    let (course, chapter) = published_course(&app, &root, "killed-101").await;
    let service = follows(&app);
    let mut ids = Vec::new();
    for n in 0..FOLLOWERS {
        let id = user(&app, &format!("f{n}")).await;
        service
            .follow(id, FollowTarget::Course, course)
            .await
            .unwrap();
        ids.push(id);
    }
    let logs = TempDir::new();
    // The first worker fans out only (no mail queue), so its progress is all in the queue.
    let mut first = worker(
        &url,
        &logs.0.join("first.log"),
        &["--queues", "default"],
        &env,
    );
    publish_lesson(&app, &root, chapter, "9.1 Crash safety").await;
    let progress = || async {
        server::db::records::scalar(
            &app.db,
            "SELECT COALESCE(MAX(fanned_to), 0) FROM course_reminders WHERE course_id = $1 AND done = FALSE",
            &[SqlValue::Int(course)],
        )
        .await
        .unwrap()
    };
    wait_until("the fan-out is under way", || async {
        progress().await > 0
    })
    .await;
    first.kill().unwrap();
    let _ = first.wait();
    let queued_before: i64 = server::db::records::scalar(
        &app.db,
        "SELECT fanned_to FROM course_reminders WHERE course_id = $1",
        &[SqlValue::Int(course)],
    )
    .await
    .unwrap();
    assert!(
        queued_before < *ids.last().unwrap(),
        "the fan-out finished before it was killed; nothing was tested"
    );

    let mut second = worker(&url, &logs.0.join("second.log"), &[], &env);
    let mut mailed = Vec::new();
    for _ in 0..FOLLOWERS {
        let mail = smtp.next().await;
        assert!(text_of(&mail).0.contains("9.1 Crash safety"));
        mailed.extend(mail.to);
    }
    wait_until("every reminder ran", || async {
        server::db::jobs::effects_of(&app.db, "reminder.send")
            .await
            .unwrap()
            == FOLLOWERS as i64
    })
    .await;
    terminate(&mut second);
    smtp.assert_nothing_else();
    mailed.sort();
    mailed.dedup();
    assert_eq!(mailed.len(), FOLLOWERS, "someone got two mails, or none");
    for id in ids {
        assert_eq!(notifications_of(&app, id).await.len(), 1, "user {id}");
    }
}
