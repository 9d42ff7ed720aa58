//! Request and response types on the wire (server functions and REST share them).

pub mod account;
pub mod admin;
pub mod catalog;

pub use account::*;
pub use catalog::*;
