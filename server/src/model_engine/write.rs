//! Writing: create, change (full or partial), delete and bulk actions, each audited.

use app::admin::{FieldKind, ModelSpec};
use app::domain::Principal;
use app::error::AppError;
use app::i18n::td_string;
use chrono::Utc;
use serde_json::{json, Value};

use super::input::{self, Assignments, Mode};
use super::sql::{Columns, Params, SqlValue};
use super::{hooks, ModelService, Record};
use crate::db::{audit, records};
use crate::error::ResultExt;

impl ModelService {
    #[tracing::instrument(skip(self, who, input), fields(user = who.user_id))]
    pub async fn create(
        &self,
        who: &Principal,
        model: &str,
        input: Record,
        ip: Option<&str>,
    ) -> Result<Record, AppError> {
        let spec = self.spec_or_404(model)?;
        who.require(&spec.permission("add"))?;
        if spec.writable().next().is_none() {
            return Err(AppError::BadRequest(format!(
                "{} are defined by the application, not created here",
                spec.label_plural.to_lowercase()
            )));
        }
        let mut values = input::parse(spec, &input, Mode::Create).map_err(AppError::Validation)?;
        hooks::before_write(self, who, spec, None, &mut values).await?;
        self.check_references(&values).await?;
        let now = SqlValue::Time(Utc::now());
        let mut columns = Vec::new();
        let mut params = Params::default();
        let mut placeholders = Vec::new();
        for (field, value) in &values {
            columns.push(field.name);
            placeholders.push(params.push(value.clone()));
        }
        for stamp in ["created_at", "updated_at"] {
            if spec.field(stamp).is_some() || (stamp == "updated_at" && spec.has_updated_at) {
                columns.push(stamp);
                placeholders.push(params.push(now.clone()));
            }
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING id",
            spec.table,
            columns.join(", "),
            placeholders.join(", ")
        );
        let id = records::scalar(self.db(), &sql, &params.values)
            .await
            .db_err(spec.name)?;
        let record = self.read_back(spec, id).await?;
        let changes: serde_json::Map<String, Value> = values
            .iter()
            .filter(|(f, _)| !f.kind.is_masked())
            .map(|(f, _)| {
                let to = record.get(f.name).cloned().unwrap_or(Value::Null);
                (f.name.to_string(), json!({ "from": null, "to": to }))
            })
            .collect();
        self.audit(who, "create", spec, &record, changes, ip)
            .await?;
        hooks::after_write(self, spec, id, &values).await;
        if let Some(listener) = &self.content {
            listener.created(spec.name, id).await;
        }
        self.as_seen_by(who, spec, record).await
    }

    #[tracing::instrument(skip(self, who, input), fields(user = who.user_id))]
    pub async fn update(
        &self,
        who: &Principal,
        model: &str,
        id: i64,
        input: Record,
        partial: bool,
        ip: Option<&str>,
    ) -> Result<Record, AppError> {
        let spec = self.spec_or_404(model)?;
        who.require(&spec.permission("change"))?;
        let mode = if partial { Mode::Patch } else { Mode::Replace };
        let values = input::parse(spec, &input, mode).map_err(AppError::Validation)?;
        let record = self.apply(who, spec, id, values, ip).await?;
        self.as_seen_by(who, spec, record).await
    }

    /// A written row as its writer may read it: one who may change lessons but not view them
    /// gets the gated fields as a reader would, not a way around the content rule.
    async fn as_seen_by(
        &self,
        who: &Principal,
        spec: &'static ModelSpec,
        record: Record,
    ) -> Result<Record, AppError> {
        if who.has(&spec.permission("view")) {
            return Ok(record);
        }
        let mut rows = [record];
        hooks::after_public_read(self, Some(who), spec, &mut rows).await?;
        let [record] = rows;
        Ok(record)
    }

    /// Sets already-parsed values on one row (shared by `update` and bulk actions).
    async fn apply(
        &self,
        who: &Principal,
        spec: &'static ModelSpec,
        id: i64,
        mut values: Assignments,
        ip: Option<&str>,
    ) -> Result<Record, AppError> {
        let before = self.read_back(spec, id).await?;
        hooks::before_write(self, who, spec, Some(&before), &mut values).await?;
        self.check_references(&values).await?;
        // Only what really changes is written and audited.
        values.retain(|(f, v)| f.kind.is_masked() || before.get(f.name) != Some(&v.to_json()));
        if values.is_empty() {
            return Ok(before);
        }
        let mut params = Params::default();
        let mut sets: Vec<String> = values
            .iter()
            .map(|(f, v)| format!("{} = {}", f.name, params.push(v.clone())))
            .collect();
        if spec.has_updated_at {
            sets.push(format!(
                "updated_at = {}",
                params.push(SqlValue::Time(Utc::now()))
            ));
        }
        let id_param = params.push(SqlValue::Int(id));
        let sql = format!(
            "UPDATE {} SET {} WHERE id = {id_param}",
            spec.table,
            sets.join(", ")
        );
        records::execute(self.db(), &sql, &params.values)
            .await
            .db_err(spec.name)?;
        let after = self.read_back(spec, id).await?;
        let changes = values
            .iter()
            .map(|(f, _)| {
                let change = if f.kind.is_masked() {
                    json!({ "from": "***", "to": "***" })
                } else {
                    json!({ "from": before.get(f.name), "to": after.get(f.name) })
                };
                (f.name.to_string(), change)
            })
            .collect();
        self.audit(who, "change", spec, &after, changes, ip).await?;
        hooks::after_write(self, spec, id, &values).await;
        Ok(after)
    }

