//! Background jobs on apalis 1.0: a durable queue in the application's own database (apalis'
//! SQLite storage in embedded mode, its PostgreSQL storage on PostgreSQL), the worker that runs
//! them (inside `serve` unless `WORKER=off`, or `xuecheng worker`), and the schedules that
//! enqueue housekeeping and friends once per tick across every instance.
//!
//! Rules every job follows:
//! - A payload carries ids and a natural key, never objects: the job reads what it needs when
//!   it runs, so a retry sees today's row, not last week's copy.
//! - Effects are idempotent by `(kind, key)`: a job checks [`crate::db::jobs::effect_done`]
//!   before it acts and records its key with its effect, so a retry or a second delivery (a
//!   worker killed after the effect, before the acknowledgement) does not act twice.
//! - A failing attempt is retried with exponential backoff up to `JOB_RETRIES` times; each
//!   failure is kept in `job_errors` with its message, and the final one in apalis' row. A
//!   payload that does not parse or names an unknown kind fails at once, never retried.
//!
//! The queue has its own small sqlx 0.9 pool (apalis 1.0 is built on sqlx 0.9, the workspace
//! on 0.8): see the README's architecture section for why and what moving would take.

pub mod bench;
pub mod board;
pub mod cpu;
pub mod expiry;
pub mod kinds;
pub mod overdue;
pub mod queue;
pub mod reminder_mail;
pub mod reminders;
pub mod schedule;
pub mod settings;
pub mod worker;

use serde::{Deserialize, Serialize};

pub use queue::Jobs;
pub use settings::JobSettings;

/// What travels through the queue: the kind, the natural key of its effect, and the ids it
/// needs, as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub kind: String,
    pub key: String,
    #[serde(default)]
    pub args: serde_json::Value,
}

/// The jobs this product knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// A one-time link (password reset or e-mail verification) to the user's current address.
    LinkMail {
        user_id: i64,
        purpose: crate::db::email_tokens::Purpose,
        /// The language of the request that asked for it: the mail's, unless the profile
        /// holds one. Absent in jobs queued before languages existed.
        locale: Option<app::locale::Locale>,
    },
    /// One housekeeping sweep, for the schedule's tick at `tick` (Unix seconds).
    Housekeeping { tick: i64 },
    /// Notices for memberships and enrolments ending soon or ended, for the tick at `tick`.
    ExpiryScan { tick: i64 },
    /// The day's digests of questions unanswered for `hours`, for the tick at `tick`.
    OverdueDigest { tick: i64, hours: i64 },
    // Course-update reminders ([`reminders`]): a window's fan-out, then one reminder per user.
    /// Queues the reminders of a course's debounce window (ending at `window_end`, Unix s).
    ReminderFanOut { course_id: i64, window_end: i64 },
    /// One user's notification and mail for a course's window.
    Reminder {
        course_id: i64,
        window_end: i64,
        user_id: i64,
    },
    // Exports and the queue's benchmark (server/src/exports, bench/jobs).
    /// Builds the file of export `export_id` (key: the export id).
    Export { export_id: i64 },
    /// Closes order `order_id` if it is still unpaid at its expiry (key: `order:{id}`).
    OrderClose { order_id: i64 },
    /// Asks the providers about payments left open (a notification lost on the way), for the
    /// schedule's tick at `tick`.
    PaymentReconcile { tick: i64 },
    /// Returns seckill seat `seat_id` to the stock if its order closed unpaid (key:
    /// `seckill-seat:{id}`; see [`crate::seckill::release`]).
    SeckillRelease { seat_id: i64 },
    /// Does nothing: the benchmark's unit of work. Refused unless `JOB_BENCH=true`.
    Noop { n: i64 },
    /// The benchmark's reminder-like job: the natural-key guard, one in-app notification to
    /// `user_id`, the key recorded. Refused unless `JOB_BENCH=true`.
    BenchNotify { user_id: i64 },
}

