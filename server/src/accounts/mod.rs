//! Accounts: registration, sign-in and sign-out over the shared session store.

mod service;
pub mod throttle;

pub use service::{peer_ip, view, Accounts};
