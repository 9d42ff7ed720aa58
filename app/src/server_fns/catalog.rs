//! Catalogue reads.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::dto::{CourseDetail, CoursePage, DirectionFacet, HomeData};
use crate::error::AppError;

/// URL parameters the course list understands (the same names the REST API takes).
pub const COURSE_QUERY_KEYS: [&str; 8] = [
    "direction",
    "category",
    "level",
    "price",
    "q",
    "sort",
    "page",
    "per_page",
];

#[server(prefix = "/fn", endpoint = "catalog/home", input = Json)]
pub async fn get_home() -> Result<HomeData, AppError> {
    let services = crate::ports::services()?;
    services.catalog.home().await
}

#[server(prefix = "/fn", endpoint = "catalog/directions", input = Json)]
pub async fn get_directions() -> Result<Vec<DirectionFacet>, AppError> {
    let services = crate::ports::services()?;
    services.catalog.directions().await
}

/// `params` are the raw URL parameters; the server parses them (clamping, and reporting what it
/// had to change) so that what it answers never depends on a client's parsing.
#[server(prefix = "/fn", endpoint = "catalog/courses", input = Json)]
pub async fn list_courses(params: Vec<(String, String)>) -> Result<CoursePage, AppError> {
    use crate::domain::CourseQuery;
    let (query, notices) = CourseQuery::parse(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let services = crate::ports::services()?;
    services.catalog.list_courses(query, notices).await
}

#[server(prefix = "/fn", endpoint = "catalog/course", input = Json)]
pub async fn get_course(slug: String) -> Result<CourseDetail, AppError> {
    let services = crate::ports::services()?;
    services.catalog.course_by_slug(&slug).await
}
