//! The notification centre for the pages: thin calls into [`crate::ports::NotificationService`]
//! for the signed-in user.

use leptos::prelude::*;

use crate::dto::NotificationPage;
use crate::error::AppError;

/// Notifications per page of `/notifications`.
pub const PER_PAGE: u32 = 20;

/// Page `page` (from 1) of one's notifications, newest first; `unread_only` is a checkbox.
#[server(prefix = "/fn", endpoint = "notifications/list")]
pub async fn notifications(unread_only: bool, page: u32) -> Result<NotificationPage, AppError> {
    use crate::dto::NotificationQuery;
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    let offset = u64::from(page.max(1) - 1) * u64::from(PER_PAGE);
    let query = NotificationQuery {
        unread_only,
        limit: PER_PAGE,
        offset,
    };
    services.notifications.list(user.id, query).await
}

/// What the header's bell shows: the unread count, or `None` when nobody is signed in (the
/// header asks on every page, so an anonymous visitor is an answer, not an error).
#[server(prefix = "/fn", endpoint = "notifications/unread")]
pub async fn unread_notifications() -> Result<Option<u64>, AppError> {
    let services = crate::ports::services()?;
    let Some(user) = services
        .accounts
        .current_user(&crate::ports::session()?)
        .await?
    else {
        return Ok(None);
    };
    services.notifications.unread_count(user.id).await.map(Some)
}

/// Marks one of one's notifications read; answers the unread count after it.
#[server(prefix = "/fn", endpoint = "notifications/read")]
pub async fn mark_notification_read(id: i64) -> Result<u64, AppError> {
    use crate::dto::ReadTarget;
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services
        .notifications
        .mark_read(user.id, ReadTarget::Ids(vec![id]))
        .await
}

/// Marks all of one's notifications read; answers the unread count after it (0).
#[server(prefix = "/fn", endpoint = "notifications/read-all")]
pub async fn mark_all_notifications_read() -> Result<u64, AppError> {
    use crate::dto::ReadTarget;
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services
        .notifications
        .mark_read(user.id, ReadTarget::All)
        .await
}
