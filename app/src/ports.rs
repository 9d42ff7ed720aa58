//! The services the UI needs, as traits the server implements (hexagonal ports).
//!
//! Server functions fetch [`Services`] from the Leptos context and call it; REST handlers in the
//! server call the same implementations. Validation and authorization live behind these traits,
//! never in the adapters.
//!
//! The ports speak the domain, not HTTP: the adapter resolves who is calling (the signed-in
//! [`UserView`] or [`Principal`]) and what the service may know about the request
//! ([`RequestMeta`]: client address, browser) and passes those. Only the calls that change the
//! browser session itself (sign in, sign out, a third-party sign-in's state, this device) take
//! the [`Session`] handle; REST handlers, which have no browser session of their own, never need
//! them.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{CourseQuery, Principal, RequestMeta};
use crate::dto::admin::{
    AdminForm, AdminList, AdminListQuery, AdminMenu, AuditPage, AuditQuery, Dashboard,
    DeletePreview, PermissionMatrix, UserAccess,
};
use crate::dto::{
    Connections, CourseDetail, CoursePage, DeviceView, DirectionFacet, HomeData, LoginInput,
    NotificationPage, NotificationQuery, PendingIdentity, ProfileInput, ProfileView, ProviderInfo,
    ReadTarget, RegisterInput, UserView,
};
use crate::error::{AppError, FieldError};

mod commerce;
mod learning;
mod seckill;
mod terminal;
pub use commerce::OrderService;
pub use learning::{FollowService, LearningService, PathService};
pub use seckill::SeckillService;
pub use terminal::TerminalService;

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

/// The browser session of the request being served: a cheap handle on its record in the
/// server's session store (shared by every instance). The server takes it from the HTTP request
/// and gives it to server functions in their context ([`session`]).
pub use tower_sessions_core::Session;

/// Accounts and the browser session.
#[async_trait]
pub trait AccountService: Send + Sync {
    /// Creates the account and signs it in (a new session id).
    async fn register(&self, session: &Session, input: RegisterInput)
        -> Result<UserView, AppError>;
    /// Checks the password (same answer and timing for an unknown user) and signs in with a
    /// new session id.
    async fn login(
        &self,
        session: &Session,
        meta: &RequestMeta,
        input: LoginInput,
    ) -> Result<UserView, AppError>;
    /// Ends the session everywhere it is used (the store is shared by all instances).
    async fn logout(&self, session: &Session) -> Result<(), AppError>;
    /// Checks the current password, sets the new one, gives this browser a new session id and
    /// ends every API refresh token of the account.
    async fn change_password(
        &self,
        session: &Session,
        meta: &RequestMeta,
        current: String,
        new: String,
    ) -> Result<(), AppError>;
    /// The signed-in user of this browser session, if any (the one session check: lifetime,
    /// active account, password unchanged since sign-in).
    async fn current_user(&self, session: &Session) -> Result<Option<UserView>, AppError>;
}

/// The account's life after sign-up: its devices (sessions), profile, e-mail verification and
/// password reset. Every method but the reset and verification links acts for a signed-in user.
#[async_trait]
pub trait AccountLifecycle: Send + Sync {
    /// The active sessions of this browser session's user, most recent first, this one marked.
    async fn devices(&self, session: &Session) -> Result<Vec<DeviceView>, AppError>;
    /// Ends one of the user's sessions by its handle (on every instance).
    async fn sign_out_device(&self, user: &UserView, handle: &str) -> Result<(), AppError>;
    /// Ends every other session of this browser session's user; with `including_this`, this
    /// one too.
    async fn sign_out_everywhere(
        &self,
        session: &Session,
        including_this: bool,
    ) -> Result<(), AppError>;
    async fn profile(&self, user: &UserView) -> Result<ProfileView, AppError>;
    /// Validates and saves; a new e-mail address must be verified again.
    async fn update_profile(
        &self,
        user: &UserView,
        input: ProfileInput,
    ) -> Result<ProfileView, AppError>;
    /// Mails a verification link to the user's address.
    async fn send_verification(&self, user: &UserView) -> Result<(), AppError>;
    /// Consumes a verification link's token.
    async fn verify_email(&self, token: &str) -> Result<(), AppError>;
    /// Mails a reset link when an account has this address; answers the same either way.
    /// Throttled per address and per client address (`meta`).
    async fn request_password_reset(&self, meta: &RequestMeta, email: &str)
        -> Result<(), AppError>;
    /// Consumes a reset token and sets the password; every session and refresh token of the
    /// account ends.
    async fn reset_password(&self, token: &str, password: String) -> Result<(), AppError>;
}

