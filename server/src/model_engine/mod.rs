//! The model engine: list, read, create, change and delete any declared model
//! ([`app::admin::MODELS`]), with validation, the permission check and the audit log in one
//! place. The back office's server functions and the REST API are both thin adapters over it.
//!
//! Access: `<model>.view` shows every row; without it, models with `public_rows` show those rows
//! (the public catalogue's rule, `db::catalog::public_rows`) and others answer 401 (anonymous)
//! or 403. The REST API serves public course reads from the catalogue service instead; the
//! engine keeps staff reads and every write. Writes need `add`, `change` or
//! `delete`; bulk actions name their own permission.

mod counts;
mod hooks;
pub mod input;
mod list;
mod query;
pub mod related;
pub mod sql;
mod write;

use app::admin::{self, ModelSpec};
use app::domain::Principal;
use app::error::AppError;

pub use list::{Filter, FilterOp, ListPage, ListQuery};
pub(crate) use query::filter_value;
pub use related::Labels;

use crate::db::Db;

/// One row as clients see it: `id` plus the readable fields, timestamps in RFC 3339 UTC.
pub type Record = serde_json::Map<String, serde_json::Value>;

/// Told about changes to an account that its sessions must follow (the account guard in
/// `accounts::eviction` implements it).
#[async_trait::async_trait]
pub trait PrivilegeListener: Send + Sync {
    /// Roles, permissions or flags changed: every session gets a new id.
    async fn privileges_changed(&self, user_id: i64);
    /// A new password, a deactivation or a delete: every session and token of the account ends.
    async fn credentials_changed(&self, user_id: i64);
}

/// Told about every row created through the engine (course-update reminders listen for new
/// lessons and chapters). Runs after the write; a failure there is the listener's to log.
#[async_trait::async_trait]
pub trait ContentListener: Send + Sync {
    async fn created(&self, model: &'static str, id: i64);
}

/// Told the model name after every successful write (caches of public pages listen).
pub type ChangeHook = std::sync::Arc<dyn Fn(&'static str) + Send + Sync>;

#[derive(Clone)]
pub struct ModelService {
    db: Db,
    listener: Option<std::sync::Arc<dyn PrivilegeListener>>,
    on_change: Option<ChangeHook>,
    content: Option<std::sync::Arc<dyn ContentListener>>,
    /// Shared by every clone, so a write through any of them forgets them.
    counts: counts::RecentCounts,
    /// Seals host secrets before they are written (see [`crate::webssh::secrets`]).
    secrets: Option<crate::webssh::secrets::SecretBox>,
}

/// What a caller may see of a model.
enum Visibility {
    All,
    /// Only rows matching this SQL condition (see [`crate::db::catalog::public_rows`]).
    Public(String),
}

impl ModelService {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            listener: None,
            on_change: None,
            content: None,
            counts: Default::default(),
            secrets: None,
        }
    }

    pub fn with_secrets(mut self, secrets: crate::webssh::secrets::SecretBox) -> Self {
        self.secrets = Some(secrets);
        self
    }

    pub(crate) fn secrets(&self) -> Option<&crate::webssh::secrets::SecretBox> {
        self.secrets.as_ref()
    }

    pub fn with_change_hook(mut self, hook: ChangeHook) -> Self {
        self.on_change = Some(hook);
        self
    }

    pub(crate) fn changed(&self, model: &'static str) {
        // Any model: a list's conditions may read other tables (chapters of published courses).
        self.counts.forget_all();
        if let Some(hook) = &self.on_change {
            hook(model);
        }
    }

    pub fn with_content_listener(mut self, l: std::sync::Arc<dyn ContentListener>) -> Self {
        self.content = Some(l);
        self
    }

    pub fn with_privilege_listener(mut self, l: std::sync::Arc<dyn PrivilegeListener>) -> Self {
        self.listener = Some(l);
        self
    }

    pub fn specs(&self) -> &'static [&'static ModelSpec] {
        admin::MODELS
    }

    /// By name (`course`) or plural (`courses`).
    pub fn spec(&self, model: &str) -> Option<&'static ModelSpec> {
        admin::find(model)
    }

    fn spec_or_404(&self, model: &str) -> Result<&'static ModelSpec, AppError> {
        self.spec(model)
            .ok_or_else(|| AppError::NotFound("model".into()))
    }

    fn visibility(spec: &ModelSpec, who: Option<&Principal>) -> Result<Visibility, AppError> {
        match (who, spec.public_rows) {
            (Some(p), _) if p.has(&spec.permission("view")) => Ok(Visibility::All),
            (_, Some(rule)) => Ok(Visibility::Public(crate::db::catalog::public_rows(rule))),
            (None, None) => Err(AppError::Unauthenticated),
            (Some(_), None) => Err(AppError::Forbidden),
        }
    }

    /// The extra SQL condition (` AND …`) that limits names and choices of `target` rows to
    /// those `who` may see, or `None` when they may see none: a select or a list cell must not
    /// name a draft course to someone who cannot view courses.
    pub(crate) fn readable_rows(target: &ModelSpec, who: Option<&Principal>) -> Option<String> {
        match Self::visibility(target, who).ok()? {
            Visibility::All => Some(String::new()),
            Visibility::Public(condition) => Some(format!(" AND ({condition})")),
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }
}
