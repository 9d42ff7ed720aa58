//! The catalogue service's answers, checked row by row on both backends.

use app::domain::{CourseQuery, Level, PriceFilter, SortKey};
use app::ports::CatalogService;
use server::catalog::Catalog;
use std::time::Duration;

use crate::backend_tests;
use crate::helpers::{spawn_app, Backend};

backend_tests!(
    filters_select_exactly_the_matching_courses,
    sorting_orders_every_page,
    search_matches_titles_and_escapes_wildcards,
    pages_past_the_end_still_count
);

fn all(per_page: u32) -> CourseQuery {
    CourseQuery {
        per_page,
        ..Default::default()
    }
}

async fn filters_select_exactly_the_matching_courses(backend: Backend) {
    let app = spawn_app(backend).await;
    let catalog = Catalog::new(app.db.clone(), Duration::ZERO);
    let everything = catalog.list_courses(all(100), vec![]).await.unwrap();
    assert_eq!(everything.total, 60);

    let beginner = catalog
        .list_courses(
            CourseQuery {
                level: Some(Level::Beginner),
                ..all(100)
            },
            vec![],
        )
        .await
        .unwrap();
    assert!(
        !beginner.items.is_empty(),
        "the demo data has beginner courses"
    );
    assert!(beginner.items.iter().all(|c| c.level == Level::Beginner));
    let expected = everything
        .items
        .iter()
        .filter(|c| c.level == Level::Beginner)
        .count();
    assert_eq!(beginner.total as usize, expected);

    let free = catalog
        .list_courses(
            CourseQuery {
                price: Some(PriceFilter::Free),
                ..all(100)
            },
            vec![],
        )
        .await
        .unwrap();
    let paid = catalog
        .list_courses(
            CourseQuery {
                price: Some(PriceFilter::Paid),
                ..all(100)
            },
            vec![],
        )
        .await
        .unwrap();
    assert!(!free.items.is_empty() && !paid.items.is_empty());
    assert!(free.items.iter().all(|c| c.price.is_free()));
    assert!(paid.items.iter().all(|c| !c.price.is_free()));
    assert_eq!(free.total + paid.total, 60);

    let directions = catalog.directions().await.unwrap();
    let python = directions.iter().find(|d| d.slug == "python").unwrap();
    let in_python = catalog
        .list_courses(
            CourseQuery {
                direction: Some("python".into()),
                ..all(100)
            },
            vec![],
        )
        .await
        .unwrap();
    let names: Vec<_> = python.categories.iter().map(|c| c.name.clone()).collect();
    assert!(
        !in_python.items.is_empty(),
        "the demo data has Python courses"
    );
    assert!(
        in_python.total < everything.total,
        "the direction filters something out"
    );
    assert!(in_python
        .items
        .iter()
        .all(|c| names.contains(&c.category_name)));
    let unknown = catalog
        .list_courses(
            CourseQuery {
                category: Some("no-such".into()),
                ..all(100)
            },
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unknown.total, 0);
}

async fn sorting_orders_every_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let catalog = Catalog::new(app.db.clone(), Duration::ZERO);
    let prices = |sort| {
        let catalog = catalog.clone();
        async move {
            let page = catalog
                .list_courses(CourseQuery { sort, ..all(100) }, vec![])
                .await
                .unwrap();
            page.items
        }
    };
    let asc: Vec<i64> = prices(SortKey::PriceAsc)
        .await
        .iter()
        .map(|c| c.price.0)
        .collect();
    assert_eq!(asc.len(), 60, "one page holds the whole catalogue");
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "{asc:?}");
    let desc: Vec<i64> = prices(SortKey::PriceDesc)
        .await
        .iter()
        .map(|c| c.price.0)
        .collect();
    assert_eq!(desc.len(), 60);
    assert!(desc.windows(2).all(|w| w[0] >= w[1]));
    let popular: Vec<i64> = prices(SortKey::Popular)
        .await
        .iter()
        .map(|c| c.enrollment_count)
        .collect();
    assert_eq!(popular.len(), 60);
    assert!(popular.windows(2).all(|w| w[0] >= w[1]));
    let newest: Vec<_> = prices(SortKey::Newest)
        .await
        .iter()
        .map(|c| c.published_at)
        .collect();
    assert_eq!(newest.len(), 60);
    assert!(newest.windows(2).all(|w| w[0] >= w[1]));

    // Pages are disjoint and cover everything.
    let mut seen = std::collections::HashSet::new();
    for page in 1..=3 {
        let p = catalog
            .list_courses(
                CourseQuery {
                    page,
                    sort: SortKey::PriceAsc,
                    ..all(20)
                },
                vec![],
            )
            .await
            .unwrap();
        for c in p.items {
            assert!(seen.insert(c.id), "course {} on two pages", c.id);
        }
    }
    assert_eq!(seen.len(), 60);
}

async fn search_matches_titles_and_escapes_wildcards(backend: Backend) {
    let app = spawn_app(backend).await;
    let catalog = Catalog::new(app.db.clone(), Duration::ZERO);
    let found = catalog
        .list_courses(
            CourseQuery {
                q: Some("django".into()),
                ..all(100)
            },
            vec![],
        )
        .await
        .unwrap();
    assert!(found.total > 0);
    assert_eq!(found.items.len() as i64, found.total as i64);
    assert!(found
        .items
        .iter()
        .all(|c| c.title.to_lowercase().contains("django")));
    for wildcard in ["%", "_", "\\"] {
        let none = catalog
            .list_courses(
                CourseQuery {
                    q: Some(wildcard.into()),
                    ..all(100)
                },
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(none.total, 0, "'{wildcard}' is a literal, not a wildcard");
    }
}

async fn pages_past_the_end_still_count(backend: Backend) {
    let app = spawn_app(backend).await;
    let catalog = Catalog::new(app.db.clone(), Duration::ZERO);
    let page = catalog
        .list_courses(
            CourseQuery {
                page: 99,
                ..all(20)
            },
            vec![],
        )
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.total, 60);
    assert_eq!(page.page_count(), 3);
}
