//! Accounts: registration, sign-in and sign-out over the shared session store, and the
//! account's later life (devices, profile, verification, password reset).

pub mod eviction;
mod lifecycle;
pub mod links;
mod service;
pub mod throttle;

pub use eviction::Eviction;
pub use lifecycle::{parse_profile, Lifecycle};
pub(crate) use service::taken_field;
pub use service::{view, Accounts};
