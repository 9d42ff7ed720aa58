//! Catalogue reads behind a short-lived cache.
//!
//! Most traffic is anonymous browsing of the same few list pages, so results are cached per
//! query for a few seconds (`PAGE_CACHE_SECONDS`) and dropped at once when this instance changes
//! the catalogue ([`Catalog::invalidate`]). Other instances converge within the TTL.
//!
//! A read that started before an invalidation may finish after it with rows from before the
//! change; a generation counter, bumped by every invalidation, keeps such a read from staying in
//! the cache (the same guard as `http::response_cache`).

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use app::domain::CourseQuery;
use app::dto::{CourseCard, CourseDetail, CoursePage, DirectionFacet, HomeData};
use app::error::{AppError, FieldError};
use app::ports::CatalogService;
use async_trait::async_trait;
use moka::future::Cache;

use crate::db::catalog::{self as repo, CourseRecord};
use crate::db::Db;
use crate::error::ResultExt;

const HOME_ROW: i64 = 8;

#[derive(Clone)]
pub struct Catalog {
    db: Db,
    lists: Cache<CourseQuery, Arc<(Vec<CourseCard>, u64)>>,
    /// The same lists as the API shows them ([`Catalog::course_records`]).
    records: Cache<CourseQuery, Arc<(Vec<CourseRecord>, u64)>>,
    courses: Cache<String, Arc<CourseDetail>>,
    directions: Cache<(), Arc<Vec<DirectionFacet>>>,
    home: Cache<(), Arc<HomeData>>,
    /// Bumped by [`Catalog::invalidate`]; shared by every clone.
    generation: Arc<AtomicU64>,
    /// False when the TTL is zero: reads then skip the caches entirely.
    caching: bool,
}

/// The most the API's cached course pages may hold, in bytes (estimated by [`record_bytes`]).
const RECORDS_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// Roughly what a cached page of records occupies: its text plus the fixed part of each row.
fn record_bytes(records: &[CourseRecord]) -> u32 {
    let bytes: usize = records
        .iter()
        .map(|r| {
            std::mem::size_of::<CourseRecord>()
                + r.title.len()
                + r.slug.len()
                + r.summary.len()
                + r.description_md.len()
                + r.cover_url.as_ref().map_or(0, String::len)
                + r.level.len()
                + r.status.len()
        })
        .sum();
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

impl Catalog {
    pub fn new(db: Db, ttl: Duration) -> Self {
        // A zero TTL means "no caching": moka would still keep entries for zero time, which is
        // what we want, so one code path serves both.
        Self {
            db,
            lists: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build(),
            // Weighed in bytes, not entries: an entry holds up to 100 whole courses with their
            // Markdown (up to 50,000 characters each), and every distinct filter value is a new
            // key, so a count of entries would let a caller fill memory by varying a filter.
            records: Cache::builder()
                .max_capacity(RECORDS_CACHE_BYTES)
                .weigher(|_query, page: &Arc<(Vec<CourseRecord>, u64)>| record_bytes(&page.0))
                .time_to_live(ttl)
                .build(),
            courses: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build(),
            directions: Cache::builder().max_capacity(1).time_to_live(ttl).build(),
            home: Cache::builder().max_capacity(1).time_to_live(ttl).build(),
            generation: Arc::new(AtomicU64::new(0)),
            caching: !ttl.is_zero(),
        }
    }

    /// `load`, through `cache` under `key`; straight from the database when caching is off
    /// (`PAGE_CACHE_SECONDS=0`), since a zero-TTL moka cache still hashes, inserts and evicts
    /// every entry, which an uncached read (every signed-in page, every bench) then pays for.
    async fn read_through<K, V, F>(
        &self,
        cache: &Cache<K, V>,
        key: K,
        load: F,
    ) -> Result<V, Arc<sqlx::Error>>
    where
        K: std::hash::Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
        F: std::future::Future<Output = Result<V, sqlx::Error>>,
    {
        if !self.caching {
            return load.await.map_err(Arc::new);
        }
        let started = self.generation();
        let value = cache.try_get_with(key.clone(), load).await?;
        self.forget_if_stale(cache, &key, started).await;
        Ok(value)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// After a cached read that began at generation `started`: an invalidation meanwhile means
    /// the entry may hold rows from before the change, so it must not outlive this read.
    async fn forget_if_stale<K, V>(&self, cache: &Cache<K, V>, key: &K, started: u64)
    where
        K: std::hash::Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        if self.generation() != started {
            cache.invalidate(key).await;
        }
    }

    /// Forgets every cached read; called after any change to the catalogue.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.lists.invalidate_all();
        self.records.invalidate_all();
        self.courses.invalidate_all();
        self.directions.invalidate_all();
        self.home.invalidate_all();
    }

    /// A page of public courses as the API shows them, and the number of matches: the same
    /// courses in the same order as [`CatalogService::list_courses`] gives the page for the
    /// same query.
    pub async fn course_records(
        &self,
        query: CourseQuery,
    ) -> Result<Arc<(Vec<CourseRecord>, u64)>, AppError> {
        self.read_through(&self.records, query.clone(), async {
            repo::list_course_records(&self.db, &query)
                .await
                .map(Arc::new)
        })
        .await
        .map_err(|e| crate::error::internal(e, "listing courses"))
    }

    /// A public course by id; `Gone` once it was deleted, `NotFound` when it never was public.
    pub async fn course_record(&self, id: i64) -> Result<CourseRecord, AppError> {
        match repo::course_record(&self.db, id).await.db_err("course")? {
            Some((record, false)) => Ok(record),
            Some((_, true)) => Err(AppError::Gone("course".into())),
            None => Err(AppError::NotFound("course".into())),
        }
    }

    /// A published course page from the database, its Markdown rendered.
    async fn load_course(&self, slug: &str) -> Result<CourseDetail, AppError> {
        let (mut detail, markdown) = repo::course_by_slug(&self.db, slug)
            .await
            .db_err("course")?
            .ok_or_else(|| AppError::NotFound("course".into()))?;
        detail.description_html = super::render_markdown(&markdown);
        Ok(detail)
    }

    async fn cached_directions(&self) -> Result<Arc<Vec<DirectionFacet>>, AppError> {
        self.read_through(&self.directions, (), async {
            repo::directions(&self.db).await.map(Arc::new)
        })
        .await
        .map_err(|e| crate::error::internal(e, "loading directions"))
    }
}