impl Job {
    pub fn kind(&self) -> Kind {
        match self {
            Job::LinkMail { .. } => Kind::LinkMail,
            Job::Housekeeping { .. } => Kind::Housekeeping,
            Job::ExpiryScan { .. } => Kind::ExpiryScan,
            Job::OverdueDigest { .. } => Kind::OverdueDigest,
            Job::ReminderFanOut { .. } => Kind::ReminderFanOut,
            Job::Reminder { .. } => Kind::Reminder,
            Job::Export { .. } => Kind::Export,
            Job::OrderClose { .. } => Kind::OrderClose,
            Job::PaymentReconcile { .. } => Kind::PaymentReconcile,
            Job::SeckillRelease { .. } => Kind::SeckillRelease,
            Job::Noop { .. } => Kind::Noop,
            Job::BenchNotify { .. } => Kind::BenchNotify,
        }
    }

    fn args(&self) -> serde_json::Value {
        match self {
            Job::LinkMail {
                user_id,
                purpose,
                locale,
            } => serde_json::json!({
                "user_id": user_id,
                "purpose": purpose.as_str(),
                "locale": locale.map(|l| l.as_str()),
            }),
            Job::Housekeeping { tick }
            | Job::ExpiryScan { tick }
            | Job::PaymentReconcile { tick } => {
                serde_json::json!({ "tick": tick })
            }
            Job::OverdueDigest { tick, hours } => serde_json::json!({"tick": tick, "hours": hours}),
            Job::ReminderFanOut {
                course_id,
                window_end,
            } => serde_json::json!({"course_id": course_id, "window_end": window_end}),
            Job::Reminder {
                course_id,
                window_end,
                user_id,
            } => serde_json::json!({
                "course_id": course_id, "window_end": window_end, "user_id": user_id
            }),
            Job::Export { export_id } => serde_json::json!({ "export_id": export_id }),
            Job::OrderClose { order_id } => serde_json::json!({ "order_id": order_id }),
            Job::SeckillRelease { seat_id } => serde_json::json!({ "seat_id": seat_id }),
            Job::Noop { n } => serde_json::json!({ "n": n }),
            Job::BenchNotify { user_id } => serde_json::json!({ "user_id": user_id }),
        }
    }

    /// The payload stored in the queue.
    pub fn envelope(&self, key: &str) -> Envelope {
        Envelope {
            kind: self.kind().name().to_string(),
            key: key.to_string(),
            args: self.args(),
        }
    }

    /// Reads a payload back; the message says what is wrong with one that does not parse.
    pub fn parse(envelope: &Envelope) -> Result<Job, String> {
        let kind = Kind::from_name(&envelope.kind)
            .ok_or_else(|| format!("unknown job kind '{}'", envelope.kind))?;
        let args = &envelope.args;
        let int = |name: &str| {
            args.get(name)
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| format!("{}: `{name}` is missing or not an integer", kind.name()))
        };
        Ok(match kind {
            Kind::LinkMail => {
                let purpose = args
                    .get("purpose")
                    .and_then(serde_json::Value::as_str)
                    .and_then(crate::db::email_tokens::Purpose::parse)
                    .ok_or_else(|| format!("{}: `purpose` is not a known purpose", kind.name()))?;
                Job::LinkMail {
                    user_id: int("user_id")?,
                    purpose,
                    locale: args
                        .get("locale")
                        .and_then(serde_json::Value::as_str)
                        .and_then(app::locale::parse),
                }
            }
            Kind::Housekeeping => Job::Housekeeping { tick: int("tick")? },
            Kind::ExpiryScan => Job::ExpiryScan { tick: int("tick")? },
            Kind::OverdueDigest => Job::OverdueDigest {
                tick: int("tick")?,
                hours: int("hours")?,
            },
            Kind::ReminderFanOut => Job::ReminderFanOut {
                course_id: int("course_id")?,
                window_end: int("window_end")?,
            },
            Kind::Reminder => Job::Reminder {
                course_id: int("course_id")?,
                window_end: int("window_end")?,
                user_id: int("user_id")?,
            },
            Kind::Export => Job::Export {
                export_id: int("export_id")?,
            },
            Kind::OrderClose => Job::OrderClose {
                order_id: int("order_id")?,
            },
            Kind::PaymentReconcile => Job::PaymentReconcile { tick: int("tick")? },
            Kind::SeckillRelease => Job::SeckillRelease {
                seat_id: int("seat_id")?,
            },
            Kind::Noop => Job::Noop { n: int("n")? },
            Kind::BenchNotify => Job::BenchNotify {
                user_id: int("user_id")?,
            },
        })
    }
}