/// Who is asking, for the one permission check ([`Principal::require`]).
#[async_trait]
pub trait AuthzService: Send + Sync {
    /// The signed-in principal of this browser session, with its permissions read now.
    async fn principal(&self, session: &Session) -> Result<Option<Principal>, AppError>;
}

/// The back office. The adapter resolves the signed-in principal (401 for nobody); every method
/// checks its permissions itself (a server function is a public endpoint): 403 without staff
/// access or the model's permission. Writes take the request's metadata for the audit log.
#[async_trait]
pub trait AdminService: Send + Sync {
    async fn menu(&self, who: &Principal) -> Result<AdminMenu, AppError>;
    async fn dashboard(&self, who: &Principal) -> Result<Dashboard, AppError>;
    async fn list(
        &self,
        who: &Principal,
        model: &str,
        query: AdminListQuery,
    ) -> Result<AdminList, AppError>;
    /// The edit form of a row, or the create form when `id` is `None`.
    async fn form(
        &self,
        who: &Principal,
        model: &str,
        id: Option<i64>,
    ) -> Result<AdminForm, AppError>;
    /// Creates (no `id`) or changes a row from form values; returns its id.
    async fn save(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        model: &str,
        id: Option<i64>,
        values: Vec<(String, String)>,
    ) -> Result<i64, AppError>;
    async fn delete_preview(
        &self,
        who: &Principal,
        model: &str,
        id: i64,
    ) -> Result<DeletePreview, AppError>;
    async fn delete(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        model: &str,
        id: i64,
    ) -> Result<(), AppError>;
    /// Runs a bulk action; returns how many rows it changed.
    async fn action(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        model: &str,
        action: &str,
        ids: Vec<i64>,
    ) -> Result<usize, AppError>;
    async fn audit(&self, who: &Principal, query: AuditQuery) -> Result<AuditPage, AppError>;
    async fn permission_matrix(
        &self,
        who: &Principal,
        role_id: i64,
    ) -> Result<PermissionMatrix, AppError>;
    /// Replaces the role's permissions with `codenames`.
    async fn set_role_permissions(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        role_id: i64,
        codenames: Vec<String>,
    ) -> Result<(), AppError>;
    async fn user_access(&self, who: &Principal, user_id: i64) -> Result<UserAccess, AppError>;
    /// Replaces the user's roles and direct permissions.
    async fn set_user_access(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        user_id: i64,
        role_ids: Vec<i64>,
        codenames: Vec<String>,
    ) -> Result<(), AppError>;
    /// Makes the user choose a new password at next sign-in, and ends their sessions.
    async fn force_password_reset(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        user_id: i64,
    ) -> Result<(), AppError>;
    /// Ends one session (by its handle from [`UserAccess`]) or, with `None`, all of them.
    async fn end_sessions(
        &self,
        who: &Principal,
        user_id: i64,
        handle: Option<String>,
    ) -> Result<(), AppError>;
}

