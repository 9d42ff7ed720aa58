//! The services the UI needs, as traits the server implements (hexagonal ports).
//!
//! Server functions fetch [`Services`] from the Leptos context and call it; REST handlers in the
//! server call the same implementations. Validation and authorization live behind these traits,
//! never in the adapters.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::CourseQuery;
use crate::dto::{CourseDetail, CoursePage, DirectionFacet, HomeData};
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

/// Everything the server provides to the UI, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub catalog: Arc<dyn CatalogService>,
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
