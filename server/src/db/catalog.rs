//! Catalogue queries: directions and categories, course lists and course outlines.

use app::admin::PublicRows;
use app::domain::{Cents, CourseQuery, Level, PriceFilter, SortField, SortKey};
use app::dto::{
    CategoryRef, ChapterOutline, CourseCard, CourseDetail, DirectionFacet, LessonKind,
    LessonOutline, TeacherRef,
};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{like_pattern, Db};
use crate::config::DatabaseKind;
use crate::model_engine::sql::{Params, SqlValue};
use crate::on_pool;

#[derive(serde::Deserialize)]
struct DirectionRow {
    id: i64,
    slug: String,
    name: String,
}

#[derive(serde::Deserialize)]
struct CategoryRow {
    id: i64,
    direction_id: i64,
    slug: String,
    name: String,
}

/// Directions with their categories: one statement, each table as one JSON array (see
/// [`super::course_page`] for why), since every list page asks for them.
#[tracing::instrument(skip_all)]
pub async fn directions(db: &Db) -> Result<Vec<DirectionFacet>, sqlx::Error> {
    use super::course_page::{json_rows, parse_rows};
    let kind = db.kind();
    let sql = format!(
        "SELECT (SELECT {} FROM directions), (SELECT {} FROM categories)",
        json_rows("id, slug, name", "ORDER BY position, id", kind),
        json_rows(
            "id, direction_id, slug, name",
            "ORDER BY position, id",
            kind
        ),
    );
    let (directions, categories): (Option<String>, Option<String>) =
        on_pool!(db, pool => sqlx::query_as(&sql).fetch_one(pool).await?);
    let directions: Vec<DirectionRow> = parse_rows(directions)?;
    let categories: Vec<CategoryRow> = parse_rows(categories)?;
    Ok(directions
        .into_iter()
        .map(|d| DirectionFacet {
            categories: categories
                .iter()
                .filter(|c| c.direction_id == d.id)
                .map(|c| CategoryRef {
                    id: c.id,
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                })
                .collect(),
            id: d.id,
            slug: d.slug,
            name: d.name,
        })
        .collect())
}

#[derive(FromRow, serde::Deserialize)]
pub(crate) struct CardRow {
    id: i64,
    slug: String,
    title: String,
    summary: String,
    cover_url: Option<String>,
    level: String,
    price_cents: i64,
    original_price_cents: Option<i64>,
    enrollment_count: i64,
    teacher_name: String,
    category_name: String,
    published_at: Option<DateTime<Utc>>,
}

impl CardRow {
    pub(crate) fn into_card(self) -> CourseCard {
        CourseCard {
            id: self.id,
            slug: self.slug,
            title: self.title,
            summary: self.summary,
            cover_url: self.cover_url,
            // The CHECK constraint allows only the three levels; default defensively anyway.
            level: self.level.parse().unwrap_or(Level::Beginner),
            price: Cents(self.price_cents),
            original_price: self.original_price_cents.map(Cents),
            enrollment_count: self.enrollment_count,
            teacher_name: self.teacher_name,
            category_name: self.category_name,
            published_at: self.published_at,
        }
    }
}

/// The one rule of the public catalogue, for a `courses` row aliased `c`: a course anyone may
/// see is published and not deleted. Pages, the API, the model engine's public rows (courses,
/// their chapters and lessons) and the dashboard's count all use it; nothing else spells it.
macro_rules! published {
    () => {
        "c.status = 'published'"
    };
}
pub const PUBLIC_COURSE: &str = concat!(published!(), " AND c.deleted_at IS NULL");
/// The first half of [`PUBLIC_COURSE`] alone: a read by id must still find a deleted course, to
/// answer 410 Gone rather than 404 for what was public once.
const PUBLISHED: &str = published!();

/// The SQL condition of a model's public rows, on its unaliased table (the model engine's
/// queries), derived from [`PUBLIC_COURSE`].
pub fn public_rows(rule: PublicRows) -> String {
    match rule {
        PublicRows::All => "1 = 1".into(),
        // Deleted rows stay in: the engine answers 410 for them, and its lists leave them out.
        PublicRows::Course => format!("id IN (SELECT c.id FROM courses c WHERE {PUBLISHED})"),
        PublicRows::OfCourse(fk) => {
            format!("{fk} IN (SELECT c.id FROM courses c WHERE {PUBLIC_COURSE})")
        }
        PublicRows::OfChapter(fk) => format!(
            "{fk} IN (SELECT ch.id FROM chapters ch JOIN courses c ON c.id = ch.course_id \
             WHERE {PUBLIC_COURSE})"
        ),
    }
}

