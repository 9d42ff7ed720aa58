//! What each kind of job does, and the natural-key guard around it.

use chrono::Utc;

use super::Job;
use crate::accounts::links::Links;
use crate::db::{self, Db};
use crate::mail::MailError;

/// What jobs reach: ids come in the payload, everything else from here.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    pub links: Links,
    /// Where CPU-heavy work goes (`JOB_CPU_THREADS` at once).
    pub cpu: super::cpu::CpuPool,
    /// In-app notifications (written once per dedupe key, announced to open pages).
    pub notifier: crate::notifications::Notifier,
    /// Course-update reminders: the fan-out and each user's reminder.
    pub reminders: super::reminders::Reminders,
    /// `JOB_BENCH`: whether the benchmark's no-op jobs may run.
    pub bench: bool,
    /// The seckill's database, Redis and queue (seat releases, the stream consumer).
    pub seckill: crate::seckill::SeckillCore,
    /// `SECKILL_RECLAIM_IDLE_MS`, for the stream consumer.
    pub seckill_reclaim_idle: std::time::Duration,
    /// The payment gateways, to close a trade at its provider when its order closes unpaid.
    pub gateways: crate::payments::gateway::Gateways,
}

/// How an attempt failed.
#[derive(Debug)]
pub enum Failure {
    /// May pass later (a mail server away, the database busy): retried with backoff.
    Retry(String),
    /// Will never pass: the job ends failed at once.
    Permanent(String),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Retry(format!("database: {e}"))
    }
}

impl From<MailError> for Failure {
    fn from(e: MailError) -> Self {
        match e {
            MailError::Transient(m) => Failure::Retry(m),
            MailError::Permanent(m) => Failure::Permanent(m),
        }
    }
}

/// Runs `job` unless its effect `(kind, key)` happened already; records the key after the
/// effect.
///
/// Mail leaves the database's transactions, so for a mail the key is written right after the
/// SMTP server took it: a worker killed in the few milliseconds between the two would send it
/// again on redelivery (at least once, never lost). Every other delivery, retry or crash sees
/// the key and does nothing.
pub async fn run(ctx: &JobContext, job: &Job, key: &str) -> Result<(), Failure> {
    let kind = job.kind().name();
    if matches!(job, Job::Noop { .. } | Job::BenchNotify { .. }) && !ctx.bench {
        return Err(Failure::Permanent(format!(
            "{kind} jobs run only with JOB_BENCH=true"
        )));
    }
    if let Job::Noop { .. } = job {
        // No effect, no key: the benchmark measures the queue alone.
        return Ok(());
    }
    if db::jobs::effect_done(&ctx.db, kind, key).await? {
        tracing::info!(kind, key, "job effect happened already: nothing to do");
        return Ok(());
    }
    match job {
        Job::LinkMail {
            user_id,
            purpose,
            locale,
        } => ctx.links.deliver(*user_id, *purpose, *locale).await?,
        Job::Housekeeping { tick } => {
            let swept = crate::housekeeping::sweep(&ctx.db, Utc::now()).await?;
            tracing::info!(tick, ?swept, "housekeeping ran");
        }
        Job::ExpiryScan { tick } => {
            let scanned = super::expiry::scan(ctx, Utc::now()).await?;
            tracing::info!(tick, ?scanned, "expiry scan ran");
        }
        Job::OverdueDigest { tick, hours } => {
            let sent =
                super::overdue::digest(ctx, Utc::now(), chrono::Duration::hours(*hours)).await?;
            tracing::info!(tick, digests = sent, "overdue digest ran");
        }
        Job::ReminderFanOut {
            course_id,
            window_end,
        } => ctx.reminders.fan_out(*course_id, *window_end).await?,
        Job::Reminder {
            course_id,
            window_end,
            user_id,
        } => {
            ctx.reminders
                .remind(&ctx.notifier, *course_id, *window_end, *user_id, key)
                .await?
        }
        Job::Export { export_id } => crate::exports::build::run(ctx, *export_id).await?,
        Job::OrderClose { order_id } => {
            use crate::orders::reconcile::{close_expired, Expiry};
            match close_expired(&ctx.db, &ctx.gateways, *order_id).await? {
                Expiry::NotYet => {
                    return Err(Failure::Retry("the order has not expired yet".into()))
                }
                Expiry::Unreachable(why) => {
                    return Err(Failure::Retry(format!(
                        "a payment provider could not be asked before closing: {why}"
                    )))
                }
                found => tracing::info!(order_id, ?found, "unpaid order checked at its expiry"),
            }
        }
        Job::PaymentReconcile { tick } => {
            let done =
                crate::orders::reconcile::reconcile(&ctx.db, &ctx.gateways, Utc::now()).await?;
            tracing::info!(tick, ?done, "open payments reconciled with their providers");
        }
        Job::SeckillRelease { seat_id } => {
            crate::seckill::release::run(&ctx.seckill, &ctx.gateways, *seat_id).await?
        }
        Job::Noop { .. } => {}
        Job::BenchNotify { user_id } => {
            let note = db::notifications::NewNotification {
                user_id: *user_id,
                kind: "bench".into(),
                title: "bench".into(),
                body: String::new(),
                link: None,
                dedupe_key: format!("{kind}:{key}"),
            };
            ctx.notifier.notify(&note).await?;
        }
    }
    db::jobs::record_effect(&ctx.db, kind, key, Utc::now()).await?;
    Ok(())
}
