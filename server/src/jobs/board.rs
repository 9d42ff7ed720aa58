//! The job dashboard (the back office's Flower): counts per queue and state, jobs done per
//! minute over the last hour, the workers seen lately with their heartbeat, the failed and
//! dead jobs with their errors and payloads, and Retry / Discard. Every call needs a
//! back-office account holding `job.manage`; both actions are audited.

use std::time::Duration;

use app::domain::{Principal, RequestMeta};
use app::dto::ops::{FailedJobView, JobBoard, QueueCounts, WorkerView};
use app::error::AppError;
use chrono::Utc;

use crate::db::{self, Db};
use crate::error::ResultExt;

/// Failed jobs listed at most.
const FAILED_SHOWN: i64 = 100;
/// Characters of a payload shown (payloads carry ids: this is generous).
const PAYLOAD_SHOWN: usize = 2_000;

#[derive(Clone)]
pub struct JobBoardService {
    db: Db,
    /// A worker is alive while its last heartbeat is younger than two of these (the lease).
    heartbeat: Duration,
}

fn when(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn allowed(who: &Principal) -> Result<(), AppError> {
    if !who.can_enter_admin() {
        return Err(AppError::Forbidden);
    }
    who.require("job.manage")
}

/// apalis' status as the dashboard's state.
fn state_of(status: &str) -> &'static str {
    match status {
        "Pending" => "pending",
        "Queued" | "Running" => "running",
        "Done" => "done",
        "Killed" => "dead",
        _ => "failed",
    }
}

impl JobBoardService {
    pub fn new(db: Db, heartbeat: Duration) -> Self {
        Self { db, heartbeat }
    }

    #[tracing::instrument(name = "jobs.board", skip_all, fields(user = who.user_id))]
    pub async fn board(&self, who: &Principal) -> Result<JobBoard, AppError> {
        allowed(who)?;
        let mut queues: Vec<QueueCounts> = super::settings::QUEUES
            .iter()
            .map(|q| QueueCounts {
                queue: q.to_string(),
                ..QueueCounts::default()
            })
            .collect();
        for (queue, status, n) in db::job_board::counts(&self.db).await.db_err("job")? {
            let at = match queues.iter().position(|q| q.queue == queue) {
                Some(at) => at,
                None => {
                    queues.push(QueueCounts {
                        queue,
                        ..QueueCounts::default()
                    });
                    queues.len() - 1
                }
            };
            if let Some(q) = queues.get_mut(at) {
                match state_of(&status) {
                    "pending" => q.pending += n,
                    "running" => q.running += n,
                    "done" => q.done += n,
                    "dead" => q.dead += n,
                    _ => q.failed += n,
                }
            }
        }
        let now = Utc::now().timestamp();
        let first_minute = now / 60 - 59;
        let per_minute = db::job_board::done_per_minute(&self.db, first_minute * 60)
            .await
            .db_err("job")?;
        let done_last_hour = per_minute.iter().map(|(_, n)| n).sum();
        let lease = i64::try_from(self.heartbeat.as_secs()).unwrap_or(i64::MAX / 4) * 2;
        let workers = db::job_board::workers(&self.db, now - 3_600)
            .await
            .db_err("job")?
            .into_iter()
            .map(|w| WorkerView {
                alive: now - w.last_seen < lease.max(2),
                last_seen: when(w.last_seen),
                started_at: w.started_at.map(when),
                id: w.id,
                queue: w.queue,
            })
            .collect();
        Ok(JobBoard {
            queues,
            throughput_svg: crate::admin::charts::minute_bars(first_minute, 60, &per_minute),
            done_last_hour,
            workers,
            failed: self.failed(None).await?,
        })
    }

    async fn failed(&self, id: Option<&str>) -> Result<Vec<FailedJobView>, AppError> {
        let rows = db::job_board::failed(&self.db, id, FAILED_SHOWN)
            .await
            .db_err("job")?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let errors = db::job_board::errors_of(&self.db, &ids)
            .await
            .db_err("job")?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut errs: Vec<String> = errors
                    .iter()
                    .filter(|(task, _)| *task == r.id)
                    .map(|(_, e)| e.clone())
                    .collect();
                if errs.is_empty() {
                    errs.extend(r.last_result.clone());
                }
                let payload: String = String::from_utf8_lossy(&r.payload)
                    .chars()
                    .take(PAYLOAD_SHOWN)
                    .collect();
                FailedJobView {
                    state: state_of(&r.status).to_string(),
                    attempts: r.attempts,
                    errors: errs,
                    payload,
                    finished_at: r.done_at.map(when),
                    id: r.id,
                    queue: r.queue,
                }
            })
            .collect())
    }

    /// The failed job `id`, or 404 (also once it was retried or discarded).
    async fn one_failed(&self, id: &str) -> Result<FailedJobView, AppError> {
        self.failed(Some(id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound("failed job".into()))
    }

    #[tracing::instrument(name = "jobs.retry", skip_all, fields(user = who.user_id, job = id))]
    pub async fn retry(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        id: &str,
    ) -> Result<(), AppError> {
        allowed(who)?;
        let job = self.one_failed(id).await?;
        if !db::job_board::retry(&self.db, id, Utc::now().timestamp())
            .await
            .db_err("job")?
        {
            // Someone retried or discarded it meanwhile.
            return Err(AppError::NotFound("failed job".into()));
        }
        self.audit(who, meta, &job, "pending").await
    }

    #[tracing::instrument(name = "jobs.discard", skip_all, fields(user = who.user_id, job = id))]
    pub async fn discard(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        id: &str,
    ) -> Result<(), AppError> {
        allowed(who)?;
        let job = self.one_failed(id).await?;
        if !db::job_board::discard(&self.db, id).await.db_err("job")? {
            return Err(AppError::NotFound("failed job".into()));
        }
        self.audit(who, meta, &job, "discarded").await
    }

    async fn audit(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        job: &FailedJobView,
        to: &str,
    ) -> Result<(), AppError> {
        let ip = meta.client_ip.map(|ip| ip.to_string());
        let entry = db::audit::NewEntry {
            actor_id: Some(who.user_id),
            action: "custom",
            object_type: "job",
            object_id: job.id.clone(),
            object_repr: format!("{} job {}", job.queue, job.id),
            changes: serde_json::json!({"status": {"from": job.state, "to": to}}).to_string(),
            ip: ip.as_deref(),
        };
        db::audit::insert(&self.db, &entry).await.db_err("audit")
    }
}
