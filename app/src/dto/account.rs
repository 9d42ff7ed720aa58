//! Accounts as clients see them.

use serde::{Deserialize, Serialize};

/// The signed-in user (or a user in the admin), without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub email_verified: bool,
    /// An administrator asked for a new password; staff powers wait for it.
    #[serde(default)]
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterInput {
    pub username: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginInput {
    /// A username or an e-mail address.
    pub login: String,
    pub password: String,
    pub remember: bool,
}
