//! The job runtime as separate processes: the real `xuecheng worker` binary, twice for a
//! schedule (one run per tick across both), and killed with SIGKILL in the middle of a job
//! (it runs again after its lease, and its effect happens once).

use std::path::Path;
use std::process::{Child, Command, Stdio};

use server::db::email_tokens::Purpose;
use server::jobs::Job;

use crate::backend_tests;
use crate::fake_smtp::{FakeSmtp, Trouble};
use crate::helpers::{fresh_database, spawn_app_with, Backend, Options, TempDir, TestApp};
use crate::jobs::{fast_jobs, jobs_in, settled, user, wait_until};

backend_tests!(
    two_worker_processes_run_each_cron_tick_once,
    a_worker_killed_mid_job_leaves_it_to_another_after_the_lease,
    sigterm_gives_running_jobs_the_grace_period_and_leaves_the_rest_queued,
);

/// A web instance that runs no jobs: the tests' window on the database and the queue.
pub(crate) async fn observer(database_url: &str, extra: Vec<(&'static str, String)>) -> TestApp {
    let mut extra = extra;
    extra.push(("WORKER", "off".into()));
    spawn_app_with(
        Backend::Sqlite, // ignored: the URL decides
        Options {
            seed_demo: false,
            database_url: Some(database_url.to_string()),
            extra,
            ..Default::default()
        },
    )
    .await
}

pub(crate) fn worker(
    database_url: &str,
    log: &Path,
    args: &[&str],
    env: &[(&'static str, String)],
) -> Child {
    let file = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_xuecheng"))
        .arg("worker")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("LOG_FORMAT", "json")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::from(file.try_clone().unwrap()))
        .stdout(Stdio::from(file))
        .spawn()
        .expect("the xuecheng binary starts")
}

pub(crate) fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

async fn two_worker_processes_run_each_cron_tick_once(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let app = observer(&url, fast_jobs()).await;
    let logs = TempDir::new();
    let mut env = fast_jobs();
    env.push(("HOUSEKEEPING_CRON", "* * * * * *".into()));
    let paths = [logs.0.join("one.log"), logs.0.join("two.log")];
    let mut workers: Vec<Child> = paths
        .iter()
        .map(|p| {
            worker(
                &url,
                p,
                &["--queues", "default", "--concurrency", "2"],
                &env,
            )
        })
        .collect();
    wait_until("four housekeeping runs", || async {
        jobs_in(&app, "default")
            .await
            .iter()
            .filter(|j| j.status == "Done")
            .count()
            >= 4
    })
    .await;
    for w in &mut workers {
        terminate(w);
    }
    let mut runs: Vec<i64> = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("job worker started"), "{text}");
        for line in text.lines().filter(|l| l.contains("housekeeping ran")) {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            runs.push(value["tick"].as_i64().expect("a tick"));
        }
    }
    runs.sort_unstable();
    let mut distinct = runs.clone();
    distinct.dedup();
    assert!(distinct.len() >= 4, "{runs:?}");
    assert_eq!(runs, distinct, "a tick ran twice");
    // One queue row per tick, too. The queue's uniqueness is (kind, key): another schedule
    // (payment.reconcile) ticking in the same second shares the key, not the kind.
    let jobs = jobs_in(&app, "default").await;
    let mut keys: Vec<(String, String)> = jobs
        .iter()
        .map(|j| {
            let v: serde_json::Value = serde_json::from_slice(&j.payload).unwrap();
            let field = |name: &str| v[name].as_str().unwrap().to_string();
            (field("kind"), field("key"))
        })
        .collect();
    let all = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), all, "one job per tick");
}

