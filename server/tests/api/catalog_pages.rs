//! The public pages, as a browser without JavaScript gets them.

use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, Backend, Options};

backend_tests!(
    home_shows_featured_and_newest,
    course_list_pages_and_filters,
    bad_list_parameters_are_clamped_and_explained,
    course_page_shows_the_outline,
    unknown_course_and_path_are_404,
    anonymous_pages_are_cached_signed_in_ones_are_not,
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

    let free = app
        .get("/courses?price=free&per_page=100")
        .await
        .text()
        .await
        .unwrap();
    let free_cards = count(&free, r#"class="course-card""#);
    assert!(free_cards > 0);
    assert_eq!(
        count(&free, r#"class="price free""#),
        free_cards,
        "every card is free"
    );

    let go = app
        .get("/courses?direction=go&level=advanced&per_page=100")
        .await
        .text()
        .await
        .unwrap();
    assert!(count(&go, "高级 Advanced</span>") >= count(&go, r#"class="course-card""#));
}

async fn bad_list_parameters_are_clamped_and_explained(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in [
        "page=0",
        "per_page=10000",
        "sort=cheapest",
        "level=%3Cscript%3E",
        "direction=../../etc",
        "page=99999999999",
        "page=4294967295",
        "price=maybe",
        "q=%25%25%25",
    ] {
        let response = app.get(&format!("/courses?{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{query}");
        if !query.starts_with("q=") && query != "page=4294967295" {
            assert!(html.contains(r#"class="notices""#), "{query} is explained");
        }
    }
    let clamped = app
        .get("/courses?per_page=10000")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        count(&clamped, r#"class="course-card""#),
        60,
        "clamped to 100, all 60 shown"
    );
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
