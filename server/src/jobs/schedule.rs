//! Schedules: every instance that runs a worker reads the cron expressions (`*_CRON`) and, at
//! each tick, enqueues the scheduled job with the tick's time as its natural key. The queue
//! takes a `(kind, key)` once, so however many instances tick, the job runs once per tick.

use apalis_cron::CronScheduler;
use futures::stream::{self, BoxStream, StreamExt};

use super::{Job, JobSettings, Jobs};

/// One schedule: its variable (for messages), its expression, and the job for a tick.
struct Schedule {
    var: &'static str,
    cron: String,
    job: Box<dyn Fn(i64) -> Job + Send + Sync>,
}

fn schedules(settings: &JobSettings) -> Vec<Schedule> {
    let hours = settings.overdue_after_hours;
    vec![
        Schedule {
            var: "HOUSEKEEPING_CRON",
            cron: settings.housekeeping_cron.clone(),
            job: Box::new(|tick| Job::Housekeeping { tick }),
        },
        Schedule {
            var: "EXPIRY_CRON",
            cron: settings.expiry_cron.clone(),
            job: Box::new(|tick| Job::ExpiryScan { tick }),
        },
        Schedule {
            var: "OVERDUE_CRON",
            cron: settings.overdue_cron.clone(),
            job: Box::new(move |tick| Job::OverdueDigest { tick, hours }),
        },
        Schedule {
            var: "RECONCILE_CRON",
            cron: settings.reconcile_cron.clone(),
            job: Box::new(|tick| Job::PaymentReconcile { tick }),
        },
    ]
}

/// Enqueues the scheduled jobs at their ticks until `stop` resolves.
pub async fn run(
    jobs: Jobs,
    settings: &JobSettings,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut streams: Vec<BoxStream<'static, Option<(i64, Job)>>> = Vec::new();
    for schedule in schedules(settings) {
        let parsed = super::settings::parse_cron(&schedule.cron)
            .map_err(|m| anyhow::anyhow!("{}: {m}", schedule.var))?;
        let (var, job) = (schedule.var, schedule.job);
        let ticks = CronScheduler::new(parsed)
            .into_stream()
            .map(move |tick| match tick {
                Ok(tick) => {
                    let tick = i64::try_from(tick.get_timestamp()).unwrap_or(i64::MAX);
                    Some((tick, job(tick)))
                }
                Err(error) => {
                    tracing::warn!(%error, schedule = var, "schedule tick");
                    None
                }
            });
        streams.push(ticks.boxed());
    }
    let ticks = stream::select_all(streams);
    tokio::pin!(ticks);
    tokio::pin!(stop);
    loop {
        let next = tokio::select! {
            _ = &mut stop => return Ok(()),
            next = ticks.next() => next,
        };
        let Some(next) = next else { return Ok(()) };
        let Some((tick, job)) = next else { continue };
        let key = tick.to_string();
        if let Err(error) = jobs.enqueue(&job, &key).await {
            // The next tick tries again; a missed scheduled run loses nothing.
            tracing::warn!(%error, kind = job.kind().name(), key, "could not queue a scheduled job");
        }
    }
}
