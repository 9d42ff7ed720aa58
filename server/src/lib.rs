//! The Xuecheng server: configuration, storage, services and the HTTP application.
//!
//! `main.rs` is only the command line; everything it runs lives here so the integration tests
//! build the very same application.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod exports;
pub mod follows;
pub mod housekeeping;
pub mod html;
pub mod http;
pub mod jobs;
pub mod keyfile;
pub mod learning;
pub mod mail;
pub mod metrics;
pub mod model_engine;
pub mod notifications;
pub mod oauth;
pub mod ops;
pub mod orders;
pub mod outage;
pub mod payments;
pub mod rbac;
pub mod redis;
pub mod rest;
pub mod seckill;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webssh;
pub mod wiring;
