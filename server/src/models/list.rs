//! Reading: filtered, searched, ordered pages of a model, and single rows.

use app::admin::{FieldKind, ModelSpec};
use app::domain::Principal;
use app::error::{AppError, FieldError};

use super::sql::{like_pattern, select_list, Params, SqlValue};
use super::{ModelService, Record, Visibility};
use crate::db::records;
use crate::error::ResultExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    /// `field >= value` (numbers).
    Min,
    /// `field <= value` (numbers).
    Max,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: String,
    pub op: FilterOp,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub search: Option<String>,
    pub filters: Vec<Filter>,
    /// `(field, descending)`; empty for the model's default order.
    pub order: Vec<(String, bool)>,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    pub count: u64,
    pub rows: Vec<Record>,
}

/// The most rows one page may hold.
pub const MAX_LIMIT: u64 = 500;

impl ModelService {
    #[tracing::instrument(skip(self, who, query), fields(user = who.map(|p| p.user_id)))]
    pub async fn list(
        &self,
        who: Option<&Principal>,
        model: &str,
        query: &ListQuery,
    ) -> Result<ListPage, AppError> {
        let spec = self.spec_or_404(model)?;
        let visibility = Self::visibility(spec, who)?;
        let mut params = Params::default();
        let where_sql = where_clause(spec, &visibility, query, &mut params)?;
        let order_sql = order_clause(spec, &query.order)?;
        let limit = query.limit.clamp(1, MAX_LIMIT);
        let count_sql = format!("SELECT COUNT(*) FROM {} WHERE {where_sql}", spec.table);
        let count = records::scalar(self.db(), &count_sql, &params.values)
            .await
            .db_err(spec.name)?;
        let page_sql = format!(
            "SELECT {} FROM {} WHERE {where_sql} ORDER BY {order_sql} LIMIT {limit} OFFSET {}",
            select_list(spec),
            spec.table,
            query.offset.min(i64::MAX as u64),
        );
        let rows = records::fetch(self.db(), spec, &page_sql, &params.values)
            .await
            .db_err(spec.name)?;
        Ok(ListPage {
            count: u64::try_from(count).unwrap_or(0),
            rows: rows.into_iter().map(|d| d.record).collect(),
        })
    }

    /// One row; `Gone` when it was soft-deleted, `NotFound` when absent or not visible.
    #[tracing::instrument(skip(self, who), fields(user = who.map(|p| p.user_id)))]
    pub async fn get(
        &self,
        who: Option<&Principal>,
        model: &str,
        id: i64,
    ) -> Result<Record, AppError> {
        let spec = self.spec_or_404(model)?;
        let visibility = Self::visibility(spec, who)?;
        let public = match visibility {
            Visibility::All => String::new(),
            Visibility::Public(condition) => format!(" AND ({condition})"),
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE id = $1{public}",
            select_list(spec),
            spec.table
        );
        let row = self.fetch_one(spec, &sql, id).await?;
        Ok(row)
    }

    pub(crate) async fn fetch_one(
        &self,
        spec: &ModelSpec,
        sql: &str,
        id: i64,
    ) -> Result<Record, AppError> {
        let mut rows = records::fetch(self.db(), spec, sql, &[SqlValue::Int(id)])
            .await
            .db_err(spec.name)?;
        match rows.pop() {
            None => Err(AppError::NotFound(spec.name.into())),
            Some(d) if d.deleted => Err(AppError::Gone(spec.name.into())),
            Some(d) => Ok(d.record),
        }
    }
}

fn where_clause(
    spec: &ModelSpec,
    visibility: &Visibility,
    query: &ListQuery,
    params: &mut Params,
) -> Result<String, AppError> {
    let mut conds = vec!["1 = 1".to_string()];
    if spec.soft_delete {
        conds.push("deleted_at IS NULL".into());
    }
    if let Visibility::Public(condition) = visibility {
        conds.push(format!("({condition})"));
    }
    if let Some(term) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let p = params.push(SqlValue::Text(like_pattern(term)));
        let any: Vec<String> = spec
            .search_fields
            .iter()
            .map(|f| format!("lower({f}) LIKE {p} ESCAPE '\\'"))
            .collect();
        if !any.is_empty() {
            conds.push(format!("({})", any.join(" OR ")));
        }
    }
    let mut errors = Vec::new();
    for filter in &query.filters {
        match filter_condition(spec, filter, params) {
            Ok(c) => conds.push(c),
            Err(message) => errors.push(FieldError::new(filter.field.as_str(), message)),
        }
    }
    if errors.is_empty() {
        Ok(conds.join(" AND "))
    } else {
        Err(AppError::Validation(errors))
    }
}

fn filter_condition(
    spec: &ModelSpec,
    filter: &Filter,
    params: &mut Params,
) -> Result<String, String> {
    let field = spec
        .field(&filter.field)
        .filter(|f| spec.filters.contains(&f.name))
        .ok_or_else(|| format!("cannot filter by {}", filter.field))?;
    let raw = filter.value.trim();
    let value = match field.kind {
        FieldKind::Bool => match raw {
            "true" | "1" => SqlValue::Bool(true),
            "false" | "0" => SqlValue::Bool(false),
            _ => return Err("must be true or false".into()),
        },
        FieldKind::Int { .. } | FieldKind::Cents | FieldKind::ForeignKey(_) => SqlValue::Int(
            raw.parse()
                .map_err(|_| "must be a whole number".to_string())?,
        ),
        FieldKind::Choice(options) if !options.contains(&raw) => {
            return Err(format!("must be one of: {}", options.join(", ")))
        }
        _ => SqlValue::Text(raw.to_string()),
    };
    let numeric = matches!(field.kind, FieldKind::Int { .. } | FieldKind::Cents);
    let op = match filter.op {
        FilterOp::Eq => "=",
        FilterOp::Min if numeric => ">=",
        FilterOp::Max if numeric => "<=",
        _ => return Err("only numbers have _min and _max".into()),
    };
    let p = params.push(value);
    Ok(format!("{} {op} {p}", field.name))
}

fn order_clause(spec: &ModelSpec, order: &[(String, bool)]) -> Result<String, AppError> {
    let keys: Vec<(String, bool)> = if order.is_empty() {
        let d = spec.default_order;
        vec![(d.trim_start_matches('-').to_string(), d.starts_with('-'))]
    } else {
        order.to_vec()
    };
    let mut parts = Vec::new();
    for (field, descending) in &keys {
        if !spec.ordering.contains(&field.as_str()) {
            return Err(AppError::Validation(vec![FieldError::new(
                "sortby",
                format!(
                    "cannot sort by {field}; choose from {}",
                    spec.ordering.join(", ")
                ),
            )]));
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
