//! Xuecheng's user interface and its wire contract.
//!
//! Compiled twice: with `ssr` into the server (pages are rendered there and server functions
//! run there) and with `hydrate` into the wasm bundle. Everything here must therefore build for
//! both; server-only code sits behind `#[cfg(feature = "ssr")]` (see [`ports`]).

// Leptos view types nest deeply; the admin pages pass rustc's default layout depth in release.
#![recursion_limit = "256"]

pub mod admin;
pub mod bundles;
pub mod components;
pub mod domain;
pub mod dto;
pub mod error;
pub mod locale;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod server_fns;
mod shell;

pub use shell::{shell, App, SiteOrigin};

// The `i18n` module leptos_i18n generates from `locales/` (see build.rs): the `Locale` enum,
// `I18nContextProvider`, `use_i18n` and the `t!`/`td_string!` macros, keys checked at compile time.
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
