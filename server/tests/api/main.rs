//! One integration-test binary; its files mirror the features. Every test runs against the real
//! application (built the way `main` builds it) on SQLite and on PostgreSQL.

// Tests unwrap freely: a panic here is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod housekeeping;
mod job_dashboard;
mod jobs;
mod jobs_processes;
mod languages;
mod learning;
mod metrics;

mod accounts;
mod admin_access;
mod admin_grants;
mod admin_lists;
mod attacks;
mod catalog_pages;
mod catalog_parity;
mod catalog_repository;
mod cli;
mod devices;
mod exports;
mod fake_smtp;
mod faults;
mod models;
mod models_paging;
mod notifications;
mod oauth;
mod operations;
mod payments;
mod personas;
mod recovery;
mod reminders;
mod reminders_processes;
mod request_meta;
mod response_cache;
mod rest_auth;
mod rest_cache;
mod rest_conformance;
mod rest_conventions;
mod rest_openapi;
mod rest_rbac;
mod rest_resources;
mod rest_support;
mod schedules;
mod seckill;
mod server_functions;
mod serving;
mod sessions;
mod throttles;
mod tokens;
mod webssh;
