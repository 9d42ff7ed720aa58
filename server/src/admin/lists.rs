//! The change list: columns, filters, search, sorting, paging and the actions a user may run.

use app::admin::{FieldKind, ModelSpec};
use app::domain::Principal;
use app::dto::admin::{
    AdminActionView, AdminColumn, AdminFilter, AdminList, AdminListQuery, AdminRow,
};
use app::error::AppError;

use super::labels::{self, tr};
use super::{display, Admin, PER_PAGE};
use crate::db::records;
use crate::error::ResultExt;
use crate::model_engine::{Filter, FilterOp, Labels, ListQuery, ModelService};

impl Admin {
    pub(super) async fn list_page(
        &self,
        who: &Principal,
        model: &str,
        query: AdminListQuery,
    ) -> Result<AdminList, AppError> {
        let spec = self.spec(model)?;
        who.require(&spec.permission("view"))?;
        let page = query.page.max(1);
        let list_query = ListQuery {
            search: query.search.clone(),
            filters: filters(spec, &query.filters),
            order: query
                .sort
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| vec![(s.trim_start_matches('-').to_string(), s.starts_with('-'))])
                .unwrap_or_default(),
            offset: u64::from(page - 1) * u64::from(PER_PAGE),
            limit: u64::from(PER_PAGE),
        };
        let result = self
            .models
            .list_fields(Some(who), spec.name, &list_query, spec.list_display)
            .await?;
        let (filters, known) = self.filter_panel(who, spec).await?;
        let labels = self.models.labels(who, spec, &result.rows, known).await?;
        let empty = Default::default();
        let rows = result
            .rows
            .iter()
            .map(|record| AdminRow {
                id: record
                    .get("id")
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or_default(),
                cells: spec
                    .list_display
                    .iter()
                    .filter_map(|name| spec.field(name))
                    .map(|f| {
                        display::cell(f, record.get(f.name), labels.get(f.name).unwrap_or(&empty))
                    })
                    .collect(),
            })
            .collect();
        Ok(AdminList {
            plural: spec.plural.into(),
            label: tr(spec.label).into(),
            label_plural: tr(spec.label_plural).into(),
            columns: spec
                .list_display
                .iter()
                .filter_map(|name| spec.field(name))
                .map(|f| AdminColumn {
                    name: f.name.into(),
                    label: tr(f.label).into(),
                    sortable: spec.ordering.contains(&f.name),
                })
                .collect(),
            rows,
            count: result.count,
            page,
            per_page: PER_PAGE,
            filters,
            actions: spec
                .actions
                .iter()
                .filter(|a| who.has(a.permission))
                .map(|a| AdminActionView {
                    name: a.name.into(),
                    label: tr(a.label).into(),
                    confirm: a.confirm,
                })
                .collect(),
            can_add: who.has(&spec.permission("add")) && spec.writable().next().is_some(),
            searchable: !spec.search_fields.is_empty(),
        })
    }

    /// The filters, and the names the foreign-key filters' options give (so the rows' keys that
    /// are among them need no second lookup).
    async fn filter_panel(
        &self,
        who: &Principal,
        spec: &ModelSpec,
    ) -> Result<(Vec<AdminFilter>, Labels), AppError> {
        let mut out = Vec::new();
        let mut known = Labels::new();
        for name in spec.filters {
            let Some(field) = spec.field(name) else {
                continue;
            };
            let options = match field.kind {
                FieldKind::Bool => {
                    vec![
                        ("true".into(), tr(labels::YES).into()),
                        ("false".into(), tr(labels::NO).into()),
                    ]
                }
                FieldKind::Choice(values) => labels::choice_options(values),
                FieldKind::ForeignKey(target) => match app::admin::find(target) {
                    Some(target) => {
                        let options = self.choices(who, target).await?;
                        known.insert(
                            field.name,
                            options
                                .iter()
                                .filter_map(|(id, name)| Some((id.parse().ok()?, name.clone())))
                                .collect(),
                        );
                        options
                    }
                    None => Vec::new(),
                },
                // Numbers get min/max inputs instead of options.
                _ => Vec::new(),
            };
            out.push(AdminFilter {
                field: field.name.into(),
                label: tr(field.label).into(),
                options,
            });
        }
        Ok((out, known))
    }

    /// `(id, name)` of a model's rows that `who` may see, for selects (the first 500 by name).
    pub(super) async fn choices(
        &self,
        who: &Principal,
        target: &ModelSpec,
    ) -> Result<Vec<(String, String)>, AppError> {
        let Some(readable) = ModelService::readable_rows(target, Some(who)) else {
            return Ok(Vec::new());
        };
        let alive = if target.soft_delete {
            " AND deleted_at IS NULL"
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, CAST({repr} AS TEXT) FROM {table} WHERE 1 = 1{alive}{readable} \
             ORDER BY {repr} LIMIT 500",
            repr = target.repr,
            table = target.table
        );
        let pairs = records::labels(&self.db, &sql, &[])
            .await
            .db_err(target.name)?;
        Ok(pairs
            .into_iter()
            .map(|(id, l)| (id.to_string(), l))
            .collect())
    }

    pub(super) fn spec(&self, model: &str) -> Result<&'static ModelSpec, AppError> {
        self.models
            .spec(model)
            .ok_or_else(|| AppError::NotFound("page".into()))
    }
}

/// `price_cents_min=100` → `price_cents >= 100`; blanks are "no filter".
fn filters(spec: &ModelSpec, raw: &[(String, String)]) -> Vec<Filter> {
    raw.iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(name, value)| {
            let (field, op) = match (name.strip_suffix("_min"), name.strip_suffix("_max")) {
                (Some(base), _) if spec.field(base).is_some() => (base, FilterOp::Min),
                (_, Some(base)) if spec.field(base).is_some() => (base, FilterOp::Max),
                _ => (name.as_str(), FilterOp::Eq),
            };
            Filter {
                field: field.into(),
                op,
                value: value.clone(),
            }
        })
        .collect()
}
