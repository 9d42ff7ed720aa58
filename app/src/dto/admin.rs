//! What the back-office pages receive and send. Cells and form values travel as display
//! strings the server prepared (foreign keys already turned into names, cents into yuan), so
//! the browser renders any declared model without knowing it.

use serde::{Deserialize, Serialize};

/// The side menu: only what the user may view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminMenu {
    pub username: String,
    pub entries: Vec<MenuEntry>,
    pub can_view_audit: bool,
    /// `enrollment.view`: the learners export.
    #[serde(default)]
    pub can_export: bool,
    /// `job.manage`: the job dashboard.
    #[serde(default)]
    pub can_manage_jobs: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuEntry {
    /// URL segment: `/admin/courses`.
    pub plural: String,
    pub label_plural: String,
    pub can_add: bool,
}

/// A list request, straight from the page's query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminListQuery {
    pub search: Option<String>,
    /// `(field, value)`; numbers also take `field_min` / `field_max`. Defaulted because a
    /// form encoding writes nothing for an empty list (a list without filters was a 400).
    #[serde(default)]
    pub filters: Vec<(String, String)>,
    /// A column name, `-column` for descending.
    pub sort: Option<String>,
    pub page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminColumn {
    pub name: String,
    pub label: String,
    pub sortable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminRow {
    pub id: i64,
    pub cells: Vec<String>,
}

/// A filter in the side panel, with the values to pick from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminFilter {
    pub field: String,
    pub label: String,
    /// `(value, label)`.
    pub options: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminActionView {
    pub name: String,
    pub label: String,
    pub confirm: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminList {
    pub plural: String,
    pub label: String,
    pub label_plural: String,
    pub columns: Vec<AdminColumn>,
    pub rows: Vec<AdminRow>,
    pub count: u64,
    pub page: u32,
    pub per_page: u32,
    pub filters: Vec<AdminFilter>,
    /// Only the actions this user may run.
    pub actions: Vec<AdminActionView>,
    pub can_add: bool,
    pub searchable: bool,
}

/// One input of a create/edit form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminField {
    pub name: String,
    pub label: String,
    /// `text`, `textarea`, `number`, `checkbox`, `select`, `url`, `email`, `password`,
    /// `datetime` (read-only).
    pub input: String,
    pub value: String,
    /// For `select`: `(value, label)`.
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub read_only: bool,
    pub help: String,
}

/// Child rows edited on the parent's page (a course's chapters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminInline {
    pub plural: String,
    pub label_plural: String,
    pub parent_field: String,
    /// `(id, name)`.
    pub rows: Vec<(i64, String)>,
    /// The child's form for a new row (parent field pre-filled and hidden).
    pub new_row: Vec<AdminField>,
    pub can_add: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminForm {
    pub plural: String,
    pub label: String,
    /// `None` on the create page.
    pub id: Option<i64>,
    /// The object's name, for the title.
    pub repr: String,
    pub fields: Vec<AdminField>,
    pub inlines: Vec<AdminInline>,
    pub can_save: bool,
    pub can_delete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentView {
    pub label_plural: String,
    pub count: i64,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletePreview {
    pub plural: String,
    pub label: String,
    pub id: i64,
    pub repr: String,
    pub dependents: Vec<DependentView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub object_repr: String,
    /// The admin URL of the object, when it is a managed model.
    pub object_url: Option<String>,
    pub changes: Vec<FieldChange>,
    pub ip: String,
    /// RFC 3339 UTC.
    pub at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub count: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardCount {
    pub label: String,
    pub value: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub counts: Vec<DashboardCount>,
    /// Titled SVG charts drawn on the server (new users, enrolments, revenue per day).
    pub charts: Vec<(String, String)>,
    pub recent: Vec<AuditEntryView>,
}

/// A role's permissions as a models × actions grid, plus the custom ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionMatrix {
    pub role_id: i64,
    pub role_name: String,
    pub actions: Vec<String>,
    /// `(model, [(codename, granted)] per action; codename empty when it does not exist)`.
    pub rows: Vec<(String, Vec<(String, bool)>)>,
    /// Custom permissions: `(codename, name, granted)`.
    pub custom: Vec<(String, String, bool)>,
    pub can_change: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// An opaque handle (never the session id itself).
    pub handle: String,
    pub browser: String,
    pub ip: String,
    pub last_seen: String,
}

/// A user's roles, direct permissions and sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccess {
    pub user_id: i64,
    pub username: String,
    /// `(role_id, name, granted)`.
    pub roles: Vec<(i64, String, bool)>,
    /// `(codename, name, granted)`.
    pub permissions: Vec<(String, String, bool)>,
    pub must_reset_password: bool,
    pub sessions: Vec<SessionView>,
    pub can_change: bool,
}
