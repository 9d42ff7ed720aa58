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
}
