//! The back office's service: turns the model engine's records into what the admin pages show
//! (display strings, forms, menus), and owns the RBAC screens, the dashboard and the audit log.
//! Every method loads the caller's [`Principal`] and checks permissions before anything else.

mod access;
mod audit_view;
mod charts;
mod dashboard;
mod display;
mod forms;
mod lists;
mod service;

pub use access::SessionDirectory;
use app::domain::Principal;
use app::error::AppError;
use app::ports::AuthzService;

use crate::db::Db;
use crate::models::ModelService;
use crate::rbac::Authz;

#[derive(Clone)]
pub struct Admin {
    db: Db,
    models: ModelService,
    authz: Authz,
    sessions: access::Directory,
}

/// Rows per list page (Django's default is 100; 50 keeps pages light).
pub const PER_PAGE: u32 = 50;

impl Admin {
    pub fn new(db: Db, models: ModelService, authz: Authz) -> Self {
        Self {
            db,
            models,
            authz,
            sessions: None,
        }
    }

    pub fn with_sessions(mut self, directory: std::sync::Arc<dyn SessionDirectory>) -> Self {
        self.sessions = Some(directory);
        self
    }

    /// The signed-in principal allowed into the back office at all.
    async fn staff(&self, request: &http::request::Parts) -> Result<Principal, AppError> {
        let principal = self
            .authz
            .principal(request)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if principal.can_enter_admin() {
            Ok(principal)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

fn client_ip(request: &http::request::Parts) -> Option<String> {
    crate::accounts::peer_ip(&request.extensions)
}
