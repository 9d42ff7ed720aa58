//! Learning paths as the public pages read them: published paths, and their courses that are
//! in the public catalogue ([`super::catalog::PUBLIC_COURSE`]), in the path's order.

use app::dto::{CourseCard, PathDetail, PathSummary};
use sqlx::FromRow;

use super::catalog::{CardRow, CARD_COLUMNS, CARD_FROM, PUBLIC_COURSE};
use super::Db;
use crate::on_pool;

#[derive(FromRow)]
struct PathRow {
    id: i64,
    slug: String,
    title: String,
    description: String,
}

#[tracing::instrument(skip_all)]
pub async fn published(db: &Db) -> Result<Vec<PathSummary>, sqlx::Error> {
    let sql = format!(
        "SELECT p.id, p.slug, p.title, p.description, \
           (SELECT COUNT(DISTINCT c.id) FROM learning_path_courses pc JOIN courses c ON c.id = pc.course_id \
            WHERE pc.path_id = p.id AND {PUBLIC_COURSE}) AS course_count \
         FROM learning_paths p WHERE p.published = TRUE ORDER BY p.position, p.id"
    );
    let rows: Vec<(i64, String, String, String, i64)> =
        on_pool!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, title, description, course_count)| PathSummary {
            id,
            slug,
            title,
            description,
            course_count,
        })
        .collect())
}

/// A published path by slug with its public courses, or `None`.
#[tracing::instrument(skip(db))]
pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<PathDetail>, sqlx::Error> {
    let path: Option<PathRow> = on_pool!(db, pool => sqlx::query_as(
        "SELECT id, slug, title, description FROM learning_paths WHERE slug = $1 AND published = TRUE")
        .bind(slug).fetch_optional(pool).await)?;
    let Some(path) = path else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {CARD_COLUMNS} {CARD_FROM} JOIN learning_path_courses pc ON pc.course_id = c.id \
         WHERE pc.path_id = $1 AND {PUBLIC_COURSE} \
           AND pc.id = (SELECT MIN(dup.id) FROM learning_path_courses dup \
             WHERE dup.path_id = pc.path_id AND dup.course_id = pc.course_id) \
         ORDER BY pc.position, pc.id"
    );
    let cards: Vec<CardRow> =
        on_pool!(db, pool => sqlx::query_as(&sql).bind(path.id).fetch_all(pool).await)?;
    let courses: Vec<CourseCard> = cards.into_iter().map(CardRow::into_card).collect();
    Ok(Some(PathDetail {
        id: path.id,
        slug: path.slug,
        title: path.title,
        description: path.description,
        courses,
    }))
}

/// Demo paths (`seed`): one per direction given as (slug, title, description, direction slug),
/// each with up to four of that direction's public courses; none when paths exist already.
pub async fn seed_demo(db: &Db, paths: &[(&str, &str, &str, &str)]) -> Result<(), sqlx::Error> {
    let existing: i64 = on_pool!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM learning_paths")
        .fetch_one(pool).await)?;
    if existing > 0 {
        return Ok(());
    }
    let courses_sql = format!(
        "SELECT c.id FROM courses c JOIN categories cat ON cat.id = c.category_id \
         JOIN directions d ON d.id = cat.direction_id WHERE d.slug = $1 AND {PUBLIC_COURSE} \
         ORDER BY c.id LIMIT 4"
    );
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for (position, (slug, title, description, direction)) in paths.iter().enumerate() {
            let path_id: i64 = sqlx::query_scalar(
                "INSERT INTO learning_paths (slug, title, description, published, position) \
                 VALUES ($1, $2, $3, TRUE, $4) RETURNING id")
                .bind(slug).bind(title).bind(description)
                .bind(i64::try_from(position).unwrap_or(0))
                .fetch_one(&mut *tx).await?;
            let courses: Vec<i64> = sqlx::query_scalar(&courses_sql)
                .bind(direction).fetch_all(&mut *tx).await?;
            for (n, course_id) in courses.into_iter().enumerate() {
                sqlx::query(
                    "INSERT INTO learning_path_courses (path_id, course_id, position) VALUES ($1, $2, $3)")
                    .bind(path_id).bind(course_id).bind(i64::try_from(n).unwrap_or(0))
                    .execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    })
}
