//! RBAC screens: a role's permission matrix, a user's roles and direct permissions, forced
//! password resets and ending a user's sessions. Nobody grants what they do not hold
//! themselves (superusers hold everything), and nobody acts on an account holding powers they
//! lack (`rbac::require_manage`), so `user.change` is not a path to escalation or takeover.

use std::collections::BTreeSet;
use std::sync::Arc;

use app::domain::rbac::CRUD_ACTIONS;
use app::domain::Principal;
use app::dto::admin::{PermissionMatrix, SessionView, UserAccess};
use app::error::AppError;
use serde_json::json;

use super::Admin;
use crate::db::{audit, rbac, users};
use crate::error::ResultExt;

/// Lists and ends a user's sessions (the session registry implements it for both stores).
#[async_trait::async_trait]
pub trait SessionDirectory: Send + Sync {
    async fn sessions_of(&self, user_id: i64) -> Result<Vec<SessionView>, AppError>;
    /// One session by its handle, or every session with `None`.
    async fn end(&self, user_id: i64, handle: Option<&str>) -> Result<(), AppError>;
}

pub type Directory = Option<Arc<dyn SessionDirectory>>;

impl Admin {
    pub(super) async fn matrix(
        &self,
        who: &Principal,
        role_id: i64,
    ) -> Result<PermissionMatrix, AppError> {
        who.require("role.view")?;
        let name = rbac::role_name(&self.db, role_id)
            .await
            .db_err("role")?
            .ok_or_else(|| AppError::NotFound("role".into()))?;
        let granted: BTreeSet<String> = rbac::role_codenames(&self.db, role_id)
            .await
            .db_err("role")?
            .into_iter()
            .collect();
        let all = rbac::all_permissions(&self.db).await.db_err("permission")?;
        let mut models: Vec<&str> = Vec::new();
        for p in &all {
            if CRUD_ACTIONS.contains(&p.action.as_str()) && !models.contains(&p.model.as_str()) {
                models.push(&p.model);
            }
        }
        let rows = models
            .iter()
            .map(|model| {
                let cells = CRUD_ACTIONS
                    .iter()
                    .map(|action| {
                        let codename = format!("{model}.{action}");
                        let exists = all.iter().any(|p| p.codename == codename);
                        let on = granted.contains(&codename);
                        (if exists { codename } else { String::new() }, on)
                    })
                    .collect();
                (model.to_string(), cells)
            })
            .collect();
        let custom = all
            .iter()
            .filter(|p| !CRUD_ACTIONS.contains(&p.action.as_str()))
            .map(|p| {
                (
                    p.codename.clone(),
                    p.name.clone(),
                    granted.contains(&p.codename),
                )
            })
            .collect();
        Ok(PermissionMatrix {
            role_id,
            role_name: name,
            actions: CRUD_ACTIONS.iter().map(|a| a.to_string()).collect(),
            rows,
            custom,
            can_change: who.has("role.change"),
        })
    }

    pub(super) async fn set_matrix(
        &self,
        who: &Principal,
        role_id: i64,
        codenames: Vec<String>,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        who.require("role.change")?;
        let name = rbac::role_name(&self.db, role_id)
            .await
            .db_err("role")?
            .ok_or_else(|| AppError::NotFound("role".into()))?;
        let before: BTreeSet<String> = rbac::role_codenames(&self.db, role_id)
            .await
            .db_err("role")?
            .into_iter()
            .collect();
        let after: BTreeSet<String> = codenames.into_iter().collect();
        // Taking a permission away is as much a change as granting it: only what they hold,
        // and only from roles whose members they may manage.
        self.only_what_they_hold(who, after.symmetric_difference(&before))?;
        if after != before {
            crate::rbac::require_manage_members(&self.db, who, role_id).await?;
        }
        rbac::set_role_permissions(
            &self.db,
            role_id,
            &after.iter().cloned().collect::<Vec<_>>(),
        )
        .await
        .db_err("role")?;
        let stored: BTreeSet<String> = rbac::role_codenames(&self.db, role_id)
            .await
            .db_err("role")?
            .into_iter()
            .collect();
        if stored != before {
            let changes = json!({"permissions": {"from": before, "to": stored}});
            self.audit_change(who, "role", role_id, &name, changes, ip)
                .await?;
            for member in rbac::role_member_ids(&self.db, role_id)
                .await
                .db_err("role")?
            {
                self.models.privileges_changed(member).await;
            }
        }
        Ok(())
    }

