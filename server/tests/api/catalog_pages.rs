//! The public pages, as a browser without JavaScript gets them.

use crate::backend_tests;
use std::collections::BTreeSet;

use crate::helpers::{spawn_app, spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    home_shows_featured_and_newest,
    course_list_pages_and_filters,
    bad_list_parameters_are_clamped_and_explained,
    course_page_shows_the_outline,
    unknown_course_and_path_are_404,
    anonymous_pages_are_cached_signed_in_ones_are_not,
    a_catalogue_write_clears_the_page_cache,
);

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

async fn home_shows_featured_and_newest(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="featured""#) && html.contains(r#"id="newest""#));
    assert!(
        count(&html, r#"class="course-card""#) >= 8,
        "cards on the home page"
    );
}

/// The slugs of the cards on a page, in order.
fn card_slugs(html: &str) -> Vec<String> {
    html.split("<article")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| tag.contains(r#"class="course-card""#))
        .filter_map(|tag| tag.split(r#"data-slug=""#).nth(1)?.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The slugs of the published courses matching `condition` (SQL over `c`, `cat`, `d`), sorted.
async fn slugs_where(app: &TestApp, condition: &str) -> BTreeSet<String> {
    let sql = format!(
        "SELECT c.slug FROM courses c JOIN categories cat ON cat.id = c.category_id \
         JOIN directions d ON d.id = cat.direction_id \
         WHERE c.status = 'published' AND c.deleted_at IS NULL AND {condition}"
    );
    let slugs: Vec<String> =
        server::on_pool!(&app.db, pool => sqlx::query_scalar(&sql).fetch_all(pool).await).unwrap();
    slugs.into_iter().collect()
}

/// The demo catalogue (60 courses) plus `more`, so a page of 100 can be clamped.
async fn app_with_courses(backend: Backend, more: u32) -> TestApp {
    let app = spawn_app(backend).await;
    server::seed::seed_demo(&app.db, more).await.unwrap();
    app
}

async fn course_list_pages_and_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let html = app.get("/courses").await.text().await.unwrap();
    assert_eq!(count(&html, r#"class="course-card""#), 20, "20 per page");
    assert!(html.contains(r#"data-total="60""#), "60 demo courses");
    assert!(html.contains(r#"rel="next""#));

    let page3 = app.get("/courses?page=3").await.text().await.unwrap();
    assert_eq!(count(&page3, r#"class="course-card""#), 20);
    assert!(
        !page3.contains(r#"rel="next""#),
        "the last page has no next link"
    );

    // Each filter shows exactly the matching courses: none missing, none extra.
    for (query, condition) in [
        ("price=free", "c.price_cents = 0"),
        ("price=paid", "c.price_cents > 0"),
        (
            "direction=go&level=advanced",
            "d.slug = 'go' AND c.level = 'advanced'",
        ),
        ("level=beginner", "c.level = 'beginner'"),
    ] {
        let expected = slugs_where(&app, condition).await;
        assert!(
            !expected.is_empty() && expected.len() < 60,
            "{query}: the demo data must make this filter select some but not all ({})",
            expected.len()
        );
        let html = app
            .get(&format!("/courses?{query}&per_page=100"))
            .await
            .text()
            .await
            .unwrap();
        let shown: BTreeSet<String> = card_slugs(&html).into_iter().collect();
        assert_eq!(shown, expected, "{query}");
        assert!(
            html.contains(&format!(r#"data-total="{}""#, expected.len())),
            "{query}: the count"
        );
    }
    let free = app
        .get("/courses?price=free&per_page=100")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        count(&free, r#"class="price free""#),
        count(&free, r#"class="course-card""#),
        "every free card is labelled free"
    );
}

async fn bad_list_parameters_are_clamped_and_explained(backend: Backend) {
    let app = app_with_courses(backend, 90).await;
    let long_q = "a".repeat(500);
    // (query, whether the page must explain what it ignored)
    let cases: Vec<(String, bool)> = [
        ("page=0", true),
        ("page=abc", true),
        ("per_page=10000", true),
        ("per_page=-1", true),
        ("per_page=0", true),
        ("sort=cheapest", true),
        ("level=%3Cscript%3Ealert(1)%3C/script%3E", true),
        ("direction=%3Cscript%3Ealert(1)%3C/script%3E", true),
        ("direction=../../etc", true),
        ("page=99999999999", true),
        ("price=maybe", true),
        ("page=4294967295", false),
        ("q=%25%25%25", false),
        ("q=%3Cscript%3Ealert(1)%3C/script%3E", false),
    ]
    .into_iter()
    .map(|(q, n)| (q.to_string(), n))
    .chain([(format!("q={long_q}"), false)])
    .collect();
    for (query, explained) in &cases {
        let response = app.get(&format!("/courses?{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("<script>alert"),
            "{query} was rendered as markup"
        );
        assert_eq!(
            html.contains(r#"class="notices""#),
            *explained,
            "{query}: notices shown or not"
        );
    }
    // The search box's value and the heading carry the payload as text.
    let xss = app
        .get("/courses?q=%3Cscript%3Ealert(1)%3C/script%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        xss.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the payload is escaped"
    );

    // A 500-character search is cut to the first 100 characters, not refused.
    let long = app
        .get(&format!("/courses?q={long_q}"))
        .await
        .text()
        .await
        .unwrap();
    let kept = "a".repeat(app::domain::course_query::MAX_SEARCH_CHARS);
    assert!(
        long.contains(&format!("“{kept}”")),
        "the cut query is shown"
    );
    assert!(!long.contains(&format!("{kept}a")), "nothing past the cut");

    // 150 courses: per_page=10000 is clamped to 100 cards (and the next page holds the rest).
    let clamped = app
        .get("/courses?per_page=10000")
        .await
        .text()
        .await
        .unwrap();
    assert!(clamped.contains(r#"data-total="150""#));
    assert_eq!(
        count(&clamped, r#"class="course-card""#),
        100,
        "clamped to 100"
    );
    assert!(clamped.contains(r#"rel="next""#));
    let rest = app
        .get("/courses?per_page=100&page=2")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count(&rest, r#"class="course-card""#), 50);
}

async fn course_page_shows_the_outline(backend: Backend) {
    let app = spawn_app(backend).await;
    let list = app.get("/courses").await.text().await.unwrap();
    let slug = list
        .split(r#"data-slug=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let response = app.get(&format!("/courses/{slug}")).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"class="outline""#));
    assert!(count(&html, r#"class="chapter-toggle""#) >= 3);
    assert!(
        html.contains("<h2>你将学到 What you will learn</h2>"),
        "Markdown is rendered"
    );
}

async fn unknown_course_and_path_are_404(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/courses/no-such-course",
        "/courses/NOT%20A%20SLUG",
        "/nope",
        "/courses/x/y",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.text().await.unwrap().contains("404"), "{path}");
    }
}

async fn anonymous_pages_are_cached_signed_in_ones_are_not(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            page_cache_seconds: 60,
            ..Default::default()
        },
    )
    .await;
    let first = app.get("/courses?sort=popular").await;
    assert_eq!(first.headers()["x-cache"], "miss");
    let first_body = first.text().await.unwrap();
    let second = app.get("/courses?sort=popular").await;
    assert_eq!(second.headers()["x-cache"], "hit");
    assert_eq!(second.text().await.unwrap(), first_body);
    let signed_in = app
        .client
        .get(app.url("/courses?sort=popular"))
        .header("cookie", "xc_session=abc")
        .send()
        .await
        .unwrap();
    assert!(
        signed_in.headers().get("x-cache").is_none(),
        "sessions bypass the page cache"
    );
}

/// A cached page must not outlive the data it shows: a write through the API empties the cache,
/// and the next visitor sees the change at once (not after `PAGE_CACHE_SECONDS`).
async fn a_catalogue_write_clears_the_page_cache(backend: Backend) {
    use crate::rest_support::{call, send, token_for};
    use reqwest::Method;
    let app = spawn_app_with(
        backend,
        Options {
            page_cache_seconds: 600,
            ..Default::default()
        },
    )
    .await;
    let admin = token_for(&app, "root", true, &[]).await;
    let (_, list, _) = send(call(&app, Method::GET, "/api/v1/courses?limit=1", None)).await;
    let id = list["results"][0]["id"].as_i64().unwrap();
    let slug = list["results"][0]["slug"].as_str().unwrap().to_string();
    let page = format!("/courses/{slug}");
    for path in [page.as_str(), "/courses?per_page=100"] {
        assert_eq!(app.get(path).await.headers()["x-cache"], "miss", "{path}");
        assert_eq!(app.get(path).await.headers()["x-cache"], "hit", "{path}");
    }
    let (status, _, headers) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/courses/{id}"),
        Some(&admin),
    ))
    .await;
    assert_eq!(status, 200);
    let etag = headers["etag"].to_str().unwrap().to_string();
    let renamed = "Renamed While Cached";
    let (status, body, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/courses/{id}"),
            Some(&admin),
        )
        .header("If-Match", &etag)
        .json(&serde_json::json!({"title": renamed})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for path in [page.as_str(), "/courses?per_page=100"] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["x-cache"],
            "miss",
            "{path}: the cache was cleared"
        );
        assert!(
            response.text().await.unwrap().contains(renamed),
            "{path} shows the new title"
        );
    }
}
