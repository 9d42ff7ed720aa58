//! List query strings (DRF style) to the engine's [`ListQuery`].
//!
//! - Paging, one style per request: `?limit=20&offset=40` or `?page=3&per_page=20`; at most
//!   [`MAX_PAGE_SIZE`] rows, [`DEFAULT_PAGE_SIZE`] when not given.
//! - Sorting: `?sortby=price_cents,-created_at` (or `sortby` repeated). A `-` sorts that key
//!   descending; `order=asc|desc` sets the direction of the keys without a sign.
//! - `?search=` matches the model's search fields.
//! - Field filters: `?level=beginner` (equality) and `?price_cents_min=…&price_cents_max=…`
//!   (numbers). Money fields also answer to their name without `_cents` (`price_min`).
//!
//! Anything else is a 400 naming the parameter: a misspelt filter silently ignored would return
//! the wrong rows.
//!
//! Public course lists (callers without `course.view`) are read from the catalogue, not the
//! model engine: [`course_query`] parses them with the same grammar and the same 400s, then
//! turns the result into the [`CourseQuery`] the course list page uses too.

use app::admin::{models::COURSE, FieldKind, ModelSpec};
use app::domain::{CourseQuery, Level, SortField, SortKey, SortTerm};
use app::error::FieldError;

use crate::model_engine::sql::SqlValue;
use crate::model_engine::{filter_value, Filter, FilterOp, ListQuery};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;
const MAX_SEARCH_CHARS: usize = 200;
/// Deep offsets cost the database a scan; past this, clients should filter instead.
pub const MAX_OFFSET: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    Offset { limit: u64, offset: u64 },
    Page { page: u64, per_page: u64 },
}

impl Paging {
    pub fn limit_offset(self) -> (u64, u64) {
        match self {
            Paging::Offset { limit, offset } => (limit, offset),
            Paging::Page { page, per_page } => (per_page, (page - 1) * per_page),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    pub query: ListQuery,
    pub paging: Paging,
}

/// The query's `(key, value)` pairs, decoded, in order.
pub fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A field of the model by its name, or a money field by its name without `_cents`.
fn field_name(spec: &ModelSpec, name: &str) -> Option<&'static str> {
    if let Some(f) = spec.field(name) {
        return Some(f.name);
    }
    spec.field(&format!("{name}_cents"))
        .filter(|f| f.kind == FieldKind::Cents)
        .map(|f| f.name)
}

fn numeric(kind: FieldKind) -> bool {
    matches!(kind, FieldKind::Int { .. } | FieldKind::Cents)
}

/// The value of a parameter that may be given once (a repeat is an error, the first counts).
fn once<'a>(
    pairs: &'a [(String, String)],
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    let mut values = pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v);
    let first = values.next()?;
    if values.next().is_some() {
        errors.push(FieldError::new(key, "give this parameter once"));
    }
    Some(first.as_str())
}

