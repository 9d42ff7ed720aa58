//! Following courses and learning paths, the public path pages, and per-user mail settings:
//! the one service the pages' server functions and the REST API (`rest::follows`) call.
//!
//! Rules: only the public catalogue can be followed (a course that is published and not
//! deleted, a published path); anything else is 404, exactly like an id that does not exist,
//! so a draft's id is not confirmed. Following is idempotent. An enrolled student follows the
//! course without asking; unfollowing it mutes it instead of deleting a row.

pub mod publish;

use app::domain::mail::MailKind;
use app::dto::{FollowState, FollowTarget, MailSetting, PathDetail, PathSummary};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use app::ports::{FollowService, PathService};
use async_trait::async_trait;
use chrono::Utc;

use crate::db::{follows, mail_settings, paths, Db};
use crate::error::ResultExt;

#[derive(Clone)]
pub struct Follows {
    db: Db,
}

impl Follows {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// 404 unless `target` `id` is public.
    async fn require_public(&self, target: FollowTarget, id: i64) -> Result<(), AppError> {
        let (found, what) = match target {
            FollowTarget::Course => (
                follows::public_course_exists(&self.db, id)
                    .await
                    .db_err("course")?,
                "course",
            ),
            FollowTarget::Path => (
                follows::published_path_exists(&self.db, id)
                    .await
                    .db_err("learning path")?,
                "learning path",
            ),
        };
        if found {
            Ok(())
        } else {
            Err(AppError::NotFound(what.into()))
        }
    }
}

#[async_trait]
impl PathService for Follows {
    async fn list_paths(&self) -> Result<Vec<PathSummary>, AppError> {
        paths::published(&self.db).await.db_err("learning path")
    }

    async fn path_by_slug(&self, slug: &str) -> Result<PathDetail, AppError> {
        paths::by_slug(&self.db, slug)
            .await
            .db_err("learning path")?
            .ok_or_else(|| AppError::NotFound("learning path".into()))
    }
}

#[async_trait]
impl FollowService for Follows {
    async fn follow(&self, user_id: i64, target: FollowTarget, id: i64) -> Result<(), AppError> {
        self.require_public(target, id).await?;
        let now = Utc::now();
        match target {
            FollowTarget::Course => follows::set_course_follow(&self.db, user_id, id, false, now)
                .await
                .db_err("course follow"),
            FollowTarget::Path => follows::follow_path(&self.db, user_id, id, now)
                .await
                .db_err("path follow"),
        }
    }

    async fn unfollow(&self, user_id: i64, target: FollowTarget, id: i64) -> Result<(), AppError> {
        self.require_public(target, id).await?;
        match target {
            FollowTarget::Course => {
                if follows::is_enrolled(&self.db, user_id, id)
                    .await
                    .db_err("enrolment")?
                {
                    follows::set_course_follow(&self.db, user_id, id, true, Utc::now())
                        .await
                        .db_err("course follow")
                } else {
                    follows::delete_course_follow(&self.db, user_id, id)
                        .await
                        .db_err("course follow")
                }
            }
            FollowTarget::Path => follows::unfollow_path(&self.db, user_id, id)
                .await
                .db_err("path follow"),
        }
    }

    async fn state(
        &self,
        user_id: i64,
        target: FollowTarget,
        id: i64,
    ) -> Result<FollowState, AppError> {
        self.require_public(target, id).await?;
        match target {
            FollowTarget::Course => {
                let enrolled = follows::is_enrolled(&self.db, user_id, id)
                    .await
                    .db_err("enrolment")?;
                let row = follows::course_follow(&self.db, user_id, id)
                    .await
                    .db_err("course follow")?;
                let following = match row {
                    Some(muted) => !muted,
                    None => enrolled,
                };
                Ok(FollowState {
                    following,
                    enrolled,
                })
            }
            FollowTarget::Path => Ok(FollowState {
                following: follows::follows_path(&self.db, user_id, id)
                    .await
                    .db_err("path follow")?,
                enrolled: false,
            }),
        }
    }

    async fn mail_settings(&self, user_id: i64) -> Result<Vec<MailSetting>, AppError> {
        let stored = mail_settings::stored(&self.db, user_id)
            .await
            .db_err("mail settings")?;
        Ok(MailKind::ALL
            .into_iter()
            .map(|kind| MailSetting {
                kind: kind.name().to_string(),
                label: kind.label().to_string(),
                enabled: stored
                    .iter()
                    .find(|(name, _)| name == kind.name())
                    .map_or(kind.default_on(), |(_, on)| *on),
            })
            .collect())
    }

    async fn set_mail_setting(
        &self,
        user_id: i64,
        kind: &str,
        enabled: bool,
    ) -> Result<Vec<MailSetting>, AppError> {
        let Some(kind) = MailKind::parse(kind) else {
            return Err(AppError::Validation(vec![FieldError::new(
                "kind",
                td_string!(app::locale::current(), errors.mail_kind_unknown),
            )]));
        };
        mail_settings::set(&self.db, user_id, kind, enabled, Utc::now())
            .await
            .db_err("mail settings")?;
        self.mail_settings(user_id).await
    }
}
