//! Authentication: passwords, sessions (SSO across instances, the per-user session registry),
//! and who is asking.

pub mod activity;
pub mod actor;
pub mod device;
pub mod jwt;
pub mod password;
pub mod redis_sessions;
pub mod registry;
mod registry_ports;
pub mod revoked;
pub mod session_store;
pub mod tokens;
