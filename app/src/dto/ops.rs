//! Exports (long tasks answered 202) and the job dashboard: what the API and the back office
//! send and receive. Times are UTC, as RFC 3339 text.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/exports`: what to export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRequest {
    /// `course_learners` (the only kind so far).
    pub kind: String,
    pub course_id: Option<i64>,
}

/// An export and how far its job is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportView {
    pub id: i64,
    pub kind: String,
    pub course_id: Option<i64>,
    /// `pending`, `running`, `done` or `failed`.
    pub status: String,
    /// 0–100.
    pub progress: i64,
    pub rows: i64,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Once done: the site path of the file (with its token), until `expires_at`.
    pub download_url: Option<String>,
    pub expires_at: Option<String>,
}

/// One queue's jobs per state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounts {
    pub queue: String,
    pub pending: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
    pub dead: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerView {
    pub id: String,
    pub queue: String,
    pub last_seen: String,
    pub started_at: Option<String>,
    /// Whether its heartbeat is recent enough that it holds its lease.
    pub alive: bool,
}

/// A job that ended failed (retries used up) or dead (refused for good).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedJobView {
    pub id: String,
    pub queue: String,
    /// `failed` or `dead`.
    pub state: String,
    pub attempts: i64,
    /// The last error, then the ones before it, newest first.
    pub errors: Vec<String>,
    /// The payload as stored (JSON carrying ids only).
    pub payload: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobBoard {
    pub queues: Vec<QueueCounts>,
    /// Jobs finished per minute over the last hour, as SVG drawn on the server.
    pub throughput_svg: String,
    pub done_last_hour: i64,
    pub workers: Vec<WorkerView>,
    pub failed: Vec<FailedJobView>,
}
