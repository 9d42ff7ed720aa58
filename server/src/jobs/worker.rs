//! The worker: one apalis worker per queue, all in one [`Monitor`], running [`handle`] for
//! every delivery.
//!
//! Around each job, from the outside in: apalis' persistence (lock, then the final result in
//! its row), the retry policy (exponential backoff from `JOB_BACKOFF_MS`, doubling with
//! jitter, capped at `JOB_BACKOFF_MAX_SECONDS`, at most `JOB_RETRIES` retries; never after an
//! [`AbortError`]), panic catching (a panic aborts the job with its message), then
//! [`handle`]: parse, the per-kind timeout, the job, and a row in `job_errors` per failure.
//!
//! Concurrency: one semaphore of `JOB_CONCURRENCY` permits bounds the jobs the whole process
//! runs at once, over all its queues; a job's timeout starts once it holds a permit. (apalis'
//! own concurrency layer is not used: stacked with the retry layer it was seen to stall the
//! queue.) Each queue's worker fetches up to `JOB_FETCH_BATCH` (default 10) ahead; those wait
//! for a permit while their worker's heartbeat keeps them leased. A worker that dies leaves its jobs
//! locked; another worker's heartbeat puts them back after two missed heartbeats
//! (`JOB_HEARTBEAT_SECONDS`), and their natural keys keep their effects single.
//!
//! Shutdown: once `stop` resolves the worker takes no more jobs, gives running ones
//! `SHUTDOWN_GRACE_SECONDS`, and leaves everything else queued. Jobs fetched ahead that never
//! got a permit are never started (their delivery waits until the worker ends) and are put back
//! to `Pending` when it ends, so another worker takes them at once instead of after a lease.
//! A job still running when the grace ends keeps its lock and runs again after its lease.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use apalis::layers::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use apalis::layers::retry::HasherRng;
use apalis::prelude::*;
use chrono::Utc;
use tokio::sync::Semaphore;

use super::kinds::{self, Failure, JobContext};
use super::queue::QueuePool;
use super::{Envelope, Job, JobSettings};

/// Hands payload bytes through untouched: parsing is [`handle`]'s job, so a payload that no
/// longer parses fails as that one job, with its error, instead of as the queue's stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec<Vec<u8>> for RawCodec {
    type Error = std::convert::Infallible;
    type Compact = Vec<u8>;

    fn encode(&self, val: &Vec<u8>) -> Result<Vec<u8>, Self::Error> {
        Ok(val.clone())
    }

    fn decode(&self, val: &Vec<u8>) -> Result<Vec<u8>, Self::Error> {
        Ok(val.clone())
    }
}

/// What every delivery shares.
pub struct Runtime {
    pub ctx: JobContext,
    /// Jobs running in this process, over all queues.
    permits: Semaphore,
    /// Turns true when the worker is asked to stop.
    stopping: tokio::sync::watch::Receiver<bool>,
    /// Ids of the jobs holding a permit now: the ones a shutdown must not put back.
    running: Mutex<HashSet<String>>,
    /// The last jobs that ended here: apalis writes results in batches, so one of these may
    /// still read `Running` when the worker stops; a shutdown must not put it back either.
    finished: Mutex<std::collections::VecDeque<String>>,
}

/// How many ended jobs [`Runtime::finished`] remembers (more than a batch of results).
const FINISHED_KEPT: usize = 1024;

/// Marks one job as running for as long as it lives.
struct Running<'a> {
    runtime: &'a Runtime,
    id: String,
}

impl<'a> Running<'a> {
    fn new(runtime: &'a Runtime, id: &str) -> Self {
        runtime
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_string());
        Self {
            runtime,
            id: id.to_string(),
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.runtime
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
        let mut finished = self
            .runtime
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if finished.len() >= FINISHED_KEPT {
            finished.pop_front();
        }
        finished.push_back(std::mem::take(&mut self.id));
    }
}

