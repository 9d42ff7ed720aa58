//! Catalogue queries: directions and categories, course lists and course outlines.

use app::domain::{Cents, CourseQuery, Level, PriceFilter, SortKey};
use app::dto::{
    CategoryRef, ChapterOutline, CourseCard, CourseDetail, DirectionFacet, LessonKind,
    LessonOutline, TeacherRef,
};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{like_pattern, Db};
use crate::on_pool;

#[derive(FromRow)]
struct DirectionRow {
    id: i64,
    slug: String,
    name: String,
}

#[derive(FromRow)]
struct CategoryRow {
    id: i64,
    direction_id: i64,
    slug: String,
    name: String,
}

#[tracing::instrument(skip_all)]
pub async fn directions(db: &Db) -> Result<Vec<DirectionFacet>, sqlx::Error> {
    const DIRECTIONS: &str = "SELECT id, slug, name FROM directions ORDER BY position, id";
    const CATEGORIES: &str =
        "SELECT id, direction_id, slug, name FROM categories ORDER BY position, id";
    let (directions, categories): (Vec<DirectionRow>, Vec<CategoryRow>) = on_pool!(db, pool => (
        sqlx::query_as(DIRECTIONS).fetch_all(pool).await?,
        sqlx::query_as(CATEGORIES).fetch_all(pool).await?,
    ));
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

#[derive(FromRow)]
struct CardRow {
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
    fn into_card(self) -> CourseCard {
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

#[derive(FromRow)]
struct CountedCardRow {
    #[sqlx(flatten)]
    card: CardRow,
    total: i64,
}

const CARD_COLUMNS: &str = "c.id, c.slug, c.title, c.summary, c.cover_url, c.level, c.price_cents, \
     c.original_price_cents, c.enrollment_count, t.name AS teacher_name, cat.name AS category_name, c.published_at";

const CARD_FROM: &str = "FROM courses c \
     JOIN teachers t ON t.id = c.teacher_id \
     JOIN categories cat ON cat.id = c.category_id \
     JOIN directions d ON d.id = cat.direction_id";

/// Only published, not deleted courses are public. Unset filters are NULL parameters.
const LIST_WHERE: &str = "WHERE c.status = 'published' AND c.deleted_at IS NULL \
     AND ($1 IS NULL OR d.slug = $1) \
     AND ($2 IS NULL OR cat.slug = $2) \
     AND ($3 IS NULL OR c.level = $3) \
     AND ($4 IS NULL OR ($4 = 'free' AND c.price_cents = 0) OR ($4 = 'paid' AND c.price_cents > 0)) \
     AND ($5 IS NULL OR lower(c.title) LIKE $5 ESCAPE '\\')";

fn order_by(sort: SortKey) -> &'static str {
    // The id tie-breaker keeps pages stable when many rows share a sort value.
    match sort {
        SortKey::Newest => "ORDER BY c.published_at DESC, c.id DESC",
        SortKey::Popular => "ORDER BY c.enrollment_count DESC, c.id DESC",
        SortKey::PriceAsc => "ORDER BY c.price_cents ASC, c.id ASC",
        SortKey::PriceDesc => "ORDER BY c.price_cents DESC, c.id DESC",
    }
}

/// One page of courses and the number of matches. The count rides along as a window function,
/// so a page costs one query; only a page past the end needs a second one for the count.
#[tracing::instrument(skip(db))]
pub async fn list_courses(
    db: &Db,
    query: &CourseQuery,
) -> Result<(Vec<CourseCard>, u64), sqlx::Error> {
    let direction = query.direction.as_deref();
    let category = query.category.as_deref();
    let level = query.level.map(Level::as_str);
    let price = query.price.map(PriceFilter::as_str);
    let search = query.q.as_deref().map(like_pattern);
    let limit = i64::from(query.per_page);
    let offset = i64::try_from(query.offset()).unwrap_or(i64::MAX);

    let page_sql = format!(
        "SELECT {CARD_COLUMNS}, count(*) OVER () AS total {CARD_FROM} {LIST_WHERE} {} LIMIT $6 OFFSET $7",
        order_by(query.sort)
    );
    let rows: Vec<CountedCardRow> = on_pool!(db, pool => sqlx::query_as(&page_sql)
        .bind(direction)
        .bind(category)
        .bind(level)
        .bind(price)
        .bind(search.as_deref())
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?);

    let total = match rows.first() {
        Some(row) => row.total,
        None if query.page > 1 => {
            let count_sql = format!("SELECT count(*) {CARD_FROM} {LIST_WHERE}");
            on_pool!(db, pool => sqlx::query_scalar(&count_sql)
                .bind(direction)
                .bind(category)
                .bind(level)
                .bind(price)
                .bind(search.as_deref())
                .fetch_one(pool)
                .await?)
        }
        None => 0,
    };
    let cards = rows.into_iter().map(|r| r.card.into_card()).collect();
    Ok((cards, u64::try_from(total).unwrap_or(0)))
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
        "SELECT {CARD_COLUMNS} {CARD_FROM} WHERE c.status = 'published' AND c.deleted_at IS NULL {filter} \
         ORDER BY {order} LIMIT $1"
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
         {CARD_FROM} WHERE c.slug = $1 AND c.status = 'published' AND c.deleted_at IS NULL"
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
pub async fn enrolled_chapter_ids(db: &Db, user_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    const SQL: &str = "SELECT ch.id FROM chapters ch \
         JOIN enrollments e ON e.course_id = ch.course_id WHERE e.user_id = $1";
    on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await)
}