async fn a_worker_killed_mid_job_leaves_it_to_another_after_the_lease(backend: Backend) {
    // The first connection hangs: the worker is killed while it waits on the mail server.
    let mut smtp = FakeSmtp::start_with(Trouble {
        refuse_first: 0,
        stall_next: 1,
    })
    .await;
    let (url, _dir) = fresh_database(backend).await;
    let app = observer(&url, fast_jobs()).await;
    let id = user(&app, "kim").await;
    let logs = TempDir::new();
    let mut env = fast_jobs();
    env.push(("SMTP_URL", smtp.url.clone()));
    env.push(("JOB_HEARTBEAT_SECONDS", "1".into()));
    let mut first = worker(&url, &logs.0.join("first.log"), &["--queues", "mail"], &env);
    app.jobs
        .enqueue(
            &Job::LinkMail {
                user_id: id,
                purpose: Purpose::ResetPassword,
                locale: None,
            },
            "kill-me",
        )
        .await
        .unwrap();
    wait_until("the first worker talks to the mail server", || async {
        smtp.sessions() >= 1
    })
    .await;
    // Taken by the first worker (apalis marks it Queued on fetch, Running once its lock is
    // written, which happens a moment later).
    let taken = jobs_in(&app, "mail").await[0].status.clone();
    assert!(matches!(taken.as_str(), "Queued" | "Running"), "{taken}");
    first.kill().unwrap(); // SIGKILL: no chance to give the job back
    let _ = first.wait();

    let mut second = worker(
        &url,
        &logs.0.join("second.log"),
        &["--queues", "mail"],
        &env,
    );
    let mail = smtp.next_to("kim@example.com").await;
    assert_eq!(mail.link_path(), "/password/reset");
    let jobs = settled(&app, "mail", 1).await;
    terminate(&mut second);
    assert_eq!(jobs[0].status, "Done", "{:?}", jobs[0]);
    assert_eq!(
        server::db::jobs::effects_of(&app.db, "mail.link")
            .await
            .unwrap(),
        1
    );
    smtp.assert_nothing_else();
}

async fn sigterm_gives_running_jobs_the_grace_period_and_leaves_the_rest_queued(backend: Backend) {
    // The first mail hangs on the server; the second waits behind it (one job at a time).
    let mut smtp = FakeSmtp::start_with(Trouble {
        refuse_first: 0,
        stall_next: 1,
    })
    .await;
    let (url, _dir) = fresh_database(backend).await;
    let app = observer(&url, fast_jobs()).await;
    let (one, two) = (user(&app, "lou").await, user(&app, "mae").await);
    let logs = TempDir::new();
    let mut env = fast_jobs();
    env.push(("SMTP_URL", smtp.url.clone()));
    env.push(("JOB_HEARTBEAT_SECONDS", "1".into()));
    env.push(("SHUTDOWN_GRACE_SECONDS", "1".into()));
    let args = ["--queues", "mail", "--concurrency", "1"];
    let mut first = worker(&url, &logs.0.join("first.log"), &args, &env);
    let mail = |user_id| Job::LinkMail {
        user_id,
        purpose: Purpose::ResetPassword,
        locale: None,
    };
    app.jobs.enqueue(&mail(one), "first").await.unwrap();
    wait_until("the first job talks to the mail server", || async {
        smtp.sessions() >= 1
    })
    .await;
    app.jobs.enqueue(&mail(two), "second").await.unwrap();
    // The worker fetches ahead: the second job is taken (locked to it) while it waits for the
    // one permit. Stopping now must give it back, not leave it locked until a lease ends.
    wait_until("the waiting job is fetched ahead", || async {
        jobs_in(&app, "mail").await.iter().any(|j| {
            String::from_utf8_lossy(&j.payload).contains("second") && j.status != "Pending"
        })
    })
    .await;
    let asked = std::time::Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status();
    let _ = first.wait();
    let took = asked.elapsed();
    // The hung job had its second of grace, then the process ended; the waiting one never
    // started and is back in the queue, unlocked.
    assert!(took >= std::time::Duration::from_millis(900), "{took:?}");
    assert!(took < std::time::Duration::from_secs(6), "{took:?}");
    let jobs = jobs_in(&app, "mail").await;
    let second = jobs
        .iter()
        .find(|j| String::from_utf8_lossy(&j.payload).contains("second"))
        .unwrap();
    assert_eq!(second.status, "Pending", "{second:?}");
    assert_eq!(second.attempts, 0);
    assert_eq!(smtp.sessions(), 1, "the waiting job did not start");

    // A new worker takes both: the waiting one at once, the abandoned one after its lease.
    let mut next = worker(&url, &logs.0.join("next.log"), &args, &env);
    let mut to: Vec<String> = vec![
        smtp.next().await.to.join(","),
        smtp.next().await.to.join(","),
    ];
    to.sort();
    assert_eq!(to, ["<lou@example.com>", "<mae@example.com>"]);
    settled(&app, "mail", 2).await;
    terminate(&mut next);
    smtp.assert_nothing_else();
    assert_eq!(
        server::db::jobs::effects_of(&app.db, "mail.link")
            .await
            .unwrap(),
        2
    );
}
