//! One public catalogue: the course list page and `GET /api/v1/courses` (anonymous or a student's
//! token) answer the same courses, in the same order, for the same filter, search and sort, on
//! every page. The catalogue is grown past the demo data so that paging and ties matter, and it
//! holds a draft and a deleted course that neither may show.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::Value;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::rest_support::{call, send};

backend_tests!(
    page_and_api_list_the_same_courses_in_the_same_order,
    a_public_course_reads_the_same_for_everyone_and_hidden_ones_not_at_all,
);

/// Every course on every page of a list page, in order.
async fn page_slugs(app: &TestApp, query: &str) -> Vec<String> {
    let mut slugs = Vec::new();
    for page in 1.. {
        let html = app
            .get(&format!("/courses?{query}&page={page}"))
            .await
            .text()
            .await
            .unwrap();
        let cards: Vec<String> = html
            .split("<article")
            .skip(1)
            .filter_map(|rest| rest.split('>').next())
            .filter(|tag| tag.contains(r#"class="course-card""#))
            .filter_map(|tag| tag.split(r#"data-slug=""#).nth(1)?.split('"').next())
            .map(str::to_string)
            .collect();
        if cards.is_empty() {
            break;
        }
        slugs.extend(cards);
    }
    slugs
}

/// Every course of an API list, following `next`, in order: `(id, slug)`.
async fn api_courses(app: &TestApp, query: &str, token: Option<&str>) -> Vec<(i64, String)> {
    let mut rows = Vec::new();
    let mut url = app.url(&format!("/api/v1/courses?{query}&per_page=20"));
    loop {
        let mut request = app.client.request(Method::GET, &url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let (status, body, _) = send(request).await;
        assert_eq!(status, 200, "{url}: {body}");
        for r in body["results"].as_array().unwrap() {
            rows.push((
                r["id"].as_i64().unwrap(),
                r["slug"].as_str().unwrap().into(),
            ));
        }
        match body["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    rows
}

/// 150 more published courses than the demo's 60, a draft and a soft-deleted published one.
async fn grown_catalogue(backend: Backend) -> TestApp {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    server::seed::seed_demo(&app.db, 150).await.unwrap();
    let hide = "UPDATE courses SET status = 'draft' WHERE id = (SELECT min(id) FROM courses)";
    let delete =
        "UPDATE courses SET deleted_at = updated_at WHERE id = (SELECT max(id) FROM courses)";
    for sql in [hide, delete] {
        server::db::records::execute(&app.db, sql, &[])
            .await
            .unwrap();
    }
    app
}

async fn page_and_api_list_the_same_courses_in_the_same_order(backend: Backend) {
    let app = grown_catalogue(backend).await;
    let student = app.bearer(&app.student("student").await).await;
    let (_, category, _) = send(call(&app, Method::GET, "/api/v1/categories?limit=1", None)).await;
    let (category_id, category_slug) = (
        category["results"][0]["id"].as_i64().unwrap(),
        category["results"][0]["slug"].as_str().unwrap().to_string(),
    );
    let ids: HashMap<String, i64> = api_courses(&app, "sortby=title", None)
        .await
        .into_iter()
        .map(|(id, slug)| (slug, id))
        .collect();
    assert_eq!(
        ids.len(),
        208,
        "210 published courses, one made draft, one deleted"
    );

    // (page query, API query) asking the same question in each one's words.
    let cases = [
        (
            "sort=newest".to_string(),
            "sortby=-published_at".to_string(),
        ),
        ("sort=popular".into(), "sortby=-enrollment_count".into()),
        ("sort=price_asc".into(), "sortby=price_cents".into()),
        (
            "sort=price_desc&level=beginner".into(),
            "sortby=-price&level=beginner".into(),
        ),
        (
            "sort=price_asc&price=paid".into(),
            "sortby=price_cents&price_min=1".into(),
        ),
        (
            "price=free&sort=popular".into(),
            "price=0&sortby=-enrollment_count".into(),
        ),
        (
            "q=rust&sort=newest".into(),
            "search=rust&sortby=-published_at".into(),
        ),
        (
            "q=PYTHON&sort=price_desc".into(),
            "search=python&sortby=price&order=desc".into(),
        ),
        (
            format!("category={category_slug}&sort=popular"),
            format!("category_id={category_id}&sortby=-enrollment_count"),
        ),
        (
            "level=advanced&price=paid&sort=newest".into(),
            "level=advanced&price_min=1&sortby=-published_at".into(),
        ),
    ];
    let mut paged = 0;
    for (page_query, api_query) in &cases {
        let page = page_slugs(&app, page_query).await;
        assert!(!page.is_empty(), "{page_query}: no courses");
        if page.len() > 20 {
            paged += 1;
        }
        let page_ids: Vec<i64> = page.iter().map(|s| ids[s]).collect();
        let anonymous: Vec<i64> = api_courses(&app, api_query, None)
            .await
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(
            page_ids, anonymous,
            "page ?{page_query} and API ?{api_query}"
        );
        let signed_in: Vec<i64> = api_courses(&app, api_query, Some(&student))
            .await
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(page_ids, signed_in, "a student's token, API ?{api_query}");
    }
    assert!(paged >= 5, "most cases span several pages: {paged}");
}

async fn a_public_course_reads_the_same_for_everyone_and_hidden_ones_not_at_all(backend: Backend) {
    let app = grown_catalogue(backend).await;
    let student = app.bearer(&app.student("student").await).await;
    let staff = app
        .bearer(&app.staff("editor", &["course.view"]).await)
        .await;
    let (_, list, _) = send(call(&app, Method::GET, "/api/v1/courses?limit=3", None)).await;
    for row in list["results"].as_array().unwrap() {
        let path = format!("/api/v1/courses/{}", row["id"]);
        let mut answers = Vec::new();
        for token in [None, Some(student.as_str()), Some(staff.as_str())] {
            let response = call(&app, Method::GET, &path, token).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            let etag = response.headers()["etag"].to_str().unwrap().to_string();
            answers.push((etag, response.text().await.unwrap()));
        }
        // The catalogue's answer is the model engine's, byte for byte: one ETag for everyone.
        assert_eq!(answers[0], answers[1]);
        assert_eq!(
            answers[0], answers[2],
            "anonymous and staff read {path} alike"
        );
        let listed: Value = serde_json::from_str(&answers[0].1).unwrap();
        assert_eq!(&listed, row, "the list shows the item as the item does");
    }
    // The draft is 404 and the deleted course 410 to the public.
    let id_where = |condition: &str| {
        let sql = format!("SELECT id FROM courses WHERE {condition}");
        let db = app.db.clone();
        async move {
            let id: i64 =
                server::on_pool!(&db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await)
                    .unwrap();
            id
        }
    };
    let draft = id_where("status = 'draft'").await;
    let deleted = id_where("deleted_at IS NOT NULL").await;
    for token in [None, Some(student.as_str())] {
        for (id, want) in [(draft, 404), (deleted, 410)] {
            let path = format!("/api/v1/courses/{id}");
            let (status, _, _) = send(call(&app, Method::GET, &path, token)).await;
            assert_eq!(status, want, "{path}");
        }
    }
    // Filters the public catalogue cannot satisfy answer an empty page, not an error.
    for query in ["status=draft", "level=beginner&level=advanced"] {
        let (status, body, _) = send(call(
            &app,
            Method::GET,
            &format!("/api/v1/courses?{query}"),
            None,
        ))
        .await;
        assert_eq!((status, body["count"].as_u64()), (200, Some(0)), "{query}");
    }
    let (_, staff_drafts, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/courses?status=draft",
        Some(&staff),
    ))
    .await;
    assert_eq!(
        staff_drafts["count"], 1,
        "staff read through the model engine"
    );
}
