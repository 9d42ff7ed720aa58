//! Request and response types on the wire (server functions and REST share them).

pub mod account;
pub mod admin;
pub mod catalog;
pub mod commerce;
pub mod learning;
pub mod lifecycle;
pub mod notifications;
pub mod oauth;
pub mod ops;
pub mod seckill;
pub mod terminal;

pub use account::*;
pub use catalog::*;
pub use commerce::*;
pub use learning::*;
pub use lifecycle::*;
pub use notifications::*;
pub use oauth::*;
pub use seckill::*;
pub use terminal::*;
