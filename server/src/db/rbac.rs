//! Roles and permissions as the checks read them.

use super::Db;
use crate::on_pool;

/// Every codename the user holds, directly or through a role (each once).
#[tracing::instrument(skip(db))]
pub async fn permission_codenames(db: &Db, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT p.codename FROM permissions p \
         JOIN role_permissions rp ON rp.permission_id = p.id \
         JOIN user_roles ur ON ur.role_id = rp.role_id WHERE ur.user_id = $1 \
         UNION \
         SELECT p.codename FROM permissions p \
         JOIN user_permissions up ON up.permission_id = p.id WHERE up.user_id = $1";
    on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PermissionRow {
    pub codename: String,
    pub model: String,
    pub action: String,
    pub name: String,
}

pub async fn all_permissions(db: &Db) -> Result<Vec<PermissionRow>, sqlx::Error> {
    const SQL: &str = "SELECT codename, model, action, name FROM permissions ORDER BY model, id";
    on_pool!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)
}

/// `(id, name)` of every role.
pub async fn all_roles(db: &Db) -> Result<Vec<(i64, String)>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as("SELECT id, name FROM roles ORDER BY name")
        .fetch_all(pool).await)
}

pub async fn role_name(db: &Db, role_id: i64) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar("SELECT name FROM roles WHERE id = $1")
        .bind(role_id).fetch_optional(pool).await)
}

pub async fn role_codenames(db: &Db, role_id: i64) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT p.codename FROM permissions p \
         JOIN role_permissions rp ON rp.permission_id = p.id WHERE rp.role_id = $1";
    on_pool!(db, pool => sqlx::query_scalar(SQL).bind(role_id).fetch_all(pool).await)
}

pub async fn user_role_ids(db: &Db, user_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar("SELECT role_id FROM user_roles WHERE user_id = $1")
        .bind(user_id).fetch_all(pool).await)
}

pub async fn user_direct_codenames(db: &Db, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT p.codename FROM permissions p \
         JOIN user_permissions up ON up.permission_id = p.id WHERE up.user_id = $1";
    on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await)
}

pub async fn role_member_ids(db: &Db, role_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar("SELECT user_id FROM user_roles WHERE role_id = $1")
        .bind(role_id).fetch_all(pool).await)
}

/// Replaces a role's permissions in one transaction; unknown codenames are ignored.
pub async fn set_role_permissions(
    db: &Db,
    role_id: i64,
    codenames: &[String],
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
            .bind(role_id).execute(&mut *tx).await?;
        for codename in codenames {
            sqlx::query("INSERT INTO role_permissions (role_id, permission_id) \
                 SELECT $1, id FROM permissions WHERE codename = $2")
                .bind(role_id).bind(codename).execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}

/// Replaces a user's roles and direct permissions in one transaction.
pub async fn set_user_access(
    db: &Db,
    user_id: i64,
    role_ids: &[i64],
    codenames: &[String],
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
            .bind(user_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM user_permissions WHERE user_id = $1")
            .bind(user_id).execute(&mut *tx).await?;
        for role_id in role_ids {
            sqlx::query("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE id = $2")
                .bind(user_id).bind(role_id).execute(&mut *tx).await?;
        }
        for codename in codenames {
            sqlx::query("INSERT INTO user_permissions (user_id, permission_id) \
                 SELECT $1, id FROM permissions WHERE codename = $2")
                .bind(user_id).bind(codename).execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}

pub async fn set_must_reset(db: &Db, user_id: i64) -> Result<u64, sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE users SET must_reset_password = $1, updated_at = $2 WHERE id = $3")
        .bind(true).bind(chrono::Utc::now()).bind(user_id)
        .execute(pool).await.map(|r| r.rows_affected()))
}

pub async fn must_reset(db: &Db, user_id: i64) -> Result<bool, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar("SELECT must_reset_password FROM users WHERE id = $1")
        .bind(user_id).fetch_one(pool).await)
}
