//! The signed-in user as stored in the session.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the session remembers about its user. Permissions are not cached here: they are read
/// when checked, so a revoked permission takes effect at once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    /// When the password was checked; the absolute session lifetime counts from here.
    pub authenticated_at: DateTime<Utc>,
    /// [`credential_mark`] of the password the session was opened with. A session whose mark
    /// no longer matches the account's password is over, even one that a sign-in still in
    /// flight wrote after the password changed and its sessions were ended. Sessions from
    /// before this field carry none and are judged by the other checks alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The language kept in the profile (`users.locale`), so a new device starts in it without
    /// a database read (see `crate::http::locale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// A short, one-way mark of an account's stored password hash (or of having none): equal marks
/// mean the password has not changed. The hash itself never goes into a session.
pub fn credential_mark(password_hash: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("xc-credential:{}", password_hash.unwrap_or("-")));
    hex::encode(&digest[..12])
}

/// The one check of a browser session, on every path that trusts one (pages, server functions,
/// the account pages, the REST API): the account it names while the session is within its
/// absolute lifetime (`SESSION_ABSOLUTE_MINUTES`, counted from the password check) and the
/// account is active and not deleted, and its password is the one the session was opened with. Otherwise the session is ended here and `None` returned,
/// so no path can accept a session another path would refuse.
pub async fn signed_in_user(
    session: &tower_sessions::Session,
    db: &crate::db::Db,
    absolute: std::time::Duration,
) -> Result<Option<crate::db::users::UserRow>, app::error::AppError> {
    use crate::error::{internal, ResultExt};
    let Some(stored) = session
        .get::<SessionUser>(super::session_store::USER_KEY)
        .await
        .map_err(|e| internal(e, "reading the session"))?
    else {
        return Ok(None);
    };
    let too_old = Utc::now()
        .signed_duration_since(stored.authenticated_at)
        .to_std()
        .is_ok_and(|age| age > absolute);
    let user = if too_old {
        None
    } else {
        crate::db::users::find_by_id(db, stored.id)
            .await
            .db_err("user")?
            .filter(|u| u.is_active)
            .filter(|u| match &stored.credential {
                Some(mark) => *mark == credential_mark(u.password_hash.as_deref()),
                None => true,
            })
    };
    if user.is_none() {
        // Deactivated, deleted, or past the absolute lifetime: the session ends here.
        session
            .flush()
            .await
            .map_err(|e| internal(e, "ending the session"))?;
    }
    Ok(user)
}
