//! Server functions (Leptos `#[server]`, the pages' RPC; the JSON API is `server/src/rest`):
//! thin adapters from a call to a service in [`crate::ports`]. Each resolves the caller
//! ([`crate::ports::signed_in_user`], [`crate::ports::principal`]) and the request's metadata
//! ([`crate::ports::request_meta`]) and passes those; none sees the HTTP request.
//!
//! Each has a fixed endpoint under `/fn/`, so URLs stay put when code moves. A server function
//! is a public endpoint: the service behind it validates and authorizes every call. Errors
//! travel as a serialized [`crate::error::AppError`]; the server sets the HTTP status that kind
//! maps to (`server/src/http/server_fn_status.rs`).

pub mod accounts;
pub mod admin;
pub mod catalog;
pub mod follows;
pub mod learning;
pub mod lifecycle;
pub mod notifications;
pub mod oauth;
pub mod ops;
pub mod orders;
pub mod seckill;
