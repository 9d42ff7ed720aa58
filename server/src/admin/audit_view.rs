//! The audit log as the back office shows it: filterable, newest first, each entry linking to
//! its object, with field changes spelled out.

use app::domain::Principal;
use app::dto::admin::{AuditEntryView, AuditPage, AuditQuery, FieldChange};
use app::error::AppError;
use serde_json::Value;

use super::{Admin, PER_PAGE};
use crate::db::{audit, users};
use crate::error::ResultExt;

impl Admin {
    pub(super) async fn audit_page(
        &self,
        who: &Principal,
        query: AuditQuery,
    ) -> Result<AuditPage, AppError> {
        who.require("audit_log.view")?;
        let page = query.page.max(1);
        let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let actor_id = match blank(query.actor) {
            Some(name) => match users::find_by_login(&self.db, &name).await.db_err("user")? {
                Some(user) => Some(user.id),
                // An unknown actor matches nothing (not everything).
                None => Some(-1),
            },
            None => None,
        };
        let filter = audit::EntryFilter {
            actor_id,
            action: blank(query.action),
            object_type: blank(query.object_type),
            object_id: blank(query.object_id),
        };
        let offset = i64::from(page - 1) * i64::from(PER_PAGE);
        let (count, rows) = audit::list(&self.db, &filter, offset, i64::from(PER_PAGE))
            .await
            .db_err("audit entry")?;
        Ok(AuditPage {
            entries: rows.into_iter().map(view).collect(),
            count: u64::try_from(count).unwrap_or(0),
            page,
            per_page: PER_PAGE,
        })
    }
}

fn view(row: audit::EntryRow) -> AuditEntryView {
    let changes = serde_json::from_str::<serde_json::Map<String, Value>>(&row.changes)
        .unwrap_or_default()
        .into_iter()
        .map(|(field, change)| FieldChange {
            field,
            from: shown(change.get("from")),
            to: shown(change.get("to")),
        })
        .collect();
    let object_url = app::admin::find(&row.object_type)
        .filter(|_| row.action != "delete")
        .map(|spec| format!("/admin/{}/{}", spec.plural, row.object_id));
    AuditEntryView {
        id: row.id,
        actor: row.actor.unwrap_or_else(|| "—".into()),
        action: row.action,
        object_type: row.object_type,
        object_id: row.object_id,
        object_repr: row.object_repr,
        object_url,
        changes,
        ip: row.ip.unwrap_or_default(),
        at: row
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
