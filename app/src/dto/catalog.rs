//! The course catalogue as clients see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Cents, CourseQuery, Level};
use crate::error::FieldError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A direction (Python, Go, Frontend…) with its categories, for filter menus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectionFacet {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub categories: Vec<CategoryRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeacherRef {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub avatar_url: Option<String>,
}

/// One course in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseCard {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub cover_url: Option<String>,
    pub level: Level,
    pub price: Cents,
    pub original_price: Option<Cents>,
    pub enrollment_count: i64,
    pub teacher_name: String,
    pub category_name: String,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoursePage {
    pub items: Vec<CourseCard>,
    pub total: u64,
    pub query: CourseQuery,
    /// Problems found in the request, already worked around (shown as notices).
    pub notices: Vec<FieldError>,
}

impl CoursePage {
    pub fn page_count(&self) -> u32 {
        let per = u64::from(self.query.per_page.max(1));
        u32::try_from(self.total.div_ceil(per)).unwrap_or(u32::MAX)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LessonKind {
    Video,
    Article,
    Lab,
}

impl LessonKind {
    /// The kind's name in `locale`.
    pub fn label(self, locale: crate::locale::Locale) -> &'static str {
        use crate::i18n::td_string;
        match self {
            LessonKind::Video => td_string!(locale, catalog.kind_video),
            LessonKind::Article => td_string!(locale, catalog.kind_article),
            LessonKind::Lab => td_string!(locale, catalog.kind_lab),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LessonOutline {
    pub id: i64,
    pub title: String,
    pub kind: LessonKind,
    pub duration_secs: i32,
    pub free_preview: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterOutline {
    pub id: i64,
    pub title: String,
    pub lessons: Vec<LessonOutline>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseDetail {
    pub card: CourseCard,
    /// Markdown rendered and sanitised on the server: safe to insert as HTML.
    pub description_html: String,
    pub direction: CategoryRef,
    pub category: CategoryRef,
    pub teacher: TeacherRef,
    pub chapters: Vec<ChapterOutline>,
    pub updated_at: DateTime<Utc>,
}

impl CourseDetail {
    pub fn lesson_count(&self) -> usize {
        self.chapters.iter().map(|c| c.lessons.len()).sum()
    }

    pub fn total_secs(&self) -> i64 {
        self.chapters
            .iter()
            .flat_map(|c| &c.lessons)
            .map(|l| i64::from(l.duration_secs))
            .sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeData {
    pub featured: Vec<CourseCard>,
    pub newest: Vec<CourseCard>,
    pub directions: Vec<DirectionFacet>,
}

/// `1 h 05 min`, `12 min`, `45 s`.
pub fn format_duration(secs: i64) -> String {
    use crate::i18n::td_string;
    let locale = crate::locale::current();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m) {
        (0, 0) => td_string!(locale, common.duration_seconds, s = s).to_string(),
        (0, m) => td_string!(locale, common.duration_minutes, m = m).to_string(),
        (h, m) => {
            td_string!(locale, common.duration_hours, h = h, m = format!("{m:02}")).to_string()
        }
    }
}
