//! What a visitor asks of the public course list: filters, search, sort and page.
//!
//! One query type for the pages and the REST API, read by one catalogue service and one SQL
//! builder (`server/src/db/catalog.rs`), so both answer the same courses in the same order.
//! Each has its own grammar: the page's [`CourseQuery::parse`] clamps and explains (it always
//! yields a usable query plus the problems it worked around: a shared link never breaks), the
//! API's (`server/src/rest/params.rs`) refuses anything it does not understand with a 400.

use serde::{Deserialize, Serialize};

use super::Level;
use crate::error::FieldError;

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 100;
/// Longer searches are truncated: nobody types 200 characters into a course search.
pub const MAX_SEARCH_CHARS: usize = 100;

/// A column a course list can be ordered by (the API's `sortby` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    Title,
    PriceCents,
    EnrollmentCount,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

impl SortField {
    pub const ALL: [SortField; 6] = [
        SortField::Title,
        SortField::PriceCents,
        SortField::EnrollmentCount,
        SortField::PublishedAt,
        SortField::CreatedAt,
        SortField::UpdatedAt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortField::Title => "title",
            SortField::PriceCents => "price_cents",
            SortField::EnrollmentCount => "enrollment_count",
            SortField::PublishedAt => "published_at",
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        SortField::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// One key of an order: the column and whether it runs descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SortTerm {
    pub field: SortField,
    pub descending: bool,
}

/// How a course list is ordered: one of the four orders the page offers, or the keys an API
/// client named (`sortby=title,-price_cents`). Either way ties are broken by id, in the
/// direction of the last key, so pages never overlap.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    Newest,
    Popular,
    PriceAsc,
    PriceDesc,
    /// Explicit keys, first to last (the API's `sortby`); never empty.
    By(Vec<SortTerm>),
}

impl SortKey {
    /// The orders the page offers.
    pub const ALL: [SortKey; 4] = [
        SortKey::Newest,
        SortKey::Popular,
        SortKey::PriceAsc,
        SortKey::PriceDesc,
    ];

