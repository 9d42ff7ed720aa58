//! The model engine's pages, whichever way it reads them: a few columns or all of them, the
//! first page or a deep one (ids first), counted by a query, by the page itself (a search on
//! PostgreSQL) or from a page that is not full. Every way must give what one plain query would.

use app::domain::Principal;
use serde_json::{json, Value};
use server::model_engine::{Filter, FilterOp, ListPage, ListQuery, ModelService, Record};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    every_page_of_every_order_matches_one_sorted_list,
    a_few_columns_read_the_same_values_as_all_of_them,
    searches_count_every_match_on_every_page,
    a_write_through_the_engine_updates_search_counts_at_once,
);

/// Eleven courses; prices repeat so orders need their id tie-breaker. Two more are deleted.
async fn catalogue(b: Backend) -> (TestApp, ModelService, Principal) {
    let app = spawn_app_with(
        b,
        Options {
            seed_demo: false,
            ..Options::default()
        },
    )
    .await;
    let m = app.models.clone();
    let root = app.superuser().await.principal();
    let d = create(
        &m,
        &root,
        "direction",
        json!({"name": "Back", "slug": "back"}),
    )
    .await;
    let c = create(
        &m,
        &root,
        "category",
        json!({"name": "Rust", "slug": "rust", "direction_id": d}),
    )
    .await;
    let t = create(&m, &root, "teacher", json!({"name": "Ada"})).await;
    for i in 0..13 {
        let title = if i % 3 == 0 {
            format!("Rust course {i}")
        } else {
            format!("Go course {i}")
        };
        let level = ["beginner", "advanced"][i % 2];
        let id = create(
            &m,
            &root,
            "course",
            json!({"title": title, "slug": format!("c-{i}"), "level": level,
                "price_cents": (i % 4) * 1000, "category_id": c, "teacher_id": t,
                "description_md": "long text ".repeat(50)}),
        )
        .await;
        if i >= 11 {
            m.delete(&root, "course", id, None).await.unwrap();
        }
    }
    (app, m, root)
}

async fn create(m: &ModelService, root: &Principal, model: &str, v: Value) -> i64 {
    let record: Record = v.as_object().cloned().unwrap();
    let row = m.create(root, model, record, None).await.unwrap();
    row["id"].as_i64().unwrap()
}

fn ids(page: &ListPage) -> Vec<i64> {
    page.rows
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

fn query(order: &[(&str, bool)], offset: u64, limit: u64) -> ListQuery {
    ListQuery {
        order: order.iter().map(|(f, d)| (f.to_string(), *d)).collect(),
        offset,
        limit,
        ..Default::default()
    }
}

async fn every_page_of_every_order_matches_one_sorted_list(b: Backend) {
    let (_app, m, root) = catalogue(b).await;
    for order in [
        vec![],
        vec![("price_cents", false)],
        vec![("price_cents", true)],
        vec![("title", false), ("price_cents", true)],
    ] {
        let whole = m
            .list(Some(&root), "course", &query(&order, 0, 100))
            .await
            .unwrap();
        assert_eq!(
            whole.count, 11,
            "{order:?}: deleted courses are not counted"
        );
        let all = ids(&whole);
        for limit in [1, 3, 4, 11] {
            let mut paged = Vec::new();
            // One page past the end too: empty, and still counted.
            for offset in (0..=11).step_by(limit) {
                let page = m
                    .list_fields(
                        Some(&root),
                        "course",
                        &query(&order, offset as u64, limit as u64),
                        &["title"],
                    )
                    .await
                    .unwrap();
                assert_eq!(page.count, 11, "{order:?} offset {offset} limit {limit}");
                paged.extend(ids(&page));
            }
            assert_eq!(paged, all, "{order:?} in pages of {limit}");
        }
    }
}

async fn a_few_columns_read_the_same_values_as_all_of_them(b: Backend) {
    let (_app, m, root) = catalogue(b).await;
    let q = query(&[("price_cents", true)], 2, 5);
    let full = m.list(Some(&root), "course", &q).await.unwrap();
    let few = m
        .list_fields(
            Some(&root),
            "course",
            &q,
            &[
                "title",
                "price_cents",
                "teacher_id",
                "updated_at",
                "password",
            ],
        )
        .await
        .unwrap();
    assert_eq!((few.count, ids(&few)), (full.count, ids(&full)));
    assert!(full.rows[0].contains_key("description_md"));
    for (f, a) in few.rows.iter().zip(&full.rows) {
        let mut keys: Vec<&str> = f.keys().map(String::as_str).collect();
        keys.sort_unstable();
        // Unknown names are skipped; `id` always comes along.
        assert_eq!(
            keys,
            ["id", "price_cents", "teacher_id", "title", "updated_at"]
        );
        for key in keys {
            assert_eq!(f[key], a[key], "{key}");
        }
    }
}

async fn searches_count_every_match_on_every_page(b: Backend) {
    let (_app, m, root) = catalogue(b).await;
    let search = |offset: u64, filters: Vec<Filter>| ListQuery {
        search: Some("RUST".into()),
        filters,
        ..query(&[("price_cents", false)], offset, 2)
    };
    // Titles "Rust course 0, 3, 6, 9" match (12 is deleted), and the search ignores case.
    let mut seen = Vec::new();
    for offset in [0, 2, 4] {
        let page = m
            .list_fields(Some(&root), "course", &search(offset, vec![]), &["title"])
            .await
            .unwrap();
        assert_eq!(page.count, 4, "offset {offset}");
        seen.extend(
            page.rows
                .iter()
                .map(|r| r["title"].as_str().unwrap().to_string()),
        );
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "Rust course 0",
            "Rust course 3",
            "Rust course 6",
            "Rust course 9"
        ]
    );
    let beginner = Filter {
        field: "level".into(),
        op: FilterOp::Eq,
        value: "beginner".into(),
    };
    let page = m
        .list_fields(
            Some(&root),
            "course",
            &search(0, vec![beginner]),
            &["title"],
        )
        .await
        .unwrap();
    let titles: Vec<&str> = page
        .rows
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        (page.count, titles),
        (2, vec!["Rust course 0", "Rust course 6"])
    );
}

async fn a_write_through_the_engine_updates_search_counts_at_once(b: Backend) {
    let (_app, m, root) = catalogue(b).await;
    // Full pages, so the count is not read off a short last page.
    let search = ListQuery {
        search: Some("course".into()),
        ..query(&[], 0, 2)
    };
    let count = || async {
        m.list_fields(Some(&root), "course", &search, &["title"])
            .await
            .unwrap()
            .count
    };
    assert_eq!(count().await, 11);
    let ids = ids(&m.list(Some(&root), "course", &search).await.unwrap());
    let renamed: Record = json!({"title": "Renamed"}).as_object().cloned().unwrap();
    m.update(&root, "course", ids[0], renamed, true, None)
        .await
        .unwrap();
    assert_eq!(count().await, 10);
    m.delete(&root, "course", ids[1], None).await.unwrap();
    assert_eq!(count().await, 9);
}
