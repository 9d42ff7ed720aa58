//! Create and edit forms: fields with their current values and choices, inline child rows, and
//! saving submitted form values through the model engine (which validates and audits).

use app::admin::{FieldKind, FieldSpec, ModelSpec};
use app::domain::Principal;
use app::dto::admin::{AdminField, AdminForm, AdminInline};
use app::error::AppError;
use serde_json::Value;

use super::labels::{self, tr};
use super::{display, Admin};
use crate::model_engine::{Filter, FilterOp, ListQuery, Record};

impl Admin {
    pub(super) async fn form_page(
        &self,
        who: &Principal,
        model: &str,
        id: Option<i64>,
    ) -> Result<AdminForm, AppError> {
        let spec = self.spec(model)?;
        let record = match id {
            None => {
                who.require(&spec.permission("add"))?;
                None
            }
            Some(id) => {
                who.require(&spec.permission("view"))?;
                Some(self.models.get(Some(who), spec.name, id).await?)
            }
        };
        let mut fields = Vec::new();
        for field in spec.fields {
            // Read-only values do not exist yet on the create page.
            if field.read_only && record.is_none() {
                continue;
            }
            fields.push(self.field(who, field, record.as_ref()).await?);
        }
        let mut inlines = Vec::new();
        if let Some(id) = id {
            for inline in spec.inlines {
                let Some(child) = app::admin::find(inline.model) else {
                    continue;
                };
                if !who.has(&child.permission("view")) {
                    continue;
                }
                inlines.push(self.inline(who, child, inline.parent_field, id).await?);
            }
        }
        Ok(AdminForm {
            plural: spec.plural.into(),
            label: tr(spec.label).into(),
            id,
            repr: record
                .as_ref()
                .and_then(|r| r.get(spec.repr))
                .map(|v| display::input_value(Some(v)))
                .unwrap_or_default(),
            fields,
            inlines,
            // A model without a writable field (orders, payments) is shown, never saved.
            can_save: who.has(&spec.permission(if id.is_some() { "change" } else { "add" }))
                && spec.writable().next().is_some(),
            can_delete: id.is_some() && who.has(&spec.permission("delete")) && spec.deletable(),
        })
    }

    async fn field(
        &self,
        who: &Principal,
        field: &FieldSpec,
        record: Option<&Record>,
    ) -> Result<AdminField, AppError> {
        let options = match field.kind {
            FieldKind::Choice(values) => labels::choice_options(values),
            FieldKind::ForeignKey(target) => match app::admin::find(target) {
                Some(target) => self.choices(who, target).await?,
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        let help = if field.kind.is_masked() && record.is_some() {
            tr(labels::KEEP_SECRET).to_string()
        } else {
            tr(field.help).to_string()
        };
        Ok(AdminField {
            name: field.name.into(),
            label: tr(field.label).into(),
            input: display::input_kind(field).into(),
            value: display::input_value(record.and_then(|r| r.get(field.name))),
            options,
            // A password is required on the create page only.
            required: field.required && (!field.kind.is_masked() || record.is_none()),
            read_only: field.read_only,
            help,
        })
    }

    async fn inline(
        &self,
        who: &Principal,
        child: &'static ModelSpec,
        parent_field: &str,
        parent_id: i64,
    ) -> Result<AdminInline, AppError> {
        let query = ListQuery {
            filters: vec![Filter {
                field: parent_field.into(),
                op: FilterOp::Eq,
                value: parent_id.to_string(),
            }],
            limit: 500,
            ..Default::default()
        };
        let page = self
            .models
            .list_fields(Some(who), child.name, &query, &[child.repr])
            .await?;
        let rows = page
            .rows
            .iter()
            .map(|r| {
                let id = r.get("id").and_then(Value::as_i64).unwrap_or_default();
                (id, display::input_value(r.get(child.repr)))
            })
            .collect();
        let mut new_row = Vec::new();
        for field in child.writable() {
            let mut f = self.field(who, field, None).await?;
            if field.name == parent_field {
                f.value = parent_id.to_string();
                f.input = "hidden".into();
                f.options.clear();
            }
            new_row.push(f);
        }
        Ok(AdminInline {
            plural: child.plural.into(),
            label_plural: tr(child.label_plural).into(),
            parent_field: parent_field.into(),
            rows,
            new_row,
            can_add: who.has(&child.permission("add")) && child.writable().next().is_some(),
        })
    }

    pub(super) async fn save_form(
        &self,
        who: &Principal,
        model: &str,
        id: Option<i64>,
        values: Vec<(String, String)>,
        ip: Option<&str>,
    ) -> Result<i64, AppError> {
        let spec = self.spec(model)?;
        let input = record_from_form(spec, &values);
        let saved = match id {
            None => self.models.create(who, spec.name, input, ip).await?,
            Some(id) => {
                self.models
                    .update(who, spec.name, id, input, true, ip)
                    .await?
            }
        };
        saved
            .get("id")
            .and_then(Value::as_i64)
            .ok_or(AppError::Internal)
    }
}

/// Form values as the engine's input. An unchecked checkbox sends nothing, so a missing flag
/// means "no"; a blank password keeps the current one; blank numbers and choices keep their
/// default.
fn record_from_form(spec: &ModelSpec, values: &[(String, String)]) -> Record {
    let get = |name: &str| {
        values
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut input = Record::new();
    for field in spec.writable() {
        let raw = get(field.name);
        let value = match field.kind {
            FieldKind::Bool => Some(Value::Bool(matches!(raw, Some("on" | "true")))),
            FieldKind::Password | FieldKind::Secret { .. } => {
                raw.filter(|v| !v.is_empty()).map(Value::from)
            }
            // Blank optional numbers and choices keep their default (a blank text stays blank).
            FieldKind::Int { .. } | FieldKind::Cents | FieldKind::Choice(_)
                if !field.nullable && !field.required =>
            {
                raw.filter(|v| !v.trim().is_empty()).map(Value::from)
            }
            _ => raw.map(Value::from),
        };
        // A missing required field is left out, so the engine answers "this field is required".
        if let Some(v) = value {
            input.insert(field.name.into(), v);
        }
    }
    input
}
