//! Domain types that compile everywhere (server and wasm): parse, don't validate.

pub mod account;
pub mod course_query;
pub mod level;
pub mod mail;
pub mod money;
pub mod oauth;
pub mod rbac;
pub mod request;

pub use course_query::{
    CourseQuery, PriceFilter, SortField, SortKey, SortTerm, DEFAULT_PER_PAGE, MAX_PER_PAGE,
};
pub use level::Level;
pub use money::Cents;
pub use rbac::Principal;
pub use request::RequestMeta;