impl Runtime {
    /// The jobs a shutdown leaves locked: running, or ended with a result maybe not written.
    fn started_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        ids.extend(
            self.finished
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        ids
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct JobFailed(String);

/// One delivery of one job.
async fn handle(
    payload: Vec<u8>,
    task_id: TaskId,
    attempt: Attempt,
    runtime: Data<Arc<Runtime>>,
    activity: Data<Arc<Activity>>,
) -> Result<(), BoxDynError> {
    let _busy = activity.begin();
    let task_id = task_id.to_string();
    let attempt = i64::try_from(attempt.current()).unwrap_or(i64::MAX);
    let parsed = serde_json::from_slice::<Envelope>(&payload)
        .map_err(|e| format!("the payload does not parse as a job: {e}"))
        .and_then(|envelope| Job::parse(&envelope).map(|job| (job, envelope.key)));
    let (job, key) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            record(&runtime.ctx, &task_id, "unknown", attempt, &message).await;
            tracing::error!(task_id, error = %message, "job refused: it will not be retried");
            return Err(AbortError::new(JobFailed(message)).into());
        }
    };
    let kind = job.kind();
    // A job fetched ahead starts only if the worker is not stopping; otherwise its delivery
    // never ends (any answer would be recorded as its result) and the worker puts it back
    // when it ends (see `release_untaken`).
    let mut stopping = runtime.stopping.clone();
    let permit = tokio::select! {
        biased;
        _ = stopping.wait_for(|stop| *stop) => None,
        permit = runtime.permits.acquire() => permit.ok(),
    };
    let Some(_permit) = permit.filter(|_| !*runtime.stopping.borrow()) else {
        return std::future::pending().await;
    };
    let _running = Running::new(&runtime, &task_id);
    let outcome = tokio::time::timeout(kind.timeout(), kinds::run(&runtime.ctx, &job, &key))
        .await
        .unwrap_or_else(|_| {
            Err(Failure::Retry(format!(
                "took longer than {} s",
                kind.timeout().as_secs()
            )))
        });
    match outcome {
        Ok(()) => Ok(()),
        Err(Failure::Retry(message)) => {
            record(&runtime.ctx, &task_id, kind.name(), attempt, &message).await;
            tracing::warn!(task_id, kind = kind.name(), attempt, error = %message, "job failed; retrying");
            Err(JobFailed(message).into())
        }
        Err(Failure::Permanent(message)) => {
            record(&runtime.ctx, &task_id, kind.name(), attempt, &message).await;
            tracing::error!(task_id, kind = kind.name(), error = %message, "job failed for good");
            Err(AbortError::new(JobFailed(message)).into())
        }
    }
}

async fn record(ctx: &JobContext, task_id: &str, kind: &str, attempt: i64, message: &str) {
    if let Err(error) =
        crate::db::jobs::record_error(&ctx.db, task_id, kind, attempt, message, Utc::now()).await
    {
        tracing::warn!(%error, task_id, "could not record a job's failure");
    }
}

/// Which queues, how many at once, how to name the workers.
pub struct WorkerPlan {
    pub settings: JobSettings,
    pub grace: Duration,
}

fn worker_name(queue: &str) -> String {
    // Unique per process: a restarted worker must not look like the dead one, whose locked
    // jobs are put back only by a live worker's heartbeat.
    format!(
        "{queue}@{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )
}

/// What one queue's worker is doing, for the stall watchdog in [`run_queue`].
#[derive(Debug, Default)]
pub struct Activity {
    running: std::sync::atomic::AtomicUsize,
}

struct Busy<'a>(&'a Activity);

