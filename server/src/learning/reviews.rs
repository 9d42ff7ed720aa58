//! Course reviews: enrolled students rate a public course 1-5 with optional text, once each
//! (a second write edits the first); anybody reads them with the course's count and average.

use app::domain::Principal;
use app::dto::{ReviewInput, ReviewPage, ReviewView};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use chrono::Utc;

use crate::db::reviews::ReviewRow;
use crate::db::Db;
use crate::error::ResultExt;

/// The longest review text, in characters.
pub const MAX_BODY: usize = 4_000;

fn view(r: ReviewRow) -> ReviewView {
    ReviewView {
        id: r.id,
        course_id: r.course_id,
        username: r.username,
        rating: r.rating,
        body: r.body,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

async fn public_course(db: &Db, course_id: i64) -> Result<(), AppError> {
    let n = crate::db::records::scalar(
        db,
        &format!(
            "SELECT COUNT(*) FROM courses c WHERE c.id = $1 AND {}",
            crate::db::catalog::PUBLIC_COURSE
        ),
        &[crate::model_engine::sql::SqlValue::Int(course_id)],
    )
    .await
    .db_err("course")?;
    if n == 0 {
        return Err(AppError::NotFound("course".into()));
    }
    Ok(())
}

pub async fn page(
    db: &Db,
    course_id: i64,
    rating: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<ReviewPage, AppError> {
    public_course(db, course_id).await?;
    let (matching, total, average) = crate::db::reviews::summary(db, course_id, rating)
        .await
        .db_err("reviews")?;
    let items = crate::db::reviews::page(db, course_id, rating, limit, offset)
        .await
        .db_err("reviews")?;
    Ok(ReviewPage {
        matching,
        total,
        average,
        items: items.into_iter().map(view).collect(),
    })
}

pub async fn save(
    db: &Db,
    who: &Principal,
    course_id: i64,
    input: ReviewInput,
) -> Result<(ReviewView, bool), AppError> {
    public_course(db, course_id).await?;
    let mut errors = Vec::new();
    if !(1..=5).contains(&input.rating) {
        errors.push(FieldError::new(
            "rating",
            td_string!(app::locale::current(), errors.review_rating_range),
        ));
    }
    let body = input.body.trim();
    if body.chars().count() > MAX_BODY {
        errors.push(FieldError::new(
            "body",
            td_string!(app::locale::current(), errors.at_most_chars, n = MAX_BODY).to_string(),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = Utc::now();
    if !crate::db::enrollments::owns(db, who.user_id, course_id, now)
        .await
        .db_err("enrolment")?
    {
        return Err(AppError::Forbidden);
    }
    let (row, created) =
        crate::db::reviews::upsert(db, course_id, who.user_id, input.rating, body, now)
            .await
            .db_err("review")?;
    Ok((view(row), created))
}
