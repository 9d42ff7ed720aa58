//! What else a delete touches (the "are you sure" page lists it), and foreign keys as names.

use std::collections::HashMap;

use app::admin::{FieldKind, ModelSpec, MODELS};
use app::domain::Principal;
use app::error::AppError;

use super::sql::SqlValue;
use super::ModelService;
use crate::db::records;
use crate::error::ResultExt;

/// Names of foreign-key targets, per field: `{"teacher_id": {3: "Ada"}}`.
pub type Labels = HashMap<&'static str, HashMap<i64, String>>;

/// Rows of another model that point at the one being deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependent {
    pub model: &'static str,
    pub label_plural: &'static str,
    pub count: i64,
    /// A few names, for the confirmation page.
    pub examples: Vec<String>,
}

impl ModelService {
    /// Models with a foreign key to `spec`, and how many of their rows reference `id`, two
    /// levels deep (a course's chapters and those chapters' lessons).
    pub async fn dependents(
        &self,
        who: &Principal,
        model: &str,
        id: i64,
    ) -> Result<Vec<Dependent>, AppError> {
        let spec = self.spec_or_404(model)?;
        who.require(&spec.permission("delete"))?;
        let mut out = Vec::new();
        let mut frontier: Vec<(&'static ModelSpec, Vec<i64>)> = vec![(spec, vec![id])];
        for _depth in 0..2 {
            let mut next = Vec::new();
            for (parent, ids) in frontier {
                for child in referencing(parent) {
                    let (field, child_spec) = child;
                    let (count, rows) = self.children(child_spec, field, &ids).await?;
                    if count > 0 {
                        // How many rows go is the deleter's business; their names only if
                        // the deleter may see those rows.
                        let named =
                            Self::readable_rows(child_spec, Some(who)) == Some(String::new());
                        out.push(Dependent {
                            model: child_spec.name,
                            label_plural: child_spec.label_plural,
                            count,
                            examples: match named {
                                true => rows.iter().take(5).map(|(_, l)| l.clone()).collect(),
                                false => Vec::new(),
                            },
                        });
                        next.push((child_spec, rows.into_iter().map(|(i, _)| i).collect()));
                    }
                }
            }
            frontier = next;
        }
        Ok(out)
    }

    async fn children(
        &self,
        child: &ModelSpec,
        field: &str,
        ids: &[i64],
    ) -> Result<(i64, Vec<(i64, String)>), AppError> {
        if ids.is_empty() {
            return Ok((0, Vec::new()));
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let values: Vec<SqlValue> = ids.iter().map(|i| SqlValue::Int(*i)).collect();
        let alive = if child.soft_delete {
            " AND deleted_at IS NULL"
        } else {
            ""
        };
        let cond = format!("{field} IN ({}){alive}", placeholders.join(", "));
        let count = records::scalar(
            self.db(),
            &format!("SELECT COUNT(*) FROM {} WHERE {cond}", child.table),
            &values,
        )
        .await
        .db_err(child.name)?;
        let rows = records::labels(
            self.db(),
            &format!(
                "SELECT id, CAST({} AS TEXT) FROM {} WHERE {cond} ORDER BY id LIMIT 200",
                child.repr, child.table
            ),
            &values,
        )
        .await
        .db_err(child.name)?;
        Ok((count, rows))
    }

    /// Names for foreign-key ids, per field: `{"teacher_id": {3: "Ada"}}`. Names the caller
    /// already has (`known`, e.g. a filter's options) are kept; one query per field fetches
    /// the rest.
    pub async fn labels(
        &self,
        who: &Principal,
        spec: &ModelSpec,
        rows: &[super::Record],
        known: Labels,
    ) -> Result<Labels, AppError> {
        let mut out = known;
        for field in spec.fields {
            let FieldKind::ForeignKey(target) = field.kind else {
                continue;
            };
            let Some(target) = app::admin::find(target) else {
                continue;
            };
            let Some(readable) = Self::readable_rows(target, Some(who)) else {
                continue; // the cell shows the bare id
            };
            let have = out.get(field.name);
            let mut ids: Vec<i64> = rows
                .iter()
                .filter_map(|r| r.get(field.name).and_then(serde_json::Value::as_i64))
                .filter(|id| !have.is_some_and(|h| h.contains_key(id)))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            if ids.is_empty() {
                continue;
            }
            let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
            let values: Vec<SqlValue> = ids.iter().map(|i| SqlValue::Int(*i)).collect();
            let pairs = records::labels(
                self.db(),
                &format!(
                    "SELECT id, CAST({} AS TEXT) FROM {} WHERE id IN ({}){readable}",
                    target.repr,
                    target.table,
                    placeholders.join(", ")
                ),
                &values,
            )
            .await
            .db_err(target.name)?;
            out.entry(field.name).or_default().extend(pairs);
        }
        Ok(out)
    }
}

/// `(foreign-key field, model)` for every model pointing at `parent`.
fn referencing(parent: &ModelSpec) -> Vec<(&'static str, &'static ModelSpec)> {
    MODELS
        .iter()
        .flat_map(|m| {
            m.fields.iter().filter_map(move |f| match f.kind {
                FieldKind::ForeignKey(target) if target == parent.name => Some((f.name, *m)),
                _ => None,
            })
        })
        .collect()
}
