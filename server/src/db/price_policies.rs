//! Price policies: what a course costs for each validity (1, 3, 6, 12 months; 0 = permanent).

use super::catalog::PUBLIC_COURSE;
use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub id: i64,
    pub course_id: i64,
    pub valid_months: i32,
    pub price_cents: i64,
}

/// A course as checkout sees it: only public courses (published, not deleted) are found.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SaleCourse {
    pub id: i64,
    pub title: String,
    pub price_cents: i64,
}

pub async fn public_course(db: &Db, course_id: i64) -> Result<Option<SaleCourse>, sqlx::Error> {
    let sql = format!(
        "SELECT c.id, c.title, c.price_cents FROM courses c WHERE c.id = $1 AND {PUBLIC_COURSE}"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(course_id).fetch_optional(pool).await)
}

/// A public course's `(slug, title)`, for pages that link to it (the sale page).
pub async fn public_course_link(
    db: &Db,
    course_id: i64,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let sql = format!("SELECT c.slug, c.title FROM courses c WHERE c.id = $1 AND {PUBLIC_COURSE}");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(course_id).fetch_optional(pool).await)
}

/// Shortest validity first, permanent (0) last.
pub async fn for_course(db: &Db, course_id: i64) -> Result<Vec<PolicyRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, course_id, valid_months, price_cents FROM price_policies WHERE course_id = $1 \
         ORDER BY CASE WHEN valid_months = 0 THEN 1000 ELSE valid_months END")
        .bind(course_id).fetch_all(pool).await)
}

/// The demo catalogue's offer: every priced course gets the validities it lacks: permanent access at
/// its price and 12/6/3 months at 80/60/40% of it (rounded down to whole yuan minus a fen, as
/// shops like). One statement per validity, so a large seed stays fast.
pub async fn seed_missing(db: &Db) -> Result<u64, sqlx::Error> {
    let mut added = 0;
    for (months, percent) in [(0_i32, 100_i64), (12, 80), (6, 60), (3, 40)] {
        added += on_pool!(db, pool => sqlx::query(
            "INSERT INTO price_policies (course_id, valid_months, price_cents) \
             SELECT c.id, $1, CASE WHEN $2 = 100 THEN c.price_cents \
                 WHEN c.price_cents * $2 < 20000 THEN 1 \
                 ELSE c.price_cents * $2 / 10000 * 100 - 1 END \
             FROM courses c WHERE c.price_cents > 0 AND NOT EXISTS \
                 (SELECT 1 FROM price_policies p WHERE p.course_id = c.id AND p.valid_months = $1)")
            .bind(months).bind(percent).execute(pool).await.map(|r| r.rows_affected()))?;
    }
    Ok(added)
}
