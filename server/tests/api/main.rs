//! One integration-test binary; its files mirror the features. Every test runs against the real
//! application (built the way `main` builds it) on SQLite and on PostgreSQL.

// Tests unwrap freely: a panic here is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod admin_access;
mod catalog_pages;
mod catalog_repository;
mod cli;
mod models;
mod operations;
mod rest_auth;
mod server_functions;
mod tokens;
