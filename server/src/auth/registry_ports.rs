//! The session registry seen from the back office: list and end a user's sessions (the
//! account guard, `accounts::eviction`, adds the tokens to "end all").

use app::dto::admin::SessionView;
use app::error::AppError;

use super::registry::SessionRegistry;
use crate::admin::SessionDirectory;

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
