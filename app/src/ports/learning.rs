//! Learning paths, follows and per-user mail settings (course-update reminders).
//!
//! Callers are resolved by the adapter: anybody may read paths; follows and settings act for
//! the signed-in user, named by id.

use async_trait::async_trait;

use crate::dto::{FollowState, FollowTarget, MailSetting, PathDetail, PathSummary};
use crate::error::AppError;

/// The public learning paths (published ones, with their public courses).
#[async_trait]
pub trait PathService: Send + Sync {
    async fn list_paths(&self) -> Result<Vec<PathSummary>, AppError>;
    async fn path_by_slug(&self, slug: &str) -> Result<PathDetail, AppError>;
}

/// Following courses and paths, and the user's mail settings.
#[async_trait]
pub trait FollowService: Send + Sync {
    /// Follows a public course or a published path (404 otherwise); following twice is
    /// following once.
    async fn follow(&self, user_id: i64, target: FollowTarget, id: i64) -> Result<(), AppError>;
    /// Stops following (an enrolled student's course is muted); idempotent, 404 like `follow`.
    async fn unfollow(&self, user_id: i64, target: FollowTarget, id: i64) -> Result<(), AppError>;
    async fn state(
        &self,
        user_id: i64,
        target: FollowTarget,
        id: i64,
    ) -> Result<FollowState, AppError>;
    /// Every mail kind with the user's choice (or its default).
    async fn mail_settings(&self, user_id: i64) -> Result<Vec<MailSetting>, AppError>;
    /// Switches one kind on or off; an unknown kind is a 422 on `kind`.
    async fn set_mail_setting(
        &self,
        user_id: i64,
        kind: &str,
        enabled: bool,
    ) -> Result<Vec<MailSetting>, AppError>;
}
