//! Who may do what: a principal's permission codenames (`<model>.<action>`).
//!
//! The server loads a [`Principal`] for every checked call and answers 401/403 from
//! [`Principal::require`]; the UI gets the same set to hide menu entries and buttons. Hiding is a
//! courtesy only: the server check is the one that counts.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The four actions every managed model has (Django's default permissions).
pub const CRUD_ACTIONS: [&str; 4] = ["view", "add", "change", "delete"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub is_staff: bool,
    /// Holds every permission, including ones added by later migrations.
    pub is_superuser: bool,
    /// Codenames granted directly or through roles (empty for a superuser: see `has`).
    pub permissions: BTreeSet<String>,
}

impl Principal {
    pub fn has(&self, codename: &str) -> bool {
        self.is_superuser || self.permissions.contains(codename)
    }

    /// `Forbidden` unless the principal holds `codename`.
    pub fn require(&self, codename: &str) -> Result<(), AppError> {
        if self.has(codename) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether this principal may act on an account holding `target`'s powers: change it,
    /// deactivate or delete it, set its password, end its sessions. Only a superuser acts on a
    /// superuser, and nobody acts on an account holding a permission they lack: otherwise
    /// `user.change` would be a way to take over a more powerful account (set its password or
    /// e-mail, then sign in as it). Everyone may act on their own account.
    pub fn may_manage(&self, target: &Principal) -> bool {
        if self.user_id == target.user_id || self.is_superuser {
            return true;
        }
        !target.is_superuser && target.permissions.iter().all(|p| self.has(p))
    }

    /// `Forbidden` unless [`Principal::may_manage`] allows it.
    pub fn require_manage(&self, target: &Principal) -> Result<(), AppError> {
        if self.may_manage(target) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether the back office has anything to show this user.
    pub fn can_enter_admin(&self) -> bool {
        self.is_superuser || (self.is_staff && !self.permissions.is_empty())
    }
}

/// `Unauthenticated` for no principal, else the principal's own check.
pub fn require(principal: Option<&Principal>, codename: &str) -> Result<(), AppError> {
    principal
        .ok_or(AppError::Unauthenticated)?
        .require(codename)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn editor() -> Principal {
        Principal {
            user_id: 7,
            username: "editor".into(),
            is_staff: true,
            is_superuser: false,
            permissions: ["course.view", "course.change"]
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }

    #[test]
    fn granted_codenames_pass_and_others_are_forbidden() {
        let p = editor();
        assert!(p.require("course.change").is_ok());
        assert_eq!(p.require("course.delete"), Err(AppError::Forbidden));
    }

    #[test]
    fn superuser_holds_codenames_it_was_never_given() {
        let p = Principal {
            is_superuser: true,
            permissions: BTreeSet::new(),
            ..editor()
        };
        assert!(p.has("order.refund"));
    }

    #[test]
    fn no_principal_is_unauthenticated_not_forbidden() {
        assert_eq!(require(None, "course.view"), Err(AppError::Unauthenticated));
    }

    #[test]
    fn nobody_manages_an_account_with_powers_they_lack() {
        let editor = editor();
        let mut support = Principal {
            user_id: 8,
            username: "support".into(),
            permissions: ["course.view"].into_iter().map(String::from).collect(),
            ..editor.clone()
        };
        assert!(
            editor.may_manage(&support),
            "a subset of the editor's powers"
        );
        support.permissions.insert("order.refund".into());
        assert!(
            !editor.may_manage(&support),
            "support holds a power the editor lacks"
        );
        let root = Principal {
            user_id: 1,
            is_superuser: true,
            permissions: BTreeSet::new(),
            ..editor.clone()
        };
        assert!(
            !editor.may_manage(&root),
            "only a superuser acts on a superuser"
        );
        assert!(root.may_manage(&editor));
        assert!(root.may_manage(&Principal {
            user_id: 2,
            ..root.clone()
        }));
        assert!(
            editor.may_manage(&editor),
            "everyone manages their own account"
        );
        assert_eq!(editor.require_manage(&root), Err(AppError::Forbidden));
    }

    #[test]
    fn staff_without_permissions_cannot_enter_the_back_office() {
        let p = Principal {
            permissions: BTreeSet::new(),
            ..editor()
        };
        assert!(!p.can_enter_admin());
        assert!(editor().can_enter_admin());
    }
}
