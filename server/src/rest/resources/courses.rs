//! Public reads of `/api/v1/courses`: callers without `course.view` (anonymous visitors and
//! students) are served by the catalogue service with the page's query type, so the API and
//! the course list page answer the same courses in the same order for the same question.
//! Staff reads and every write stay on the model engine ([`super::handlers`]).
//!
//! The JSON is the engine's, byte for byte (so an ETag does not depend on who asked): the
//! course model's readable fields plus `currency`, keys in alphabetical order (the engine's
//! records are `serde_json` maps, which sort their keys), timestamps in RFC 3339 UTC to the
//! second, `cover_url` absolute.

use app::domain::Principal;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use super::handlers::{item_response_bytes, json_response};
use super::CURRENCY;
use crate::db::catalog::CourseRecord;
use crate::rest::cache::Shareable;
use crate::rest::problem::{bad_params, Problem};
use crate::rest::{links, params};
use crate::state::AppState;

/// Whether `who` reads courses through the catalogue: everyone without `course.view`.
pub fn is_public_reader(who: Option<&Principal>) -> bool {
    !who.is_some_and(|p| p.has("course.view"))
}

fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn rfc3339_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// A course as the API shows it. Fields in alphabetical order: see the module doc.
#[derive(Serialize)]
struct ApiCourse<'a> {
    category_id: i64,
    cover_url: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    created_at: &'a DateTime<Utc>,
    currency: &'static str,
    description_md: &'a str,
    enrollment_count: i64,
    featured: bool,
    id: i64,
    level: &'a str,
    original_price_cents: Option<i64>,
    price_cents: i64,
    #[serde(serialize_with = "rfc3339_opt")]
    published_at: &'a Option<DateTime<Utc>>,
    slug: &'a str,
    status: &'a str,
    summary: &'a str,
    teacher_id: i64,
    title: &'a str,
    #[serde(serialize_with = "rfc3339")]
    updated_at: &'a DateTime<Utc>,
}

impl<'a> ApiCourse<'a> {
    fn new(r: &'a CourseRecord, base: &str) -> Self {
        Self {
            category_id: r.category_id,
            cover_url: r.cover_url.clone().map(|mut url| {
                links::absolute(base, &mut url);
                url
            }),
            created_at: &r.created_at,
            currency: CURRENCY,
            description_md: &r.description_md,
            enrollment_count: r.enrollment_count,
            featured: r.featured,
            id: r.id,
            level: &r.level,
            original_price_cents: r.original_price_cents,
            price_cents: r.price_cents,
            published_at: &r.published_at,
            slug: &r.slug,
            status: &r.status,
            summary: &r.summary,
            teacher_id: r.teacher_id,
            title: &r.title,
            updated_at: &r.updated_at,
        }
    }
}

/// `{count, next, previous, results}`, the keys in the order the engine's envelope has them.
#[derive(Serialize)]
struct Envelope<'a> {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<ApiCourse<'a>>,
}

/// A page of public courses. Anonymous answers are [`Shareable`] (the API cache may keep them).
pub async fn list(
    state: &AppState,
    anonymous: bool,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, Problem> {
    let pairs = params::pairs(uri.query());
    let (query, paging) = match params::course_query(&pairs) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(bad_params(&errors)),
    };
    let page = match query {
        Some(query) => Some(state.catalog.course_records(query).await?),
        None => None,
    };
    let (rows, count) = page.as_deref().map_or((&[][..], 0), |(r, c)| (&r[..], *c));
    let base = links::base(&state.settings, headers);
    let (next, previous) = links::page_links(&base, uri.path(), &pairs, paging, count);
    let body = Envelope {
        count,
        next,
        previous,
        results: rows.iter().map(|r| ApiCourse::new(r, &base)).collect(),
    };
    let mut response = json_response(
        StatusCode::OK,
        serde_json::to_vec(&body).unwrap_or_default(),
    );
    if anonymous {
        response.extensions_mut().insert(Shareable);
    }
    Ok(response)
}

/// One public course, with its ETag (304 when the client's copy is current).
pub async fn retrieve(state: &AppState, id: i64, headers: &HeaderMap) -> Result<Response, Problem> {
    let record = state.catalog.course_record(id).await?;
    let base = links::base(&state.settings, headers);
    let body = serde_json::to_vec(&ApiCourse::new(&record, &base)).unwrap_or_default();
    Ok(item_response_bytes(StatusCode::OK, body, Some(headers)))
}
