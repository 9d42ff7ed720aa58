//! The account's own pages beyond sign-in: devices, profile, password reset, e-mail verification.

use serde::{Deserialize, Serialize};

/// One signed-in browser of the current user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    /// Opaque name of the session (never its id): what "sign out" sends back.
    pub handle: String,
    /// "Chrome on Windows", read roughly from the User-Agent.
    pub browser: String,
    pub ip: String,
    /// RFC 3339, UTC.
    pub last_seen: String,
    /// The browser asking.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileInput {
    pub nickname: String,
    /// Empty means none.
    pub avatar_url: String,
    pub bio: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub nickname: String,
    pub avatar_url: String,
    pub bio: String,
    pub email: String,
    pub email_verified: bool,
}

/// What anyone may see of an account (`GET /api/v1/profiles/{username}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicProfile {
    pub username: String,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub bio: String,
}
