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
