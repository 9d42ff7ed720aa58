//! The services the UI needs, as traits the server implements (hexagonal ports).
//!
//! Server functions fetch [`Services`] from the Leptos context and call it; REST handlers in the
//! server call the same implementations. Validation and authorization live behind these traits,
//! never in the adapters.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{CourseQuery, Principal};
use crate::dto::admin::{
    AdminForm, AdminList, AdminListQuery, AdminMenu, AuditPage, AuditQuery, Dashboard,
    DeletePreview, PermissionMatrix, UserAccess,
};
use crate::dto::{
    CourseDetail, CoursePage, DirectionFacet, HomeData, LoginInput, RegisterInput, UserView,
};
use crate::error::{AppError, FieldError};

#[async_trait]
pub trait CatalogService: Send + Sync {
    async fn home(&self) -> Result<HomeData, AppError>;
    async fn directions(&self) -> Result<Vec<DirectionFacet>, AppError>;
    /// `notices` are the problems the caller's parser already worked around; they are echoed.
    async fn list_courses(
        &self,
        query: CourseQuery,
        notices: Vec<FieldError>,
    ) -> Result<CoursePage, AppError>;
    async fn course_by_slug(&self, slug: &str) -> Result<CourseDetail, AppError>;
}

/// Accounts and the browser session. Methods take the request's parts because the session (a
/// server-side concern) travels in their extensions.
#[async_trait]
pub trait AccountService: Send + Sync {
    /// Creates the account and signs it in (a new session id).
    async fn register(
        &self,
        request: &http::request::Parts,
        input: RegisterInput,
    ) -> Result<UserView, AppError>;
    /// Checks the password (same answer and timing for an unknown user) and signs in with a
    /// new session id.
    async fn login(
        &self,
        request: &http::request::Parts,
        input: LoginInput,
    ) -> Result<UserView, AppError>;
    /// Ends the session everywhere it is used (the store is shared by all instances).
    async fn logout(&self, request: &http::request::Parts) -> Result<(), AppError>;
    /// Checks the current password, sets the new one, gives this browser a new session id and
    /// ends every API refresh token of the account.
    async fn change_password(
        &self,
        request: &http::request::Parts,
        current: String,
        new: String,
    ) -> Result<(), AppError>;
    /// The signed-in user, if any.
    async fn current_user(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserView>, AppError>;
}

/// Who is asking, for the one permission check ([`Principal::require`]).
#[async_trait]
pub trait AuthzService: Send + Sync {
    /// The signed-in principal of this request, with its permissions read now.
    async fn principal(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<Principal>, AppError>;

    /// 401 when nobody is signed in, 403 without `codename`, else the principal.
    async fn require(
        &self,
        request: &http::request::Parts,
        codename: &str,
    ) -> Result<Principal, AppError> {
        let principal = self
            .principal(request)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        principal.require(codename)?;
        Ok(principal)
    }
}

/// The back office. Every method checks the caller's permissions itself (a server function is
/// a public endpoint): 401 for nobody, 403 without the model's permission.
#[async_trait]
pub trait AdminService: Send + Sync {
    async fn menu(&self, request: &http::request::Parts) -> Result<AdminMenu, AppError>;
    async fn dashboard(&self, request: &http::request::Parts) -> Result<Dashboard, AppError>;
    async fn list(
        &self,
        request: &http::request::Parts,
        model: &str,
        query: AdminListQuery,
    ) -> Result<AdminList, AppError>;
    /// The edit form of a row, or the create form when `id` is `None`.
    async fn form(
        &self,
        request: &http::request::Parts,
        model: &str,
        id: Option<i64>,
    ) -> Result<AdminForm, AppError>;
    /// Creates (no `id`) or changes a row from form values; returns its id.
    async fn save(
        &self,
        request: &http::request::Parts,
        model: &str,
        id: Option<i64>,
        values: Vec<(String, String)>,
    ) -> Result<i64, AppError>;
    async fn delete_preview(
        &self,
        request: &http::request::Parts,
        model: &str,
        id: i64,
    ) -> Result<DeletePreview, AppError>;
    async fn delete(
        &self,
        request: &http::request::Parts,
        model: &str,
        id: i64,
    ) -> Result<(), AppError>;
    /// Runs a bulk action; returns how many rows it changed.
    async fn action(
        &self,
        request: &http::request::Parts,
        model: &str,
        action: &str,
        ids: Vec<i64>,
    ) -> Result<usize, AppError>;
    async fn audit(
        &self,
        request: &http::request::Parts,
        query: AuditQuery,
    ) -> Result<AuditPage, AppError>;
    async fn permission_matrix(
        &self,
        request: &http::request::Parts,
        role_id: i64,
    ) -> Result<PermissionMatrix, AppError>;
    /// Replaces the role's permissions with `codenames`.
    async fn set_role_permissions(
        &self,
        request: &http::request::Parts,
        role_id: i64,
        codenames: Vec<String>,
    ) -> Result<(), AppError>;
    async fn user_access(
        &self,
        request: &http::request::Parts,
        user_id: i64,
    ) -> Result<UserAccess, AppError>;
    /// Replaces the user's roles and direct permissions.
    async fn set_user_access(
        &self,
        request: &http::request::Parts,
        user_id: i64,
        role_ids: Vec<i64>,
        codenames: Vec<String>,
    ) -> Result<(), AppError>;
    /// Makes the user choose a new password at next sign-in, and ends their sessions.
    async fn force_password_reset(
        &self,
        request: &http::request::Parts,
        user_id: i64,
    ) -> Result<(), AppError>;
    /// Ends one session (by its handle from [`UserAccess`]) or, with `None`, all of them.
    async fn end_sessions(
        &self,
        request: &http::request::Parts,
        user_id: i64,
        handle: Option<String>,
    ) -> Result<(), AppError>;
}

/// Everything the server provides to the UI, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub catalog: Arc<dyn CatalogService>,
    pub accounts: Arc<dyn AccountService>,
    pub authz: Arc<dyn AuthzService>,
    pub admin: Arc<dyn AdminService>,
}

/// The HTTP request being served (page render or server-function call).
pub async fn request_parts() -> Result<http::request::Parts, AppError> {
    leptos::prelude::use_context::<http::request::Parts>().ok_or(AppError::Internal)
}

/// The services of the current request (provided by the server for every render and call).
pub fn services() -> Result<Services, AppError> {
    leptos::prelude::use_context::<Services>().ok_or(AppError::Internal)
}

/// Sets the HTTP status of the response being built (page render or server function call).
pub fn set_status(status: u16) {
    if let (Some(options), Ok(code)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        options.set_status(code);
    }
}
