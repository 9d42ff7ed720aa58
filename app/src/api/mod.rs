//! Server functions: thin adapters from an RPC call to a service in [`crate::ports`].
//!
//! Each has a fixed endpoint under `/fn/`, so URLs stay put when code moves. A server function
//! is a public endpoint: the service behind it validates and authorizes every call. Errors
//! travel as a serialized [`crate::error::AppError`]; the server sets the HTTP status that kind
//! maps to (`server/src/http/server_fn_status.rs`).

pub mod accounts;
pub mod admin;
pub mod catalog;
