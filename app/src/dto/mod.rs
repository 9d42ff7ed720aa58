//! Request and response types on the wire (server functions and REST share them).

pub mod catalog;

pub use catalog::*;
