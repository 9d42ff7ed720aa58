//! The few rules that belong to one model rather than to every model: publishing needs its own
//! permission, passwords are checked and hashed, superusers are made only by superusers, nobody
//! changes or deletes an account more powerful than their own, a change to someone's privileges
//! re-issues their sessions, and a new password or a deactivation ends them. Hosts seal their
//! secrets and grants check their target and window (`webssh::host_rules`); price policies and
//! coupons keep the shapes the checkout reads (`orders::sale_rules`).

use app::admin::{FieldKind, FieldSpec, ModelSpec};
use app::domain::account::{check_password, Username};
use app::domain::Principal;
use app::error::{AppError, FieldError};
use chrono::Utc;
use serde_json::Value;

use super::input::Assignments;
use super::sql::SqlValue;
use super::{ModelService, Record};
use crate::auth::password;
use crate::error::internal;

/// Where a user's password lands: written as a hash, never read back.
static PASSWORD_HASH: FieldSpec =
    FieldSpec::new("password_hash", "Password", FieldKind::Password).write_only();
static MUST_RESET: FieldSpec = FieldSpec::new("must_reset_password", "", FieldKind::Bool);

pub async fn before_write(
    svc: &ModelService,
    who: &Principal,
    spec: &'static ModelSpec,
    before: Option<&Record>,
    values: &mut Assignments,
) -> Result<(), AppError> {
    match spec.name {
        "course" => course(who, spec, before, values),
        "host" => crate::webssh::host_rules::before_write(svc.secrets(), before, values),
        "host_grant" => crate::webssh::host_rules::grant(before, values),
        "price_policy" => crate::orders::sale_rules::price_policy(before, values),
        "coupon" => crate::orders::sale_rules::coupon(before, values),
        "user" => {
            if let Some(target) = before.and_then(|b| b.get("id")).and_then(Value::as_i64) {
                crate::rbac::require_manage(svc.db(), who, target).await?;
            }
            user(who, before, values).await
        }
        _ => Ok(()),
    }
}

fn course(
    who: &Principal,
    spec: &'static ModelSpec,
    before: Option<&Record>,
    values: &mut Assignments,
) -> Result<(), AppError> {
    let Some(status) = value_of(values, "status") else {
        return Ok(());
    };
    let was = before.and_then(|b| b.get("status")).and_then(Value::as_str);
    let now = match status {
        SqlValue::Text(s) => s.clone(),
        _ => return Ok(()),
    };
    if was == Some(now.as_str()) || (was.is_none() && now == "draft") {
        return Ok(());
    }
    who.require("course.publish")?;
    let never_published = before
        .and_then(|b| b.get("published_at"))
        .is_none_or(Value::is_null);
    if now == "published" && never_published {
        if let Some(field) = spec.field("published_at") {
            values.push((field, SqlValue::Time(Utc::now())));
        }
    }
    Ok(())
}