/// The paging parameters of any list (`limit`/`offset` or `page`/`per_page`, one style), the
/// problems with them added to `errors`; lists that are not model lists use it on its own.
pub fn paging(pairs: &[(String, String)], errors: &mut Vec<FieldError>) -> Paging {
    let limit = once(pairs, "limit", errors);
    let offset = once(pairs, "offset", errors);
    let page = once(pairs, "page", errors);
    let per_page = once(pairs, "per_page", errors);
    let mut number = |key: &str, raw: Option<&str>, min: u64, max: u64, default: u64| match raw {
        None => default,
        Some(raw) => match raw.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    key,
                    format!("must be a whole number from {min} to {max}"),
                ));
                default
            }
        },
    };
    let offset_style = limit.is_some() || offset.is_some();
    let page_style = page.is_some() || per_page.is_some();
    let paging = if offset_style {
        Paging::Offset {
            limit: number("limit", limit, 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
            offset: number("offset", offset, 0, MAX_OFFSET, 0),
        }
    } else {
        let per_page = number("per_page", per_page, 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
        Paging::Page {
            page: number("page", page, 1, MAX_OFFSET / per_page, 1),
            per_page,
        }
    };
    if offset_style && page_style {
        errors.push(FieldError::new(
            "page",
            "use either limit/offset or page/per_page, not both",
        ));
    }
    paging
}

/// Parses a list request. `fixed` names filters set by the path (a nested list's parent key),
/// which the query may not repeat.
pub fn parse(
    spec: &ModelSpec,
    pairs: &[(String, String)],
    fixed: &[&str],
) -> Result<ListParams, Vec<FieldError>> {
    let mut errors = Vec::new();
    let paging = paging(pairs, &mut errors);
    let search = once(pairs, "search", &mut errors).map(str::to_string);
    let order = once(pairs, "order", &mut errors).map(str::to_string);

    let search = search
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
    {
        errors.push(FieldError::new(
            "search",
            format!("at most {MAX_SEARCH_CHARS} characters"),
        ));
    }

    let default_desc = match order.as_deref().map(str::trim) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            errors.push(FieldError::new("order", "must be asc or desc"));
            false
        }
    };
    let mut sort = Vec::new();
    let keys = pairs
        .iter()
        .filter(|(k, _)| k == "sortby")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|k| !k.is_empty());
    for key in keys {
        let (name, desc) = match key.strip_prefix('-') {
            Some(name) => (name, true),
            None => (key.strip_prefix('+').unwrap_or(key), default_desc),
        };
        match field_name(spec, name).filter(|f| spec.ordering.contains(f)) {
            Some(field) if !sort.iter().any(|(f, _)| f == field) => {
                sort.push((field.to_string(), desc))
            }
            Some(_) => errors.push(FieldError::new("sortby", format!("{name} is given twice"))),
            None => errors.push(FieldError::new(
                "sortby",
                format!(
                    "cannot sort by {name}; choose from {}",
                    spec.ordering.join(", ")
                ),
            )),
        }
    }
    if order.is_some() && sort.is_empty() {
        errors.push(FieldError::new("order", "order needs sortby"));
    }

    let mut filters = Vec::new();
    for (key, value) in pairs {
        if matches!(
            key.as_str(),
            "limit" | "offset" | "page" | "per_page" | "search" | "order" | "sortby"
        ) {
            continue;
        }
        match filter_for(spec, key, fixed) {
            Some((field, op)) => filters.push(Filter {
                field: field.to_string(),
                op,
                value: value.clone(),
            }),
            None => errors.push(FieldError::new(
                key.as_str(),
                format!(
                    "unknown query parameter; filters here are: {}",
                    filter_names(spec, fixed).join(", ")
                ),
            )),
        }
    }

    if errors.is_empty() {
        let (limit, offset) = paging.limit_offset();
        Ok(ListParams {
            query: ListQuery {
                search,
                filters,
                order: sort,
                offset,
                limit,
            },
            paging,
        })
    } else {
        Err(errors)
    }
}

/// A public course list request as a catalogue query, with its paging for the links. The
/// grammar and every 400 are those of [`parse`] over the course model, and the filter values
/// are checked as the model engine checks them. `None`: the filters exclude every public
/// course (`status=draft`, or two different levels), so the answer is an empty page.
pub fn course_query(
    pairs: &[(String, String)],
) -> Result<(Option<CourseQuery>, Paging), Vec<FieldError>> {
    let ListParams {
        query: list,
        paging,
    } = parse(&COURSE, pairs, &[])?;
    let mut query = CourseQuery {
        q: list.search,
        sort: course_sort(&list.order),
        ..CourseQuery::default()
    };
    match paging {
        Paging::Page { page, per_page } => {
            query.page = u32::try_from(page).unwrap_or(u32::MAX);
            query.per_page = u32::try_from(per_page).unwrap_or(u32::MAX);
        }
        Paging::Offset { limit, offset } => {
            query.per_page = u32::try_from(limit).unwrap_or(u32::MAX);
            query.offset = Some(offset);
        }
    }
    let mut errors = Vec::new();
    let mut possible = true;
    for filter in &list.filters {
        match filter_value(&COURSE, filter) {
            Ok((field, value)) => possible &= narrow(&mut query, field.name, filter.op, value),
            Err(message) => errors.push(FieldError::new(filter.field.as_str(), message)),
        }
    }
    if errors.is_empty() {
        Ok((possible.then_some(query), paging))
    } else {
        Err(errors)
    }
}

