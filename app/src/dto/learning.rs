//! Learning paths, follows and mail settings as clients see them.

use serde::{Deserialize, Serialize};

use super::CourseCard;

/// One published path in the `/paths` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Its public courses.
    pub course_count: i64,
}

/// A path's page: its public courses in the path's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathDetail {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub courses: Vec<CourseCard>,
}

/// What can be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FollowTarget {
    Course,
    Path,
}

/// The caller's follow of one course or path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowState {
    pub following: bool,
    /// An enrolled student follows the course without asking; unfollowing mutes it.
    pub enrolled: bool,
}

/// One kind of mail and whether the user gets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSetting {
    /// `course.update` (see [`crate::domain::mail::MailKind`]).
    pub kind: String,
    pub label: String,
    pub enabled: bool,
}