/// A job kind: its name in payloads, its queue, and how long one attempt may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LinkMail,
    Housekeeping,
    ExpiryScan,
    OverdueDigest,
    ReminderFanOut,
    Reminder,
    Export,
    OrderClose,
    PaymentReconcile,
    SeckillRelease,
    Noop,
    BenchNotify,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::LinkMail,
        Kind::Housekeeping,
        Kind::ExpiryScan,
        Kind::OverdueDigest,
        Kind::ReminderFanOut,
        Kind::Reminder,
        Kind::Export,
        Kind::OrderClose,
        Kind::PaymentReconcile,
        Kind::SeckillRelease,
        Kind::Noop,
        Kind::BenchNotify,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::LinkMail => "mail.link",
            Kind::Housekeeping => "housekeeping",
            Kind::ExpiryScan => "expiry.scan",
            Kind::OverdueDigest => "overdue.digest",
            Kind::ReminderFanOut => "reminder.fan_out",
            Kind::Reminder => "reminder.send",
            Kind::Export => "export",
            Kind::OrderClose => "order.close",
            Kind::PaymentReconcile => "payment.reconcile",
            Kind::SeckillRelease => "seckill.release",
            Kind::Noop => "bench.noop",
            Kind::BenchNotify => "bench.notify",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn queue(self) -> &'static str {
        match self {
            Kind::LinkMail | Kind::Reminder => "mail",
            Kind::Housekeeping
            | Kind::ExpiryScan
            | Kind::OverdueDigest
            | Kind::ReminderFanOut
            | Kind::Export
            | Kind::OrderClose
            | Kind::PaymentReconcile
            | Kind::SeckillRelease
            | Kind::Noop
            | Kind::BenchNotify => "default",
        }
    }

    /// One attempt's limit; past it the attempt counts as failed (and is retried).
    pub fn timeout(self) -> std::time::Duration {
        use std::time::Duration;
        match self {
            // lettre gives up on a silent server after 15 s; leave it room to say so.
            Kind::LinkMail => Duration::from_secs(30),
            Kind::Housekeeping | Kind::ExpiryScan | Kind::OverdueDigest => Duration::from_secs(120),
            // Pages of 500 recipients, each page one insert: 10,000 followers take seconds.
            Kind::ReminderFanOut => Duration::from_secs(300),
            Kind::Reminder => Duration::from_secs(30),
            Kind::Export => Duration::from_secs(600),
            // Up to 200 queries, each bounded by the gateway client's own timeout.
            Kind::PaymentReconcile => Duration::from_secs(300),
            Kind::OrderClose | Kind::SeckillRelease => Duration::from_secs(30),
            Kind::Noop | Kind::BenchNotify => Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::email_tokens::Purpose;

    #[test]
    fn payloads_round_trip_and_bad_ones_say_why() {
        let job = Job::LinkMail {
            user_id: 7,
            purpose: Purpose::ResetPassword,
            locale: Some(app::locale::Locale::en),
        };
        let envelope = job.envelope("k");
        let bytes = serde_json::to_vec(&envelope).unwrap();
        let back: Envelope = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(Job::parse(&back).unwrap(), job);

        let unknown = Envelope {
            kind: "mail.fax".into(),
            key: "k".into(),
            args: serde_json::Value::Null,
        };
        assert!(Job::parse(&unknown)
            .unwrap_err()
            .contains("unknown job kind 'mail.fax'"));
        let bad = Envelope {
            kind: "mail.link".into(),
            key: "k".into(),
            args: serde_json::json!({"user_id": "seven", "purpose": "reset_password"}),
        };
        assert!(Job::parse(&bad).unwrap_err().contains("user_id"));
    }
}

/// The queue and what its jobs need: one field of the application state, and all that
/// `xuecheng worker` builds.
#[derive(Clone)]
pub struct Background {
    pub queue: Jobs,
    pub context: kinds::JobContext,
}

impl Background {
    /// Opens the queue (its own pool) and builds what jobs need. With `redis` (when
    /// `REDIS_URL` is set), the notifications jobs write are announced to every instance.
    pub async fn connect(
        settings: &crate::config::Settings,
        db: crate::db::Db,
        redis: Option<&crate::redis::Redis>,
    ) -> anyhow::Result<Self> {
        let queue = Jobs::connect(settings).await?;
        let mailer = crate::mail::Mailer::from_settings(&settings.mail)?;
        let links = crate::accounts::links::Links::new(
            db.clone(),
            mailer.clone(),
            settings.public_url.clone(),
            queue.clone(),
        );
        let reminders = reminders::Reminders::new(db.clone(), queue.clone(), mailer, settings);
        let seckill = crate::seckill::SeckillCore {
            db: db.clone(),
            redis: redis.cloned(),
            prefix: settings.redis_prefix.clone(),
            jobs: queue.clone(),
        };
        Ok(Self {
            queue,
            context: kinds::JobContext {
                notifier: crate::notifications::Notifier::new(
                    db.clone(),
                    crate::notifications::LiveFeed::new(
                        redis.map(|r| (r, settings.redis_prefix.as_str())),
                    ),
                ),
                reminders,
                db,
                links,
                cpu: cpu::CpuPool::new(settings.jobs.cpu_threads),
                bench: settings.jobs.bench,
                seckill,
                seckill_reclaim_idle: settings.seckill.reclaim_idle,
                gateways: crate::payments::configured(&settings.orders)?.gateways,
            },
        })
    }

    /// Runs the worker and the schedules until `stop` resolves; running jobs then get
    /// `grace` to finish, the rest stays queued.
    pub async fn run(
        self,
        settings: JobSettings,
        grace: std::time::Duration,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let schedules = {
            let (queue, settings, mut rx) = (self.queue.clone(), settings.clone(), rx.clone());
            let stopped = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            tokio::spawn(async move { schedule::run(queue, &settings, stopped).await })
        };
        // The seckill's stream consumer (Redis only) runs beside the job worker.
        let consumer = tokio::spawn(crate::seckill::consumer::run(
            self.context.seckill.clone(),
            self.context.seckill_reclaim_idle,
            rx.clone(),
        ));
        let worker = worker::run(
            self.queue.pool().clone(),
            self.context,
            worker::WorkerPlan { settings, grace },
            rx,
        );
        let signal = async move {
            stop.await;
            let _ = tx.send(true);
        };
        let (result, ()) = tokio::join!(worker, signal);
        if let Err(error) = consumer.await {
            tracing::error!(%error, "the seckill consumer panicked");
        }
        match schedules.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "job schedules"),
            Err(error) => tracing::error!(%error, "job schedules panicked"),
        }
        result
    }
}

/// Starts the in-process worker of `serve` (unless `WORKER=off`); it stops when `stop` turns
/// true.
pub fn spawn_embedded(
    background: &Background,
    settings: &crate::config::Settings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if settings.worker != crate::config::WorkerMode::Embedded {
        return None;
    }
    let background = background.clone();
    let (jobs, grace) = (settings.jobs.clone(), settings.shutdown_grace);
    Some(tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|stop| *stop).await;
        };
        if let Err(error) = background.run(jobs, grace, stopped).await {
            tracing::error!(%error, "the job worker stopped");
        }
    }))
}