pub(crate) const CARD_COLUMNS: &str = "c.id, c.slug, c.title, c.summary, c.cover_url, c.level, c.price_cents, \
     c.original_price_cents, c.enrollment_count, t.name AS teacher_name, cat.name AS category_name, c.published_at";

pub(crate) const CARD_FROM: &str = "FROM courses c \
     JOIN teachers t ON t.id = c.teacher_id \
     JOIN categories cat ON cat.id = c.category_id";

/// What a list selects: the page's cards (with teacher and category names) or the API's
/// records (the course's own columns).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Cards,
    Records,
}

/// The `FROM … WHERE …` of a public course list and its values: the same for pages and API,
/// so both answer the same courses for the same query (only the columns read differ). Only the filters given become
/// conditions (a `$n IS NULL OR …` per filter would keep SQLite from using an index).
///
/// Search: the text, taken literally (`%` and `_` are not wildcards) and ignoring case, is
/// found in the title, the slug or the summary. PostgreSQL's `ILIKE` folds case for every
/// script; SQLite's `LIKE` folds ASCII letters only (Chinese has no case to fold).
fn list_from_where(query: &CourseQuery, dialect: DatabaseKind) -> (String, Params) {
    let mut params = Params::default();
    // Only the joins a filter needs: every course has its teacher and category (foreign keys),
    // so a join never changes which courses match.
    let mut sql = String::from("FROM courses c");
    if query.direction.is_some() || query.category.is_some() {
        sql.push_str(" JOIN categories cat ON cat.id = c.category_id");
    }
    if query.direction.is_some() {
        sql.push_str(" JOIN directions d ON d.id = cat.direction_id");
    }
    sql.push_str(" WHERE ");
    sql.push_str(PUBLIC_COURSE);
    let mut and = |condition: String| {
        sql.push_str(" AND ");
        sql.push_str(&condition);
    };
    if let Some(slug) = &query.direction {
        and(format!(
            "d.slug = {}",
            params.push(SqlValue::Text(slug.clone()))
        ));
    }
    if let Some(slug) = &query.category {
        and(format!(
            "cat.slug = {}",
            params.push(SqlValue::Text(slug.clone()))
        ));
    }
    if let Some(id) = query.category_id {
        and(format!(
            "c.category_id = {}",
            params.push(SqlValue::Int(id))
        ));
    }
    if let Some(id) = query.teacher_id {
        and(format!("c.teacher_id = {}", params.push(SqlValue::Int(id))));
    }
    if let Some(level) = query.level {
        and(format!(
            "c.level = {}",
            params.push(SqlValue::Text(level.as_str().into()))
        ));
    }
    if let Some(featured) = query.featured {
        and(format!(
            "c.featured = {}",
            params.push(SqlValue::Bool(featured))
        ));
    }
    match query.price {
        Some(PriceFilter::Free) => and("c.price_cents = 0".into()),
        Some(PriceFilter::Paid) => and("c.price_cents > 0".into()),
        None => {}
    }
    if let Some(min) = query.price_min {
        and(format!(
            "c.price_cents >= {}",
            params.push(SqlValue::Int(min))
        ));
    }
    if let Some(max) = query.price_max {
        and(format!(
            "c.price_cents <= {}",
            params.push(SqlValue::Int(max))
        ));
    }
    // Last: the cheap equalities above rule out rows before any text is compared.
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let p = params.push(SqlValue::Text(like_pattern(q)));
        let like = match dialect {
            DatabaseKind::Postgres => "ILIKE",
            DatabaseKind::Sqlite => "LIKE",
        };
        and(format!(
            "(c.title {like} {p} ESCAPE '\\' OR c.slug {like} {p} ESCAPE '\\' \
             OR c.summary {like} {p} ESCAPE '\\')"
        ));
    }
    (sql, params)
}

fn column(field: SortField) -> &'static str {
    match field {
        SortField::Title => "c.title",
        SortField::PriceCents => "c.price_cents",
        SortField::EnrollmentCount => "c.enrollment_count",
        SortField::PublishedAt => "c.published_at",
        SortField::CreatedAt => "c.created_at",
        SortField::UpdatedAt => "c.updated_at",
    }
}