impl Activity {
    fn begin(&self) -> Busy<'_> {
        self.running
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Busy(self)
    }

    fn idle(&self) -> bool {
        self.running.load(std::sync::atomic::Ordering::SeqCst) == 0
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0
            .running
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A job is "waiting too long" when it could have run this long ago.
const STALL: Duration = Duration::from_secs(3);

/// Whether `queue` has a job that could have run [`STALL`] ago and that nobody has taken.
async fn waiting_too_long(pool: &QueuePool, queue: &str) -> bool {
    let cutoff = chrono::Utc::now().timestamp() - STALL.as_secs() as i64;
    let found: Result<Option<i32>, sqlx_09::Error> = match pool {
        QueuePool::Sqlite(pool) => {
            sqlx_09::query_scalar(
                "SELECT 1 FROM Jobs WHERE job_type = ?1 AND status = 'Pending' \
                 AND lock_by IS NULL AND run_at <= ?2 LIMIT 1",
            )
            .bind(queue)
            .bind(cutoff)
            .fetch_optional(pool)
            .await
        }
        QueuePool::Postgres(pool) => {
            sqlx_09::query_scalar(
                "SELECT 1 FROM apalis.jobs WHERE job_type = $1 AND status = 'Pending' \
                 AND lock_by IS NULL AND run_at <= to_timestamp($2) LIMIT 1",
            )
            .bind(queue)
            .bind(cutoff as f64)
            .fetch_optional(pool)
            .await
        }
    };
    matches!(found, Ok(Some(_)))
}

/// Puts the jobs `worker` fetched but never started back to `Pending`, unlocked; `keep` are
/// the ones it started (running, or ended with a result apalis may not have written yet):
/// they keep their lock until their lease ends, and their natural keys keep a rerun harmless.
async fn release_untaken(pool: &QueuePool, worker: &str, keep: &[String]) {
    let released: Result<u64, sqlx_09::Error> = match pool {
        QueuePool::Sqlite(pool) => sqlx_09::query(
            "UPDATE Jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL \
             WHERE lock_by = ?1 AND status IN ('Queued', 'Running') \
             AND id NOT IN (SELECT value FROM json_each(?2))",
        )
        .bind(worker)
        .bind(serde_json::to_string(keep).unwrap_or_else(|_| "[]".into()))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()),
        QueuePool::Postgres(pool) => sqlx_09::query(
            "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL \
             WHERE lock_by = $1 AND status IN ('Queued', 'Running') AND NOT (id = ANY($2))",
        )
        .bind(worker)
        .bind(keep)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()),
    };
    match released {
        Ok(0) => {}
        Ok(n) => tracing::info!(worker, jobs = n, "jobs fetched but not started put back"),
        Err(error) => {
            tracing::warn!(worker, %error, "could not put back the jobs fetched but not started")
        }
    }
}

macro_rules! build_worker {
    ($storage:expr, $name:expr, $plan:expr, $runtime:expr, $activity:expr) => {{
        let activity = $activity.clone();
        let settings = &$plan.settings;
        let backoff = ExponentialBackoffMaker::new(
            settings.backoff_min,
            settings.backoff_max.max(settings.backoff_min),
            0.5,
            HasherRng::default(),
        )
        .map_err(|e| anyhow::anyhow!("job backoff: {e}"))?
        .make_backoff();
        let policy = RetryPolicy::retries(settings.retries)
            .with_backoff(backoff)
            .retry_if(|e: &BoxDynError| e.downcast_ref::<AbortError>().is_none());
        let backend = $storage
            .with_codec(RawCodec)
            .poll_with_interval(settings.poll);
        let runtime = $runtime.clone();
        let name: String = $name.clone();
        move |_restarts: usize| {
            WorkerBuilder::new(name.clone())
                .backend(backend.clone())
                .data(runtime.clone())
                .data(activity.clone())
                .retry(policy.clone())
                .catch_panic()
                .build(handle)
        }
    }};
}

