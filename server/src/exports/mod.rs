//! Exports: long tasks answered 202. A request records the export and queues its job
//! ([`crate::jobs::Job::Export`]); the job builds the CSV in pages ([`build`]), moving
//! `progress` 0–100; the finished file stays in the row with a random download token for a day.
//!
//! Who may do what (one rule for the API and the back office):
//! - everything here needs a back-office account (staff holding a permission, or a superuser);
//! - exporting a course's learners needs `enrollment.view`: the same names and addresses the
//!   back office's enrolments already show;
//! - an export is seen and downloaded by its requester, and by holders of `export.manage`
//!   (operators); anyone else gets 404, as if it did not exist;
//! - a download needs the link's token too, and refuses it after `expires_at` (410).

pub mod build;

use app::domain::{Principal, RequestMeta};
use app::dto::ops::{ExportRequest, ExportView};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use crate::db::{self, exports::ExportRow, Db};
use crate::error::ResultExt;
use crate::jobs::{Job, Jobs};

/// The only kind so far.
pub const COURSE_LEARNERS: &str = "course_learners";

/// How long a finished export's link works.
pub const LINK_TTL: chrono::Duration = chrono::Duration::hours(24);

#[derive(Clone)]
pub struct Exports {
    db: Db,
    queue: Jobs,
}

/// A finished file, ready to send.
pub struct Download {
    pub filename: String,
    pub csv: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Exports {
    pub fn new(db: Db, queue: Jobs) -> Self {
        Self { db, queue }
    }

    #[tracing::instrument(name = "exports.start", skip_all, fields(user = who.user_id))]
    pub async fn start(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        request: ExportRequest,
    ) -> Result<ExportView, AppError> {
        if !who.can_enter_admin() {
            return Err(AppError::Forbidden);
        }
        if request.kind != COURSE_LEARNERS {
            return Err(AppError::Validation(vec![FieldError::new(
                "kind",
                td_string!(
                    app::locale::current(),
                    errors.export_kind_unknown,
                    known = COURSE_LEARNERS
                )
                .to_string(),
            )]));
        }
        who.require("enrollment.view")?;
        let Some(course_id) = request.course_id else {
            return Err(AppError::Validation(vec![FieldError::new(
                "course_id",
                td_string!(app::locale::current(), errors.export_course_required),
            )]));
        };
        if !db::exports::course_exists(&self.db, course_id)
            .await
            .db_err("course")?
        {
            return Err(AppError::Validation(vec![FieldError::new(
                "course_id",
                td_string!(app::locale::current(), errors.export_course_unknown),
            )]));
        }
        let now = Utc::now();
        let id = db::exports::insert(&self.db, &request.kind, Some(course_id), who.user_id, now)
            .await
            .db_err("export")?;
        self.queue
            .enqueue(&Job::Export { export_id: id }, &id.to_string())
            .await
            .map_err(|e| crate::error::internal(e, "queueing an export"))?;
        let ip = meta.client_ip.map(|ip| ip.to_string());
        let entry = db::audit::NewEntry {
            actor_id: Some(who.user_id),
            action: "custom",
            object_type: "export",
            object_id: id.to_string(),
            object_repr: format!("learners of course {course_id}"),
            changes: serde_json::json!({"export": {"from": null, "to": request.kind}}).to_string(),
            ip: ip.as_deref(),
        };
        db::audit::insert(&self.db, &entry).await.db_err("audit")?;
        self.view(who, id).await
    }

    /// The export as its requester (or an operator) sees it; 404 for anyone else.
    pub async fn view(&self, who: &Principal, id: i64) -> Result<ExportView, AppError> {
        let row = self.visible(who, id).await?;
        Ok(view_of(row))
    }

    async fn visible(&self, who: &Principal, id: i64) -> Result<ExportRow, AppError> {
        if !who.can_enter_admin() {
            return Err(AppError::Forbidden);
        }
        let row = db::exports::find(&self.db, id)
            .await
            .db_err("export")?
            .ok_or_else(|| AppError::NotFound("export".into()))?;
        if row.requested_by != who.user_id && !who.has("export.manage") {
            return Err(AppError::NotFound("export".into()));
        }
        Ok(row)
    }

    /// The file, for a caller who may see the export and holds the link's token.
    pub async fn download(
        &self,
        who: &Principal,
        id: i64,
        token: &str,
    ) -> Result<Download, AppError> {
        let row = self.visible(who, id).await?;
        let (csv, expected) = db::exports::content(&self.db, id)
            .await
            .db_err("export")?
            .ok_or_else(|| AppError::NotFound("export file".into()))?;
        if !bool::from(expected.as_bytes().ct_eq(token.as_bytes())) {
            return Err(AppError::NotFound("export file".into()));
        }
        if row.expires_at.is_none_or(|at| at <= Utc::now()) {
            return Err(AppError::Gone("this download link".into()));
        }
        Ok(Download {
            filename: format!(
                "course-{}-learners-{id}.csv",
                row.course_id.unwrap_or_default()
            ),
            csv,
        })
    }
}

fn view_of(row: ExportRow) -> ExportView {
    let live = row.status == "done" && row.expires_at.is_some_and(|at| at > Utc::now());
    ExportView {
        id: row.id,
        kind: row.kind,
        course_id: row.course_id,
        status: row.status,
        progress: row.progress.clamp(0, 100),
        rows: row.row_count,
        error: row.error,
        created_at: rfc3339(row.created_at),
        finished_at: row.finished_at.map(rfc3339),
        download_url: row
            .download_token
            .filter(|_| live)
            .map(|t| format!("/api/v1/exports/{}/download?token={t}", row.id)),
        expires_at: row.expires_at.map(rfc3339),
    }
}
