//! The services the UI needs, as traits the server implements (hexagonal ports).
//!
//! Server functions fetch [`Services`] from the Leptos context and call it; REST handlers in the
//! server call the same implementations. Validation and authorization live behind these traits,
//! never in the adapters.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{CourseQuery, Principal};
use crate::dto::{
    CourseDetail, CoursePage, DeviceView, DirectionFacet, HomeData, LoginInput, ProfileInput,
    ProfileView, RegisterInput, UserView,
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

/// The account's life after sign-up: its devices (sessions), profile, e-mail verification and
/// password reset. Every method but the reset and verification links needs a signed-in user.
#[async_trait]
pub trait AccountLifecycle: Send + Sync {
    /// The user's active sessions, most recent first, this one marked.
    async fn devices(&self, request: &http::request::Parts) -> Result<Vec<DeviceView>, AppError>;
    /// Ends one of the user's sessions by its handle (on every instance).
    async fn sign_out_device(
        &self,
        request: &http::request::Parts,
        handle: &str,
    ) -> Result<(), AppError>;
    /// Ends every other session of the user; with `including_this`, this one too.
    async fn sign_out_everywhere(
        &self,
        request: &http::request::Parts,
        including_this: bool,
    ) -> Result<(), AppError>;
    async fn profile(&self, request: &http::request::Parts) -> Result<ProfileView, AppError>;
    /// Validates and saves; a new e-mail address must be verified again.
    async fn update_profile(
        &self,
        request: &http::request::Parts,
        input: ProfileInput,
    ) -> Result<ProfileView, AppError>;
    /// Mails a verification link to the signed-in user's address.
    async fn send_verification(&self, request: &http::request::Parts) -> Result<(), AppError>;
    /// Consumes a verification link's token.
    async fn verify_email(&self, token: &str) -> Result<(), AppError>;
    /// Mails a reset link when an account has this address; answers the same either way.
    async fn request_password_reset(
        &self,
        request: &http::request::Parts,
        email: &str,
    ) -> Result<(), AppError>;
    /// Consumes a reset token and sets the password; every session and refresh token of the
    /// account ends.
    async fn reset_password(&self, token: &str, password: String) -> Result<(), AppError>;
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

/// Everything the server provides to the UI, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub catalog: Arc<dyn CatalogService>,
    pub accounts: Arc<dyn AccountService>,
    pub authz: Arc<dyn AuthzService>,
    pub lifecycle: Arc<dyn AccountLifecycle>,
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
