//! The SQL of a list: its conditions (visibility, filters, search), its order and the page's
//! select, with values bound as `$n` parameters.

use app::admin::{FieldKind, FieldSpec, ModelSpec};
use app::error::{AppError, FieldError};
use app::i18n::td_string;

use super::list::{Filter, FilterOp, ListQuery};
use super::sql::{like_pattern, Columns, Params, SqlValue};
use super::Visibility;
use crate::config::DatabaseKind;

/// The `WHERE` of a list, and whether it searches text.
pub struct Conditions {
    pub sql: String,
    pub searching: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}

impl Conditions {
    pub fn new(
        spec: &ModelSpec,
        visibility: &Visibility,
        query: &ListQuery,
        dialect: DatabaseKind,
        params: &mut Params,
    ) -> Result<Self, AppError> {
        let mut conds = vec!["1 = 1".to_string()];
        if spec.soft_delete {
            conds.push("deleted_at IS NULL".into());
        }
        if let Visibility::Public(condition) = visibility {
            conds.push(format!("({condition})"));
        }
        let mut errors = Vec::new();
        for filter in &query.filters {
            match filter_condition(spec, filter, params) {
                Ok(c) => conds.push(c),
                Err(message) => errors.push(FieldError::new(filter.field.as_str(), message)),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        // Last: SQLite tests the conditions in this order, and the cheap equalities above rule
        // out most rows before any text is searched.
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .and_then(|term| search_condition(spec, term, dialect, params));
        let searching = search.is_some();
        conds.extend(search);
        Ok(Self {
            sql: conds.join(" AND "),
            searching,
        })
    }
}

/// Any search field contains the term, ignoring case.
fn search_condition(
    spec: &ModelSpec,
    term: &str,
    dialect: DatabaseKind,
    params: &mut Params,
) -> Option<String> {
    if spec.search_fields.is_empty() {
        return None;
    }
    let p = params.push(SqlValue::Text(like_pattern(term)));
    let any: Vec<String> = spec
        .search_fields
        .iter()
        .map(|f| match dialect {
            // PostgreSQL's LIKE is case-sensitive. ILIKE lower-cases text and pattern like
            // lower() LIKE did, but the planner estimates it from the column's statistics:
            // 765 of 10,000 courses for a search that matched 499, where it guessed 81 for
            // lower(title) LIKE and so sorted every match instead of walking the order's
            // index until the page was full.
            DatabaseKind::Postgres => format!("{f} ILIKE {p} ESCAPE '\\'"),
            // SQLite's LIKE already ignores the case of ASCII letters, and its lower() folds
            // only those too, so lower() changed no answer; it was most of a search's time
            // (7 of 9 ms over 10,000 courses).
            DatabaseKind::Sqlite => format!("{f} LIKE {p} ESCAPE '\\'"),
        })
        .collect();
    Some(format!("({})", any.join(" OR ")))
}

fn filter_condition(
    spec: &ModelSpec,
    filter: &Filter,
    params: &mut Params,
) -> Result<String, String> {
    let (field, value) = filter_value(spec, filter)?;
    let op = match filter.op {
        FilterOp::Eq => "=",
        FilterOp::Min => ">=",
        FilterOp::Max => "<=",
    };
    let p = params.push(value);
    Ok(format!("{} {op} {p}", field.name))
}

/// A filter's field and its value as the column's type, or why the filter cannot apply (the
/// message a client sees). The catalogue's public course lists check their filters here too.
pub(crate) fn filter_value(
    spec: &ModelSpec,
    filter: &Filter,
) -> Result<(&'static FieldSpec, SqlValue), String> {
    let field = spec
        .field(&filter.field)
        .filter(|f| spec.filters.contains(&f.name))
        .ok_or_else(|| {
            let field = &filter.field;
            td_string!(
                app::locale::current(),
                errors.filter_field_unknown,
                field = field
            )
            .to_string()
        })?;
    let raw = filter.value.trim();
    let value = match field.kind {
        FieldKind::Bool => match raw {
            "true" | "1" => SqlValue::Bool(true),
            "false" | "0" => SqlValue::Bool(false),
            _ => return Err(td_string!(app::locale::current(), errors.must_bool).into()),
        },
        FieldKind::Int { .. } | FieldKind::Cents | FieldKind::ForeignKey(_) => SqlValue::Int(
            raw.parse()
                .map_err(|_| td_string!(app::locale::current(), errors.whole_number).to_string())?,
        ),
        FieldKind::Choice(options) if !options.contains(&raw) => {
            let options = options.join(", ");
            return Err(td_string!(
                app::locale::current(),
                errors.choice_one_of,
                options = options
            )
            .to_string());
        }
        _ => SqlValue::Text(raw.to_string()),
    };
    let numeric = matches!(field.kind, FieldKind::Int { .. } | FieldKind::Cents);
    if filter.op != FilterOp::Eq && !numeric {
        return Err(td_string!(app::locale::current(), errors.min_max_numbers).into());
    }
    Ok((field, value))
}

pub fn order_clause(spec: &ModelSpec, order: &[(String, bool)]) -> Result<String, AppError> {
    let keys: Vec<(String, bool)> = if order.is_empty() {
        let d = spec.default_order;
        vec![(d.trim_start_matches('-').to_string(), d.starts_with('-'))]
    } else {
        order.to_vec()
    };
    let mut parts = Vec::new();
    for (field, descending) in &keys {
        if !spec.ordering.contains(&field.as_str()) {
            return Err(AppError::Validation(vec![FieldError::new("sortby", {
                let options = spec.ordering.join(", ");
                td_string!(
                    app::locale::current(),
                    errors.sort_field_unknown,
                    field = field,
                    options = options
                )
                .to_string()
            })]));
        }
        parts.push(format!(
            "{field} {}",
            if *descending { "DESC" } else { "ASC" }
        ));
    }
    // A unique tie-breaker keeps pages stable.
    let last_desc = keys.last().is_some_and(|k| k.1);
    parts.push(format!("id {}", if last_desc { "DESC" } else { "ASC" }));
    Ok(parts.join(", "))
}

/// The select of one page. `columns.total` adds `COUNT(*) OVER ()`: every matching row,
/// counted before `LIMIT`.
pub fn page_sql(
    spec: &ModelSpec,
    columns: &Columns,
    where_sql: &str,
    order: &str,
    page: Page,
) -> String {
    let Page { limit, offset } = page;
    let select = columns.select_list();
    let table = spec.table;
    if offset == 0 || columns.total {
        // The window needs every matching row anyway: nothing to gain from ids first.
        let offset = if offset == 0 {
            String::new()
        } else {
            format!(" OFFSET {offset}")
        };
        format!(
            "SELECT {select} FROM {table} WHERE {where_sql} ORDER BY {order} LIMIT {limit}{offset}"
        )
    } else {
        // Ids first: the rows OFFSET skips are walked as narrow (key, id) entries (in the
        // order's index when it has one, else sorted), and only the page's rows are read
        // whole. Reading whole rows only to skip them made the last of 200 pages of courses
        // a hundred times slower than the first.
        format!(
            "SELECT {select} FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {where_sql} \
             ORDER BY {order} LIMIT {limit} OFFSET {offset}) ORDER BY {order}"
        )
    }
}
