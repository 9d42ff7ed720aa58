//! Schedules: every instance that runs a worker reads the cron expressions (`*_CRON`) and, at
//! each tick, enqueues the scheduled job with the tick's time as its natural key. The queue
//! takes a `(kind, key)` once, so however many instances tick, the job runs once per tick.

use apalis_cron::CronScheduler;
use futures::StreamExt;

use super::{Job, JobSettings, Jobs};

/// Enqueues the scheduled jobs at their ticks until `stop` resolves.
pub async fn run(
    jobs: Jobs,
    settings: &JobSettings,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let housekeeping = super::settings::parse_cron(&settings.housekeeping_cron)
        .map_err(|m| anyhow::anyhow!("HOUSEKEEPING_CRON: {m}"))?;
    let ticks = CronScheduler::new(housekeeping).into_stream();
    tokio::pin!(ticks);
    tokio::pin!(stop);
    loop {
        let tick = tokio::select! {
            _ = &mut stop => return Ok(()),
            tick = ticks.next() => tick,
        };
        let Some(tick) = tick else { return Ok(()) };
        let tick = match tick {
            Ok(tick) => i64::try_from(tick.get_timestamp()).unwrap_or(i64::MAX),
            Err(error) => {
                tracing::warn!(%error, "housekeeping schedule");
                continue;
            }
        };
        if let Err(error) = jobs
            .enqueue(&Job::Housekeeping { tick }, &tick.to_string())
            .await
        {
            // The next tick tries again; a missed sweep loses nothing.
            tracing::warn!(%error, tick, "could not queue housekeeping");
        }
    }
}
