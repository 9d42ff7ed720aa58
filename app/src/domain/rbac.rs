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
    fn staff_without_permissions_cannot_enter_the_back_office() {
        let p = Principal {
            permissions: BTreeSet::new(),
            ..editor()
        };
        assert!(!p.can_enter_admin());
        assert!(editor().can_enter_admin());
    }
}