/// Third-party sign-in: what the pages need around the redirect flow (which itself is plain
/// HTTP routes on the server). The sign-up steps work on the browser session that holds the
/// pending identity.
#[async_trait]
pub trait OAuthService: Send + Sync {
    /// The configured providers, in display order.
    fn providers(&self) -> Vec<ProviderInfo>;
    /// The identity waiting in this session for "create an account" or "bind to an account".
    async fn pending(&self, session: &Session) -> Result<Option<PendingIdentity>, AppError>;
    /// Creates an account (no password) for the pending identity and signs it in; returns
    /// where to go next.
    async fn finish_register(
        &self,
        session: &Session,
        username: String,
        email: String,
    ) -> Result<String, AppError>;
    /// Binds the pending identity to an existing account after its password is checked
    /// (throttled like sign-in) and signs in; returns where to go next.
    async fn finish_bind(
        &self,
        session: &Session,
        meta: &RequestMeta,
        login: String,
        password: String,
    ) -> Result<String, AppError>;
    /// The user's identities and the providers still available to bind.
    async fn connections(&self, user: &UserView) -> Result<Connections, AppError>;
    /// Removes one of the user's identities, refusing the last way to sign in.
    async fn unbind(&self, user: &UserView, meta: &RequestMeta, id: i64) -> Result<(), AppError>;
}

/// The notification centre: one's own notifications, never another user's (an id of someone
/// else's is `NotFound`, like one that does not exist). `user_id` is the caller the adapter
/// resolved (the signed-in user, or the API's actor).
#[async_trait]
pub trait NotificationService: Send + Sync {
    async fn list(
        &self,
        user_id: i64,
        query: NotificationQuery,
    ) -> Result<NotificationPage, AppError>;
    async fn unread_count(&self, user_id: i64) -> Result<u64, AppError>;
    /// Marks the target read; answers the unread count after it.
    async fn mark_read(&self, user_id: i64, target: ReadTarget) -> Result<u64, AppError>;
}

/// Exports answered 202 and the job dashboard (`job.manage`). Every method checks the
/// principal's permissions.
#[async_trait]
pub trait OpsService: Send + Sync {
    /// Queues an export for `who` (202 in the API); it may then see and download it.
    async fn start_export(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        request: crate::dto::ops::ExportRequest,
    ) -> Result<crate::dto::ops::ExportView, AppError>;
    /// An export its requester (or a holder of `export.manage`) may see; `NotFound` otherwise.
    async fn export(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<crate::dto::ops::ExportView, AppError>;
    async fn job_board(&self, who: &Principal) -> Result<crate::dto::ops::JobBoard, AppError>;
    /// Puts a failed or dead job back in its queue (audited).
    async fn retry_job(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        id: &str,
    ) -> Result<(), AppError>;
    /// Deletes a failed or dead job (audited).
    async fn discard_job(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        id: &str,
    ) -> Result<(), AppError>;
}

/// Everything the server provides to the UI, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub catalog: Arc<dyn CatalogService>,
    pub accounts: Arc<dyn AccountService>,
    pub authz: Arc<dyn AuthzService>,
    pub admin: Arc<dyn AdminService>,
    pub oauth: Arc<dyn OAuthService>,
    pub lifecycle: Arc<dyn AccountLifecycle>,
    pub paths: Arc<dyn PathService>,
    pub follows: Arc<dyn FollowService>,
    pub notifications: Arc<dyn NotificationService>,
    pub ops: Arc<dyn OpsService>,
    pub orders: Arc<dyn OrderService>,
    pub learning: Arc<dyn LearningService>,
    pub seckill: Arc<dyn SeckillService>,
}

/// The services of the current request (provided by the server for every render and call).
pub fn services() -> Result<Services, AppError> {
    leptos::prelude::use_context::<Services>().ok_or(AppError::Internal)
}

/// The browser session of the current request (the server provides it beside the services).
pub fn session() -> Result<Session, AppError> {
    leptos::prelude::use_context::<Session>().ok_or(AppError::Internal)
}

/// The current request's metadata, as the server resolved it; unknown values when there is no
/// request behind the call.
pub fn request_meta() -> RequestMeta {
    leptos::prelude::use_context::<RequestMeta>().unwrap_or_default()
}

/// The signed-in user of the current request; `Unauthenticated` for nobody.
pub async fn signed_in_user(services: &Services) -> Result<UserView, AppError> {
    services
        .accounts
        .current_user(&session()?)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// The signed-in principal of the current request, permissions read now; `Unauthenticated`
/// for nobody.
pub async fn principal(services: &Services) -> Result<Principal, AppError> {
    services
        .authz
        .principal(&session()?)
        .await?
        .ok_or(AppError::Unauthenticated)
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
