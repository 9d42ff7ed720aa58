//! Third-party sign-in as clients see it.

use serde::{Deserialize, Serialize};

use crate::domain::oauth::Provider;

/// A provider this site is configured for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    pub provider: Provider,
    pub label: String,
}

/// An identity confirmed by a provider but not yet tied to an account (the "finish sign-up"
/// page). It lives in the session only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingIdentity {
    pub provider: Provider,
    pub label: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
}

/// One identity bound to the signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: i64,
    pub provider: Provider,
    pub label: String,
    pub display_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The account page's "connected accounts" section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connections {
    pub bound: Vec<Connection>,
    /// Configured providers the account has no identity of yet.
    pub available: Vec<ProviderInfo>,
    /// Whether the account can sign in with a password (else the last identity cannot go).
    pub has_password: bool,
}
