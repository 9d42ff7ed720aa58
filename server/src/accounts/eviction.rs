//! Locking everyone but the owner out of an account: the one place that ends its sessions and
//! its tokens together.
//!
//! A password change or reset, a password set by an administrator, a deactivation, a delete and
//! "sign out everywhere" all end here, so none of them can forget a kind of credential: every
//! session (but the one that asked, where it keeps its own), every refresh token, and every
//! access token issued so far (`TokenService::revoke_issued_before_now`).

use app::dto::admin::SessionView;
use app::error::AppError;

use crate::admin::SessionDirectory;
use crate::auth::{registry::SessionRegistry, tokens::TokenService};
use crate::model_engine::PrivilegeListener;

#[derive(Clone)]
pub struct Eviction {
    registry: SessionRegistry,
    tokens: TokenService,
}

impl Eviction {
    pub fn new(registry: SessionRegistry, tokens: TokenService) -> Self {
        Self { registry, tokens }
    }

    pub fn registry(&self) -> &SessionRegistry {
        &self.registry
    }

    /// Ends every session of the user except `keep` (a session id), every refresh token and
    /// every access token issued until now. Tokens go first: a failure after them leaves the
    /// sessions for a retry, never a token alive behind an ended session.
    pub async fn evict(&self, user_id: i64, keep: Option<&str>) -> Result<(), AppError> {
        self.tokens.revoke_all(user_id).await?;
        self.tokens.revoke_issued_before_now(user_id).await?;
        match keep {
            Some(id) => self.registry.end_others(user_id, id).await?,
            None => self.registry.end(user_id, None).await?,
        }
        tracing::info!(
            user_id,
            kept_one = keep.is_some(),
            "account credentials ended"
        );
        Ok(())
    }
}

/// The back office's "end sessions": one session by handle, or all of them with its tokens.
#[async_trait::async_trait]
impl SessionDirectory for Eviction {
    async fn sessions_of(&self, user_id: i64) -> Result<Vec<SessionView>, AppError> {
        SessionDirectory::sessions_of(&self.registry, user_id).await
    }

    async fn end(&self, user_id: i64, handle: Option<&str>) -> Result<(), AppError> {
        match handle {
            Some(_) => self.registry.end(user_id, handle).await,
            None => self.evict(user_id, None).await,
        }
    }
}

#[async_trait::async_trait]
impl PrivilegeListener for Eviction {
    async fn privileges_changed(&self, user_id: i64) {
        self.registry.on_privilege_change(user_id).await;
    }

    async fn credentials_changed(&self, user_id: i64) {
        if let Err(error) = self.evict(user_id, None).await {
            // The model engine has written the change already and cannot undo it: say so loudly.
            tracing::error!(user_id, %error, "could not end the account's sessions and tokens");
        }
    }
}
