//! The one permission check: server functions, REST handlers, admin pages and websockets all
//! load a [`Principal`] here and call [`Principal::require`].
//!
//! Permissions are read on every check, not cached in the session, so a revoked role takes
//! effect on the next request on every instance.

use app::domain::Principal;
use app::error::AppError;
use app::ports::{AccountService, AuthzService};
use async_trait::async_trait;

use crate::accounts::Accounts;
use crate::db::{rbac, users, Db};
use crate::error::ResultExt;

#[derive(Clone)]
pub struct Authz {
    db: Db,
    accounts: Accounts,
}

impl Authz {
    pub fn new(db: Db, accounts: Accounts) -> Self {
        Self { db, accounts }
    }

    /// The principal for a user id (from a token or a session); `None` when the account is
    /// deactivated or deleted.
    #[tracing::instrument(skip(self))]
    pub async fn principal_by_id(&self, user_id: i64) -> Result<Option<Principal>, AppError> {
        let Some(user) = users::find_by_id(&self.db, user_id)
            .await
            .db_err("user")?
            .filter(|u| u.is_active)
        else {
            return Ok(None);
        };
        // Until a forced password change is done, the account keeps no staff powers: whoever
        // holds the old password may not be its owner.
        if user.must_reset_password {
            return Ok(Some(Principal {
                user_id: user.id,
                username: user.username,
                is_staff: false,
                is_superuser: false,
                permissions: Default::default(),
            }));
        }
        let permissions = if user.is_superuser {
            Default::default()
        } else {
            rbac::permission_codenames(&self.db, user.id)
                .await
                .db_err("permission")?
                .into_iter()
                .collect()
        };
        Ok(Some(Principal {
            user_id: user.id,
            username: user.username,
            is_staff: user.is_staff,
            is_superuser: user.is_superuser,
            permissions,
        }))
    }

    /// What an account could do at full strength: its superuser flag and every permission of its
    /// roles and grants, even while a forced reset suspends them (a suspended administrator is
    /// still an administrator to protect). `NotFound` for no such account.
    pub async fn powers_of(&self, user_id: i64) -> Result<Principal, AppError> {
        powers_of(&self.db, user_id).await
    }

    /// 401 without a principal, 403 without the permission, else the principal.
    pub async fn require_user(&self, user_id: i64, codename: &str) -> Result<Principal, AppError> {
        let principal = self
            .principal_by_id(user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        principal.require(codename)?;
        Ok(principal)
    }
}

#[async_trait]
impl AuthzService for Authz {
    async fn principal(
        &self,
        session: &app::ports::Session,
    ) -> Result<Option<Principal>, AppError> {
        match self.accounts.current_user(session).await? {
            Some(user) => self.principal_by_id(user.id).await,
            None => Ok(None),
        }
    }
}

/// See [`Authz::powers_of`].
pub async fn powers_of(db: &Db, user_id: i64) -> Result<Principal, AppError> {
    let user = users::find_by_id(db, user_id)
        .await
        .db_err("user")?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    let permissions = if user.is_superuser {
        Default::default()
    } else {
        rbac::permission_codenames(db, user.id)
            .await
            .db_err("permission")?
            .into_iter()
            .collect()
    };
    Ok(Principal {
        user_id: user.id,
        username: user.username,
        is_staff: user.is_staff,
        is_superuser: user.is_superuser,
        permissions,
    })
}

/// `Forbidden` unless `who` may act on account `target` ([`Principal::may_manage`]): the one
/// guard in front of every change to another account, whichever adapter asks.
pub async fn require_manage(db: &Db, who: &Principal, target: i64) -> Result<(), AppError> {
    if who.user_id == target || who.is_superuser {
        return Ok(());
    }
    who.require_manage(&powers_of(db, target).await?)
}

/// [`require_manage`] for every member of a role: changing or deleting a role acts on each of
/// them.
pub async fn require_manage_members(
    db: &Db,
    who: &Principal,
    role_id: i64,
) -> Result<(), AppError> {
    for member in rbac::role_member_ids(db, role_id).await.db_err("role")? {
        require_manage(db, who, member).await?;
    }
    Ok(())
}
