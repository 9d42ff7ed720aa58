//! The back office's exports and job dashboard: thin calls into
//! [`crate::ports::OpsService`], which checks `enrollment.view` / `export.manage` /
//! `job.manage`.

use leptos::prelude::*;

use crate::dto::ops::{ExportView, JobBoard};
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "admin/jobs")]
pub async fn load_job_board() -> Result<JobBoard, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.ops.job_board(&who).await
}

#[server(prefix = "/fn", endpoint = "admin/jobs/retry")]
pub async fn retry_job(id: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services
        .ops
        .retry_job(&who, &crate::ports::request_meta(), &id)
        .await
}

#[server(prefix = "/fn", endpoint = "admin/jobs/discard")]
pub async fn discard_job(id: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services
        .ops
        .discard_job(&who, &crate::ports::request_meta(), &id)
        .await
}

/// Queues an export of a course's learners.
#[server(prefix = "/fn", endpoint = "admin/exports/start")]
pub async fn start_export(course_id: i64) -> Result<ExportView, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    let request = crate::dto::ops::ExportRequest {
        kind: "course_learners".into(),
        course_id: Some(course_id),
    };
    services
        .ops
        .start_export(&who, &crate::ports::request_meta(), request)
        .await
}

#[server(prefix = "/fn", endpoint = "admin/exports/status")]
pub async fn export_status(id: i64) -> Result<ExportView, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.ops.export(&who, id).await
}