    pub(super) async fn access(
        &self,
        who: &Principal,
        user_id: i64,
    ) -> Result<UserAccess, AppError> {
        who.require("user.view")?;
        let user = users::find_by_id(&self.db, user_id)
            .await
            .db_err("user")?
            .ok_or_else(|| AppError::NotFound("user".into()))?;
        let held_roles = rbac::user_role_ids(&self.db, user_id)
            .await
            .db_err("role")?;
        let direct: BTreeSet<String> = rbac::user_direct_codenames(&self.db, user_id)
            .await
            .db_err("permission")?
            .into_iter()
            .collect();
        let roles = rbac::all_roles(&self.db)
            .await
            .db_err("role")?
            .into_iter()
            .map(|(id, name)| (id, name, held_roles.contains(&id)))
            .collect();
        let permissions = rbac::all_permissions(&self.db)
            .await
            .db_err("permission")?
            .into_iter()
            .map(|p| {
                let on = direct.contains(&p.codename);
                (p.codename, p.name, on)
            })
            .collect();
        let sessions = match &self.sessions {
            Some(directory) => directory.sessions_of(user_id).await?,
            None => Vec::new(),
        };
        Ok(UserAccess {
            user_id,
            username: user.username,
            roles,
            permissions,
            must_reset_password: rbac::must_reset(&self.db, user_id).await.db_err("user")?,
            sessions,
            can_change: who.has("user.change"),
        })
    }

    pub(super) async fn set_access(
        &self,
        who: &Principal,
        user_id: i64,
        role_ids: Vec<i64>,
        codenames: Vec<String>,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        who.require("user.change")?;
        crate::rbac::require_manage(&self.db, who, user_id).await?;
        let user = users::find_by_id(&self.db, user_id)
            .await
            .db_err("user")?
            .ok_or_else(|| AppError::NotFound("user".into()))?;
        let roles_before: BTreeSet<i64> = rbac::user_role_ids(&self.db, user_id)
            .await
            .db_err("role")?
            .into_iter()
            .collect();
        let perms_before: BTreeSet<String> = rbac::user_direct_codenames(&self.db, user_id)
            .await
            .db_err("permission")?
            .into_iter()
            .collect();
        let roles_after: BTreeSet<i64> = role_ids.into_iter().collect();
        let perms_after: BTreeSet<String> = codenames.into_iter().collect();
        self.only_what_they_hold(who, perms_after.difference(&perms_before))?;
        for role in roles_after.difference(&roles_before) {
            let granted = rbac::role_codenames(&self.db, *role).await.db_err("role")?;
            self.only_what_they_hold(who, granted.iter())?;
        }
        rbac::set_user_access(
            &self.db,
            user_id,
            &roles_after.iter().copied().collect::<Vec<_>>(),
            &perms_after.iter().cloned().collect::<Vec<_>>(),
        )
        .await
        .db_err("user")?;
        if roles_after != roles_before || perms_after != perms_before {
            let changes = json!({
                "roles": {"from": roles_before, "to": roles_after},
                "permissions": {"from": perms_before, "to": perms_after},
            });
            self.audit_change(who, "user", user_id, &user.username, changes, ip)
                .await?;
            self.models.privileges_changed(user_id).await;
        }
        Ok(())
    }

    pub(super) async fn force_reset(
        &self,
        who: &Principal,
        user_id: i64,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        who.require("user.change")?;
        crate::rbac::require_manage(&self.db, who, user_id).await?;
        let user = users::find_by_id(&self.db, user_id)
            .await
            .db_err("user")?
            .ok_or_else(|| AppError::NotFound("user".into()))?;
        rbac::set_must_reset(&self.db, user_id)
            .await
            .db_err("user")?;
        let changes = json!({"must_reset_password": {"from": false, "to": true}});
        self.audit_change(who, "user", user_id, &user.username, changes, ip)
            .await?;
        if let Some(directory) = &self.sessions {
            directory.end(user_id, None).await?;
        }
        Ok(())
    }

    pub(super) async fn end_user_sessions(
        &self,
        who: &Principal,
        user_id: i64,
        handle: Option<&str>,
    ) -> Result<(), AppError> {
        who.require("user.change")?;
        crate::rbac::require_manage(&self.db, who, user_id).await?;
        match &self.sessions {
            Some(directory) => directory.end(user_id, handle).await,
            None => Err(AppError::NotFound("session".into())),
        }
    }

    fn only_what_they_hold<'a>(
        &self,
        who: &Principal,
        added: impl Iterator<Item = &'a String>,
    ) -> Result<(), AppError> {
        match added.into_iter().find(|c| !who.has(c)) {
            Some(_) => Err(AppError::Forbidden),
            None => Ok(()),
        }
    }

    async fn audit_change(
        &self,
        who: &Principal,
        object_type: &str,
        id: i64,
        repr: &str,
        changes: serde_json::Value,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        audit::insert(
            &self.db,
            &audit::NewEntry {
                actor_id: Some(who.user_id),
                action: "change",
                object_type,
                object_id: id.to_string(),
                object_repr: repr.to_string(),
                changes: changes.to_string(),
                ip,
            },
        )
        .await
        .db_err("audit entry")
    }
}