    /// The page's name of this order; `None` for explicit API keys.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            SortKey::Newest => Some("newest"),
            SortKey::Popular => Some("popular"),
            SortKey::PriceAsc => Some("price_asc"),
            SortKey::PriceDesc => Some("price_desc"),
            SortKey::By(_) => None,
        }
    }

    /// The order's name in `locale` (empty for an API-only ordering).
    pub fn label(&self, locale: crate::locale::Locale) -> &'static str {
        use crate::i18n::td_string;
        match self {
            SortKey::Newest => td_string!(locale, catalog.sort_newest),
            SortKey::Popular => td_string!(locale, catalog.sort_popular),
            SortKey::PriceAsc => td_string!(locale, catalog.sort_price_asc),
            SortKey::PriceDesc => td_string!(locale, catalog.sort_price_desc),
            SortKey::By(_) => "",
        }
    }

    /// The keys this order sorts by, first to last (the id tie-breaker not included).
    pub fn terms(&self) -> Vec<SortTerm> {
        let term = |field, descending| SortTerm { field, descending };
        match self {
            SortKey::Newest => vec![term(SortField::PublishedAt, true)],
            SortKey::Popular => vec![term(SortField::EnrollmentCount, true)],
            SortKey::PriceAsc => vec![term(SortField::PriceCents, false)],
            SortKey::PriceDesc => vec![term(SortField::PriceCents, true)],
            SortKey::By(terms) => terms.clone(),
        }
    }

    fn parse(s: &str) -> Option<Self> {
        SortKey::ALL
            .into_iter()
            .find(|k| k.name() == Some(s.trim()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PriceFilter {
    Free,
    Paid,
}

impl PriceFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceFilter::Free => "free",
            PriceFilter::Paid => "paid",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CourseQuery {
    /// Direction slug.
    pub direction: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    pub level: Option<Level>,
    pub price: Option<PriceFilter>,
    /// Searched, as one literal text ignoring case, in titles, slugs and summaries (see
    /// `server/src/db/catalog.rs`; the API's `search` means the same).
    pub q: Option<String>,
    /// Filters only the API offers: a category or teacher by id, the featured flag, and a
    /// price range in cents (both ends included).
    pub category_id: Option<i64>,
    pub teacher_id: Option<i64>,
    pub featured: Option<bool>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub sort: SortKey,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
    /// Rows to skip, when an API client paged by `limit`/`offset` (`per_page` is then the
    /// limit); `None`: `(page - 1) * per_page`.
    pub offset: Option<u64>,
}

impl Default for CourseQuery {
    fn default() -> Self {
        Self {
            direction: None,
            category: None,
            level: None,
            price: None,
            q: None,
            category_id: None,
            teacher_id: None,
            featured: None,
            price_min: None,
            price_max: None,
            sort: SortKey::default(),
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            offset: None,
        }
    }
}

/// A slug as stored: lowercase ASCII letters, digits and dashes, at most 80 characters.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl CourseQuery {
    /// Builds a query from URL parameters. Unknown keys are ignored; a bad value is replaced by
    /// its default (or clamped) and reported, so a shared link never breaks the page.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (Self, Vec<FieldError>) {
        use crate::i18n::td_string;
        let loc = crate::locale::current();
        let mut query = CourseQuery::default();
        let mut problems = Vec::new();
        for (key, raw) in pairs {
            let value = raw.trim();
            if value.is_empty() {
                continue;
            }
            match key {
                "direction" | "category" => {
                    if is_slug(value) {
                        let slot = if key == "direction" {
                            &mut query.direction
                        } else {
                            &mut query.category
                        };
                        *slot = Some(value.to_string());
                    } else {
                        problems.push(FieldError::new(
                            key,
                            td_string!(loc, errors.filter_invalid, value = value, key = key)
                                .to_string(),
                        ));
                    }
                }
                "level" => match value.parse::<Level>() {
                    Ok(level) => query.level = Some(level),
                    Err(msg) => problems.push(FieldError::new("level", msg)),
                },
                "price" => match value {
                    "free" => query.price = Some(PriceFilter::Free),
                    "paid" => query.price = Some(PriceFilter::Paid),
                    _ => problems.push(FieldError::new(
                        "price",
                        td_string!(loc, errors.price_unknown, value = value).to_string(),
                    )),
                },
                // Control characters (a NUL above all: PostgreSQL's text cannot hold one) match
                // no title; the search ignores them and says so.
                "q" if value.chars().any(char::is_control) => {
                    problems.push(FieldError::new("q", td_string!(loc, errors.search_control)))
                }
                "q" => query.q = Some(value.chars().take(MAX_SEARCH_CHARS).collect()),
                "sort" => match SortKey::parse(value) {
                    Some(sort) => query.sort = sort,
                    None => problems.push(FieldError::new(
                        "sort",
                        td_string!(loc, errors.sort_unknown, value = value).to_string(),
                    )),
                },
                "page" => match value.parse::<u32>() {
                    Ok(0) => {
                        problems.push(FieldError::new("page", td_string!(loc, errors.page_zero)))
                    }
                    Ok(page) => query.page = page,
                    Err(_) => problems.push(FieldError::new(
                        "page",
                        td_string!(loc, errors.page_invalid, value = value).to_string(),
                    )),
                },
                "per_page" => match value.parse::<u32>() {
                    Ok(0) => problems.push(FieldError::new(
                        "per_page",
                        td_string!(loc, errors.per_page_zero),
                    )),
                    Ok(n) if n > MAX_PER_PAGE => {
                        query.per_page = MAX_PER_PAGE;
                        problems.push(FieldError::new(
                            "per_page",
                            td_string!(loc, errors.per_page_max, n = MAX_PER_PAGE).to_string(),
                        ));
                    }
                    Ok(n) => query.per_page = n,
                    Err(_) => problems.push(FieldError::new(
                        "per_page",
                        td_string!(loc, errors.number_invalid, value = value).to_string(),
                    )),
                },
                _ => {}
            }
        }
        (query, problems)
    }

    /// Row offset of the first course on this page, without overflow for absurd page numbers.
    pub fn offset(&self) -> u64 {
        self.offset
            .unwrap_or(u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page))
    }

    /// The query as page URL parameters (the API-only filters have none), defaults left out, in a fixed order (so equal queries give
    /// equal URLs, which the page cache relies on).
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if let Some(d) = &self.direction {
            parts.push(("direction", d.clone()));
        }
        if let Some(c) = &self.category {
            parts.push(("category", c.clone()));
        }
        if let Some(l) = self.level {
            parts.push(("level", l.as_str().into()));
        }
        if let Some(p) = self.price {
            parts.push(("price", p.as_str().into()));
        }
        if let Some(q) = &self.q {
            parts.push(("q", q.clone()));
        }
        // Explicit API keys have no page parameter: such a query is never turned into a link.
        if let Some(name) = self.sort.name().filter(|_| self.sort != SortKey::default()) {
            parts.push(("sort", name.into()));
        }
        if self.page != 1 {
            parts.push(("page", self.page.to_string()));
        }
        if self.per_page != DEFAULT_PER_PAGE {
            parts.push(("per_page", self.per_page.to_string()));
        }
        parts
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode_component(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `/courses?…` for this query.
    pub fn href(&self) -> String {
        let qs = self.to_query_string();
        if qs.is_empty() {
            "/courses".into()
        } else {
            format!("/courses?{qs}")
        }
    }

    /// A copy with a change applied and the page reset to 1 (a new filter starts at the top).
    pub fn with(&self, change: impl FnOnce(&mut CourseQuery)) -> CourseQuery {
        let mut next = self.clone();
        change(&mut next);
        next.page = 1;
        next
    }

    pub fn at_page(&self, page: u32) -> CourseQuery {
        CourseQuery {
            page,
            ..self.clone()
        }
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        let (q, problems) = CourseQuery::parse([]);
        assert_eq!(q, CourseQuery::default());
        assert!(problems.is_empty());
    }

    #[test]
    fn clamps_and_reports_bad_values() {
        let (q, problems) = CourseQuery::parse([
            ("page", "0"),
            ("per_page", "10000"),
            ("sort", "cheapest"),
            ("level", "<script>"),
            ("direction", "Py thon!"),
            ("price", "maybe"),
        ]);
        assert_eq!(q.page, 1);
        assert_eq!(q.per_page, MAX_PER_PAGE);
        assert_eq!(q.sort, SortKey::Newest);
        assert_eq!(q.level, None);
        assert_eq!(q.direction, None);
        assert_eq!(q.price, None);
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["page", "per_page", "sort", "level", "direction", "price"]
        );
    }

    #[test]
    fn a_search_with_control_characters_is_ignored_with_a_notice() {
        let (q, notices) = CourseQuery::parse([("q", "ru\u{0}st")]);
        assert_eq!(q.q, None);
        assert_eq!(notices[0].field, "q");
    }

    #[test]
    fn round_trips_through_the_url() {
        let (q, _) = CourseQuery::parse([
            ("q", "rust & go"),
            ("level", "advanced"),
            ("sort", "price_desc"),
            ("page", "3"),
        ]);
        assert_eq!(
            q.to_query_string(),
            "level=advanced&q=rust%20%26%20go&sort=price_desc&page=3"
        );
        assert_eq!(q.with(|q| q.price = Some(PriceFilter::Free)).page, 1);
    }

    #[test]
    fn huge_pages_do_not_overflow() {
        let q = CourseQuery {
            page: u32::MAX,
            per_page: MAX_PER_PAGE,
            ..Default::default()
        };
        assert!(q.offset() > 0);
    }

    #[test]
    fn search_is_bounded() {
        let long = "a".repeat(500);
        let (q, _) = CourseQuery::parse([("q", long.as_str())]);
        assert_eq!(q.q.map(|s| s.len()), Some(MAX_SEARCH_CHARS));
    }
}