/// The API's keys as a catalogue order; none given: the course model's default order.
fn course_sort(order: &[(String, bool)]) -> SortKey {
    let default = COURSE.default_order;
    let default = [(
        default.trim_start_matches('-').to_string(),
        default.starts_with('-'),
    )];
    let keys = if order.is_empty() {
        &default[..]
    } else {
        order
    };
    // `parse` accepted only the model's ordering fields, which are exactly the sort fields.
    let terms = keys
        .iter()
        .filter_map(|(name, descending)| {
            SortField::parse(name).map(|field| SortTerm {
                field,
                descending: *descending,
            })
        })
        .collect();
    SortKey::By(terms)
}

/// Adds one checked filter to the query; `false` when it contradicts the public catalogue or a
/// filter before it, so that no course can match.
fn narrow(query: &mut CourseQuery, field: &str, op: FilterOp, value: SqlValue) -> bool {
    fn same<T: PartialEq>(slot: &mut Option<T>, value: T) -> bool {
        match slot {
            Some(old) => *old == value,
            None => {
                *slot = Some(value);
                true
            }
        }
    }
    match (field, value) {
        // Every public course is published.
        ("status", SqlValue::Text(status)) => status == "published",
        ("level", SqlValue::Text(level)) => match level.parse::<Level>() {
            Ok(level) => same(&mut query.level, level),
            Err(_) => false,
        },
        ("featured", SqlValue::Bool(b)) => same(&mut query.featured, b),
        ("category_id", SqlValue::Int(id)) => same(&mut query.category_id, id),
        ("teacher_id", SqlValue::Int(id)) => same(&mut query.teacher_id, id),
        ("price_cents", SqlValue::Int(cents)) => {
            if op != FilterOp::Max {
                query.price_min = Some(query.price_min.map_or(cents, |m| m.max(cents)));
            }
            if op != FilterOp::Min {
                query.price_max = Some(query.price_max.map_or(cents, |m| m.min(cents)));
            }
            true
        }
        // A filter the course model gained without a catalogue condition: refuse to guess.
        _ => false,
    }
}

fn filter_for(spec: &ModelSpec, key: &str, fixed: &[&str]) -> Option<(&'static str, FilterOp)> {
    let allowed = |name: &str| spec.filters.contains(&name) && !fixed.contains(&name);
    if let Some(field) = field_name(spec, key).filter(|f| allowed(f)) {
        return Some((field, FilterOp::Eq));
    }
    for (suffix, op) in [("_min", FilterOp::Min), ("_max", FilterOp::Max)] {
        let Some(base) = key.strip_suffix(suffix) else {
            continue;
        };
        let field = field_name(spec, base)
            .filter(|f| allowed(f))
            .and_then(|f| spec.field(f))
            .filter(|f| numeric(f.kind))?;
        return Some((field.name, op));
    }
    None
}

