//! The operations port ([`app::ports::OpsService`]): exports and the job dashboard, one
//! service behind the API's handlers and the back office's server functions.

use app::domain::{Principal, RequestMeta};
use app::dto::ops::{ExportRequest, ExportView, JobBoard};
use app::error::AppError;
use async_trait::async_trait;

use crate::exports::Exports;
use crate::jobs::board::JobBoardService;

#[derive(Clone)]
pub struct Ops {
    pub exports: Exports,
    pub board: JobBoardService,
}

#[async_trait]
impl app::ports::OpsService for Ops {
    async fn start_export(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        request: ExportRequest,
    ) -> Result<ExportView, AppError> {
        self.exports.start(who, meta, request).await
    }

    async fn export(&self, who: &Principal, id: i64) -> Result<ExportView, AppError> {
        self.exports.view(who, id).await
    }

    async fn job_board(&self, who: &Principal) -> Result<JobBoard, AppError> {
        self.board.board(who).await
    }

    async fn retry_job(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        id: &str,
    ) -> Result<(), AppError> {
        self.board.retry(who, meta, id).await
    }

    async fn discard_job(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        id: &str,
    ) -> Result<(), AppError> {
        self.board.discard(who, meta, id).await
    }
}
