//! Authentication: passwords, sessions (SSO across instances), and who is asking.

pub mod actor;
pub mod jwt;
pub mod password;
pub mod session_store;
pub mod tokens;