/// Every filter parameter the model takes (for errors and the OpenAPI document).
pub fn filter_names(spec: &ModelSpec, fixed: &[&str]) -> Vec<String> {
    let mut names = Vec::new();
    for name in spec.filters.iter().filter(|n| !fixed.contains(n)) {
        names.push(name.to_string());
        if spec.field(name).is_some_and(|f| numeric(f.kind)) {
            names.push(format!("{name}_min"));
            names.push(format!("{name}_max"));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::admin::models::COURSE;

    fn parsed(q: &str) -> Result<ListParams, Vec<FieldError>> {
        parse(&COURSE, &pairs(Some(q)), &[])
    }

    fn fields(q: &str) -> Vec<String> {
        parsed(q)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn both_paging_styles_and_defaults() {
        let p = parsed("").unwrap();
        assert_eq!((p.query.limit, p.query.offset), (DEFAULT_PAGE_SIZE, 0));
        let p = parsed("limit=10&offset=30").unwrap();
        assert_eq!((p.query.limit, p.query.offset), (10, 30));
        let p = parsed("page=3&per_page=15").unwrap();
        assert_eq!((p.query.limit, p.query.offset), (15, 30));
        assert_eq!(fields("limit=10&page=2"), ["page"]);
        assert_eq!(fields("per_page=101"), ["per_page"]);
        assert_eq!(fields("page=0"), ["page"]);
        assert_eq!(fields("limit=x&offset=-1"), ["limit", "offset"]);
        assert_eq!(fields("limit=1&limit=2"), ["limit"]);
    }

    #[test]
    fn sorting_is_multi_key_with_signs_and_order() {
        let p = parsed("sortby=price,-created_at&order=desc").unwrap();
        assert_eq!(
            p.query.order,
            [("price_cents".into(), true), ("created_at".into(), true)]
        );
        let p = parsed("sortby=title&sortby=-price_cents").unwrap();
        assert_eq!(
            p.query.order,
            [("title".into(), false), ("price_cents".into(), true)]
        );
        assert_eq!(fields("sortby=slug"), ["sortby"]);
        assert_eq!(fields("order=asc"), ["order"]);
        assert_eq!(fields("sortby=title&order=up"), ["order"]);
    }

    #[test]
    fn filters_search_and_unknown_parameters() {
        let p = parsed("level=beginner&price_min=100&category_id=3&search=%20rust%20").unwrap();
        assert_eq!(p.query.search.as_deref(), Some("rust"));
        let f: Vec<(&str, FilterOp)> = p
            .query
            .filters
            .iter()
            .map(|f| (f.field.as_str(), f.op))
            .collect();
        assert_eq!(
            f,
            [
                ("level", FilterOp::Eq),
                ("price_cents", FilterOp::Min),
                ("category_id", FilterOp::Eq)
            ]
        );
        assert_eq!(fields("colour=red"), ["colour"]);
        assert_eq!(fields("level_min=1"), ["level_min"]);
        assert!(parse(&COURSE, &pairs(Some("teacher_id=1")), &["teacher_id"]).is_err());
    }

    fn course(q: &str) -> Option<CourseQuery> {
        course_query(&pairs(Some(q))).unwrap().0
    }

    #[test]
    fn every_course_filter_becomes_a_catalogue_condition() {
        // A filter the model gains must be given a catalogue condition, or every public list
        // that uses it would come back empty.
        let samples = [
            ("status", "published"),
            ("level", "beginner"),
            ("featured", "true"),
            ("category_id", "3"),
            ("teacher_id", "4"),
            ("price_cents", "100"),
        ];
        for name in COURSE.filters {
            let (_, value) = samples.iter().find(|(n, _)| n == name).unwrap();
            assert!(course(&format!("{name}={value}")).is_some(), "{name}");
        }
        let q = course("level=advanced&featured=0&category_id=3&teacher_id=4&price_min=100&price_cents_max=500&price=300&search=%20go%20").unwrap();
        assert_eq!(q.level, Some(Level::Advanced));
        assert_eq!(
            (q.featured, q.category_id, q.teacher_id),
            (Some(false), Some(3), Some(4))
        );
        assert_eq!((q.price_min, q.price_max), (Some(300), Some(300)));
        assert_eq!(q.q.as_deref(), Some("go"));
    }

    #[test]
    fn course_filters_no_public_course_can_match_give_no_query() {
        assert!(course("status=draft").is_none());
        assert!(course("level=beginner&level=advanced").is_none());
        assert!(course("level=beginner&level=beginner").is_some());
        let errors =
            course_query(&pairs(Some("level=expert&featured=maybe&colour=red"))).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["colour"],
            "the grammar's errors come first, as in the engine"
        );
        let errors = course_query(&pairs(Some("level=expert&featured=maybe"))).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["level", "featured"]);
    }

    #[test]
    fn course_paging_and_order() {
        for name in COURSE.ordering {
            assert!(
                SortField::parse(name).is_some(),
                "{name} has no catalogue order"
            );
        }
        let q = course("limit=7&offset=30&sortby=title,-price").unwrap();
        assert_eq!((q.per_page, q.offset()), (7, 30));
        assert_eq!(
            q.sort.terms(),
            [
                SortTerm {
                    field: SortField::Title,
                    descending: false
                },
                SortTerm {
                    field: SortField::PriceCents,
                    descending: true
                },
            ]
        );
        let q = course("page=3&per_page=10").unwrap();
        assert_eq!((q.page, q.per_page, q.offset()), (3, 10, 20));
        // No sortby: the model's default order, as staff get it.
        assert_eq!(
            course("").unwrap().sort.terms(),
            [SortTerm {
                field: SortField::UpdatedAt,
                descending: true
            }]
        );
    }
}
