//! The notification centre on the wire: a page of one's notifications, and what to mark read.

use serde::{Deserialize, Serialize};

/// One notification as its owner sees it. Times are RFC 3339 UTC to the second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i64,
    /// What it is about, e.g. `course.update`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A site path (`/courses/rust-101`) to what it is about, if any.
    pub link: Option<String>,
    pub read_at: Option<String>,
    pub created_at: String,
}

/// Which notifications a list asks for, and which slice of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationQuery {
    pub unread_only: bool,
    pub limit: u32,
    pub offset: u64,
}

/// A slice of one's notifications, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    /// How many match the query (all, or the unread ones), over every page.
    pub total: u64,
    /// How many of one's notifications are unread (what the bell shows).
    pub unread: u64,
}

/// What "mark read" applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadTarget {
    /// These notifications, all of them one's own (else nothing is marked: 404).
    Ids(Vec<i64>),
    /// Every unread one.
    All,
}
