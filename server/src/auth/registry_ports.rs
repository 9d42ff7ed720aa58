//! The session registry seen from the back office and the model engine: list and end a user's
//! sessions, and re-issue them when the user's privileges change.

use app::dto::admin::SessionView;
use app::error::AppError;

use super::registry::SessionRegistry;
use crate::admin::SessionDirectory;
use crate::models::PrivilegeListener;

#[async_trait::async_trait]
impl SessionDirectory for SessionRegistry {
    async fn sessions_of(&self, user_id: i64) -> Result<Vec<SessionView>, AppError> {
        Ok(SessionRegistry::sessions_of(self, user_id)
            .await?
            .into_iter()
            .map(|s| SessionView {
                handle: s.handle,
                browser: s.browser,
                ip: s.ip,
                last_seen: s.last_seen,
            })
            .collect())
    }

    async fn end(&self, user_id: i64, handle: Option<&str>) -> Result<(), AppError> {
        SessionRegistry::end(self, user_id, handle).await
    }
}

#[async_trait::async_trait]
impl PrivilegeListener for SessionRegistry {
    async fn privileges_changed(&self, user_id: i64) {
        self.on_privilege_change(user_id).await;
    }
}
