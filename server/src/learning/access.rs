//! The one rule of who sees a lesson's content. The lesson page, `GET /api/v1/lessons/{id}`
//! (through the model engine's public reads) and progress saves all ask it:
//!
//! - staff holding `lesson.view` see every lesson;
//! - a student whose enrolment in the course has not ended (`expires_at` NULL or later) sees
//!   the course's lessons;
//! - anybody sees a free-preview lesson;
//! - everyone else sees the outline and "buy to continue".

use app::domain::Principal;
use app::dto::LessonAccess;
use app::error::AppError;
use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::error::ResultExt;

/// The rule itself, over facts already known.
pub fn decide(staff: bool, enrolled: bool, free_preview: bool) -> LessonAccess {
    if staff {
        LessonAccess::Staff
    } else if enrolled {
        LessonAccess::Enrolled
    } else if free_preview {
        LessonAccess::Preview
    } else {
        LessonAccess::Locked
    }
}

/// Whether the caller reads lessons as staff.
pub fn is_staff(who: Option<&Principal>) -> bool {
    who.is_some_and(|p| p.has("lesson.view"))
}

/// Whether the user's enrolment in the course is in force now.
pub async fn enrolled(
    db: &Db,
    who: Option<&Principal>,
    course_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    match who {
        Some(p) => crate::db::enrollments::owns(db, p.user_id, course_id, now)
            .await
            .db_err("enrolment"),
        None => Ok(false),
    }
}

/// The chapters whose lessons the user may read as an enrolled student now (for reads of many
/// lessons at once, such as the API's lists).
pub async fn open_chapter_ids(
    db: &Db,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, AppError> {
    crate::db::catalog::enrolled_chapter_ids(db, user_id, now)
        .await
        .db_err("enrolment")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix() {
        use LessonAccess::*;
        assert_eq!(decide(true, false, false), Staff);
        assert_eq!(decide(false, true, false), Enrolled);
        assert_eq!(decide(false, false, true), Preview);
        assert_eq!(decide(false, false, false), Locked);
        assert!(!Locked.is_open());
        assert!(Preview.is_open() && Enrolled.is_open() && Staff.is_open());
    }
}
