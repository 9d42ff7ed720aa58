//! The back office: model declarations shared with the server and the REST API, and (in
//! `pages`) the admin UI rendered from them.

pub mod commerce;
pub mod hosts;
pub mod models;
pub mod paths;
pub mod spec;

pub use models::{find, MODELS};
pub use spec::{BulkAction, FieldKind, FieldSpec, Inline, ModelSpec, PublicRows};