#[async_trait]
impl CatalogService for Catalog {
    async fn home(&self) -> Result<HomeData, AppError> {
        let home = self
            .read_through(&self.home, (), async {
                let featured = repo::home_courses(&self.db, true, HOME_ROW).await?;
                let newest = repo::home_courses(&self.db, false, HOME_ROW).await?;
                let directions = repo::directions(&self.db).await?;
                Ok::<_, sqlx::Error>(Arc::new(HomeData {
                    featured,
                    newest,
                    directions,
                }))
            })
            .await
            .map_err(|e| crate::error::internal(e, "loading the home page"))?;
        Ok(HomeData::clone(&home))
    }

    async fn directions(&self) -> Result<Vec<DirectionFacet>, AppError> {
        Ok(Vec::clone(&*self.cached_directions().await?))
    }

    async fn list_courses(
        &self,
        query: CourseQuery,
        notices: Vec<FieldError>,
    ) -> Result<CoursePage, AppError> {
        let page = self
            .read_through(&self.lists, query.clone(), async {
                repo::list_courses(&self.db, &query).await.map(Arc::new)
            })
            .await
            .map_err(|e| crate::error::internal(e, "listing courses"))?;
        let (items, total) = &*page;
        Ok(CoursePage {
            items: items.clone(),
            total: *total,
            query,
            notices,
        })
    }

    async fn course_by_slug(&self, slug: &str) -> Result<CourseDetail, AppError> {
        if !app::domain::course_query::is_slug(slug) {
            return Err(AppError::NotFound("course".into()));
        }
        if !self.caching {
            return self.load_course(slug).await;
        }
        if let Some(hit) = self.courses.get(slug).await {
            return Ok(CourseDetail::clone(&hit));
        }
        let started = self.generation();
        let detail = Arc::new(self.load_course(slug).await?);
        if self.generation() == started {
            self.courses.insert(slug.to_string(), detail.clone()).await;
        }
        Ok(CourseDetail::clone(&detail))
    }
}

#[cfg(test)]
mod weight_tests {
    use super::*;

    fn record(description_chars: usize) -> CourseRecord {
        CourseRecord {
            id: 1,
            title: "Rust".into(),
            slug: "rust".into(),
            summary: String::new(),
            description_md: "x".repeat(description_chars),
            cover_url: None,
            level: "beginner".into(),
            price_cents: 0,
            original_price_cents: None,
            status: "published".into(),
            featured: false,
            teacher_id: 1,
            category_id: 1,
            enrollment_count: 0,
            published_at: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_page_weighs_what_its_descriptions_hold() {
        let heavy: Vec<_> = (0..100).map(|_| record(50_000)).collect();
        let light: Vec<_> = (0..100).map(|_| record(0)).collect();
        assert!(record_bytes(&heavy) >= 5_000_000);
        assert!(record_bytes(&light) < 100_000);
        // At most a handful of the heaviest pages fit: varying a filter cannot fill memory.
        assert!(RECORDS_CACHE_BYTES / u64::from(record_bytes(&heavy)) < 10);
    }
}