async fn user(
    who: &Principal,
    before: Option<&Record>,
    values: &mut Assignments,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let mut username = before
        .and_then(|b| b.get("username"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(SqlValue::Text(raw)) = value_of(values, "username") {
        match Username::parse(raw) {
            Ok(name) => username = name.as_str().to_string(),
            Err(e) => errors.push(e),
        }
    }
    let target_id = before.and_then(|b| b.get("id")).and_then(Value::as_i64);
    for flag in ["is_superuser", "is_staff", "is_active"] {
        let Some(SqlValue::Bool(to)) = value_of(values, flag) else {
            continue;
        };
        // A new account starts without any flag, so `false` on create changes nothing.
        let from = match before {
            Some(b) => b.get(flag).and_then(Value::as_bool),
            None => Some(false),
        };
        if from == Some(*to) {
            continue;
        }
        if flag == "is_superuser" && !who.is_superuser {
            errors.push(FieldError::new(flag, "only a superuser can change this"));
        }
        if target_id == Some(who.user_id) && !*to {
            errors.push(FieldError::new(
                flag,
                "you cannot remove this from your own account",
            ));
        }
    }
    if let Some(position) = values.iter().position(|(f, _)| f.name == "password") {
        let (_, value) = values.remove(position);
        if let SqlValue::Text(plain) = value {
            match check_password(&plain, &username) {
                Err(e) => errors.push(FieldError::new("password", e.message)),
                Ok(()) => {
                    let hash = password::hash_password(plain)
                        .await
                        .map_err(|e| internal(e, "hashing a password"))?;
                    values.push((&PASSWORD_HASH, SqlValue::Text(hash)));
                    values.push((&MUST_RESET, SqlValue::Bool(false)));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

pub async fn before_delete(
    svc: &ModelService,
    who: &Principal,
    spec: &ModelSpec,
    id: i64,
) -> Result<(), AppError> {
    if spec.name == "role" {
        // Deleting a role strips its members' powers: only for members the actor may manage.
        return crate::rbac::require_manage_members(svc.db(), who, id).await;
    }
    if spec.name != "user" {
        return Ok(());
    }
    if id == who.user_id {
        return Err(AppError::Conflict(
            "you cannot delete your own account".into(),
        ));
    }
    crate::rbac::require_manage(svc.db(), who, id).await
}

pub async fn after_write(svc: &ModelService, spec: &ModelSpec, id: i64, values: &Assignments) {
    svc.changed(spec.name);
    if spec.name != "user" {
        return;
    }
    // A password set for someone, or a deactivation, must lock out whoever holds the account
    // now: every session and token ends. Other privilege changes re-issue session ids.
    let evicting = values.iter().any(|(f, v)| {
        f.name == "password_hash" || (f.name == "is_active" && matches!(v, SqlValue::Bool(false)))
    });
    let privileged = ["is_superuser", "is_staff", "is_active"];
    if evicting {
        svc.credentials_changed(id).await;
    } else if values.iter().any(|(f, _)| privileged.contains(&f.name)) {
        svc.privileges_changed(id).await;
    }
}

pub async fn after_delete(svc: &ModelService, spec: &ModelSpec, id: i64) {
    svc.changed(spec.name);
    if spec.name == "user" {
        svc.credentials_changed(id).await;
    }
}

/// Rows read without the model's view permission: gated fields (a lesson's text and video) stay
/// only where the reader may see them. For lessons: a free preview, or a course the reader is
/// enrolled in; staff with `lesson.view` never come here (they read every row in full).
pub async fn after_public_read(
    svc: &ModelService,
    who: Option<&Principal>,
    spec: &ModelSpec,
    rows: &mut [Record],
) -> Result<(), AppError> {
    let gated: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| f.gated)
        .map(|f| f.name)
        .collect();
    if gated.is_empty() || rows.is_empty() {
        return Ok(());
    }
    // The learning access rule decides (`learning::access`), as for the lesson page.
    let open_chapters = match who {
        Some(p) if spec.name == "lesson" => {
            crate::learning::access::open_chapter_ids(svc.db(), p.user_id, chrono::Utc::now())
                .await?
        }
        _ => Vec::new(),
    };
    for row in rows.iter_mut() {
        let preview = row.get("free_preview").and_then(Value::as_bool) == Some(true);
        let enrolled = row
            .get("chapter_id")
            .and_then(Value::as_i64)
            .is_some_and(|ch| open_chapters.contains(&ch));
        if !crate::learning::access::decide(false, enrolled, preview).is_open() {
            for name in &gated {
                row.insert((*name).to_string(), Value::Null);
            }
        }
    }
    Ok(())
}

fn value_of<'a>(values: &'a Assignments, name: &str) -> Option<&'a SqlValue> {
    values.iter().find(|(f, _)| f.name == name).map(|(_, v)| v)
}

impl ModelService {
    pub async fn privileges_changed(&self, user_id: i64) {
        if let Some(listener) = &self.listener {
            listener.privileges_changed(user_id).await;
        }
    }

    pub async fn credentials_changed(&self, user_id: i64) {
        if let Some(listener) = &self.listener {
            listener.credentials_changed(user_id).await;
        }
    }
}
