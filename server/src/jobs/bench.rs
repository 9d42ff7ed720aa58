//! `xuecheng bench-jobs` (hidden; `bench/jobs` runs it): jobs per second through the real
//! queue on the configured database. It enqueues `jobs` jobs (one at a time, or in batches
//! through [`super::Jobs::enqueue_many`]), then runs the worker in this process until every
//! one is done, and prints one line of figures. Needs `JOB_BENCH=true`, which is also what
//! lets the benchmark's job kinds run; use a database of its own.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::{Background, Job};
use crate::config::Settings;
use crate::db::{self, Db};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchKind {
    /// `bench.noop`: nothing but the queue.
    Noop,
    /// `bench.notify`: the natural-key guard, one notification, the key recorded (like a
    /// course-update reminder without the mail).
    Reminder,
}

pub struct BenchPlan {
    pub jobs: u32,
    pub kind: BenchKind,
    /// 1: `enqueue` per job; more: `enqueue_many` with this many per call.
    pub batch: u32,
}

pub async fn run(settings: Settings, plan: BenchPlan) -> anyhow::Result<()> {
    if !settings.jobs.bench {
        bail!("bench-jobs needs JOB_BENCH=true (and a database of its own)");
    }
    let db = Db::connect(&settings).await?;
    db.migrate().await?;
    // No Redis: the benchmark measures the queue, and its notifications go to no page.
    let background = Background::connect(&settings, db.clone(), None).await?;
    let run = ulid::Ulid::generate().to_string();
    let user_id = match plan.kind {
        BenchKind::Noop => 0,
        BenchKind::Reminder => bench_user(&db, &run).await?,
    };
    let jobs: Vec<(Job, String)> = (0..i64::from(plan.jobs))
        .map(|n| {
            let job = match plan.kind {
                BenchKind::Noop => Job::Noop { n },
                BenchKind::Reminder => Job::BenchNotify { user_id },
            };
            (job, format!("{run}:{n}"))
        })
        .collect();
    let before = done(&db).await?;

    let started = Instant::now();
    if plan.batch <= 1 {
        for (job, key) in &jobs {
            background.queue.enqueue(job, key).await?;
        }
    } else {
        for chunk in jobs.chunks(plan.batch as usize) {
            background.queue.enqueue_many(chunk).await?;
        }
    }
    let enqueued = started.elapsed();

    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn({
        let (background, jobs_settings, grace) = (
            background.clone(),
            settings.jobs.clone(),
            settings.shutdown_grace,
        );
        async move {
            background
                .run(jobs_settings, grace, async move {
                    let _ = rx.await;
                })
                .await
        }
    });
    let drain_started = Instant::now();
    let target = before + i64::from(plan.jobs);
    let limit = Duration::from_secs(600);
    loop {
        if done(&db).await? >= target {
            break;
        }
        if drain_started.elapsed() > limit {
            bail!("the queue did not drain within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = drain_started.elapsed();
    let _ = tx.send(());
    worker.await.context("the bench worker")??;
    background.queue.close().await;
    db.close().await;

    let per_s = |d: Duration| f64::from(plan.jobs) / d.as_secs_f64().max(1e-9);
    println!(
        "backend={} kind={:?} jobs={} batch={} concurrency={} enqueue_per_s={:.0} \
         process_per_s={:.0} end_to_end_per_s={:.0}",
        match settings.database_kind {
            crate::config::DatabaseKind::Sqlite => "sqlite",
            crate::config::DatabaseKind::Postgres => "postgres",
        },
        plan.kind,
        plan.jobs,
        plan.batch,
        settings.jobs.concurrency,
        per_s(enqueued),
        per_s(drained),
        per_s(enqueued + drained),
    );
    Ok(())
}

/// Jobs the queue has finished (of any run).
async fn done(db: &Db) -> anyhow::Result<i64> {
    let counts = db::job_board::counts(db).await?;
    Ok(counts
        .into_iter()
        .filter(|(_, status, _)| status == "Done")
        .map(|(_, _, n)| n)
        .sum())
}

/// The account the reminder-like jobs notify.
async fn bench_user(db: &Db, run: &str) -> anyhow::Result<i64> {
    let name = format!("bench{}", run.get(..12).unwrap_or(run).to_lowercase());
    let email = format!("{name}@bench.invalid");
    let id = db::users::insert(
        db,
        &db::users::NewUser {
            username: &name,
            email: &email,
            password_hash: None,
            is_staff: false,
            is_superuser: false,
        },
    )
    .await?;
    Ok(id)
}
