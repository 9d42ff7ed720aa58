//! [`AdminService`] for the server functions: each call resolves the caller, then delegates.

use app::dto::admin::{
    AdminForm, AdminList, AdminListQuery, AdminMenu, AuditPage, AuditQuery, Dashboard,
    DeletePreview, DependentView, MenuEntry, PermissionMatrix, UserAccess,
};
use app::error::AppError;
use app::ports::AdminService;
use async_trait::async_trait;
use http::request::Parts;

use super::{client_ip, display, Admin};

#[async_trait]
impl AdminService for Admin {
    async fn menu(&self, request: &Parts) -> Result<AdminMenu, AppError> {
        let who = self.staff(request).await?;
        let entries = self
            .models
            .specs()
            .iter()
            .filter(|m| who.has(&m.permission("view")))
            .map(|m| MenuEntry {
                plural: m.plural.into(),
                label_plural: m.label_plural.into(),
                can_add: who.has(&m.permission("add")) && m.writable().next().is_some(),
            })
            .collect();
        Ok(AdminMenu {
            username: who.username.clone(),
            entries,
            can_view_audit: who.has("audit_log.view"),
        })
    }

    async fn dashboard(&self, request: &Parts) -> Result<Dashboard, AppError> {
        let who = self.staff(request).await?;
        self.dashboard_page(&who).await
    }

    async fn list(
        &self,
        request: &Parts,
        model: &str,
        query: AdminListQuery,
    ) -> Result<AdminList, AppError> {
        let who = self.staff(request).await?;
        self.list_page(&who, model, query).await
    }

    async fn form(
        &self,
        request: &Parts,
        model: &str,
        id: Option<i64>,
    ) -> Result<AdminForm, AppError> {
        let who = self.staff(request).await?;
        self.form_page(&who, model, id).await
    }

    async fn save(
        &self,
        request: &Parts,
        model: &str,
        id: Option<i64>,
        values: Vec<(String, String)>,
    ) -> Result<i64, AppError> {
        let who = self.staff(request).await?;
        self.save_form(&who, model, id, values, client_ip(request).as_deref())
            .await
    }

    async fn delete_preview(
        &self,
        request: &Parts,
        model: &str,
        id: i64,
    ) -> Result<DeletePreview, AppError> {
        let who = self.staff(request).await?;
        let spec = self.spec(model)?;
        let dependents = self.models.dependents(&who, spec.name, id).await?;
        let record = self.models.get(Some(&who), spec.name, id).await?;
        Ok(DeletePreview {
            plural: spec.plural.into(),
            label: spec.label.into(),
            id,
            repr: display::input_value(record.get(spec.repr)),
            dependents: dependents
                .into_iter()
                .map(|d| DependentView {
                    label_plural: d.label_plural.into(),
                    count: d.count,
                    examples: d.examples,
                })
                .collect(),
        })
    }

    async fn delete(&self, request: &Parts, model: &str, id: i64) -> Result<(), AppError> {
        let who = self.staff(request).await?;
        let spec = self.spec(model)?;
        self.models
            .delete(&who, spec.name, id, client_ip(request).as_deref())
            .await
    }

    async fn action(
        &self,
        request: &Parts,
        model: &str,
        action: &str,
        ids: Vec<i64>,
    ) -> Result<usize, AppError> {
        let who = self.staff(request).await?;
        let spec = self.spec(model)?;
        self.models
            .apply_action(&who, spec.name, action, &ids, client_ip(request).as_deref())
            .await
    }

    async fn audit(&self, request: &Parts, query: AuditQuery) -> Result<AuditPage, AppError> {
        let who = self.staff(request).await?;
        self.audit_page(&who, query).await
    }

    async fn permission_matrix(
        &self,
        request: &Parts,
        role_id: i64,
    ) -> Result<PermissionMatrix, AppError> {
        let who = self.staff(request).await?;
        self.matrix(&who, role_id).await
    }

    async fn set_role_permissions(
        &self,
        request: &Parts,
        role_id: i64,
        codenames: Vec<String>,
    ) -> Result<(), AppError> {
        let who = self.staff(request).await?;
        self.set_matrix(&who, role_id, codenames, client_ip(request).as_deref())
            .await
    }

    async fn user_access(&self, request: &Parts, user_id: i64) -> Result<UserAccess, AppError> {
        let who = self.staff(request).await?;
        self.access(&who, user_id).await
    }

    async fn set_user_access(
        &self,
        request: &Parts,
        user_id: i64,
        role_ids: Vec<i64>,
        codenames: Vec<String>,
    ) -> Result<(), AppError> {
        let who = self.staff(request).await?;
        self.set_access(
            &who,
            user_id,
            role_ids,
            codenames,
            client_ip(request).as_deref(),
        )
        .await
    }

    async fn force_password_reset(&self, request: &Parts, user_id: i64) -> Result<(), AppError> {
        let who = self.staff(request).await?;
        self.force_reset(&who, user_id, client_ip(request).as_deref())
            .await
    }

    async fn end_sessions(
        &self,
        request: &Parts,
        user_id: i64,
        handle: Option<String>,
    ) -> Result<(), AppError> {
        let who = self.staff(request).await?;
        self.end_user_sessions(&who, user_id, handle.as_deref())
            .await
    }
}