/// The id tie-breaker, in the direction of the last key, keeps pages stable when many rows
/// share a sort value.
fn order_by(sort: &SortKey) -> String {
    let terms = sort.terms();
    let mut sql = String::from("ORDER BY ");
    for t in &terms {
        sql.push_str(column(t.field));
        sql.push_str(if t.descending { " DESC, " } else { " ASC, " });
    }
    let last_desc = terms.last().is_some_and(|t| t.descending);
    sql.push_str(if last_desc { "c.id DESC" } else { "c.id ASC" });
    sql
}

/// One page of public courses in `shape`, and the number of matches (one statement: see
/// [`super::course_page`]).
async fn list_page<R: serde::de::DeserializeOwned>(
    db: &Db,
    query: &CourseQuery,
    shape: Shape,
    columns: &str,
) -> Result<(Vec<R>, u64), sqlx::Error> {
    let (from_where, params) = list_from_where(query, db.kind());
    let order = order_by(&query.sort);
    let from = match shape {
        Shape::Cards => CARD_FROM,
        Shape::Records => "FROM courses c",
    };
    super::course_page::list_page(db, query, &from_where, params, &order, from, columns).await
}

/// One page of the public catalogue as the pages show it, and the number of matches.
#[tracing::instrument(skip(db))]
pub async fn list_courses(
    db: &Db,
    query: &CourseQuery,
) -> Result<(Vec<CourseCard>, u64), sqlx::Error> {
    let (rows, total) = list_page::<CardRow>(db, query, Shape::Cards, CARD_COLUMNS).await?;
    Ok((rows.into_iter().map(CardRow::into_card).collect(), total))
}

/// A public course as the API shows it: the course's own columns.
#[derive(Debug, Clone, FromRow, serde::Deserialize)]
pub struct CourseRecord {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub description_md: String,
    pub cover_url: Option<String>,
    pub level: String,
    pub price_cents: i64,
    pub original_price_cents: Option<i64>,
    pub status: String,
    #[serde(deserialize_with = "super::course_page::bool_or_int")]
    pub featured: bool,
    pub teacher_id: i64,
    pub category_id: i64,
    pub enrollment_count: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const RECORD_COLUMNS: &str = "c.id, c.title, c.slug, c.summary, c.description_md, c.cover_url, \
     c.level, c.price_cents, c.original_price_cents, c.status, c.featured, c.teacher_id, \
     c.category_id, c.enrollment_count, c.published_at, c.created_at, c.updated_at";

/// The same page of the public catalogue as [`list_courses`], as the API shows it.
#[tracing::instrument(skip(db))]
pub async fn list_course_records(
    db: &Db,
    query: &CourseQuery,
) -> Result<(Vec<CourseRecord>, u64), sqlx::Error> {
    list_page(db, query, Shape::Records, RECORD_COLUMNS).await
}

/// A published course by id, and whether it was deleted since (then it answers 410).
#[tracing::instrument(skip(db))]
pub async fn course_record(db: &Db, id: i64) -> Result<Option<(CourseRecord, bool)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        record: CourseRecord,
        deleted: bool,
    }
    let sql = format!(
        "SELECT {RECORD_COLUMNS}, c.deleted_at IS NOT NULL AS deleted FROM courses c \
         WHERE c.id = $1 AND {PUBLISHED}"
    );
    let row: Option<Row> =
        on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
    Ok(row.map(|r| (r.record, r.deleted)))
}

/// Published courses for the home page: featured first by popularity, or the newest.
#[tracing::instrument(skip(db))]
pub async fn home_courses(
    db: &Db,
    featured: bool,
    limit: i64,
) -> Result<Vec<CourseCard>, sqlx::Error> {
    // Featured rows are the most popular of the flagged courses; the other row is the newest.
    let (filter, order) = if featured {
        (
            "AND c.featured = TRUE",
            "c.enrollment_count DESC, c.id DESC",
        )
    } else {
        ("", "c.published_at DESC, c.id DESC")
    };
    let sql = format!(
        "SELECT {CARD_COLUMNS} {CARD_FROM} WHERE {PUBLIC_COURSE} {filter} ORDER BY {order} LIMIT $1"
    );
    let rows: Vec<CardRow> =
        on_pool!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?);
    Ok(rows.into_iter().map(CardRow::into_card).collect())
}