    #[tracing::instrument(skip(self, who), fields(user = who.user_id))]
    pub async fn delete(
        &self,
        who: &Principal,
        model: &str,
        id: i64,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        let spec = self.spec_or_404(model)?;
        who.require(&spec.permission("delete"))?;
        if !spec.deletable() {
            return Err(AppError::Forbidden);
        }
        let before = self.read_back(spec, id).await?;
        hooks::before_delete(self, who, spec, id).await?;
        let (sql, values) = if spec.soft_delete {
            (
                format!(
                    "UPDATE {} SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
                    spec.table
                ),
                vec![SqlValue::Time(Utc::now()), SqlValue::Int(id)],
            )
        } else {
            (
                format!("DELETE FROM {} WHERE id = $1", spec.table),
                vec![SqlValue::Int(id)],
            )
        };
        records::execute(self.db(), &sql, &values)
            .await
            .db_err(spec.name)?;
        self.audit(who, "delete", spec, &before, Default::default(), ip)
            .await?;
        hooks::after_delete(self, spec, id).await;
        Ok(())
    }

    /// Runs a declared bulk action on the selected rows; returns how many it changed.
    #[tracing::instrument(skip(self, who, ids), fields(user = who.user_id, n = ids.len()))]
    pub async fn apply_action(
        &self,
        who: &Principal,
        model: &str,
        action: &str,
        ids: &[i64],
        ip: Option<&str>,
    ) -> Result<usize, AppError> {
        let spec = self.spec_or_404(model)?;
        let action = spec
            .actions
            .iter()
            .find(|a| a.name == action)
            .ok_or_else(|| {
                AppError::BadRequest(
                    td_string!(
                        app::locale::current(),
                        errors.action_unknown,
                        action = action
                    )
                    .to_string(),
                )
            })?;
        who.require(action.permission)?;
        if ids.is_empty() {
            return Err(AppError::BadRequest(
                td_string!(app::locale::current(), errors.select_rows).into(),
            ));
        }
        let mut done = 0;
        for &id in ids {
            if action.name == "delete" {
                self.delete(who, spec.name, id, ip).await?;
            } else {
                let input: Record = action
                    .sets
                    .iter()
                    .map(|(f, v)| (f.to_string(), Value::from(*v)))
                    .collect();
                let values =
                    input::parse(spec, &input, Mode::Patch).map_err(AppError::Validation)?;
                self.apply(who, spec, id, values, ip).await?;
            }
            done += 1;
        }
        Ok(done)
    }

    /// The row as stored, including soft-deleted ones answering `Gone`.
    async fn read_back(&self, spec: &ModelSpec, id: i64) -> Result<Record, AppError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = $1",
            Columns::all(spec).select_list(),
            spec.table
        );
        self.fetch_one(spec, &sql, id).await
    }

    /// Foreign keys must name existing (not deleted) rows: a 422 beside the field, not a 409.
    async fn check_references(&self, values: &Assignments) -> Result<(), AppError> {
        let mut errors = Vec::new();
        for (field, value) in values {
            let (FieldKind::ForeignKey(target), SqlValue::Int(id)) = (field.kind, value) else {
                continue;
            };
            let Some(target) = app::admin::find(target) else {
                continue;
            };
            let alive = if target.soft_delete {
                " AND deleted_at IS NULL"
            } else {
                ""
            };
            let sql = format!("SELECT COUNT(*) FROM {} WHERE id = $1{alive}", target.table);
            let n = records::scalar(self.db(), &sql, &[SqlValue::Int(*id)])
                .await
                .db_err(target.name)?;
            if n == 0 {
                errors.push(app::error::FieldError::new(field.name, {
                    let what = crate::admin::labels::noun_in_request_language(target);
                    td_string!(
                        app::locale::current(),
                        errors.fk_missing,
                        what = what,
                        id = id
                    )
                    .to_string()
                }));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(errors))
        }
    }

    async fn audit(
        &self,
        who: &Principal,
        action: &str,
        spec: &ModelSpec,
        record: &Record,
        changes: serde_json::Map<String, Value>,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
        let repr = record
            .get(spec.repr)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        audit::insert(
            self.db(),
            &audit::NewEntry {
                actor_id: Some(who.user_id),
                action,
                object_type: spec.name,
                object_id: id.to_string(),
                object_repr: repr,
                changes: Value::Object(changes).to_string(),
                ip,
            },
        )
        .await
        .db_err("audit entry")
    }
}
