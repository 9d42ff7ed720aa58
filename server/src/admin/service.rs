//! [`AdminService`] for the server functions: each call checks the caller may enter the back
//! office, then delegates.

use app::domain::{Principal, RequestMeta};
use app::dto::admin::{
    AdminForm, AdminList, AdminListQuery, AdminMenu, AuditPage, AuditQuery, Dashboard,
    DeletePreview, DependentView, MenuEntry, PermissionMatrix, UserAccess,
};
use app::error::AppError;
use app::ports::AdminService;
use async_trait::async_trait;

use super::labels::tr;
use super::{display, Admin};

#[async_trait]
impl AdminService for Admin {
    async fn menu(&self, who: &Principal) -> Result<AdminMenu, AppError> {
        let who = Self::staff(who)?;
        let entries = self
            .models
            .specs()
            .iter()
            .filter(|m| who.has(&m.permission("view")))
            .map(|m| MenuEntry {
                plural: m.plural.into(),
                label_plural: tr(m.label_plural).into(),
                can_add: who.has(&m.permission("add")) && m.writable().next().is_some(),
            })
            .collect();
        Ok(AdminMenu {
            username: who.username.clone(),
            entries,
            can_view_audit: who.has("audit_log.view"),
            can_export: who.has("enrollment.view"),
            can_manage_jobs: who.has("job.manage"),
        })
    }

    async fn dashboard(&self, who: &Principal) -> Result<Dashboard, AppError> {
        let who = Self::staff(who)?;
        self.dashboard_page(who).await
    }

    async fn list(
        &self,
        who: &Principal,
        model: &str,
        query: AdminListQuery,
    ) -> Result<AdminList, AppError> {
        let who = Self::staff(who)?;
        self.list_page(who, model, query).await
    }

    async fn form(
        &self,
        who: &Principal,
        model: &str,
        id: Option<i64>,
    ) -> Result<AdminForm, AppError> {
        let who = Self::staff(who)?;
        self.form_page(who, model, id).await
    }

    async fn save(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        model: &str,
        id: Option<i64>,
        values: Vec<(String, String)>,
    ) -> Result<i64, AppError> {
        let who = Self::staff(who)?;
        self.save_form(who, model, id, values, meta.ip().as_deref())
            .await
    }

    async fn delete_preview(
        &self,
        who: &Principal,
        model: &str,
        id: i64,
    ) -> Result<DeletePreview, AppError> {
        let who = Self::staff(who)?;
        let spec = self.spec(model)?;
        let dependents = self.models.dependents(who, spec.name, id).await?;
        let record = self.models.get(Some(who), spec.name, id).await?;
        Ok(DeletePreview {
            plural: spec.plural.into(),
            label: tr(spec.label).into(),
            id,
            repr: display::input_value(record.get(spec.repr)),
            dependents: dependents
                .into_iter()
                .map(|d| DependentView {
                    label_plural: tr(d.label_plural).into(),
                    count: d.count,
                    examples: d.examples,
                })
                .collect(),
        })
    }

    async fn delete(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        model: &str,
        id: i64,
    ) -> Result<(), AppError> {
        let who = Self::staff(who)?;
        let spec = self.spec(model)?;
        self.models
            .delete(who, spec.name, id, meta.ip().as_deref())
            .await
    }

    async fn action(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        model: &str,
        action: &str,
        ids: Vec<i64>,
    ) -> Result<usize, AppError> {
        let who = Self::staff(who)?;
        let spec = self.spec(model)?;
        self.models
            .apply_action(who, spec.name, action, &ids, meta.ip().as_deref())
            .await
    }

    async fn audit(&self, who: &Principal, query: AuditQuery) -> Result<AuditPage, AppError> {
        let who = Self::staff(who)?;
        self.audit_page(who, query).await
    }

    async fn permission_matrix(
        &self,
        who: &Principal,
        role_id: i64,
    ) -> Result<PermissionMatrix, AppError> {
        let who = Self::staff(who)?;
        self.matrix(who, role_id).await
    }

    async fn set_role_permissions(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        role_id: i64,
        codenames: Vec<String>,
    ) -> Result<(), AppError> {
        let who = Self::staff(who)?;
        self.set_matrix(who, role_id, codenames, meta.ip().as_deref())
            .await
    }

    async fn user_access(&self, who: &Principal, user_id: i64) -> Result<UserAccess, AppError> {
        let who = Self::staff(who)?;
        self.access(who, user_id).await
    }

    async fn set_user_access(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        user_id: i64,
        role_ids: Vec<i64>,
        codenames: Vec<String>,
    ) -> Result<(), AppError> {
        let who = Self::staff(who)?;
        self.set_access(who, user_id, role_ids, codenames, meta.ip().as_deref())
            .await
    }

    async fn force_password_reset(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        user_id: i64,
    ) -> Result<(), AppError> {
        let who = Self::staff(who)?;
        self.force_reset(who, user_id, meta.ip().as_deref()).await
    }

    async fn end_sessions(
        &self,
        who: &Principal,
        user_id: i64,
        handle: Option<String>,
    ) -> Result<(), AppError> {
        let who = Self::staff(who)?;
        self.end_user_sessions(who, user_id, handle.as_deref())
            .await
    }
}