/// Runs the worker until `stop` turns true, then drains within the grace period.
pub async fn run(
    pool: QueuePool,
    ctx: JobContext,
    plan: WorkerPlan,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let runtime = Arc::new(Runtime {
        ctx,
        permits: Semaphore::new(plan.settings.concurrency),
        stopping: stop.clone(),
        running: Mutex::default(),
        finished: Mutex::default(),
    });
    tracing::info!(
        queues = ?plan.settings.queues,
        concurrency = plan.settings.concurrency,
        "job worker started"
    );
    let plan = Arc::new(plan);
    let queues = plan.settings.queues.clone().into_iter().map(|queue| {
        let (pool, plan, runtime, stop) =
            (pool.clone(), plan.clone(), runtime.clone(), stop.clone());
        async move { run_queue(&pool, &queue, &plan, &runtime, stop).await }
    });
    let results = futures::future::join_all(queues).await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(())
}

/// Pause before a queue's worker is built again after it failed: doubles from the first up to
/// the last, so an outage neither ends the worker for good nor has it hammer the database.
const RESTART_MIN: Duration = Duration::from_millis(500);
const RESTART_MAX: Duration = Duration::from_secs(4);

/// One queue's apalis worker, built again whenever it fails (its queue's database went away),
/// until `stop`.
async fn run_queue(
    pool: &QueuePool,
    queue: &str,
    plan: &WorkerPlan,
    runtime: &Arc<Runtime>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut pause = RESTART_MIN;
    loop {
        let activity = Arc::new(Activity::default());
        let name = worker_name(queue);
        let monitor = Monitor::new().shutdown_timeout(plan.grace);
        let monitor = match pool {
            QueuePool::Sqlite(pool) => {
                let config = apalis_sqlite::Config::default()
                    .queue(queue)
                    .batch_size(plan.settings.fetch_batch)
                    .heartbeat_interval(plan.settings.heartbeat)
                    .missed_heartbeats(2);
                let storage =
                    apalis_sqlite::SqliteStorage::<Vec<u8>>::new(pool).with_config(config);
                monitor.register(build_worker!(storage, name, plan, runtime, activity))
            }
            QueuePool::Postgres(pool) => {
                let config = apalis_postgres::Config::default()
                    .queue(queue)
                    .batch_size(plan.settings.fetch_batch)
                    .heartbeat_interval(plan.settings.heartbeat)
                    .missed_heartbeats(2);
                let storage =
                    apalis_postgres::PostgresStorage::<Vec<u8>>::new(pool).with_config(config);
                monitor.register(build_worker!(storage, name, plan, runtime, activity))
            }
        };
        let started = std::time::Instant::now();
        let mut signal = stop.clone();
        // Watchdog: apalis 1.0's SQLite worker was seen to stop polling after a few jobs
        // (idle, with runnable jobs left Pending). An idle worker while a job has been
        // runnable for STALL is stalled by definition: build it again (nothing is running, so
        // nothing is interrupted).
        let stalled = {
            let (pool, queue, activity) = (pool.clone(), queue.to_string(), activity.clone());
            async move {
                loop {
                    tokio::time::sleep(STALL).await;
                    if activity.idle() && waiting_too_long(&pool, &queue).await {
                        tracing::warn!(queue, "job worker idle while a job waits: restarting it");
                        return;
                    }
                }
            }
        };
        let result = monitor
            .run_with_signal(async move {
                tokio::select! {
                    _ = signal.wait_for(|stop| *stop) => {}
                    () = stalled => {}
                }
                Ok(())
            })
            .await;
        release_untaken(pool, &name, &runtime.started_ids()).await;
        if *stop.borrow() {
            tracing::info!(queue, "job worker stopped");
            return result.map_err(|e| anyhow::anyhow!("job worker for '{queue}': {e}"));
        }
        if started.elapsed() > RESTART_MAX * 4 {
            // It ran fine for a while: this failure is a new one.
            pause = RESTART_MIN;
        }
        match result {
            Ok(()) => tracing::warn!(queue, ?pause, "job worker ended; starting it again"),
            Err(error) => {
                tracing::warn!(queue, %error, ?pause, "job worker failed; starting it again")
            }
        }
        let mut signal = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = signal.wait_for(|stop| *stop) => return Ok(()),
        }
        pause = (pause * 2).min(RESTART_MAX);
    }
}
