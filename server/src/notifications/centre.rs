//! The notification centre's service: one's own notifications, listed newest first, counted,
//! marked read. The pages' server functions and the REST handlers both call it; it checks the
//! input, and every query it runs is scoped to the caller, so another user's notification is
//! `NotFound` (never "forbidden": its existence is not told).

use app::dto::{NotificationPage, NotificationQuery, NotificationView, ReadTarget};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use app::ports::NotificationService;
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::db::notifications::{self as rows, NotificationRow};
use crate::db::Db;
use crate::error::db_error;

/// The most ids one "mark read" may name, and the largest page.
pub const MAX_IDS: usize = 100;
pub const MAX_PAGE: u32 = 100;

#[derive(Clone)]
pub struct Centre {
    db: Db,
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl From<NotificationRow> for NotificationView {
    fn from(r: NotificationRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            title: r.title,
            body: r.body,
            link: r.link,
            read_at: r.read_at.as_ref().map(rfc3339),
            created_at: rfc3339(&r.created_at),
        }
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The ids, sorted and without repeats; 422 for none, too many or one that cannot be an id.
fn checked_ids(mut ids: Vec<i64>) -> Result<Vec<i64>, AppError> {
    let locale = app::locale::current();
    let problem = if ids.is_empty() {
        Some(td_string!(locale, errors.notification_ids_empty).to_string())
    } else if ids.len() > MAX_IDS {
        Some(td_string!(locale, errors.notification_ids_too_many, n = MAX_IDS).to_string())
    } else if ids.iter().any(|id| *id < 1) {
        Some(td_string!(locale, errors.notification_ids_invalid).to_string())
    } else {
        None
    };
    if let Some(message) = problem {
        return Err(AppError::Validation(vec![FieldError::new("ids", message)]));
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

impl Centre {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl NotificationService for Centre {
    #[tracing::instrument(name = "notifications.list", skip(self))]
    async fn list(
        &self,
        user_id: i64,
        query: NotificationQuery,
    ) -> Result<NotificationPage, AppError> {
        if !(1..=MAX_PAGE).contains(&query.limit) {
            return Err(AppError::Validation(vec![FieldError::new(
                "limit",
                td_string!(
                    app::locale::current(),
                    errors.notification_limit_range,
                    max = MAX_PAGE
                )
                .to_string(),
            )]));
        }
        let offset = i64::try_from(query.offset).map_err(|_| {
            AppError::Validation(vec![FieldError::new(
                "offset",
                td_string!(app::locale::current(), errors.notification_offset_too_large),
            )])
        })?;
        let what = "notification";
        let items = rows::list(
            &self.db,
            user_id,
            query.unread_only,
            i64::from(query.limit),
            offset,
        )
        .await
        .map_err(|e| db_error(e, what))?;
        let total = rows::count(&self.db, user_id, query.unread_only)
            .await
            .map_err(|e| db_error(e, what))?;
        let unread = if query.unread_only {
            total
        } else {
            rows::unread_count(&self.db, user_id)
                .await
                .map_err(|e| db_error(e, what))?
        };
        Ok(NotificationPage {
            items: items.into_iter().map(NotificationView::from).collect(),
            total: count(total),
            unread: count(unread),
        })
    }

    #[tracing::instrument(name = "notifications.unread_count", skip(self))]
    async fn unread_count(&self, user_id: i64) -> Result<u64, AppError> {
        rows::unread_count(&self.db, user_id)
            .await
            .map(count)
            .map_err(|e| db_error(e, "notification"))
    }

    #[tracing::instrument(name = "notifications.mark_read", skip(self))]
    async fn mark_read(&self, user_id: i64, target: ReadTarget) -> Result<u64, AppError> {
        let now = Utc::now();
        match target {
            ReadTarget::All => {
                rows::mark_all_read(&self.db, user_id, now)
                    .await
                    .map_err(|e| db_error(e, "notification"))?;
            }
            ReadTarget::Ids(ids) => {
                let ids = checked_ids(ids)?;
                let marked = rows::mark_read(&self.db, user_id, &ids, now)
                    .await
                    .map_err(|e| db_error(e, "notification"))?;
                if !marked {
                    return Err(AppError::NotFound("notification".into()));
                }
            }
        }
        self.unread_count(user_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_sorted_and_deduplicated() {
        assert_eq!(checked_ids(vec![3, 1, 3]).unwrap(), vec![1, 3]);
        for bad in [vec![], vec![0], vec![-4, 2], vec![1; MAX_IDS + 1]] {
            assert!(matches!(checked_ids(bad), Err(AppError::Validation(_))));
        }
    }
}
