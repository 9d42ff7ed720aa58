//! The back office's service: turns the model engine's records into what the admin pages show
//! (display strings, forms, menus), and owns the RBAC screens, the dashboard and the audit log.
//! The adapter resolves the caller's [`Principal`]; every method checks its permissions before
//! anything else.

mod access;
mod audit_view;
pub(crate) mod charts;
mod dashboard;
mod display;
mod forms;
pub(crate) mod labels;
mod lists;
mod service;

pub use access::SessionDirectory;
use app::domain::Principal;
use app::error::AppError;

use crate::db::Db;
use crate::model_engine::ModelService;

#[derive(Clone)]
pub struct Admin {
    db: Db,
    models: ModelService,
    sessions: access::Directory,
}

/// Rows per list page (Django's default is 100; 50 keeps pages light).
pub const PER_PAGE: u32 = 50;

impl Admin {
    pub fn new(db: Db, models: ModelService) -> Self {
        Self {
            db,
            models,
            sessions: None,
        }
    }

    pub fn with_sessions(mut self, directory: std::sync::Arc<dyn SessionDirectory>) -> Self {
        self.sessions = Some(directory);
        self
    }

    /// The principal, if it may enter the back office at all.
    fn staff(who: &Principal) -> Result<&Principal, AppError> {
        if who.can_enter_admin() {
            Ok(who)
        } else {
            Err(AppError::Forbidden)
        }
    }
}
