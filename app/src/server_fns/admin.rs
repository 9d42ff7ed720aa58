//! The back office's server functions: one per admin operation, each a thin call into
//! [`crate::ports::AdminService`], which checks the caller's permissions.
//!
//! Form posts carry field values as `values[field]=…` (and checkbox groups as
//! `grant[codename]=on`), so the same endpoints serve hydrated pages and plain HTML forms.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::dto::admin::{
    AdminForm, AdminList, AdminListQuery, AdminMenu, AuditPage, AuditQuery, Dashboard,
    DeletePreview, PermissionMatrix, UserAccess,
};
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "admin/menu")]
pub async fn load_menu() -> Result<AdminMenu, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.menu(&who).await
}

#[server(prefix = "/fn", endpoint = "admin/dashboard")]
pub async fn load_dashboard() -> Result<Dashboard, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.dashboard(&who).await
}

#[server(prefix = "/fn", endpoint = "admin/list")]
pub async fn load_list(model: String, query: AdminListQuery) -> Result<AdminList, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.list(&who, &model, query).await
}

#[server(prefix = "/fn", endpoint = "admin/form")]
pub async fn load_form(model: String, id: Option<i64>) -> Result<AdminForm, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.form(&who, &model, id).await
}

/// Creates (no `id`) or changes a row, then goes to its page (or back to `next`).
#[server(prefix = "/fn", endpoint = "admin/save")]
pub async fn save_record(
    model: String,
    id: Option<i64>,
    #[server(default)] values: HashMap<String, String>,
    next: Option<String>,
) -> Result<i64, AppError> {
    let values: Vec<(String, String)> = values.into_iter().collect();
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    let saved = services
        .admin
        .save(&who, &crate::ports::request_meta(), &model, id, values)
        .await?;
    let target = next
        .filter(|n| n.starts_with("/admin/"))
        .unwrap_or_else(|| format!("/admin/{model}/{saved}"));
    leptos_axum::redirect(&target);
    Ok(saved)
}

#[server(prefix = "/fn", endpoint = "admin/delete-preview")]
pub async fn load_delete_preview(model: String, id: i64) -> Result<DeletePreview, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.delete_preview(&who, &model, id).await
}

#[server(prefix = "/fn", endpoint = "admin/delete")]
pub async fn delete_record(model: String, id: i64) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services
        .admin
        .delete(&who, &crate::ports::request_meta(), &model, id)
        .await?;
    leptos_axum::redirect(&format!("/admin/{model}"));
    Ok(())
}

/// A bulk action on the rows whose `selected[id]` box is ticked.
#[server(prefix = "/fn", endpoint = "admin/action")]
pub async fn run_action(
    model: String,
    action: String,
    #[server(default)] selected: HashMap<String, String>,
) -> Result<usize, AppError> {
    let ids = selected
        .keys()
        .map(|k| k.parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::BadRequest("selected rows must be ids".into()))?;
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services
        .admin
        .action(&who, &crate::ports::request_meta(), &model, &action, ids)
        .await
}

#[server(prefix = "/fn", endpoint = "admin/audit")]
pub async fn load_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.audit(&who, query).await
}

#[server(prefix = "/fn", endpoint = "admin/role-permissions")]
pub async fn load_role_permissions(role_id: i64) -> Result<PermissionMatrix, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.permission_matrix(&who, role_id).await
}

/// Replaces a role's permissions with the ticked `grant[codename]` boxes.
#[server(prefix = "/fn", endpoint = "admin/role-permissions/set")]
pub async fn set_role_permissions(
    role_id: i64,
    #[server(default)] grant: HashMap<String, String>,
) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services
        .admin
        .set_role_permissions(
            &who,
            &crate::ports::request_meta(),
            role_id,
            grant.into_keys().collect(),
        )
        .await
}

#[server(prefix = "/fn", endpoint = "admin/user-access")]
pub async fn load_user_access(user_id: i64) -> Result<UserAccess, AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.user_access(&who, user_id).await
}

/// Replaces a user's roles (`role[id]`) and direct permissions (`grant[codename]`).
#[server(prefix = "/fn", endpoint = "admin/user-access/set")]
pub async fn set_user_access(
    user_id: i64,
    #[server(default)] role: HashMap<String, String>,
    #[server(default)] grant: HashMap<String, String>,
) -> Result<(), AppError> {
    let role_ids = role
        .keys()
        .map(|k| k.parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::BadRequest("roles must be ids".into()))?;
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services
        .admin
        .set_user_access(
            &who,
            &crate::ports::request_meta(),
            user_id,
            role_ids,
            grant.into_keys().collect(),
        )
        .await
}

#[server(prefix = "/fn", endpoint = "admin/user-access/force-reset")]
pub async fn force_password_reset(user_id: i64) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services
        .admin
        .force_password_reset(&who, &crate::ports::request_meta(), user_id)
        .await
}

/// Ends one of the user's sessions (`handle`) or all of them.
#[server(prefix = "/fn", endpoint = "admin/user-access/end-sessions")]
pub async fn end_sessions(user_id: i64, handle: Option<String>) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let who = crate::ports::principal(&services).await?;
    services.admin.end_sessions(&who, user_id, handle).await
}
