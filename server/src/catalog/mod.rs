//! The course catalogue service: what pages, server functions and the REST API read.

mod markdown;
mod service;

pub use markdown::render_markdown;
pub use service::Catalog;
