//! The job runtime's settings (`JOB_*`, `*_CRON`), read with the rest of
//! [`crate::config::Settings`].

use std::time::Duration;

use crate::config::{bad, number, ConfigError};

/// Every queue the product uses; `xuecheng worker --queues` picks among them.
pub const QUEUES: [&str; 2] = ["mail", "default"];

#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Jobs this process runs at once, over all its queues (`JOB_CONCURRENCY`, default: cores).
    pub concurrency: usize,
    /// The queues this process takes jobs from (`JOB_QUEUES`, default: all).
    pub queues: Vec<String>,
    /// How often an idle queue is asked for work (`JOB_POLL_MS`).
    pub poll: Duration,
    /// A worker's heartbeat; its running jobs go back to the queue after two missed ones
    /// (`JOB_HEARTBEAT_SECONDS`), which is the lease of a job whose worker died.
    pub heartbeat: Duration,
    /// Retries after the first attempt (`JOB_RETRIES`), with exponential backoff from
    /// `JOB_BACKOFF_MS`, doubling, capped at `JOB_BACKOFF_MAX_SECONDS`.
    pub retries: usize,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Threads for CPU-heavy job work (`JOB_CPU_THREADS`, default: cores).
    pub cpu_threads: usize,
    /// Connections of the queue's own pool (`JOB_DB_MAX_CONNECTIONS`).
    pub db_max_connections: u32,
    /// When housekeeping runs (`HOUSEKEEPING_CRON`, seconds first: `sec min hour day month dow`).
    pub housekeeping_cron: String,
    /// When memberships and enrolments are checked for their end (`EXPIRY_CRON`).
    pub expiry_cron: String,
    /// When teachers get the digest of overdue questions (`OVERDUE_CRON`).
    pub overdue_cron: String,
    /// When open payments are checked with their providers (`RECONCILE_CRON`).
    pub reconcile_cron: String,
    /// How long a question may wait for an answer before it is overdue
    /// (`OVERDUE_QUESTION_HOURS`).
    pub overdue_after_hours: i64,
    /// Content published in a course within this long goes into one reminder
    /// (`REMINDER_DEBOUNCE_SECONDS`).
    pub reminder_debounce: Duration,
    /// Recipients a reminder fan-out queues per page (`REMINDER_FANOUT_PAGE`).
    pub reminder_page: u32,
    /// Jobs a queue's worker takes per fetch (`JOB_FETCH_BATCH`); they wait for a permit of
    /// `JOB_CONCURRENCY` under the worker's lease.
    pub fetch_batch: usize,
    /// `JOB_BENCH=true` lets the benchmark's no-op jobs run (`bench/jobs`); off in production.
    pub bench: bool,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl JobSettings {
    pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let cores = u32::try_from(cores()).unwrap_or(2);
        let queues = match var("JOB_QUEUES") {
            None => QUEUES.iter().map(|q| q.to_string()).collect(),
            Some(raw) => parse_queues(&raw).map_err(|m| bad("JOB_QUEUES", m))?,
        };
        let housekeeping_cron = var("HOUSEKEEPING_CRON").unwrap_or_else(|| "0 */15 * * * *".into());
        parse_cron(&housekeeping_cron).map_err(|m| bad("HOUSEKEEPING_CRON", m))?;
        // Hourly, off the hour; the digest at 09:00 China Standard Time.
        let expiry_cron = var("EXPIRY_CRON").unwrap_or_else(|| "0 5 * * * *".into());
        parse_cron(&expiry_cron).map_err(|m| bad("EXPIRY_CRON", m))?;
        let overdue_cron = var("OVERDUE_CRON").unwrap_or_else(|| "0 0 1 * * *".into());
        parse_cron(&overdue_cron).map_err(|m| bad("OVERDUE_CRON", m))?;
        // Every five minutes: a lost notification is settled within ten.
        let reconcile_cron = var("RECONCILE_CRON").unwrap_or_else(|| "30 */5 * * * *".into());
        parse_cron(&reconcile_cron).map_err(|m| bad("RECONCILE_CRON", m))?;
        Ok(Self {
            concurrency: number(var, "JOB_CONCURRENCY", cores, 1, 1024)? as usize,
            queues,
            poll: Duration::from_millis(number(var, "JOB_POLL_MS", 500, 10, 60_000)?.into()),
            heartbeat: Duration::from_secs(
                number(var, "JOB_HEARTBEAT_SECONDS", 30, 1, 3_600)?.into(),
            ),
            retries: number(var, "JOB_RETRIES", 8, 0, 100)? as usize,
            backoff_min: Duration::from_millis(
                number(var, "JOB_BACKOFF_MS", 1_000, 1, 3_600_000)?.into(),
            ),
            backoff_max: Duration::from_secs(
                number(var, "JOB_BACKOFF_MAX_SECONDS", 300, 1, 86_400)?.into(),
            ),
            cpu_threads: number(var, "JOB_CPU_THREADS", cores, 1, 256)? as usize,
            db_max_connections: number(var, "JOB_DB_MAX_CONNECTIONS", 4, 1, 100)?,
            housekeeping_cron,
            expiry_cron,
            overdue_cron,
            reconcile_cron,
            overdue_after_hours: number(var, "OVERDUE_QUESTION_HOURS", 48, 1, 24 * 365)?.into(),
            reminder_debounce: Duration::from_secs(
                number(var, "REMINDER_DEBOUNCE_SECONDS", 300, 1, 86_400)?.into(),
            ),
            reminder_page: number(var, "REMINDER_FANOUT_PAGE", 500, 1, 10_000)?,
            fetch_batch: number(var, "JOB_FETCH_BATCH", 10, 1, 1_000)? as usize,
            bench: match var("JOB_BENCH").as_deref() {
                None | Some("false" | "0" | "") => false,
                Some("true" | "1") => true,
                Some(_) => return Err(bad("JOB_BENCH", "true or false")),
            },
        })
    }
}

/// `mail,default` → the known queues named, each once.
pub fn parse_queues(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|q| !q.is_empty()) {
        if !QUEUES.contains(&name) {
            return Err(format!(
                "unknown queue '{name}' (known: {})",
                QUEUES.join(", ")
            ));
        }
        if !out.iter().any(|q| q == name) {
            out.push(name.to_string());
        }
    }
    if out.is_empty() {
        return Err("name at least one queue".into());
    }
    Ok(out)
}

/// A cron expression with seconds (`0 */15 * * * *`).
pub fn parse_cron(raw: &str) -> Result<cron::Schedule, String> {
    raw.parse::<cron::Schedule>()
        .map_err(|e| format!("not a cron expression with seconds ('0 */15 * * * *'): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_and_schedules_are_checked() {
        assert_eq!(
            parse_queues(" mail , mail,default").unwrap(),
            ["mail", "default"]
        );
        assert!(parse_queues("mail,nope").is_err());
        assert!(parse_queues(" , ").is_err());
        assert!(parse_cron("0 */15 * * * *").is_ok());
        assert!(parse_cron("every now and then").is_err());
    }
}
