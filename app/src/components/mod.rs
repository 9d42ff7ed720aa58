//! Reusable pieces of the pages.

pub mod course_card;
pub mod error_box;
pub mod field;
pub mod follow_button;
pub mod layout;
pub mod live_count;
pub mod local_time;
pub mod oauth;
pub mod outline;
pub mod pagination;