#[derive(FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    card: CardRow,
    description_md: String,
    updated_at: DateTime<Utc>,
    teacher_id: i64,
    teacher_title: String,
    teacher_avatar: Option<String>,
    category_id: i64,
    category_slug: String,
    direction_id: i64,
    direction_slug: String,
    direction_name: String,
}

#[derive(FromRow)]
struct OutlineRow {
    chapter_id: i64,
    chapter_title: String,
    lesson_id: Option<i64>,
    lesson_title: Option<String>,
    kind: Option<String>,
    duration_secs: Option<i32>,
    free_preview: Option<bool>,
}

/// A published course with its outline, and its description as Markdown. `description_html` is
/// left empty: rendering and sanitising belong to the service.
#[tracing::instrument(skip(db))]
pub async fn course_by_slug(
    db: &Db,
    slug: &str,
) -> Result<Option<(CourseDetail, String)>, sqlx::Error> {
    let detail_sql = format!(
        "SELECT {CARD_COLUMNS}, c.description_md, c.updated_at, t.id AS teacher_id, t.title AS teacher_title, \
         t.avatar_url AS teacher_avatar, cat.id AS category_id, cat.slug AS category_slug, \
         d.id AS direction_id, d.slug AS direction_slug, d.name AS direction_name \
         {CARD_FROM} JOIN directions d ON d.id = cat.direction_id WHERE c.slug = $1 AND {PUBLIC_COURSE}"
    );
    const OUTLINE: &str =
        "SELECT ch.id AS chapter_id, ch.title AS chapter_title, l.id AS lesson_id, \
         l.title AS lesson_title, l.kind, l.duration_secs, l.free_preview \
         FROM chapters ch LEFT JOIN lessons l ON l.chapter_id = ch.id \
         WHERE ch.course_id = $1 ORDER BY ch.position, ch.id, l.position, l.id";

    let Some(row): Option<DetailRow> =
        on_pool!(db, pool => sqlx::query_as(&detail_sql).bind(slug).fetch_optional(pool).await?)
    else {
        return Ok(None);
    };
    let outline: Vec<OutlineRow> =
        on_pool!(db, pool => sqlx::query_as(OUTLINE).bind(row.card.id).fetch_all(pool).await?);

    let mut chapters: Vec<ChapterOutline> = Vec::new();
    for r in outline {
        if chapters.last().map(|c| c.id) != Some(r.chapter_id) {
            chapters.push(ChapterOutline {
                id: r.chapter_id,
                title: r.chapter_title.clone(),
                lessons: Vec::new(),
            });
        }
        if let (Some(id), Some(title), Some(chapter)) =
            (r.lesson_id, r.lesson_title, chapters.last_mut())
        {
            chapter.lessons.push(LessonOutline {
                id,
                title,
                kind: match r.kind.as_deref() {
                    Some("video") => LessonKind::Video,
                    Some("lab") => LessonKind::Lab,
                    _ => LessonKind::Article,
                },
                duration_secs: r.duration_secs.unwrap_or(0),
                free_preview: r.free_preview.unwrap_or(false),
            });
        }
    }

    let teacher = TeacherRef {
        id: row.teacher_id,
        name: row.card.teacher_name.clone(),
        title: row.teacher_title,
        avatar_url: row.teacher_avatar,
    };
    let category = CategoryRef {
        id: row.category_id,
        slug: row.category_slug,
        name: row.card.category_name.clone(),
    };
    let direction = CategoryRef {
        id: row.direction_id,
        slug: row.direction_slug,
        name: row.direction_name,
    };
    let detail = CourseDetail {
        card: row.card.into_card(),
        description_html: String::new(),
        direction,
        category,
        teacher,
        chapters,
        updated_at: row.updated_at,
    };
    Ok(Some((detail, row.description_md)))
}

/// The chapters whose lesson content `user_id` may read as a student: those of the courses the
/// user is enrolled in.
#[tracing::instrument(skip(db))]
pub async fn enrolled_chapter_ids(
    db: &Db,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    // An ended enrolment opens nothing (the learning access rule, `learning::access`).
    const SQL: &str = "SELECT ch.id FROM chapters ch \
         JOIN enrollments e ON e.course_id = ch.course_id WHERE e.user_id = $1 \
         AND (e.expires_at IS NULL OR e.expires_at > $2)";
    on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).bind(now).fetch_all(pool).await)
}
